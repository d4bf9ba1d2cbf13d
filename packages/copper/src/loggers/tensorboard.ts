/**
 * TensorBoardLogger: scalars and hyperparameters (the hparams plugin's records) in TensorBoard's
 * event-file format (`<save_dir>/<name>/version_<n>/events.out.tfevents.<time>.<host>.<pid>.0`)
 * plus `hparams.yaml`.
 * An event file is a sequence of TFRecords (length, masked CRC32C, data, masked CRC32C) holding
 * `Event` protocol buffers: a file_version record first, then one Summary per logging call.
 */
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { dumpYaml } from '@copper/hydra';
import { nextVersion, type ExperimentLogger } from './logger.js';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32C (Castagnoli). */
export function crc32c(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function maskedCrc(buf: Uint8Array): number {
  const c = crc32c(buf);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

// -- minimal protobuf writer ---------------------------------------------------------------------
function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}
const key = (field: number, wire: number) => varint((field << 3) | wire);
function bytesField(field: number, data: Uint8Array): number[] {
  return [...key(field, 2), ...varint(data.length), ...data];
}
function doubleField(field: number, v: number): number[] {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return [...key(field, 1), ...b];
}
function floatField(field: number, v: number): number[] {
  const b = Buffer.alloc(4);
  b.writeFloatLE(v);
  return [...key(field, 5), ...b];
}

function stringField(field: number, v: string): number[] {
  return bytesField(field, Buffer.from(v, 'utf8'));
}
function varintField(field: number, v: number): number[] {
  return [...key(field, 0), ...varint(v)];
}
function messageField(field: number, msg: number[]): number[] {
  return bytesField(field, Uint8Array.from(msg));
}

/** A hyperparameter value as TensorBoard's hparams plugin stores it (google.protobuf.Value). */
export type HparamValue = number | string | boolean;

/** Summary.Value { tag = 1; metadata = 9 { plugin_data = 1 { plugin_name = 1; content = 2 } } } */
function pluginSummaryValue(tag: string, pluginName: string, content: number[]): number[] {
  const pluginData = [...stringField(1, pluginName), ...bytesField(2, Uint8Array.from(content))];
  const metadata = messageField(1, pluginData);
  return [...stringField(1, tag), ...messageField(9, metadata)];
}

/**
 * The three summaries of the hparams plugin, as torch.utils.tensorboard.summary.hparams() makes
 * them: the experiment (hparam_infos with their types, metric_infos for the metric tags), the
 * session start info (the values) and the session end info (STATUS_SUCCESS). Each is a Summary
 * value under `_hparams_/...` whose metadata carries an HParamsPluginData (version 0).
 */
export function hparamsSummaries(hparams: Record<string, HparamValue | null | undefined>, metricTags: string[]): { tag: string; value: number[] }[] {
  const infos: number[] = [];
  const ssi: number[] = [];
  for (const [k, v] of Object.entries(hparams)) {
    if (v === null || v === undefined) continue;
    // google.protobuf.Value: number_value = 2 (double), string_value = 3; as torch, booleans
    // (Python ints) are numbers; HParamInfo { name = 1; type = 4 (DATA_TYPE_FLOAT64 = 3, STRING = 1) }
    const isNum = typeof v === 'number' || typeof v === 'boolean';
    const value = isNum ? doubleField(2, Number(v)) : stringField(3, String(v));
    ssi.push(...messageField(1, [...stringField(1, k), ...messageField(2, value)])); // map<string, Value> hparams = 1
    infos.push(...messageField(4, [...stringField(1, k), ...varintField(4, isNum ? 3 : 1)]));
  }
  for (const t of metricTags) infos.push(...messageField(5, messageField(1, stringField(2, t)))); // MetricInfo { name = 1 { tag = 2 } }
  // HParamsPluginData { version = 1 (0: omitted); experiment = 2 | session_start_info = 3 | session_end_info = 4 }
  const exp = messageField(2, infos);
  const start = messageField(3, ssi);
  const end = messageField(4, varintField(1, 1)); // SessionEndInfo { status = STATUS_SUCCESS }
  return [
    { tag: '_hparams_/experiment', value: pluginSummaryValue('_hparams_/experiment', 'hparams', exp) },
    { tag: '_hparams_/session_start_info', value: pluginSummaryValue('_hparams_/session_start_info', 'hparams', start) },
    { tag: '_hparams_/session_end_info', value: pluginSummaryValue('_hparams_/session_end_info', 'hparams', end) },
  ];
}

/** Event { wall_time = 1 (double); step = 2 (int64); file_version = 3 (string); summary = 5 }. */
export function encodeEvent(ev: { wallTime: number; step?: number; fileVersion?: string; scalars?: Record<string, number>; summaryValues?: number[][] }): Uint8Array {
  const out: number[] = [...doubleField(1, ev.wallTime)];
  if (ev.step !== undefined) out.push(...key(2, 0), ...varint(ev.step));
  if (ev.fileVersion !== undefined) out.push(...bytesField(3, Buffer.from(ev.fileVersion)));
  if (ev.scalars || ev.summaryValues) {
    // Summary { repeated Value value = 1 }, Value { tag = 1 (string); simple_value = 2 (float) }
    const summary: number[] = [];
    for (const [tag, v] of Object.entries(ev.scalars ?? {})) {
      const value = [...bytesField(1, Buffer.from(tag)), ...floatField(2, v)];
      summary.push(...bytesField(1, Uint8Array.from(value)));
    }
    for (const v of ev.summaryValues ?? []) summary.push(...messageField(1, v));
    out.push(...bytesField(5, Uint8Array.from(summary)));
  }
  return Uint8Array.from(out);
}

/** Python's str() of a value (what Lightning's _sanitize_params turns non-primitives into). */
function pyStr(v: unknown, nested = false): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return nested ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : v;
  if (typeof v === 'number') return Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v);
  if (Array.isArray(v)) return `[${v.map((x) => pyStr(x, true)).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v as object).map(([k, x]) => `'${k}': ${pyStr(x, true)}`).join(', ')}}`;
  return String(v);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Lightning's _flatten_dict ('/' between levels, lists of dicts by index) then _sanitize_params. */
export function flattenHparams(params: Record<string, unknown>, parent = ''): Record<string, HparamValue> {
  const out: Record<string, HparamValue> = {};
  for (const [k, v] of Object.entries(params)) {
    const nk = parent ? `${parent}/${k}` : k;
    if (isPlainObject(v)) Object.assign(out, flattenHparams(v, nk));
    else if (Array.isArray(v) && v.length > 0 && v.every(isPlainObject)) v.forEach((item, i) => Object.assign(out, flattenHparams(item as Record<string, unknown>, `${nk}/${i}`)));
    else out[nk] = typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' ? v : pyStr(v);
  }
  return out;
}

/** One TFRecord: uint64 length, masked crc of the length, data, masked crc of the data. */
export function tfRecord(data: Uint8Array): Buffer {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(data.length));
  const c1 = Buffer.alloc(4);
  c1.writeUInt32LE(maskedCrc(len));
  const c2 = Buffer.alloc(4);
  c2.writeUInt32LE(maskedCrc(data));
  return Buffer.concat([len, c1, Buffer.from(data), c2]);
}

export interface TensorBoardLoggerOptions {
  save_dir: string;
  /** experiment folder under save_dir (default `lightning_logs`); null or '' writes into save_dir itself */
  name?: string | null;
  /** an int gives `version_<n>`, a string is the folder name; null takes the next free version_<n> */
  version?: number | string | null;
  /** a folder inside the version folder */
  sub_dir?: string | null;
  log_graph?: boolean;
  /** log `hp_metric = -1` with the hyperparameters, so TensorBoard's HPARAMS tab lists the run */
  default_hp_metric?: boolean;
  prefix?: string;
}

/**
 * Lightning's TensorBoardLogger: `<save_dir>/<name>/version_<n>[/<sub_dir>]` (no name folder when
 * name is null or ''), scalars, hparams.yaml, and the hparams plugin's records for
 * log_hyperparams (with `hp_metric = -1` unless default_hp_metric is false or metrics are given).
 */
export class TensorBoardLogger implements ExperimentLogger {
  readonly name: string;
  readonly version: string;
  readonly logDir: string;
  readonly rootDir: string;
  private file: string | null = null;
  private pending: Buffer[] = [];
  private readonly prefix: string;
  private readonly defaultHpMetric: boolean;
  private hparams: Record<string, unknown> = {};

  constructor(opts: TensorBoardLoggerOptions) {
    const saveDir = resolve(opts.save_dir);
    this.name = opts.name === undefined ? 'lightning_logs' : (opts.name ?? '');
    this.rootDir = this.name ? join(saveDir, this.name) : saveDir;
    const v = opts.version ?? nextVersion(this.rootDir);
    this.version = typeof v === 'number' ? `version_${v}` : String(v);
    this.logDir = join(this.rootDir, this.version, ...(opts.sub_dir ? [opts.sub_dir] : []));
    this.prefix = opts.prefix ?? '';
    this.defaultHpMetric = opts.default_hp_metric ?? true;
  }

  get eventFile(): string | null {
    return this.file;
  }

  private open(): void {
    if (this.file) return;
    mkdirSync(this.logDir, { recursive: true });
    this.file = join(this.logDir, `events.out.tfevents.${Math.floor(Date.now() / 1000)}.${hostname()}.${process.pid}.0`);
    writeFileSync(this.file, tfRecord(encodeEvent({ wallTime: Date.now() / 1000, fileVersion: 'brain.Event:2' })));
  }

  /**
   * Saves `params` to hparams.yaml and, as Lightning, writes the hparams plugin's records
   * (flattened with '/') with `metrics` (a number is `hp_metric`; none: `hp_metric = -1` when
   * default_hp_metric) logged at `step`.
   */
  logHyperparams(params: Record<string, unknown>, metrics?: Record<string, number> | number | null, step?: number): void {
    this.hparams = { ...this.hparams, ...params };
    mkdirSync(this.logDir, { recursive: true });
    const f = join(this.logDir, 'hparams.yaml');
    writeFileSync(`${f}.tmp`, dumpYaml(this.hparams));
    renameSync(`${f}.tmp`, f);
    let m: Record<string, number> | null = null;
    if (metrics === undefined || metrics === null) m = this.defaultHpMetric ? { hp_metric: -1 } : null;
    else m = typeof metrics === 'number' ? { hp_metric: metrics } : metrics;
    if (!m || !Object.keys(m).length) return;
    this.logMetrics(m, step);
    const wallTime = Date.now() / 1000;
    for (const s of hparamsSummaries(flattenHparams(params), Object.keys(m))) {
      this.pending.push(tfRecord(encodeEvent({ wallTime, ...(step !== undefined ? { step } : {}), summaryValues: [s.value] })));
    }
    this.save();
  }

  logMetrics(metrics: Record<string, number>, step?: number): void {
    const scalars: Record<string, number> = {};
    for (const [k, v] of Object.entries(metrics)) scalars[this.prefix ? `${this.prefix}-${k}` : k] = v;
    this.pending.push(tfRecord(encodeEvent({ wallTime: Date.now() / 1000, ...(step !== undefined ? { step } : {}), scalars })));
  }

  save(): void {
    this.open();
    if (!this.pending.length) return;
    appendFileSync(this.file!, Buffer.concat(this.pending));
    this.pending = [];
  }

  finalize(): void {
    this.save();
  }
}
