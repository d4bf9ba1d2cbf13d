/**
 * dvc-render's vega side, as DVC 3.64 uses it: templates (built-in or a JSON file), the
 * VegaRenderer that fills a template's `<DVC_METRIC_*>` anchors with datapoints and properties,
 * and the HTML page `dvc plots show|diff` writes. Values follow Python's JSON model: integers are
 * bigints, floats numbers (so `pyJsonDump` writes `1` and `1.0` as Python's json.dumps does).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DvcError } from '../errors.js';
import { pyJsonFloatRepr, pyJsonString } from './dvcyaml.js';
import { VEGA_TEMPLATES } from './vega-templates.js';

export type JsonValue = string | number | bigint | boolean | null | JsonValue[] | { [k: string]: JsonValue };
export type Datapoint = Record<string, JsonValue>;

/** Python's json.dumps (ensure_ascii; `indent` as json.dumps(indent=N)). */
export function pyJsonDump(v: JsonValue | undefined, indent?: number, level = 0): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return pyJsonFloatRepr(v);
  if (typeof v === 'string') return pyJsonString(v);
  const items: string[] = Array.isArray(v)
    ? v.map((x) => pyJsonDump(x, indent, level + 1))
    : Object.entries(v).map(([k, x]) => `${pyJsonString(k)}: ${pyJsonDump(x, indent, level + 1)}`);
  const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}'];
  if (!items.length) return open + close;
  if (indent === undefined) return open + items.join(', ') + close;
  const pad = ' '.repeat(indent * (level + 1));
  return `${open}\n${pad}${items.join(`,\n${pad}`)}\n${' '.repeat(indent * level)}${close}`;
}

/** JSON text -> values with integers as bigints (Python's json.loads model). */
export function parseJsonPy(text: string): JsonValue {
  // integers are marked before JSON.parse so they keep their kind (and their size)
  const marked = text.replace(/("(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/g, (m, str: string | undefined, num: string | undefined) => {
    if (str !== undefined) return str;
    return /^-?\d+$/.test(num!) ? `{"\\u0000int":"${num}"}` : m;
  });
  return JSON.parse(marked, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && '\u0000int' in v) return BigInt((v as Record<string, string>)['\u0000int']!);
    return v;
  }) as JsonValue;
}

/** Integers of a built-in template become bigints (they are Python ints). */
function toPy(v: unknown): JsonValue {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(toPy);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPy(x)]));
  return v as JsonValue;
}

export const TEMPLATE_NAMES = VEGA_TEMPLATES.map(([n]) => n);

/** A built-in template's content (Python types), or undefined. */
export function builtinTemplate(name: string): Record<string, JsonValue> | undefined {
  const t = VEGA_TEMPLATES.find(([n]) => n === name);
  return t ? (toPy(t[1]) as Record<string, JsonValue>) : undefined;
}

/** dvc-render's errors (TemplateNotFoundError, BadTemplateError, NoFieldInDataError). */
export class RenderError extends DvcError {}

const anchor = (name: string) => `<DVC_METRIC_${name.toUpperCase()}>`;

export interface Template {
  name: string;
  content: Record<string, JsonValue>;
}

/**
 * get_template: a file `templateDir/NAME` or `templateDir/NAME.json`, then NAME as a path from the
 * current folder, then a built-in name; none is "Template 'NAME' not found.".
 */
export function getTemplate(name: string | undefined, templateDir?: string): Template {
  const n = name ?? 'linear';
  const isFile = (p: string) => {
    try {
      return statSync(p).isFile() || statSync(p).isDirectory();
    } catch {
      return false;
    }
  };
  let path: string | undefined;
  if (templateDir) {
    if (isFile(join(templateDir, n))) path = join(templateDir, n);
    else if (isFile(join(templateDir, n.replace(/\.[^./]*$/, '') + '.json'))) path = join(templateDir, n.replace(/\.[^./]*$/, '') + '.json');
  }
  if (!path && existsSync(n)) path = resolve(n);
  if (path) {
    let content: JsonValue;
    try {
      content = parseJsonPy(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new RenderError(`Template '${n}' is not valid JSON: ${(e as Error).message}`);
    }
    if (!content || typeof content !== 'object' || Array.isArray(content)) throw new RenderError(`Template '${n}' is not a JSON object`);
    return { name: n, content };
  }
  const b = builtinTemplate(n);
  if (b) return { name: n, content: b };
  throw new RenderError(`Template '${n}' not found.`);
}

function findValue(d: JsonValue, value: string): boolean {
  if (typeof d === 'string') return d === value;
  if (d && typeof d === 'object' && !Array.isArray(d)) {
    for (const v of Object.values(d)) {
      if (typeof v === 'string' && v === value) return true;
      if (v && typeof v === 'object' && !Array.isArray(v) && findValue(v, value)) return true;
      if (Array.isArray(v) && v.some((e) => findValue(e, value))) return true;
    }
  }
  return false;
}

function dictReplace(d: Record<string, JsonValue>, name: string, value: JsonValue): Record<string, JsonValue> {
  const x: Record<string, JsonValue> = {};
  for (const [k, v0] of Object.entries(d)) {
    let v = v0;
    if (v && typeof v === 'object' && !Array.isArray(v)) v = dictReplace(v, name, value);
    else if (Array.isArray(v)) v = listReplace(v, name, value);
    else if (typeof v === 'string') {
      if (v === name) {
        x[k] = value;
        continue;
      }
      if (v.includes(name) && typeof value === 'string') v = v.split(name).join(value);
    }
    x[k] = v;
  }
  return x;
}

function listReplace(l: JsonValue[], name: string, value: JsonValue): JsonValue[] {
  return l.map((e) => {
    if (Array.isArray(e)) return listReplace(e, name, value);
    if (e && typeof e === 'object') return dictReplace(e as Record<string, JsonValue>, name, value);
    if (typeof e === 'string' && e === name) return value;
    return e;
  });
}

const REV = 'rev';
const FILENAME = 'filename';
const FIELD = 'field';
const FIELD_SEPARATOR = '::';
const CONCAT_FIELDS = `${FILENAME}${FIELD_SEPARATOR}${FIELD}`;
const OPTIONAL_ANCHORS = ['color', 'column', 'group_by_x', 'group_by_y', 'group_by', 'pivot_field', 'plot_height', 'plot_width', 'row', 'shape', 'stroke_dash', 'tooltip', 'zoom_and_pan'];
const RANGES: Record<string, JsonValue[]> = {
  stroke_dash: [[1n, 0n], [8n, 8n], [8n, 4n], [4n, 4n], [4n, 2n], [2n, 1n], [1n, 1n]],
  color: ['#945dd6', '#13adc7', '#f46837', '#48bb78', '#4299e1', '#ed8936', '#f56565'],
  shape: ['circle', 'square', 'triangle', 'diamond'],
};

/** Renderer properties (DVC's plot props plus what the converter inferred). */
export interface VegaProps {
  template?: string;
  title?: string;
  x?: string;
  y?: string;
  x_label?: string;
  y_label?: string;
  anchors_y_definitions?: Array<{ filename: string; field: string }>;
  revs_with_datapoints?: string[];
  [k: string]: unknown;
}

/** VegaRenderer (dvc_render/vega.py). */
export class VegaRenderer {
  readonly template: Template;

  constructor(
    readonly datapoints: Datapoint[],
    readonly name: string,
    readonly properties: VegaProps,
    templateDir?: string,
  ) {
    this.template = getTemplate(properties.template, templateDir);
  }

  /** get_revs: the revisions with datapoints, in order. */
  revs(): string[] {
    if (this.properties.revs_with_datapoints?.length) return this.properties.revs_with_datapoints;
    const revs: string[] = [];
    for (const d of this.datapoints) {
      const r = d[REV];
      if (typeof r === 'string' && r && !revs.includes(r)) revs.push(r);
    }
    return revs;
  }

  /** get_filled_template(): the vega-lite spec ({} without datapoints). */
  filled(): Record<string, JsonValue> {
    if (!this.datapoints.length) return {};
    let content = this.template.content;
    const has = (n: string) => findValue(content, anchor(n));
    const fill = (n: string, v: JsonValue) => {
      content = dictReplace(content, anchor(n), v);
    };
    const p = { ...this.properties };
    for (const axis of ['x', 'y'] as const) {
      const f = p[axis];
      if (f && !this.datapoints.some((d) => f in d)) throw new RenderError(`Field '${f}' does not exist in provided data.`);
    }
    p.title ??= '';
    p.x_label ??= p.x;
    p.y_label ??= p.y;

    // _process_optional_anchors
    let varied: string[] | undefined;
    const optional = OPTIONAL_ANCHORS.filter(has);
    if (optional.length) {
      const take = (n: string, v: JsonValue) => {
        const i = optional.indexOf(n);
        if (i < 0) return;
        optional.splice(i, 1);
        fill(n, v);
      };
      const mapping = (field: string, n: string, domain: string[]) => {
        if (!optional.includes(n)) return;
        const full = RANGES[n] ?? [];
        const range: JsonValue[] = [];
        let pool = [...full];
        for (let i = 0; i < domain.length; i++) {
          if (!pool.length) pool = [...full];
          range.push(pool.shift()!);
        }
        const legend: Record<string, JsonValue> = n !== 'color' ? { legend: { symbolFillColor: 'transparent', symbolStrokeColor: 'grey' } } : {};
        take(n, { field, scale: { domain, range }, ...legend });
      };
      const groupBy = (g: string[]) => {
        take('group_by', g);
        take('group_by_x', [...g, (p.x ?? null) as JsonValue]);
        take('group_by_y', [...g, (p.y ?? null) as JsonValue]);
      };
      const tooltip = (extra: string[] = []) =>
        take('tooltip', [{ field: REV }, { field: (p.x ?? null) as JsonValue }, { field: (p.y ?? null) as JsonValue }, ...extra.map((f) => ({ field: f }))]);
      mapping(REV, 'color', this.revs());
      take('zoom_and_pan', { name: 'grid', select: 'interval', bind: 'scales' });
      take('plot_height', 300n);
      take('plot_width', 300n);
      const ydefs = p.anchors_y_definitions ?? [];
      if (ydefs.length <= 1) {
        groupBy([REV]);
        take('pivot_field', 'datum.rev');
        tooltip();
        for (const a of [...optional]) take(a, {});
        varied = [];
      } else {
        // _collect_variations
        const values: Record<string, Set<string | null>> = { [FILENAME]: new Set(), [FIELD]: new Set(), [CONCAT_FIELDS]: new Set() };
        for (const d of ydefs) {
          values[FILENAME]!.add(d.filename ?? null);
          values[FIELD]!.add(d.field ?? null);
          values[CONCAT_FIELDS]!.add(`${d.filename ?? ''}${FIELD_SEPARATOR}${d.field ?? ''}`);
        }
        varied = [FILENAME, FIELD].filter((k) => values[k]!.size !== 1);
        const domain = [...(varied.length === 2 ? values[CONCAT_FIELDS]! : values[varied[0]!]!)].map(String).sort();
        const concat = varied.join(FIELD_SEPARATOR);
        groupBy([REV, concat]);
        take('pivot_field', [REV, ...varied].map((k) => `datum.${k}`).join(` + '${FIELD_SEPARATOR}' + `));
        take('row', { field: concat, sort: [] });
        take('column', { field: concat, sort: [] });
        tooltip([concat]);
        for (const a of ['stroke_dash', 'shape']) mapping(concat, a, domain);
      }
    }
    // _update_datapoints
    if (varied !== undefined) {
      const concatenate = varied.length === 2 ? varied : [];
      const remove = varied.length === 2 ? varied : [FILENAME, FIELD].filter((k) => !varied!.includes(k));
      for (const d of this.datapoints) {
        if (concatenate.length) d[concatenate.join(FIELD_SEPARATOR)] = concatenate.map((k) => d[k]).join(FIELD_SEPARATOR);
        for (const k of remove) delete d[k];
      }
    }
    const esc = (s: string) => s.replace(/[.[\]]/g, (c) => '\\' + c);
    for (const n of ['title', 'x', 'y', 'x_label', 'y_label', 'data'] as const) {
      const v = n === 'data' ? (this.datapoints as JsonValue) : (p[n] as JsonValue | undefined);
      if (v === undefined || v === null) continue;
      if (n === 'data') {
        if (!has('data')) throw new RenderError(`Template '${this.template.name}' is not using '${anchor('data')}' anchor`);
      }
      fill(n, (n === 'x' || n === 'y') && typeof v === 'string' ? esc(v) : v);
    }
    return content;
  }
}

const SCRIPTS =
  '\n    <script src="https://cdn.jsdelivr.net/npm/vega@5.20.2"></script>\n' +
  '    <script src="https://cdn.jsdelivr.net/npm/vega-lite@5.2.0"></script>\n' +
  '    <script src="https://cdn.jsdelivr.net/npm/vega-embed@6.18.2"></script>\n    ';

export const PAGE_HTML = `<!DOCTYPE html>
<html>
<head>
    {refresh_tag}
    <title>DVC Plot</title>
    {scripts}
    <style>
        table {
            border-spacing: 15px;
        }
    </style>
</head>
<body>
    {plot_divs}
</body>
</html>`;

/** dvc-render's remove_special_chars: a valid HTML id. */
export function htmlId(name: string): string {
  return name.replace(/[!@#$%^&*()[\]{};,<>?\\/:.|`~=_+ ]/g, '_');
}

/** render_html: the page with one `<div>` per renderer (`{plot_divs}` must be in a custom template). */
export function renderHtml(renderers: VegaRenderer[], htmlTemplate?: string): string {
  const page = htmlTemplate ?? PAGE_HTML;
  if (!page.includes('{plot_divs}')) throw new RenderError("HTML template has to contain '{plot_divs}'.");
  const divs = renderers.map((r) => {
    const id = htmlId(r.name);
    return (
      `\n    <div id = "${id}">\n        <script type = "text/javascript">\n            var spec = ${pyJsonDump(r.filled())};\n` +
      `            vegaEmbed('#${id}', spec);\n        </script>\n    </div>\n    `
    );
  });
  const values: Record<string, string> = { scripts: renderers.length ? '\n' + SCRIPTS : '', plot_divs: divs.join('\n'), refresh_tag: '' };
  let out = page;
  for (const [k, v] of Object.entries(values)) out = out.split(`{${k}}`).join(v);
  return out;
}
