// Loggers: CSV metrics/hparams files (Lightning's layout) and TensorBoard event files.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { scratch } from './helpers.js';
import { CSVLogger } from '../src/loggers/csv.js';
import { TensorBoardLogger, crc32c } from '../src/loggers/tensorboard.js';
import { counter } from '../src/utils/progress.js';

function readVarint(b: Buffer, pos: number): [number, number] {
  let v = 0;
  let shift = 0;
  for (;;) {
    const x = b[pos++]!;
    v += (x & 0x7f) * 2 ** shift;
    if (!(x & 0x80)) return [v, pos];
    shift += 7;
  }
}

describe('loggers', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => ({ dir, cleanup } = scratch()));
  after(() => cleanup());

  test('CSVLogger: version folders, sorted columns, empty cells, hparams.yaml', () => {
    mkdirSync(join(dir, 'csv', 'version_3'), { recursive: true });
    const l = new CSVLogger({ save_dir: dir, name: 'csv' });
    assert.equal(l.logDir, join(dir, 'csv', 'version_4'));
    l.logHyperparams({ lr: 0.1, net: { layers: [1, 2] } });
    l.logMetrics({ 'train/loss': 0.5, epoch: 0 }, 1);
    l.logMetrics({ 'val/acc': 0.75, epoch: 0 }, 1);
    l.finalize();
    assert.equal(readFileSync(l.metricsFile, 'utf8'), 'epoch,step,train/loss,val/acc\n0,1,0.5,\n0,1,,0.75\n');
    assert.equal(readFileSync(join(l.logDir, 'hparams.yaml'), 'utf8'), 'lr: 0.1\nnet:\n  layers:\n  - 1\n  - 2\n');
  });

  test('CRC-32C check value', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  });

  test('TensorBoardLogger writes framed, checksummed Event records with the scalars', () => {
    const l = new TensorBoardLogger({ save_dir: join(dir, 'tb'), name: null });
    l.logMetrics({ 'train/loss': 0.25 }, 7);
    l.logMetrics({ 'val/acc': 0.5 }, 8);
    l.finalize();
    const files = readdirSync(l.logDir).filter((f) => f.startsWith('events.out.tfevents.'));
    assert.equal(files.length, 1);
    const b = readFileSync(join(l.logDir, files[0]!));
    const mask = (c: number) => ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
    const records: Buffer[] = [];
    for (let pos = 0; pos < b.length; ) {
      const len = Number(b.readBigUInt64LE(pos));
      assert.equal(b.readUInt32LE(pos + 8), mask(crc32c(b.subarray(pos, pos + 8))));
      const data = b.subarray(pos + 12, pos + 12 + len);
      assert.equal(b.readUInt32LE(pos + 12 + len), mask(crc32c(data)));
      records.push(data);
      pos += 16 + len;
    }
    assert.equal(records.length, 3);
    assert.ok(records[0]!.includes(Buffer.from('brain.Event:2')));
    // second record: wall_time (field 1, double), step (field 2) = 7, summary with tag and float value
    const r = records[1]!;
    assert.equal(r[0], 0x09);
    assert.equal(r[9], 0x10);
    assert.equal(readVarint(r, 10)[0], 7);
    assert.ok(r.includes(Buffer.from('train/loss')));
    const v = Buffer.alloc(4);
    v.writeFloatLE(0.25);
    assert.ok(r.includes(Buffer.concat([Buffer.from([0x15]), v])), 'simple_value 0.25');
  });
});

describe('progress counter', () => {
  test('draws files and rate on a TTY, nothing when piped', () => {
    const ci = process.env.CI;
    delete process.env.CI;
    try {
      const out: string[] = [];
      const tty = { isTTY: true, write: (s: string) => out.push(s) };
      const c = counter('checking out data', tty);
      c.advance(3, 2048);
      c.done();
      assert.match(out[0]!, /checking out data: 3 files, 2\.0 KB, \d+ files\/s/);
      assert.equal(out[out.length - 1], '\r\x1b[2K', 'the line is erased');
      const piped: string[] = [];
      const p = counter('x', { isTTY: false, write: (s: string) => piped.push(s) });
      p.advance(5, 10);
      p.done();
      assert.deepEqual(piped, []);
    } finally {
      if (ci !== undefined) process.env.CI = ci;
    }
  });
});
