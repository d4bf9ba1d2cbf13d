/**
 * TensorBoardLogger: scalars in TensorBoard's event-file format
 * (`<save_dir>/<name>/version_<n>/events.out.tfevents.<time>.<host>.<pid>.0`) plus `hparams.yaml`.
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

/** Event { wall_time = 1 (double); step = 2 (int64); file_version = 3 (string); summary = 5 }. */
export function encodeEvent(ev: { wallTime: number; step?: number; fileVersion?: string; scalars?: Record<string, number> }): Uint8Array {
  const out: number[] = [...doubleField(1, ev.wallTime)];
  if (ev.step !== undefined) out.push(...key(2, 0), ...varint(ev.step));
  if (ev.fileVersion !== undefined) out.push(...bytesField(3, Buffer.from(ev.fileVersion)));
  if (ev.scalars) {
    // Summary { repeated Value value = 1 }, Value { tag = 1 (string); simple_value = 2 (float) }
    const summary: number[] = [];
    for (const [tag, v] of Object.entries(ev.scalars)) {
      const value = [...bytesField(1, Buffer.from(tag)), ...floatField(2, v)];
      summary.push(...bytesField(1, Uint8Array.from(value)));
    }
    out.push(...bytesField(5, Uint8Array.from(summary)));
  }
  return Uint8Array.from(out);
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
  name?: string | null;
  version?: number | string | null;
  log_graph?: boolean;
  default_hp_metric?: boolean;
  prefix?: string;
}

export class TensorBoardLogger implements ExperimentLogger {
  readonly name: string;
  readonly logDir: string;
  private file: string | null = null;
  private pending: Buffer[] = [];
  private readonly prefix: string;
  private hparams: Record<string, unknown> = {};

  constructor(opts: TensorBoardLoggerOptions) {
    const saveDir = resolve(opts.save_dir);
    this.name = opts.name ?? 'lightning_logs';
    const base = this.name ? join(saveDir, this.name) : saveDir;
    const v = opts.version ?? nextVersion(base);
    this.logDir = join(base, typeof v === 'number' ? `version_${v}` : String(v));
    this.prefix = opts.prefix ?? '';
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

  logHyperparams(params: Record<string, unknown>): void {
    this.hparams = { ...this.hparams, ...params };
    mkdirSync(this.logDir, { recursive: true });
    const f = join(this.logDir, 'hparams.yaml');
    writeFileSync(`${f}.tmp`, dumpYaml(this.hparams));
    renameSync(`${f}.tmp`, f);
  }

  logMetrics(metrics: Record<string, number>, step: number): void {
    const scalars: Record<string, number> = {};
    for (const [k, v] of Object.entries(metrics)) scalars[this.prefix ? `${this.prefix}-${k}` : k] = v;
    this.pending.push(tfRecord(encodeEvent({ wallTime: Date.now() / 1000, step, scalars })));
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
