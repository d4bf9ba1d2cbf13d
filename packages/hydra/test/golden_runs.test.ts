// Run folders and CLI output compared with a real Hydra 1.3.2 app on the same configs
// (fixtures/golden/runs.json, made by fixtures/golden/generate_runs.py).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runHydra, getLogger } from '../src/index.js';

const runs = JSON.parse(readFileSync(new URL('./fixtures/golden/runs.json', import.meta.url), 'utf8'));
const configPath = fileURLToPath(new URL('./fixtures/app', import.meta.url));
let tmp: string;
before(() => (tmp = mkdtempSync(join(tmpdir(), 'copper-golden-runs-'))));
after(() => rmSync(tmp, { recursive: true, force: true }));

function collect(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const f = join(d, n);
      if (statSync(f).isDirectory()) walk(f);
      else out[relative(dir, f)] = readFileSync(f, 'utf8');
    }
  };
  walk(dir);
  return out;
}

/** Masks what legitimately differs: versions, cwd, config sources, log timestamps. */
function normalize(text: string): string {
  return text
    .replace(/^(\s*version: )(1\.3\.2|0\.1\.0)$/gm, '$1<version>')
    .replace(/^(\s*cwd: ).*$/gm, '$1<cwd>')
    .replace(/^(\s*config_sources:\n)(?:\s+[- ] .*\n)+/m, '$1<sources>\n')
    .replace(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\]/gm, '[<time>]');
}

const task = (cfg: any) => getLogger('__main__').info(`port=${cfg.app.port}`);

describe('run folders vs Hydra 1.3.2', () => {
  for (const g of runs.filter((r: any) => r.files)) {
    test(g.name, async () => {
      const dir = join(tmp, g.name);
      // console output too: capture stdout while the app runs
      let console = '';
      const orig = process.stdout.write.bind(process.stdout);
      (process.stdout as any).write = (s: string) => ((console += String(s)), true);
      try {
        await runHydra({ configPath, configName: 'config', jobName: 'my_app', argv: g.argv.map((a: string) => a.replace('RUNDIR', dir)) }, task);
      } finally {
        (process.stdout as any).write = orig;
      }
      assert.equal(normalize(console), normalize(g.stdout), 'console output');
      const mine = collect(dir);
      assert.deepEqual(Object.keys(mine).sort(), Object.keys(g.files).sort());
      for (const [file, theirs] of Object.entries(g.files as Record<string, string>)) {
        assert.equal(normalize(mine[file]!), normalize(theirs.split(g.tmp).join(dir)), file);
      }
    });
  }
});

describe('lightning-hydra-template --cfg output vs Hydra 1.3.2', () => {
  const lhtPath = fileURLToPath(new URL('./fixtures/lht/configs', import.meta.url));
  const stub = fileURLToPath(new URL('./fixtures/golden/stub', import.meta.url));
  for (const g of runs.filter((r: any) => r.lht)) {
    test(g.name, async () => {
      process.env.PROJECT_ROOT = '/proj';
      let out = '';
      const argv = g.argv.map((a: string) => a.split(g.stub).join(stub));
      await runHydra({ configPath: lhtPath, configName: 'train', jobName: 'train', argv, print: (s) => (out += s) }, () => assert.fail('must not run'));
      assert.equal(normalize(out), normalize(g.stdout.split(g.stub).join(stub).split(g.cwd).join(process.cwd())));
    });
  }
});

describe('--cfg and --help output vs Hydra 1.3.2', () => {
  for (const g of runs.filter((r: any) => ['cfg_job', 'cfg_hydra', 'cfg_all_pkg', 'cfg_resolve', 'help', 'cfg_pkg_value', 'cfg_pkg_hydra', 'cfg_pkg_global'].includes(r.name))) {
    test(g.name, async () => {
      let out = '';
      await runHydra({ configPath, configName: 'config', jobName: 'my_app', argv: g.argv, print: (s) => (out += s) }, task);
      assert.equal(normalize(out), normalize(g.stdout.split(g.cwd).join(process.cwd())));
    });
  }
});
