/**
 * dvc-render's built-in vega-lite templates (dvc_render/vega_templates.py, the version DVC 3.64
 * installs), in its TEMPLATES order: what `dvc plots templates` lists and prints and what plots
 * are drawn with. Generated from that source; `<DVC_METRIC_*>` strings are the anchors filled in.
 */
export const VEGA_TEMPLATES: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  ["simple", {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "data": {
      "values": "<DVC_METRIC_DATA>"
    },
    "title": {
      "text": "<DVC_METRIC_TITLE>",
      "anchor": "middle"
    },
    "params": [
      "<DVC_METRIC_ZOOM_AND_PAN>"
    ],
    "width": "<DVC_METRIC_PLOT_WIDTH>",
    "height": "<DVC_METRIC_PLOT_HEIGHT>",
    "mark": {
      "type": "line",
      "tooltip": {
        "content": "data"
      }
    },
    "encoding": {
      "x": {
        "field": "<DVC_METRIC_X>",
        "type": "quantitative",
        "title": "<DVC_METRIC_X_LABEL>"
      },
      "y": {
        "field": "<DVC_METRIC_Y>",
        "type": "quantitative",
        "title": "<DVC_METRIC_Y_LABEL>",
        "scale": {
          "zero": false
        }
      },
      "color": "<DVC_METRIC_COLOR>",
      "strokeDash": "<DVC_METRIC_STROKE_DASH>",
      "tooltip": "<DVC_METRIC_TOOLTIP>"
    }
  }],
  ["linear", {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "data": {
      "values": "<DVC_METRIC_DATA>"
    },
    "title": {
      "text": "<DVC_METRIC_TITLE>",
      "anchor": "middle"
    },
    "width": "<DVC_METRIC_PLOT_WIDTH>",
    "height": "<DVC_METRIC_PLOT_HEIGHT>",
    "params": [
      {
        "name": "smooth",
        "value": 0.001,
        "bind": {
          "input": "range",
          "min": 0.001,
          "max": 1,
          "step": 0.001
        }
      }
    ],
    "encoding": {
      "x": {
        "field": "<DVC_METRIC_X>",
        "type": "quantitative",
        "title": "<DVC_METRIC_X_LABEL>"
      },
      "color": "<DVC_METRIC_COLOR>",
      "strokeDash": "<DVC_METRIC_STROKE_DASH>"
    },
    "layer": [
      {
        "layer": [
          {
            "params": [
              "<DVC_METRIC_ZOOM_AND_PAN>"
            ],
            "mark": "line"
          },
          {
            "transform": [
              {
                "filter": {
                  "param": "hover",
                  "empty": false
                }
              }
            ],
            "mark": "point"
          }
        ],
        "encoding": {
          "y": {
            "field": "<DVC_METRIC_Y>",
            "type": "quantitative",
            "title": "<DVC_METRIC_Y_LABEL>",
            "scale": {
              "zero": false
            }
          },
          "color": {
            "field": "rev",
            "type": "nominal"
          }
        },
        "transform": [
          {
            "loess": "<DVC_METRIC_Y>",
            "on": "<DVC_METRIC_X>",
            "groupby": "<DVC_METRIC_GROUP_BY>",
            "bandwidth": {
              "signal": "smooth"
            }
          }
        ]
      },
      {
        "mark": {
          "type": "line",
          "opacity": 0.2
        },
        "encoding": {
          "x": {
            "field": "<DVC_METRIC_X>",
            "type": "quantitative",
            "title": "<DVC_METRIC_X_LABEL>"
          },
          "y": {
            "field": "<DVC_METRIC_Y>",
            "type": "quantitative",
            "title": "<DVC_METRIC_Y_LABEL>",
            "scale": {
              "zero": false
            }
          },
          "color": {
            "field": "rev",
            "type": "nominal"
          }
        }
      },
      {
        "mark": {
          "type": "circle",
          "size": 10
        },
        "encoding": {
          "x": {
            "aggregate": "max",
            "field": "<DVC_METRIC_X>",
            "type": "quantitative",
            "title": "<DVC_METRIC_X_LABEL>"
          },
          "y": {
            "aggregate": {
              "argmax": "<DVC_METRIC_X>"
            },
            "field": "<DVC_METRIC_Y>",
            "type": "quantitative",
            "title": "<DVC_METRIC_Y_LABEL>",
            "scale": {
              "zero": false
            }
          },
          "color": {
            "field": "rev",
            "type": "nominal"
          }
        }
      },
      {
        "transform": [
          {
            "calculate": "<DVC_METRIC_PIVOT_FIELD>",
            "as": "pivot_field"
          },
          {
            "pivot": "pivot_field",
            "op": "mean",
            "value": "<DVC_METRIC_Y>",
            "groupby": [
              "<DVC_METRIC_X>"
            ]
          }
        ],
        "mark": {
          "type": "rule",
          "tooltip": {
            "content": "data"
          },
          "stroke": "grey"
        },
        "encoding": {
          "opacity": {
            "condition": {
              "value": 0.3,
              "param": "hover",
              "empty": false
            },
            "value": 0
          }
        },
        "params": [
          {
            "name": "hover",
            "select": {
              "type": "point",
              "fields": [
                "<DVC_METRIC_X>"
              ],
              "nearest": true,
              "on": "mouseover",
              "clear": "mouseout"
            }
          }
        ]
      }
    ]
  }],
  ["confusion", {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "data": {
      "values": "<DVC_METRIC_DATA>"
    },
    "title": {
      "text": "<DVC_METRIC_TITLE>",
      "anchor": "middle"
    },
    "facet": {
      "column": {
        "field": "rev",
        "sort": []
      },
      "row": "<DVC_METRIC_ROW>"
    },
    "params": [
      {
        "name": "showValues",
        "bind": {
          "input": "checkbox"
        }
      }
    ],
    "spec": {
      "transform": [
        {
          "aggregate": [
            {
              "op": "count",
              "as": "xy_count"
            }
          ],
          "groupby": [
            "<DVC_METRIC_Y>",
            "<DVC_METRIC_X>"
          ]
        },
        {
          "impute": "xy_count",
          "groupby": "<DVC_METRIC_GROUP_BY_Y>",
          "key": "<DVC_METRIC_X>",
          "value": 0
        },
        {
          "impute": "xy_count",
          "groupby": "<DVC_METRIC_GROUP_BY_X>",
          "key": "<DVC_METRIC_Y>",
          "value": 0
        },
        {
          "joinaggregate": [
            {
              "op": "max",
              "field": "xy_count",
              "as": "max_count"
            }
          ],
          "groupby": []
        },
        {
          "calculate": "datum.xy_count / datum.max_count",
          "as": "percent_of_max"
        }
      ],
      "encoding": {
        "x": {
          "field": "<DVC_METRIC_X>",
          "type": "nominal",
          "sort": "ascending",
          "title": "<DVC_METRIC_X_LABEL>"
        },
        "y": {
          "field": "<DVC_METRIC_Y>",
          "type": "nominal",
          "sort": "ascending",
          "title": "<DVC_METRIC_Y_LABEL>"
        }
      },
      "layer": [
        {
          "mark": "rect",
          "width": "<DVC_METRIC_PLOT_WIDTH>",
          "height": "<DVC_METRIC_PLOT_HEIGHT>",
          "encoding": {
            "color": {
              "field": "xy_count",
              "type": "quantitative",
              "title": "",
              "scale": {
                "domainMin": 0,
                "nice": true
              }
            }
          }
        },
        {
          "selection": {
            "label": {
              "type": "single",
              "on": "mouseover",
              "encodings": [
                "x",
                "y"
              ],
              "empty": "none",
              "clear": "mouseout"
            }
          },
          "mark": "rect",
          "encoding": {
            "tooltip": [
              {
                "field": "<DVC_METRIC_X>",
                "type": "nominal"
              },
              {
                "field": "<DVC_METRIC_Y>",
                "type": "nominal"
              },
              {
                "field": "xy_count",
                "type": "quantitative"
              }
            ],
            "opacity": {
              "condition": {
                "selection": "label",
                "value": 1
              },
              "value": 0
            }
          }
        },
        {
          "transform": [
            {
              "filter": {
                "selection": "label"
              }
            }
          ],
          "layer": [
            {
              "mark": {
                "type": "rect",
                "color": "lightpink"
              }
            }
          ]
        },
        {
          "mark": "text",
          "encoding": {
            "text": {
              "condition": {
                "param": "showValues",
                "field": "xy_count",
                "type": "quantitative"
              }
            },
            "color": {
              "condition": {
                "test": "datum.percent_of_max > 0.5",
                "value": "white"
              },
              "value": "black"
            }
          }
        }
      ]
    }
  }],
  ["confusion_normalized", {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "data": {
      "values": "<DVC_METRIC_DATA>"
    },
    "title": {
      "text": "<DVC_METRIC_TITLE>",
      "anchor": "middle"
    },
    "facet": {
      "column": {
        "field": "rev",
        "sort": []
      },
      "row": "<DVC_METRIC_ROW>"
    },
    "spec": {
      "transform": [
        {
          "aggregate": [
            {
              "op": "count",
              "as": "xy_count"
            }
          ],
          "groupby": [
            "<DVC_METRIC_Y>",
            "<DVC_METRIC_X>"
          ]
        },
        {
          "impute": "xy_count",
          "groupby": [
            "rev",
            "<DVC_METRIC_Y>"
          ],
          "key": "<DVC_METRIC_X>",
          "value": 0
        },
        {
          "impute": "xy_count",
          "groupby": "<DVC_METRIC_GROUP_BY_X>",
          "key": "<DVC_METRIC_Y>",
          "value": 0
        },
        {
          "joinaggregate": [
            {
              "op": "sum",
              "field": "xy_count",
              "as": "sum_y"
            }
          ],
          "groupby": [
            "<DVC_METRIC_Y>"
          ]
        },
        {
          "calculate": "datum.xy_count / datum.sum_y",
          "as": "percent_of_y"
        }
      ],
      "encoding": {
        "x": {
          "field": "<DVC_METRIC_X>",
          "type": "nominal",
          "sort": "ascending",
          "title": "<DVC_METRIC_X_LABEL>"
        },
        "y": {
          "field": "<DVC_METRIC_Y>",
          "type": "nominal",
          "sort": "ascending",
          "title": "<DVC_METRIC_Y_LABEL>"
        }
      },
      "layer": [
        {
          "mark": "rect",
          "width": "<DVC_METRIC_PLOT_WIDTH>",
          "height": "<DVC_METRIC_PLOT_HEIGHT>",
          "encoding": {
            "color": {
              "field": "percent_of_y",
              "type": "quantitative",
              "title": "",
              "scale": {
                "domain": [
                  0,
                  1
                ]
              }
            }
          }
        },
        {
          "selection": {
            "label": {
              "type": "single",
              "on": "mouseover",
              "encodings": [
                "x",
                "y"
              ],
              "empty": "none",
              "clear": "mouseout"
            }
          },
          "mark": "rect",
          "encoding": {
            "tooltip": [
              {
                "field": "<DVC_METRIC_X>",
                "type": "nominal"
              },
              {
                "field": "<DVC_METRIC_Y>",
                "type": "nominal"
              },
              {
                "field": "percent_of_y",
                "type": "quantitative",
                "format": ".2f"
              }
            ],
            "opacity": {
              "condition": {
                "selection": "label",
                "value": 1
              },
              "value": 0
            }
          }
        },
        {
          "transform": [
            {
              "filter": {
                "selection": "label"
              }
            }
          ],
          "layer": [
            {
              "mark": {
                "type": "rect",
                "color": "lightpink"
              }
            }
          ]
        },
        {
          "mark": "text",
          "encoding": {
            "color": {
              "condition": {
                "test": "datum.percent_of_y > 0.5",
                "value": "white"
              },
              "value": "black"
            }
          }
        }
      ]
    }
  }],
  ["scatter", {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "data": {
      "values": "<DVC_METRIC_DATA>"
    },
    "title": {
      "text": "<DVC_METRIC_TITLE>",
      "anchor": "middle"
    },
    "width": "<DVC_METRIC_PLOT_WIDTH>",
    "height": "<DVC_METRIC_PLOT_HEIGHT>",
    "mark": {
      "type": "point",
      "tooltip": {
        "content": "data"
      }
    },
    "params": [
      "<DVC_METRIC_ZOOM_AND_PAN>"
    ],
    "encoding": {
      "x": {
        "field": "<DVC_METRIC_X>",
        "type": "quantitative",
        "title": "<DVC_METRIC_X_LABEL>"
      },
      "y": {
        "field": "<DVC_METRIC_Y>",
        "type": "quantitative",
        "title": "<DVC_METRIC_Y_LABEL>"
      },
      "color": "<DVC_METRIC_COLOR>",
      "shape": "<DVC_METRIC_SHAPE>",
      "tooltip": "<DVC_METRIC_TOOLTIP>"
    }
  }],
  ["scatter_jitter", {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "data": {
      "values": "<DVC_METRIC_DATA>"
    },
    "title": {
      "text": "<DVC_METRIC_TITLE>",
      "anchor": "middle"
    },
    "width": "<DVC_METRIC_PLOT_WIDTH>",
    "height": "<DVC_METRIC_PLOT_HEIGHT>",
    "transform": [
      {
        "calculate": "random()",
        "as": "randomX"
      },
      {
        "calculate": "random()",
        "as": "randomY"
      }
    ],
    "mark": {
      "type": "point",
      "tooltip": {
        "content": "data"
      }
    },
    "encoding": {
      "x": {
        "field": "<DVC_METRIC_X>",
        "title": "<DVC_METRIC_X_LABEL>"
      },
      "y": {
        "field": "<DVC_METRIC_Y>",
        "title": "<DVC_METRIC_Y_LABEL>"
      },
      "color": "<DVC_METRIC_COLOR>",
      "shape": "<DVC_METRIC_SHAPE>",
      "tooltip": "<DVC_METRIC_TOOLTIP>",
      "xOffset": {
        "field": "randomX",
        "type": "quantitative"
      },
      "yOffset": {
        "field": "randomY",
        "type": "quantitative"
      }
    }
  }],
  ["smooth", {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "data": {
      "values": "<DVC_METRIC_DATA>"
    },
    "title": {
      "text": "<DVC_METRIC_TITLE>",
      "anchor": "middle"
    },
    "width": "<DVC_METRIC_PLOT_WIDTH>",
    "height": "<DVC_METRIC_PLOT_HEIGHT>",
    "params": [
      {
        "name": "smooth",
        "value": 0.001,
        "bind": {
          "input": "range",
          "min": 0.001,
          "max": 1,
          "step": 0.001
        }
      }
    ],
    "encoding": {
      "x": {
        "field": "<DVC_METRIC_X>",
        "type": "quantitative",
        "title": "<DVC_METRIC_X_LABEL>"
      },
      "color": "<DVC_METRIC_COLOR>",
      "strokeDash": "<DVC_METRIC_STROKE_DASH>"
    },
    "layer": [
      {
        "layer": [
          {
            "params": [
              "<DVC_METRIC_ZOOM_AND_PAN>"
            ],
            "mark": "line"
          },
          {
            "transform": [
              {
                "filter": {
                  "param": "hover",
                  "empty": false
                }
              }
            ],
            "mark": "point"
          }
        ],
        "encoding": {
          "y": {
            "field": "<DVC_METRIC_Y>",
            "type": "quantitative",
            "title": "<DVC_METRIC_Y_LABEL>",
            "scale": {
              "zero": false
            }
          },
          "color": {
            "field": "rev",
            "type": "nominal"
          }
        },
        "transform": [
          {
            "loess": "<DVC_METRIC_Y>",
            "on": "<DVC_METRIC_X>",
            "groupby": "<DVC_METRIC_GROUP_BY>",
            "bandwidth": {
              "signal": "smooth"
            }
          }
        ]
      },
      {
        "mark": {
          "type": "line",
          "opacity": 0.2
        },
        "encoding": {
          "x": {
            "field": "<DVC_METRIC_X>",
            "type": "quantitative",
            "title": "<DVC_METRIC_X_LABEL>"
          },
          "y": {
            "field": "<DVC_METRIC_Y>",
            "type": "quantitative",
            "title": "<DVC_METRIC_Y_LABEL>",
            "scale": {
              "zero": false
            }
          },
          "color": {
            "field": "rev",
            "type": "nominal"
          }
        }
      },
      {
        "mark": {
          "type": "circle",
          "size": 10
        },
        "encoding": {
          "x": {
            "aggregate": "max",
            "field": "<DVC_METRIC_X>",
            "type": "quantitative",
            "title": "<DVC_METRIC_X_LABEL>"
          },
          "y": {
            "aggregate": {
              "argmax": "<DVC_METRIC_X>"
            },
            "field": "<DVC_METRIC_Y>",
            "type": "quantitative",
            "title": "<DVC_METRIC_Y_LABEL>",
            "scale": {
              "zero": false
            }
          },
          "color": {
            "field": "rev",
            "type": "nominal"
          }
        }
      },
      {
        "transform": [
          {
            "calculate": "<DVC_METRIC_PIVOT_FIELD>",
            "as": "pivot_field"
          },
          {
            "pivot": "pivot_field",
            "op": "mean",
            "value": "<DVC_METRIC_Y>",
            "groupby": [
              "<DVC_METRIC_X>"
            ]
          }
        ],
        "mark": {
          "type": "rule",
          "tooltip": {
            "content": "data"
          },
          "stroke": "grey"
        },
        "encoding": {
          "opacity": {
            "condition": {
              "value": 0.3,
              "param": "hover",
              "empty": false
            },
            "value": 0
          }
        },
        "params": [
          {
            "name": "hover",
            "select": {
              "type": "point",
              "fields": [
                "<DVC_METRIC_X>"
              ],
              "nearest": true,
              "on": "mouseover",
              "clear": "mouseout"
            }
          }
        ]
      }
    ]
  }],
  ["bar_horizontal_sorted", {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "data": {
      "values": "<DVC_METRIC_DATA>"
    },
    "title": {
      "text": "<DVC_METRIC_TITLE>",
      "anchor": "middle"
    },
    "width": "<DVC_METRIC_PLOT_WIDTH>",
    "height": "<DVC_METRIC_PLOT_HEIGHT>",
    "mark": {
      "type": "bar"
    },
    "params": [
      "<DVC_METRIC_ZOOM_AND_PAN>"
    ],
    "encoding": {
      "x": {
        "field": "<DVC_METRIC_X>",
        "type": "quantitative",
        "title": "<DVC_METRIC_X_LABEL>",
        "scale": {
          "zero": false
        }
      },
      "y": {
        "field": "<DVC_METRIC_Y>",
        "type": "nominal",
        "title": "<DVC_METRIC_Y_LABEL>",
        "sort": "-x"
      },
      "yOffset": {
        "field": "rev",
        "sort": []
      },
      "color": "<DVC_METRIC_COLOR>",
      "column": "<DVC_METRIC_COLUMN>"
    }
  }],
  ["bar_horizontal", {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "data": {
      "values": "<DVC_METRIC_DATA>"
    },
    "title": {
      "text": "<DVC_METRIC_TITLE>",
      "anchor": "middle"
    },
    "width": "<DVC_METRIC_PLOT_WIDTH>",
    "height": "<DVC_METRIC_PLOT_HEIGHT>",
    "mark": {
      "type": "bar"
    },
    "params": [
      "<DVC_METRIC_ZOOM_AND_PAN>"
    ],
    "encoding": {
      "x": {
        "field": "<DVC_METRIC_X>",
        "type": "quantitative",
        "title": "<DVC_METRIC_X_LABEL>",
        "scale": {
          "zero": false
        }
      },
      "y": {
        "field": "<DVC_METRIC_Y>",
        "type": "nominal",
        "title": "<DVC_METRIC_Y_LABEL>"
      },
      "yOffset": {
        "field": "rev",
        "sort": []
      },
      "color": "<DVC_METRIC_COLOR>",
      "column": "<DVC_METRIC_COLUMN>"
    }
  }],
];
