// torch.save's legacy (pre-zip) format, still found in .pth files saved before PyTorch 1.6 or with
// _use_new_zipfile_serialization=False: Python writes the same value in both formats and both must
// load here to equal tensors.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../src/index.js';

const PY = '/usr/bin/python3';
const hasTorch = spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

const SCRIPT = `
import sys, collections, torch
torch.manual_seed(0)
base = torch.randn(4, 6)
value = {
  'state': collections.OrderedDict([('w', torch.randn(3, 5)), ('b', torch.arange(5, dtype=torch.int64)), ('flag', torch.tensor([True, False]))]),
  'view': base[1:3, ::2],           # a strided view sharing base's storage
  'base': base,
  'half': torch.randn(3).half(),
  'param': torch.nn.Parameter(torch.ones(2, 2)),
  'meta': {'epoch': 7, 'lr': 0.5, 'name': 'run', 'sizes': [1, 2, 3]},
}
torch.save(value, sys.argv[1] + '/zip.pt')
torch.save(value, sys.argv[1] + '/legacy.pt', _use_new_zipfile_serialization=False)
`;

describe('legacy torch.save format', { skip: hasTorch ? false : 'needs python3 with torch' }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'copper-legacy-'));
    const r = spawnSync(PY, ['-c', SCRIPT, dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a legacy file loads to the same values as the zip file of the same object', () => {
    const legacy = torch.load(join(dir, 'legacy.pt')) as Record<string, any>;
    const zip = torch.load(join(dir, 'zip.pt')) as Record<string, any>;
    assert.deepEqual(Object.keys(legacy), ['state', 'view', 'base', 'half', 'param', 'meta']);
    for (const k of ['w', 'b', 'flag']) {
      assert.equal(legacy.state[k].dtype, zip.state[k].dtype, k);
      assert.ok(legacy.state[k].equal(zip.state[k]), k);
    }
    assert.deepEqual(legacy.view.shape, [2, 3]);
    assert.ok(legacy.view.equal(zip.view));
    assert.ok(legacy.view.equal(legacy.base.index('1:3', '::2')), 'the view reads its base storage');
    assert.equal(legacy.half.dtype, 'float16');
    assert.ok(legacy.half.equal(zip.half));
    assert.ok(legacy.param.equal(torch.ones([2, 2])));
    assert.deepEqual(legacy.meta, { epoch: 7, lr: 0.5, name: 'run', sizes: [1, 2, 3] });
  });

  test('a truncated legacy file is one SerializationError', () => {
    const bytes = readFileSync(join(dir, 'legacy.pt'));
    const cut = join(dir, 'cut.pt');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    assert.throws(() => torch.load(cut), (e: unknown) => e instanceof torch.SerializationError && /cut\.pt .*legacy format and holds a truncated storage/.test((e as Error).message));
  });
});
