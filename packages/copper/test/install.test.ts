// A newcomer's first minutes, as they happen: a fresh `git clone`, ONE `npm install`, then the
// commands the README gives, run through the links npm makes (node_modules/.bin, npx), never
// through dist/ paths. And each package on its own: `npm pack`, installed into an empty folder
// outside the workspace, and globally.
//
// These run real npm installs (from npm's cache when it holds the packages, as after `npm ci`):
// minutes each, so they run once, here.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const NPM_TIMEOUT = 15 * 60_000;
const gitEnv = {
  GIT_AUTHOR_NAME: 'newcomer',
  GIT_AUTHOR_EMAIL: 'newcomer@example.com',
  GIT_COMMITTER_NAME: 'newcomer',
  GIT_COMMITTER_EMAIL: 'newcomer@example.com',
};

function run(cmd: string, args: string[], opts: SpawnSyncOptions & { env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: NPM_TIMEOUT, ...opts, env: { ...process.env, ...gitEnv, ...opts.env } });
  return { code: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), all: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const npmQuiet = ['--prefer-offline', '--no-audit', '--no-fund'];
/** Standard error of a failed command that a user reads: one line, no stack trace. */
function assertOneLine(stderr: string, what: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `${what}: expected one line, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /^\s+at /m, `${what}: stack trace`);
  return lines[0]!;
}

describe('a fresh clone: one npm install links every command (no libtorch on this machine)', () => {
  let dir = '';
  let clone = '';
  let bin = '';
  // No libtorch: the torch install step skips its addon, as on a machine without libtorch-dev.
  const noTorch = { COPPER_TORCH_SKIP_NATIVE: '1' };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'copper-newcomer-'));
    clone = join(dir, 'copper');
    const c = run('git', ['clone', '--quiet', ROOT, clone]);
    assert.equal(c.code, 0, c.stderr);
    const i = run('npm', ['install', ...npmQuiet], { cwd: clone, env: noTorch });
    assert.equal(i.code, 0, i.all);
    // npm's own warnings about dependencies' install scripts are not a newcomer's business.
    assert.doesNotMatch(i.all, /install-scripts/, 'npm warned about install scripts of dependencies');
    bin = join(clone, 'node_modules', '.bin');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('dvc and the copper_* commands are on node_modules/.bin after the first install', () => {
    for (const cmd of ['dvc', 'copper_train', 'copper_eval', 'copper_infer', 'copper_data']) {
      assert.ok(existsSync(join(bin, cmd)), `${cmd} is not linked`);
    }
  });

  test('npx dvc runs copper\'s dvc (not a package of that name from the registry), and versions data', () => {
    const v = run('npx', ['--no-install', 'dvc', '--version'], { cwd: clone });
    assert.equal(v.code, 0, v.all);
    assert.match(v.stdout, /^3\.\d+\.\d+\+copper\.\d+\.\d+\.\d+\n$/);
    const repo = join(dir, 'project');
    mkdirSync(join(repo, 'data'), { recursive: true });
    writeFileSync(join(repo, 'data', 'a.txt'), 'a\n');
    assert.equal(run('git', ['init', '-q'], { cwd: repo }).code, 0);
    const dvc = (...args: string[]) => run(join(bin, 'dvc'), args, { cwd: repo });
    assert.equal(dvc('init', '-q').code, 0);
    const add = dvc('add', 'data');
    assert.equal(add.code, 0, add.all);
    assert.match(readFileSync(join(repo, 'data.dvc'), 'utf8'), /^outs:\n- md5: [0-9a-f]{32}\.dir\n/);
    assert.equal(dvc('status').stdout, 'Data and pipelines are up to date.\n');
  });

  test('without libtorch, copper_train/eval/infer and the demo say how to install it in one line, exit 1', () => {
    for (const cmd of ['copper_train', 'copper_eval', 'copper_infer']) {
      const r = run(join(bin, cmd), [], { cwd: dir });
      assert.equal(r.code, 1, `${cmd}: ${r.all}`);
      const line = assertOneLine(r.stderr, cmd);
      assert.match(line, new RegExp(`^Error: ${cmd} cannot run: @copper/torch needs libtorch`));
      assert.match(line, /npm run setup/);
      assert.match(line, /LIBTORCH/);
    }
    const demo = run('npm', ['run', '--silent', 'demo'], { cwd: clone });
    assert.equal(demo.code, 1, demo.all);
    assert.match(assertOneLine(demo.stderr, 'npm run demo'), /^demo: @copper\/torch needs libtorch.*npm run setup/);
  });

  test('dvc, copper_data and @copper/hydra need no libtorch', () => {
    const data = run(join(bin, 'copper_data'), [join(dir, 'imgs'), '--per-class', '2', '-q'], { cwd: dir });
    assert.equal(data.code, 0, data.all);
    assert.deepEqual(readdirSync(join(dir, 'imgs')).sort(), ['Cat', 'Dog']);
    const h = run(process.execPath, ['--input-type=module', '-e', "import { compose } from '@copper/hydra'; console.log(typeof compose)"], { cwd: clone });
    assert.equal(h.code, 0, h.all);
    assert.equal(h.stdout, 'function\n');
  });
});

describe('each package installs on its own: npm pack, installed outside the workspace', () => {
  let dir = '';
  const tgz: Record<string, string> = {};
  const libtorch = existsSync(join(ROOT, 'packages', 'torch', 'build', 'Release', 'copper_torch.node'));
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'copper-pack-'));
    const p = run('npm', ['pack', '--silent', '--pack-destination', dir, '-w', 'packages/dvc', '-w', 'packages/hydra', '-w', 'packages/torch'], { cwd: ROOT });
    assert.equal(p.code, 0, p.all);
    for (const name of ['dvc', 'hydra', 'torch']) {
      const f = readdirSync(dir).find((n) => n.startsWith(`copper-${name}-`) && n.endsWith('.tgz'));
      assert.ok(f, `no tarball for @copper/${name}`);
      tgz[name] = join(dir, f);
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('@copper/dvc, @copper/hydra and @copper/torch in an empty folder: dvc versions and pushes data, hydra composes, torch computes', () => {
    const app = join(dir, 'app');
    mkdirSync(app);
    const pkgs = [tgz.dvc!, tgz.hydra!, ...(libtorch ? [tgz.torch!] : [])];
    const i = run('npm', ['install', ...npmQuiet, ...pkgs], { cwd: app });
    assert.equal(i.code, 0, i.all);
    const dvcBin = join(app, 'node_modules', '.bin', 'dvc');
    const repo = join(app, 'repo');
    mkdirSync(join(repo, 'data', 'sub'), { recursive: true });
    writeFileSync(join(repo, 'data', 'sub', 'x.bin'), 'x'.repeat(1000));
    const dvc = (...args: string[]) => run(dvcBin, args, { cwd: repo });
    assert.equal(run('git', ['init', '-q'], { cwd: repo }).code, 0);
    assert.equal(dvc('init', '-q').code, 0);
    assert.equal(dvc('add', '-q', 'data').code, 0);
    assert.equal(dvc('remote', 'add', '-d', 'store', join(app, 'remote')).code, 0);
    const push = dvc('push');
    assert.equal(push.code, 0, push.all);
    assert.match(push.stdout, /2 files pushed/);
    rmSync(join(repo, 'data'), { recursive: true });
    rmSync(join(repo, '.dvc', 'cache'), { recursive: true });
    const pull = dvc('pull');
    assert.equal(pull.code, 0, pull.all);
    assert.equal(readFileSync(join(repo, 'data', 'sub', 'x.bin'), 'utf8'), 'x'.repeat(1000));

    mkdirSync(join(app, 'conf'));
    writeFileSync(join(app, 'conf', 'config.yaml'), 'lr: 0.1\nname: ${oc.env:USER_NAME,anon}\n');
    const h = run(
      process.execPath,
      ['--input-type=module', '-e', "import { compose } from '@copper/hydra'; const c = compose({ configDir: 'conf', configName: 'config', overrides: ['lr=0.5'] }); console.log(JSON.stringify(c))"],
      { cwd: app },
    );
    assert.equal(h.code, 0, h.all);
    assert.deepEqual(JSON.parse(h.stdout), { lr: 0.5, name: 'anon' });

    if (libtorch) {
      const t = run(process.execPath, ['--input-type=module', '-e', "import * as torch from '@copper/torch'; console.log(torch.tensor([1, 2]).add(1).sum().item())"], { cwd: app });
      assert.equal(t.code, 0, t.all);
      assert.equal(t.stdout, '5\n');
    }
  });

  test('npm install -g of @copper/dvc gives a working dvc', () => {
    const prefix = join(dir, 'global');
    const i = run('npm', ['install', '-g', '--prefix', prefix, ...npmQuiet, tgz.dvc!], { cwd: dir });
    assert.equal(i.code, 0, i.all);
    const v = run(join(prefix, 'bin', 'dvc'), ['--version'], { cwd: dir });
    assert.equal(v.code, 0, v.all);
    assert.match(v.stdout, /^3\.\d+\.\d+\+copper\./);
    const repo = join(dir, 'grepo');
    mkdirSync(repo);
    assert.equal(run('git', ['init', '-q'], { cwd: repo }).code, 0);
    assert.equal(run(join(prefix, 'bin', 'dvc'), ['init', '-q'], { cwd: repo }).code, 0);
    assert.ok(existsSync(join(repo, '.dvc', 'config')));
  });
});
