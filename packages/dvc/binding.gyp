{
  "targets": [
    {
      "target_name": "copper_dvc_fs",
      "sources": ["native/scan.c", "native/copy.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-lpthread"]
    }
  ]
}
