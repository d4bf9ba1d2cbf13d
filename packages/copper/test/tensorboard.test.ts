// TensorBoardLogger as Lightning's: the hparams plugin's records for log_hyperparams (read back
// from the event file with a reader of our own: TFRecord framing, then the protobuf messages by
// field number), default_hp_metric, and Lightning's folder rules for name/version/sub_dir.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '@copper/torch';
import { hydraRun, makeData, scratch, smallRun } from './helpers.js';
import { TensorBoardLogger, crc32c } from '../src/loggers/tensorboard.js';
import { buildAll } from '../src/tasks/common.js';
import { ImageFolderDataModule } from '../src/data/datamodule.js';
import { ImageClassifier } from '../src/models/classifier.js';
import { SimpleCNN } from '../src/models/nets.js';
import { Trainer } from '../src/trainer/trainer.js';

// ---- a protobuf reader: each message as field number -> list of raw values -------------------
type Field = { wire: number; int?: bigint; bytes?: Buffer; f64?: number; f32?: number };
type Msg = Map<number, Field[]>;

function readVarint(b: Buffer, pos: number): [bigint, number] {
  let v = 0n;
  let shift = 0n;
  for (;;) {
    const byte = b[pos++]!;
    v |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if (!(byte & 0x80)) return [v, pos];
  }
}

function decode(b: Buffer): Msg {
  const m: Msg = new Map();
  let pos = 0;
  while (pos < b.length) {
    const [k, p1] = readVarint(b, pos);
    pos = p1;
    const field = Number(k >> 3n);
    const wire = Number(k & 7n);
    let f: Field;
    if (wire === 0) {
      const [v, p] = readVarint(b, pos);
      f = { wire, int: v };
      pos = p;
    } else if (wire === 1) {
      f = { wire, f64: b.readDoubleLE(pos) };
      pos += 8;
    } else if (wire === 2) {
      const [len, p] = readVarint(b, pos);
      f = { wire, bytes: b.subarray(p, p + Number(len)) };
      pos = p + Number(len);
    } else if (wire === 5) {
      f = { wire, f32: b.readFloatLE(pos) };
      pos += 4;
    } else throw new Error(`wire type ${wire}`);
    if (!m.has(field)) m.set(field, []);
    m.get(field)!.push(f);
  }
  return m;
}
const one = (m: Msg, field: number) => m.get(field)?.[0];
const str = (m: Msg, field: number) => one(m, field)?.bytes?.toString('utf8');
const sub = (m: Msg, field: number) => decode(one(m, field)!.bytes!);
const all = (m: Msg, field: number) => (m.get(field) ?? []).map((f) => decode(f.bytes!));

/** The records of an event file, checking both masked CRC-32Cs of each. */
function records(file: string): Msg[] {
  const b = readFileSync(file);
  const mask = (c: number) => ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
  const out: Msg[] = [];
  for (let pos = 0; pos < b.length; ) {
    const len = Number(b.readBigUInt64LE(pos));
    assert.equal(b.readUInt32LE(pos + 8), mask(crc32c(b.subarray(pos, pos + 8))), 'length crc');
    const data = b.subarray(pos + 12, pos + 12 + len);
    assert.equal(b.readUInt32LE(pos + 12 + len), mask(crc32c(data)), 'data crc');
    out.push(decode(data));
    pos += 16 + len;
  }
  return out;
}

interface Read {
  scalars: { tag: string; value: number; step: number | null }[];
  /** hparams plugin records by tag: the decoded HParamsPluginData */
  plugin: Map<string, Msg>;
  pluginNames: string[];
}

function readEvents(logDir: string): Read {
  const files = readdirSync(logDir).filter((f) => f.startsWith('events.out.tfevents.'));
  assert.equal(files.length, 1, `one event file in ${logDir}`);
  const out: Read = { scalars: [], plugin: new Map(), pluginNames: [] };
  for (const ev of records(join(logDir, files[0]!))) {
    const summary = one(ev, 5);
    if (!summary) continue;
    const step = one(ev, 2)?.int;
    for (const v of all(decode(summary.bytes!), 1)) {
      const tag = str(v, 1)!;
      const simple = one(v, 2)?.f32;
      if (simple !== undefined) out.scalars.push({ tag, value: simple, step: step === undefined ? null : Number(step) });
      const md = one(v, 9);
      if (md) {
        const pluginData = sub(decode(md.bytes!), 1);
        out.pluginNames.push(str(pluginData, 1)!);
        out.plugin.set(tag, decode(one(pluginData, 2)!.bytes!));
      }
    }
  }
  return out;
}

/** SessionStartInfo.hparams: name -> number_value or string_value */
function sessionHparams(r: Read): Record<string, number | string> {
  const ssi = sub(r.plugin.get('_hparams_/session_start_info')!, 3);
  const out: Record<string, number | string> = {};
  for (const entry of all(ssi, 1)) {
    const v = sub(entry, 2);
    out[str(entry, 1)!] = one(v, 2)?.f64 ?? str(v, 3)!;
  }
  return out;
}

describe('TensorBoardLogger: hyperparameters', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => ({ dir, cleanup } = scratch()));
  after(() => cleanup());

  test("log_hyperparams writes the hparams plugin's experiment, session start and end records, with hp_metric = -1", () => {
    const l = new TensorBoardLogger({ save_dir: join(dir, 'hp'), name: null });
    l.logHyperparams({ model: { optimizer: { lr: 0.001, _target_: 'torch.optim.Adam' }, net: { channels: [16, 32] } }, seed: 42, compile: false, note: null });
    l.finalize();
    const r = readEvents(l.logDir);
    assert.deepEqual(r.pluginNames, ['hparams', 'hparams', 'hparams']);
    assert.deepEqual([...r.plugin.keys()], ['_hparams_/experiment', '_hparams_/session_start_info', '_hparams_/session_end_info']);
    // Experiment: an HParamInfo per flattened hyperparameter with its type, the metric hp_metric
    const exp = sub(r.plugin.get('_hparams_/experiment')!, 2);
    const infos = Object.fromEntries(all(exp, 4).map((i) => [str(i, 1), Number(one(i, 4)!.int)]));
    assert.deepEqual(infos, { 'model/optimizer/lr': 3, 'model/optimizer/_target_': 1, 'model/net/channels': 1, seed: 3, compile: 3, note: 1 });
    assert.deepEqual(all(exp, 5).map((mi) => str(sub(mi, 1), 2)), ['hp_metric']);
    // SessionStartInfo: the values (lists and None as Python's str(), booleans as numbers as torch does)
    assert.deepEqual(sessionHparams(r), { 'model/optimizer/lr': 0.001, 'model/optimizer/_target_': 'torch.optim.Adam', 'model/net/channels': '[16, 32]', seed: 42, compile: 0, note: 'None' });
    // SessionEndInfo: STATUS_SUCCESS
    assert.equal(Number(one(sub(r.plugin.get('_hparams_/session_end_info')!, 4), 1)!.int), 1);
    assert.deepEqual(r.scalars, [{ tag: 'hp_metric', value: -1, step: null }]);
    assert.match(readFileSync(join(l.logDir, 'hparams.yaml'), 'utf8'), /lr: 0.001/);
  });

  test('metrics given to log_hyperparams replace hp_metric; default_hp_metric: false writes no plugin records', () => {
    const a = new TensorBoardLogger({ save_dir: join(dir, 'm'), name: null });
    a.logHyperparams({ lr: 0.1 }, { 'val/acc': 0.75 }, 3);
    a.finalize();
    const ra = readEvents(a.logDir);
    assert.deepEqual(ra.scalars, [{ tag: 'val/acc', value: 0.75, step: 3 }]);
    assert.deepEqual(all(sub(ra.plugin.get('_hparams_/experiment')!, 2), 5).map((mi) => str(sub(mi, 1), 2)), ['val/acc']);
    const b = new TensorBoardLogger({ save_dir: join(dir, 'nohp'), name: null, default_hp_metric: false });
    b.logHyperparams({ lr: 0.1 });
    b.logMetrics({ 'train/loss': 0.5 }, 1);
    b.finalize();
    const rb = readEvents(b.logDir);
    assert.equal(rb.plugin.size, 0);
    assert.deepEqual(rb.scalars, [{ tag: 'train/loss', value: 0.5, step: 1 }]);
    assert.ok(existsSync(join(b.logDir, 'hparams.yaml')));
  });

  test('a training run logs its hyperparameters once, before the metrics', async () => {
    const root = makeData(dir, 8);
    const l = new TensorBoardLogger({ save_dir: join(dir, 'fit'), name: null });
    const model = new ImageClassifier({ net: new SimpleCNN({ num_classes: 2, channels: [4], hidden: 8, dropout: 0 }), optimizer: (p) => new torch.optim.Adam(p, { lr: 0.01 }) as never });
    const t = new Trainer({ max_epochs: 1, logger: [l], num_sanity_val_steps: 0, info: () => {} });
    await t.fit(model, new ImageFolderDataModule({ data_dir: root, image_size: 16, batch_size: 4, seed: 1 }));
    const r = readEvents(l.logDir);
    assert.equal(r.plugin.size, 3);
    assert.equal(r.scalars[0]!.tag, 'hp_metric');
    assert.ok(r.scalars.some((s) => s.tag === 'val/acc'));
    const hp = sessionHparams(r);
    assert.equal(hp['data/batch_size'], 4);
  });
});

describe('TensorBoardLogger: folders (Lightning rules)', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => ({ dir, cleanup } = scratch()));
  after(() => cleanup());

  test('name: null or "" writes into save_dir/version_N; the default name is lightning_logs; versions count up', () => {
    const save = join(dir, 'tb');
    assert.equal(new TensorBoardLogger({ save_dir: save, name: null }).logDir, join(save, 'version_0'));
    assert.equal(new TensorBoardLogger({ save_dir: save, name: '' }).logDir, join(save, 'version_0'));
    assert.equal(new TensorBoardLogger({ save_dir: save }).logDir, join(save, 'lightning_logs', 'version_0'));
    const first = new TensorBoardLogger({ save_dir: save, name: null });
    first.logMetrics({ a: 1 }, 0);
    first.finalize();
    assert.equal(new TensorBoardLogger({ save_dir: save, name: null }).logDir, join(save, 'version_1'));
    assert.equal(new TensorBoardLogger({ save_dir: save, name: 'exp', version: 7 }).logDir, join(save, 'exp', 'version_7'));
    assert.equal(new TensorBoardLogger({ save_dir: save, name: 'exp', version: 'run-a', sub_dir: 'train' }).logDir, join(save, 'exp', 'run-a', 'train'));
    // a file named like a version does not count
    mkdirSync(join(save, 'other'), { recursive: true });
    assert.equal(new TensorBoardLogger({ save_dir: save, name: 'other' }).version, 'version_0');
  });

  test('logger=tensorboard (name: null) puts the events in tensorboard/version_0, with no lightning_logs folder', async () => {
    makeData(dir, 4);
    await hydraRun('train', [...smallRun(dir), 'logger=tensorboard'], (cfg) => {
      const { loggers } = buildAll(cfg, 'train');
      const tb = loggers[0] as TensorBoardLogger;
      assert.ok(tb instanceof TensorBoardLogger);
      assert.equal(tb.logDir, join(dir, 'run', 'tensorboard', 'version_0'));
      assert.ok(!tb.logDir.includes('lightning_logs'));
    });
  });
});
