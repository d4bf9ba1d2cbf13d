// DVC integration: the data folder tracked by `dvc add`, deleted or changed, is brought back by
// the trainer through checkout, and the .dvc hash is recorded with the run and the checkpoint.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as dvc from '@copper/dvc';
import { parse } from 'yaml';
import { hydraRun, makeData, scratch, smallRun, PKG_DIR } from './helpers.js';
import { train } from '../src/tasks/train.js';
import { loadCheckpoint } from '../src/trainer/checkpoint.js';
import { syncData, dvcFileFor } from '../src/data/dvc-sync.js';
import { encodeJpeg } from '../src/data/image.js';
import { syntheticImage } from '../src/data/synthetic.js';
import { Rng } from '../src/utils/rng.js';
import * as torch from '@copper/torch';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' });
}

function dvcMd5(file: string): string {
  return (parse(readFileSync(file, 'utf8')) as { outs: { md5: string }[] }).outs[0]!.md5;
}

describe('DVC-tracked data', () => {
  let dir: string;
  let cleanup: () => void;
  let repo: dvc.Repo;
  before(async () => {
    ({ dir, cleanup } = scratch());
    git(dir, 'init', '-q');
    makeData(dir, 12);
    repo = await dvc.init(dir);
    await dvc.add(repo, [join(dir, 'data')]);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'data v1');
  });
  after(() => cleanup());

  const run = async (extra: string[] = []) => {
    const r = await hydraRun('train', [...smallRun(dir), `hydra.run.dir=${dir}/run`, 'trainer.max_epochs=1', 'callbacks=default', 'callbacks.early_stopping.patience=1', ...extra], (cfg) => train(cfg));
    return r.jobs[0]!;
  };

  test('the tracking .dvc file of a parent folder is found', () => {
    assert.equal(dvcFileFor(join(dir, 'data', 'PetImages')), join(dir, 'data.dvc'));
    assert.equal(dvcFileFor(join(dir, 'data')), join(dir, 'data.dvc'));
    assert.equal(dvcFileFor(join(dir, 'elsewhere')), null);
  });

  test('deleted data is checked out before training; the data version is recorded', async () => {
    rmSync(join(dir, 'data', 'PetImages', 'Cat'), { recursive: true });
    const job = await run();
    assert.equal(readdirSync(join(dir, 'data', 'PetImages', 'Cat')).length, 12, 'restored');
    const md5 = dvcMd5(join(dir, 'data.dvc'));
    assert.match(md5, /^[0-9a-f]{32}\.dir$/);
    const hp = parse(readFileSync(join(dir, 'run', 'csv', 'version_0', 'hparams.yaml'), 'utf8'));
    assert.equal(hp.data_version.md5, md5);
    assert.equal(hp.data_version.nfiles, 24);
    assert.equal(hp.data_version.action, 'checked out');
    const c = loadCheckpoint(join(dir, 'run', 'checkpoints', 'last.ckpt'));
    assert.equal((c.hyper_parameters as any).data_version.md5, md5);
    assert.equal((c.data_version as any).md5, md5);
    torch.dispose(c as unknown);
    void job;
    const { report } = await dvc.status(repo, []);
    assert.deepEqual(report, {}, 'workspace matches data.dvc again');
  });

  test('after git checkout of an older data.dvc, the older data is checked out', async () => {
    const v1 = dvcMd5(join(dir, 'data.dvc'));
    const rng = new Rng(99);
    for (let i = 0; i < 4; i++) writeFileSync(join(dir, 'data', 'PetImages', 'Dog', `Dog_new_${i}.jpg`), encodeJpeg(syntheticImage(1, 32, rng)));
    await dvc.add(repo, [join(dir, 'data')]);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'data v2');
    assert.notEqual(dvcMd5(join(dir, 'data.dvc')), v1);
    git(dir, 'checkout', '-q', 'HEAD~1', '--', 'data.dvc');
    const r = await hydraRun('train', [...smallRun(dir), `hydra.run.dir=${dir}/run2`, '+trainer.fast_dev_run=True'], async (cfg) => {
      await train(cfg);
      return true;
    });
    assert.equal(r.jobs[0]!.returnValue, true);
    assert.equal(readdirSync(join(dir, 'data', 'PetImages', 'Dog')).length, 12, 'v1 has 12 dogs');
    assert.ok(!existsSync(join(dir, 'data', 'PetImages', 'Dog', 'Dog_new_0.jpg')));
  });

  test('data missing from workspace and cache is pulled from the default remote', async () => {
    const cliPath = join(PKG_DIR, '..', 'dvc', 'dist', 'cli', 'main.js');
    execFileSync(process.execPath, [cliPath, 'remote', 'add', '-d', 'local', join(dir, 'remote')], { cwd: dir });
    execFileSync(process.execPath, [cliPath, 'push', '-q'], { cwd: dir });
    rmSync(join(dir, 'data'), { recursive: true });
    rmSync(join(dir, '.dvc', 'cache'), { recursive: true });
    const v = await syncData(join(dir, 'data', 'PetImages'));
    assert.equal(v!.action, 'pulled');
    assert.equal(readdirSync(join(dir, 'data', 'PetImages', 'Cat')).length, 12);
    execFileSync(process.execPath, [cliPath, 'remote', 'remove', 'local'], { cwd: dir });
  });

  test('data missing from workspace and cache: a clear error asking for dvc pull', async () => {
    rmSync(join(dir, 'data'), { recursive: true });
    rmSync(join(dir, '.dvc', 'cache'), { recursive: true });
    await assert.rejects(syncData(join(dir, 'data', 'PetImages')), /missing and its files are not in the DVC cache: run `dvc pull`/);
  });
});
