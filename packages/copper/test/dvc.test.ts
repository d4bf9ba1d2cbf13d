// DVC integration: a tracked data folder absent altogether is checked out by the trainer; one the
// user changed is never touched (the run is refused, or trained on as is with allow_modified and
// recorded so); the .dvc hash is recorded with the run and the checkpoint.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as dvc from '@copper/dvc';
import { parse } from 'yaml';
import { cli, hydraRun, makeData, scratch, smallRun, PKG_DIR } from './helpers.js';
import { train } from '../src/tasks/train.js';
import { loadCheckpoint } from '../src/trainer/checkpoint.js';
import { syncData, dvcFileFor } from '../src/data/dvc-sync.js';
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

  /** Every file under `root` with its bytes (what the user has on disk). */
  const snapshot = (root: string) => {
    const out = new Map<string, string>();
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else out.set(p, readFileSync(p).toString('base64'));
      }
    };
    walk(root);
    return out;
  };

  test('a tracked folder absent altogether (fresh clone) is checked out; the data version is recorded', async () => {
    rmSync(join(dir, 'data'), { recursive: true });
    await run();
    assert.equal(readdirSync(join(dir, 'data', 'PetImages', 'Cat')).length, 12, 'restored');
    const md5 = dvcMd5(join(dir, 'data.dvc'));
    assert.match(md5, /^[0-9a-f]{32}\.dir$/);
    const hp = parse(readFileSync(join(dir, 'run', 'csv', 'version_0', 'hparams.yaml'), 'utf8'));
    assert.equal(hp.data_version.md5, md5);
    assert.equal(hp.data_version.nfiles, 24);
    assert.equal(hp.data_version.action, 'checked out');
    assert.equal(hp.data_version.committed, true);
    const c = loadCheckpoint(join(dir, 'run', 'checkpoints', 'last.ckpt'));
    assert.equal((c.hyper_parameters as any).data_version.md5, md5);
    assert.equal((c.data_version as any).md5, md5);
    torch.dispose(c as unknown);
    const { report } = await dvc.status(repo, []);
    assert.deepEqual(report, {}, 'workspace matches data.dvc again');
  });

  test('an edited and a deleted image: the run is refused with one line, and the files stay as the user left them', () => {
    const cat = join(dir, 'data', 'PetImages', 'Cat');
    writeFileSync(join(cat, 'Cat_0002.jpg'), readFileSync(join(cat, 'Cat_0005.jpg')));
    rmSync(join(dir, 'data', 'PetImages', 'Dog', 'Dog_0004.jpg'));
    writeFileSync(join(cat, 'Cat_new.jpg'), readFileSync(join(cat, 'Cat_0006.jpg')));
    const before = snapshot(join(dir, 'data'));
    const r = cli('train', ['-q', 'data.image_size=32', 'data.num_workers=0', 'trainer.max_epochs=1', 'hydra.run.dir=refused'], dir);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^Error: data\/ differs from data\.dvc: 1 modified, 1 added, 1 deleted \(/);
    for (const name of ['PetImages/Cat/Cat_0002.jpg', 'PetImages/Cat/Cat_new.jpg', 'PetImages/Dog/Dog_0004.jpg']) assert.ok(lines[0]!.includes(name), name);
    assert.match(lines[0]!, /`dvc add data` to version the change/);
    assert.match(lines[0]!, /`dvc checkout --force data\.dvc` to drop it/);
    assert.match(lines[0]!, /data\.allow_modified=True/);
    assert.deepEqual(snapshot(join(dir, 'data')), before, 'nothing of the user changed');
  });

  test('data.allow_modified=True trains on the folder as it is and records that it is not the committed version', async () => {
    const before = snapshot(join(dir, 'data'));
    const committed = dvcMd5(join(dir, 'data.dvc'));
    await run(['data.allow_modified=True', `hydra.run.dir=${dir}/run-modified`]);
    assert.deepEqual(snapshot(join(dir, 'data')), before, 'nothing of the user changed');
    const hp = parse(readFileSync(join(dir, 'run-modified', 'csv', 'version_0', 'hparams.yaml'), 'utf8'));
    assert.equal(hp.data_version.committed, false);
    assert.equal(hp.data_version.md5, committed, 'the .dvc hash it differs from');
    assert.deepEqual(hp.data_version.changes, { modified: 1, added: 1, deleted: 1 });
    const c = loadCheckpoint(join(dir, 'run-modified', 'checkpoints', 'last.ckpt'));
    const ckv = (c.hyper_parameters as any).data_version;
    assert.equal(ckv.committed, false);
    assert.equal((c.data_version as any).workspace_md5, hp.data_version.workspace_md5);
    torch.dispose(c as unknown);
    // the recorded folder hash is the one `dvc add` gives the folder as trained on
    await dvc.add(repo, [join(dir, 'data')]);
    assert.equal(dvcMd5(join(dir, 'data.dvc')), hp.data_version.workspace_md5);
    assert.equal(ckv.workspace_md5, hp.data_version.workspace_md5);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'data v2');
  });

  test('after git checkout of an older data.dvc, training is refused until `dvc checkout`', async () => {
    git(dir, 'checkout', '-q', 'HEAD~1', '--', 'data.dvc');
    const before = snapshot(join(dir, 'data'));
    await assert.rejects(
      hydraRun('train', [...smallRun(dir), `hydra.run.dir=${dir}/run2`, '+trainer.fast_dev_run=True'], (cfg) => train(cfg)),
      /data\/ differs from \S*data\.dvc: 1 modified, 1 added, 1 deleted .*`dvc checkout --force \S*data\.dvc` to drop it/,
    );
    assert.deepEqual(snapshot(join(dir, 'data')), before);
    await dvc.checkout(repo, [join(dir, 'data.dvc')], { force: true });
    const r = await hydraRun('train', [...smallRun(dir), `hydra.run.dir=${dir}/run3`, '+trainer.fast_dev_run=True'], async (cfg) => {
      await train(cfg);
      return true;
    });
    assert.equal(r.jobs[0]!.returnValue, true);
    assert.equal(readdirSync(join(dir, 'data', 'PetImages', 'Dog')).length, 12, 'v1 has 12 dogs');
    assert.ok(!existsSync(join(dir, 'data', 'PetImages', 'Cat', 'Cat_new.jpg')));
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
