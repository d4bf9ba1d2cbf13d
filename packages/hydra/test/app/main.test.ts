import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { runHydra, main, getLogger, ConfigCompositionError, OverrideParseError } from '../../src/index.js';

const configPath = fileURLToPath(new URL('../fixtures/app', import.meta.url));
let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'copper-hydra-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const yamlOf = (f: string) => parseYaml(readFileSync(f, 'utf8'));

describe('main(): single run', () => {
  test('runs the task in hydra.run.dir and writes .hydra files and the log', async () => {
    const runDir = join(tmp, 'run1');
    const seen: any[] = [];
    const r = await runHydra(
      { configPath, configName: 'config', argv: ['db=postgresql', 'app.port=81', `hydra.run.dir=${runDir}`], jobName: 'my_app', quiet: true },
      (cfg: any) => {
        seen.push(cfg.db.driver, cfg.app.port, cfg.db_url);
        getLogger('my_app').info('hello from the task');
        return 'done';
      },
    );
    assert.deepEqual(seen, ['postgresql', 81, 'postgresql://postgres@localhost:5432']);
    assert.equal(r.mode, 'RUN');
    assert.equal(r.jobs[0]!.returnValue, 'done');
    assert.equal(r.jobs[0]!.outputDir, runDir);
    const config = yamlOf(join(runDir, '.hydra/config.yaml'));
    assert.equal(config.db.driver, 'postgresql');
    assert.equal(config.app.port, 81);
    assert.equal(config.db_url, '${db.driver}://${db.user}@localhost:${db.port}', 'config.yaml keeps interpolations');
    assert.equal(config.hydra, undefined);
    assert.deepEqual(yamlOf(join(runDir, '.hydra/overrides.yaml')), ['db=postgresql', 'app.port=81']);
    const hydra = yamlOf(join(runDir, '.hydra/hydra.yaml')).hydra;
    assert.equal(hydra.runtime.output_dir, runDir);
    assert.equal(hydra.job.name, 'my_app');
    assert.equal(hydra.job.override_dirname, 'app.port=81,db=postgresql');
    assert.equal(hydra.mode, 'RUN');
    assert.deepEqual(hydra.overrides.hydra, [`hydra.run.dir=${runDir}`, 'hydra.mode=RUN']);
    assert.equal(hydra.runtime.choices.db, 'postgresql');
    const log = readFileSync(join(runDir, 'my_app.log'), 'utf8');
    assert.match(log, /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\]\[my_app\]\[INFO\] - hello from the task\n$/);
  });

  test('default run dir is outputs/<date>/<time> and ${hydra:runtime.output_dir} resolves in the task', async () => {
    const cwd = process.cwd();
    const dir = join(tmp, 'cwd');
    (await import('node:fs')).mkdirSync(dir);
    process.chdir(dir);
    try {
      let out = '';
      await runHydra({ configPath, configName: 'config', argv: ['+out=${hydra:runtime.output_dir}'], quiet: true }, (cfg: any) => {
        out = cfg.out;
      });
      assert.match(out, new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/outputs/\\d{4}-\\d\\d-\\d\\d/\\d\\d-\\d\\d-\\d\\d$`));
      assert.ok(existsSync(join(out, '.hydra/config.yaml')));
    } finally {
      process.chdir(cwd);
    }
  });

  test('hydra.job.chdir=true runs the task inside the output folder', async () => {
    const runDir = join(tmp, 'chdir');
    let inside = '';
    const before = process.cwd();
    await runHydra({ configPath, configName: 'config', argv: [`hydra.run.dir=${runDir}`, 'hydra.job.chdir=true'], quiet: true }, () => {
      inside = process.cwd();
    });
    assert.equal(inside, runDir);
    assert.equal(process.cwd(), before);
  });

  test('hydra.output_subdir=null writes no .hydra folder', async () => {
    const runDir = join(tmp, 'nosub');
    await runHydra({ configPath, configName: 'config', argv: [`hydra.run.dir=${runDir}`, 'hydra.output_subdir=null'], quiet: true }, () => {});
    assert.equal(existsSync(join(runDir, '.hydra')), false);
  });

  test('errors in the command line are thrown before the task runs', async () => {
    let ran = false;
    await assert.rejects(runHydra({ configPath, configName: 'config', argv: ['app.nope=1'] }, () => void (ran = true)), ConfigCompositionError);
    await assert.rejects(runHydra({ configPath, configName: 'config', argv: ['app.port=[1'] }, () => void (ran = true)), OverrideParseError);
    await assert.rejects(runHydra({ configPath, configName: 'config', argv: ['app.port=1,2'] }, () => void (ran = true)), /Ambiguous value/);
    await assert.rejects(runHydra({ configPath, configName: 'config', argv: ['--bogus'] }, () => void (ran = true)), /unrecognized arguments: --bogus/);
    assert.equal(ran, false);
  });
});

describe('main(): multirun', () => {
  test('-m runs one job per combination, each with its own folder and job number', async () => {
    const sweepDir = join(tmp, 'sweep');
    const seen: string[] = [];
    const r = await runHydra(
      { configPath, configName: 'config', argv: ['-m', 'db=mysql,postgresql', 'app.port=range(1,3)', 'server=nginx', `hydra.sweep.dir=${sweepDir}`], quiet: true },
      (cfg: any) => {
        seen.push(`${cfg.db.driver}:${cfg.app.port}:${cfg.server.name}`);
        return cfg.app.port;
      },
    );
    assert.equal(r.mode, 'MULTIRUN');
    assert.deepEqual(seen, ['mysql:1:nginx', 'mysql:2:nginx', 'postgresql:1:nginx', 'postgresql:2:nginx']);
    assert.deepEqual(r.jobs.map((j) => j.returnValue), [1, 2, 1, 2]);
    assert.deepEqual(readdirSync(sweepDir).sort(), ['0', '1', '2', '3', 'multirun.yaml']);
    for (let i = 0; i < 4; i++) {
      const h = yamlOf(join(sweepDir, String(i), '.hydra/hydra.yaml')).hydra;
      assert.equal(h.job.num, i);
      assert.equal(h.mode, 'MULTIRUN');
      assert.equal(h.runtime.output_dir, join(sweepDir, String(i)));
    }
    assert.deepEqual(yamlOf(join(sweepDir, '2/.hydra/overrides.yaml')), ['db=postgresql', 'app.port=1', 'server=nginx']);
    assert.equal(yamlOf(join(sweepDir, '3/.hydra/config.yaml')).db.driver, 'postgresql');
  });

  test('glob() sweeps over config group options; sweep subdir can use override_dirname', async () => {
    const sweepDir = join(tmp, 'glob');
    const r = await runHydra(
      { configPath, configName: 'config', argv: ['-m', 'db=glob(*)', `hydra.sweep.dir=${sweepDir}`, 'hydra.sweep.subdir=${hydra.job.override_dirname}'], quiet: true },
      (cfg: any) => cfg.db.driver,
    );
    assert.deepEqual(r.jobs.map((j) => j.returnValue), ['mysql', 'postgresql']);
    assert.deepEqual(readdirSync(sweepDir).sort(), ['db=mysql', 'db=postgresql', 'multirun.yaml']);
  });

  test('a search sweeper samples n_trials jobs and records the best', async () => {
    const sweepDir = join(tmp, 'search');
    const r = await runHydra(
      {
        configPath,
        configName: 'config',
        argv: ['-m', 'hydra/sweeper=optuna', 'hydra.sweeper.n_trials=5', 'hydra.sweeper.direction=maximize', 'hydra.sweeper.sampler.seed=7', '+x=interval(0,1)', 'app.port=choice(1,2,3)', `hydra.sweep.dir=${sweepDir}`],
        quiet: true,
      },
      (cfg: any) => cfg.x * cfg.app.port,
    );
    assert.equal(r.jobs.length, 5);
    const values = r.jobs.map((j) => j.returnValue as number);
    assert.equal(r.best!.value, Math.max(...values));
    const res = yamlOf(join(sweepDir, 'optimization_results.yaml'));
    assert.equal(res.best_value, r.best!.value);
    assert.deepEqual(Object.keys(res.best_params), ['+x', 'app.port']);
  });

  test('the basic sweeper refuses interval()', async () => {
    await assert.rejects(runHydra({ configPath, configName: 'config', argv: ['-m', 'app.port=interval(1,2)', `hydra.sweep.dir=${join(tmp, 'x')}`], quiet: true }, () => {}), /does not support interval/);
  });
});

describe('main(): config path/name flags and default sweep layout', () => {
  test('-cp and -cn choose another config folder and primary config; relative paths start at baseDir', async () => {
    let driver = '';
    await runHydra({ configPath: 'nowhere', configName: 'nope', baseDir: join(configPath, '..'), argv: ['-cp', 'app', '-cn', 'with_pkg', `hydra.run.dir=${join(tmp, 'cp')}`], quiet: true }, (cfg: any) => {
      driver = cfg.dst.driver;
    });
    assert.equal(driver, 'postgresql');
    let dbs = '';
    await runHydra({ configPath: new URL('../fixtures/app', import.meta.url), configName: 'config', argv: ['--config-name=global_pkg', `hydra.run.dir=${join(tmp, 'cn')}`], quiet: true }, (cfg: any) => {
      dbs = cfg.driver;
    });
    assert.equal(dbs, 'mysql');
  });

  test('the default sweep folder is multirun/<date>/<time>/<job number>', async () => {
    const cwd = process.cwd();
    const dir = join(tmp, 'mr-default');
    (await import('node:fs')).mkdirSync(dir);
    process.chdir(dir);
    try {
      const r = await runHydra({ configPath, configName: 'config', argv: ['--multirun', 'app.port=1,2'], quiet: true }, () => {});
      assert.match(r.sweepDir!, /\/multirun\/\d{4}-\d\d-\d\d\/\d\d-\d\d-\d\d$/);
      assert.deepEqual(r.jobs.map((j) => j.outputDir), [join(r.sweepDir!, '0'), join(r.sweepDir!, '1')]);
      const h = yamlOf(join(r.sweepDir!, '1/.hydra/hydra.yaml')).hydra;
      assert.equal(h.sweep.dir, 'multirun/${now:%Y-%m-%d}/${now:%H-%M-%S}', 'hydra.yaml keeps the interpolation');
    } finally {
      process.chdir(cwd);
    }
  });

  test('--version', async () => {
    let out = '';
    await runHydra({ configPath, configName: 'config', argv: ['--version'], print: (s) => (out += s) }, () => assert.fail('must not run'));
    assert.match(out, /^Hydra \d+\.\d+\.\d+/);
  });
});

describe('main(): --cfg, --help, --info and error output', () => {
  const capture = async (argv: string[]) => {
    let out = '';
    await runHydra({ configPath, configName: 'config', argv, print: (s) => (out += s), jobName: 'my_app' }, () => assert.fail('must not run'));
    return out;
  };
  test('--cfg job/hydra/all, --package, --resolve', async () => {
    assert.equal(await capture(['--cfg', 'job', '--package', 'db']), '# @package db\ndriver: mysql\nuser: omry\npass: secret\nport: 3306\n');
    const job = await capture(['--cfg=job', 'server=nginx']);
    assert.match(job, /^db:\n/);
    assert.match(job, /server:\n  name: nginx\n  port: 8080\n/);
    assert.match(job, /db_url: \$\{db.driver\}/);
    assert.match(await capture(['-c', 'job', '--resolve']), /db_url: mysql:\/\/omry@localhost:3306/);
    assert.match(await capture(['--cfg', 'hydra']), /^hydra:\n  run:\n    dir: outputs\/\$\{now:%Y-%m-%d\}\/\$\{now:%H-%M-%S\}\n/);
    const all = await capture(['--cfg', 'all']);
    assert.ok(all.startsWith('hydra:\n') && all.includes('\ndb:\n'));
  });
  test('--help lists config groups with their options and the config', async () => {
    const h = await capture(['--help', 'db=postgresql']);
    assert.match(h, /^my_app is powered by Hydra\.\n/);
    assert.match(h, /== Configuration groups ==\n[^]*\ndb: mysql, postgresql\n/);
    assert.match(h, /\nserver: apache, full, nginx\nserver\/logging: verbose\n/);
    assert.match(h, /== Config ==[^]*driver: postgresql/);
    assert.doesNotMatch(h, /hydra\/launcher/);
    const hh = await capture(['--hydra-help']);
    assert.match(hh, /hydra\/job_logging: colorlog, default, disabled, none, stdout/);
  });
  test('--info defaults and searchpath', async () => {
    const info = await capture(['--info', 'defaults']);
    assert.match(info, /Defaults List/);
    assert.match(info, /db\/mysql\s+db\s+db/);
    assert.match(await capture(['--info', 'searchpath']), /main\s+.*fixtures\/app/);
  });
  test('main() prints one-line errors, a caret for syntax errors, and sets the exit code', async () => {
    const writes: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    (process.stderr as any).write = (s: string) => (writes.push(String(s)), true);
    const code = process.exitCode;
    try {
      await main({ configPath, configName: 'config', argv: ['app.port=[1'] }, () => {});
      assert.equal(process.exitCode, 1);
      assert.equal(writes.join(''), "Error: Invalid override 'app.port=[1': expected ',' or ']' but found end of input at column 12. See https://hydra.cc/docs/advanced/override_grammar/basic/ (quote values with special characters)\napp.port=[1\n           ^\n");
      writes.length = 0;
      await main({ configPath, configName: 'config', argv: ['db=oracle'] }, () => {});
      assert.equal(writes.join(''), "Error: In 'config': Could not find 'db/oracle'. Available options in 'db': mysql, postgresql\n");
      writes.length = 0;
      await main({ configPath, configName: 'config', argv: [`hydra.run.dir=${join(tmp, 'fail')}`], quiet: true }, () => {
        throw new Error('boom');
      });
      assert.equal(writes.join(''), "Error executing job with overrides: []\nError: boom\nSet the environment variable HYDRA_FULL_ERROR=1 for a complete stack trace.\n");
    } finally {
      (process.stderr as any).write = orig;
      process.exitCode = code;
    }
  });
});
