import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runHydra, main, registerTarget, select, getLogger, hydraConfig, getOriginalCwd, toAbsolutePath } from '../../src/index.js';

const configPath = fileURLToPath(new URL('../fixtures/app', import.meta.url));
let tmp: string;
before(() => (tmp = mkdtempSync(join(tmpdir(), 'copper-hydra-x-'))));
after(() => rmSync(tmp, { recursive: true, force: true }));

const events: string[] = [];
class Recorder {
  constructor(public opts: { tag: string }) {}
  on_run_start() {
    events.push(`${this.opts.tag}:run_start`);
  }
  on_multirun_start() {
    events.push(`${this.opts.tag}:multirun_start`);
  }
  on_job_start(cfg: any) {
    events.push(`${this.opts.tag}:job_start:${String(select(cfg, 'hydra.job.num', { default: 'run' }))}`);
  }
  on_job_end(_cfg: any, result: { returnValue: unknown }) {
    events.push(`${this.opts.tag}:job_end:${String(result.returnValue)}`);
  }
  on_run_end() {
    events.push(`${this.opts.tag}:run_end`);
  }
  on_multirun_end() {
    events.push(`${this.opts.tag}:multirun_end`);
  }
}

describe('hydra.callbacks, env_set, utils', () => {
  before(() => registerTarget('test.Recorder', Recorder));

  test('callbacks see run and job events in order', async () => {
    events.length = 0;
    await runHydra({ configPath, configName: 'config', argv: ['+hydra.callbacks.rec={_target_:test.Recorder,tag:r}', `hydra.run.dir=${join(tmp, 'cb')}`], quiet: true }, () => 'ok');
    assert.deepEqual(events, ['r:run_start', 'r:job_start:run', 'r:job_end:ok', 'r:run_end']);
  });

  test('multirun callbacks', async () => {
    events.length = 0;
    await runHydra(
      { configPath, configName: 'config', argv: ['-m', 'app.port=1,2', '+hydra.callbacks.rec={_target_:test.Recorder,tag:m}', `hydra.sweep.dir=${join(tmp, 'cbm')}`], quiet: true },
      (cfg: any) => cfg.app.port,
    );
    assert.deepEqual(events, ['m:multirun_start', 'm:job_start:0', 'm:job_end:1', 'm:job_start:1', 'm:job_end:2', 'm:multirun_end']);
  });

  test('hydra.job.env_set sets environment variables for the task; utils inside a task', async () => {
    delete process.env.COPPER_ENV_X;
    let seen: unknown[] = [];
    const cwd = process.cwd();
    await runHydra({ configPath, configName: 'config', argv: ['+hydra.job.env_set.COPPER_ENV_X=hello', `hydra.run.dir=${join(tmp, 'env')}`, 'hydra.job.chdir=true'], quiet: true }, () => {
      seen = [process.env.COPPER_ENV_X, hydraConfig().runtime.output_dir, getOriginalCwd(), toAbsolutePath('data/x'), process.cwd()];
    });
    assert.deepEqual(seen, ['hello', join(tmp, 'env'), cwd, join(cwd, 'data/x'), join(tmp, 'env')]);
    delete process.env.COPPER_ENV_X;
  });

  test('sweeping with an appended group (+experiment=fast) and a choice', async () => {
    const r = await runHydra({ configPath, configName: 'config', argv: ['-m', '+experiment=fast', 'db=mysql,postgresql', `hydra.sweep.dir=${join(tmp, 'sw')}`], quiet: true }, (cfg: any) => `${cfg.db.driver}:${cfg.app.port}`);
    assert.deepEqual(r.jobs.map((j) => j.returnValue), ['mysql:9000', 'postgresql:9000']);
  });

  test('hydra.verbose=true logs DEBUG; hydra/job_logging=disabled writes no log file', async () => {
    const dir = join(tmp, 'verbose');
    await runHydra({ configPath, configName: 'config', jobName: 'v', argv: [`hydra.run.dir=${dir}`, 'hydra.verbose=true'], quiet: true }, () => {
      getLogger('v').debug('details');
      getLogger('v').info('summary');
    });
    assert.match(readFileSync(join(dir, 'v.log'), 'utf8'), /\[v\]\[DEBUG\] - details\n.*\[v\]\[INFO\] - summary\n$/);
    const quiet = join(tmp, 'nolog');
    await runHydra({ configPath, configName: 'config', jobName: 'v', argv: [`hydra.run.dir=${quiet}`, 'hydra/job_logging=disabled'], quiet: true }, () => {
      getLogger('v').error('not written to a file');
    });
    assert.equal(existsSync(join(quiet, 'v.log')), false);
    const normal = join(tmp, 'normal');
    await runHydra({ configPath, configName: 'config', jobName: 'v', argv: [`hydra.run.dir=${normal}`], quiet: true }, () => {
      getLogger('v').debug('hidden');
      getLogger('v').warning('careful');
    });
    assert.match(readFileSync(join(normal, 'v.log'), 'utf8'), /^\[[^\]]+\]\[v\]\[WARNING\] - careful\n$/);
  });

  test('a run folder that cannot be made is a one-line error, not a stack trace', async () => {
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'x');
    const writes: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    (process.stderr as any).write = (s: string) => (writes.push(String(s)), true);
    const code = process.exitCode;
    try {
      await main({ configPath, configName: 'config', argv: [`hydra.run.dir=${join(file, 'sub')}`], quiet: true }, () => {});
      assert.equal(process.exitCode, 1);
      const out = writes.join('');
      assert.match(out, /^Error: ENOTDIR[^\n]*\n$/);
    } finally {
      (process.stderr as any).write = orig;
      process.exitCode = code;
    }
  });
});
