// hparams_search: the Optuna sweeper's samplers (a real TPE, random, grid), its config keys,
// n_jobs batches and pruning by intermediate values, run through Hydra with copper's configs.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Study, TPESampler, RandomSampler, MedianPruner, TrialPruned, currentTrial, type Distribution, type ParamValue } from '@copper/hydra';
import { hydraRun, makeData, scratch, smallRun } from './helpers.js';
import { train } from '../src/tasks/train.js';

type Params = Record<string, ParamValue>;

// A cheap synthetic objective with a narrow optimum: two continuous parameters (one on a log
// scale), an integer and a categorical one.
const SPACE: Record<string, Distribution> = {
  x: { type: 'float', low: -10, high: 10, log: false, step: null },
  lr: { type: 'float', low: 1e-5, high: 1, log: true, step: null },
  n: { type: 'int', low: 1, high: 64, log: false, step: 1 },
  act: { type: 'categorical', choices: ['relu', 'gelu', 'tanh', 'sigmoid'] },
};
const objective = (p: Params) => ((p.x as number) - 3.3) ** 2 + 4 * (Math.log10(p.lr as number) + 2.5) ** 2 + Math.abs((p.n as number) - 40) / 4 + (p.act === 'gelu' ? 0 : 10);

async function bestOf(sampler: TPESampler | RandomSampler, trials: number): Promise<{ best: number; values: number[] }> {
  const study = new Study('minimize', sampler);
  await study.optimize(SPACE, (t) => objective(t.params), trials);
  return { best: study.bestTrial!.value!, values: study.trials.map((t) => t.value!) };
}

// the overrides each job of a sweep got, without the fixed ones
const jobParams = (r: { jobs: { overrides: string[] }[] }, keys: string[]) => r.jobs.map((j) => j.overrides.filter((o) => keys.some((k) => o.startsWith(`${k}=`))).join(' '));
const SEARCH_KEYS = ['model.optimizer.lr', 'data.batch_size', 'model.net.hidden'];
// a synthetic objective over cat_dog_optuna's parameters (maximized)
const score = (cfg: any) => -((Math.log10(cfg.model.optimizer.lr) + 2.2) ** 2) - (cfg.data.batch_size === 32 ? 0 : 0.5) - (cfg.model.net.hidden === 64 ? 0 : 0.3);

describe('hparams_search: samplers', () => {
  test('TPE finds better parameters than random search in the same number of trials, seed after seed', async () => {
    // every run is seeded, so this comparison gives the same answer every time; a TPESampler
    // that sampled at random (as the old one did) would tie random search on every seed
    const seeds = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const tpe: number[] = [];
    const rnd: number[] = [];
    for (const seed of seeds) {
      tpe.push((await bestOf(new TPESampler({ seed }), 60)).best);
      rnd.push((await bestOf(new RandomSampler({ seed }), 60)).best);
    }
    const wins = seeds.filter((_, i) => tpe[i]! < rnd[i]!).length;
    assert.ok(wins >= 8, `TPE beat random search on ${wins}/10 seeds (tpe ${tpe.map((v) => v.toFixed(2))} random ${rnd.map((v) => v.toFixed(2))})`);
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
    assert.ok(median(tpe) < median(rnd) / 2, `median best: TPE ${median(tpe)} vs random ${median(rnd)}`);
  });

  test('after its startup trials, TPE samples near the good region; random search does not', async () => {
    let tpeNear = 0;
    let rndNear = 0;
    for (const seed of [11, 12, 13]) {
      const t = await bestOf(new TPESampler({ seed }), 50);
      const r = await bestOf(new RandomSampler({ seed }), 50);
      // the last 30 trials of each run: how many scored within 12 of the optimum (0)?
      tpeNear += t.values.slice(20).filter((v) => v < 12).length;
      rndNear += r.values.slice(20).filter((v) => v < 12).length;
    }
    assert.ok(tpeNear > 3 * Math.max(rndNear, 3), `good trials among the last 30: TPE ${tpeNear}, random ${rndNear}`);
  });

  test('the first n_startup_trials of TPE are random search with the same seed, later ones are not', async () => {
    const t = new Study('minimize', new TPESampler({ seed: 5, n_startup_trials: 10 }));
    const r = new Study('minimize', new RandomSampler({ seed: 5 }));
    await t.optimize(SPACE, (x) => objective(x.params), 14);
    await r.optimize(SPACE, (x) => objective(x.params), 14);
    const p = (s: Study, i: number) => JSON.stringify(s.trials[i]!.params);
    for (let i = 0; i < 10; i++) assert.equal(p(t, i), p(r, i), `startup trial ${i}`);
    for (let i = 10; i < 14; i++) assert.notEqual(p(t, i), p(r, i), `TPE trial ${i}`);
  });

  test('sampled values stay inside their distributions (int steps, log bounds, choices)', async () => {
    const space: Record<string, Distribution> = {
      f: { type: 'float', low: 0.5, high: 5.5, log: false, step: 0.5 },
      i: { type: 'int', low: 2, high: 256, log: true, step: 1 },
      c: { type: 'categorical', choices: [16, 32, 64] },
    };
    const s = new Study('maximize', new TPESampler({ seed: 3, n_startup_trials: 3 }));
    await s.optimize(space, (t) => -(((t.params.f as number) - 2) ** 2) + Math.log2(t.params.i as number) / 10 + (t.params.c === 32 ? 1 : 0), 30);
    for (const t of s.trials) {
      const f = t.params.f as number;
      assert.ok(f >= 0.5 && f <= 5.5 && Number.isInteger(f * 2), `f=${f}`);
      const i = t.params.i as number;
      assert.ok(Number.isInteger(i) && i >= 2 && i <= 256, `i=${i}`);
      assert.ok([16, 32, 64].includes(t.params.c as number), `c=${t.params.c}`);
    }
  });
});

describe('hparams_search: the sweeper', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = scratch());
    makeData(dir, 6);
  });
  after(() => cleanup());

  const sweep = (extra: string[], task: (cfg: any) => unknown = score) =>
    // (smallRun's data.batch_size would fix a parameter cat_dog_optuna searches)
    hydraRun('train', [...smallRun(dir).filter((o) => !o.startsWith('data.batch_size=')), 'hparams_search=cat_dog_optuna', ...extra], task as never);

  test('a seeded TPE sweep repeats its trials exactly; another seed picks others', async () => {
    const a = await sweep(['hydra.sweeper.n_trials=14', 'hydra.sweeper.sampler.seed=42']);
    const b = await sweep(['hydra.sweeper.n_trials=14', 'hydra.sweeper.sampler.seed=42']);
    const c = await sweep(['hydra.sweeper.n_trials=14', 'hydra.sweeper.sampler.seed=43']);
    assert.equal(a.jobs.length, 14);
    assert.deepEqual(jobParams(a, SEARCH_KEYS), jobParams(b, SEARCH_KEYS));
    assert.notDeepEqual(jobParams(a, SEARCH_KEYS), jobParams(c, SEARCH_KEYS));
    assert.deepEqual(a.best, b.best);
    const res = parseYaml(readFileSync(join(dir, 'multirun', 'optimization_results.yaml'), 'utf8'));
    assert.equal(res.name, 'optuna');
    assert.deepEqual(Object.keys(res.best_params), SEARCH_KEYS);
  });

  test('direction: maximize keeps the highest value, minimize the lowest', async () => {
    const max = await sweep(['hydra.sweeper.n_trials=6', 'hydra.sweeper.sampler.seed=1']);
    const values = max.jobs.map((j) => j.returnValue as number);
    assert.equal(max.best!.value, Math.max(...values));
    const min = await sweep(['hydra.sweeper.n_trials=6', 'hydra.sweeper.sampler.seed=1', 'hydra.sweeper.direction=minimize']);
    assert.equal(min.best!.value, Math.min(...min.jobs.map((j) => j.returnValue as number)));
  });

  test('n_jobs: a batch is sampled before any of its results is known', async () => {
    // 12 trials in one batch: all are TPE startup draws (random search with the seed); in
    // batches of 1 the trials after the 10th use the results and differ
    const common = ['hydra.sweeper.n_trials=12', 'hydra.sweeper.sampler.seed=9'];
    const oneBatch = await sweep([...common, 'hydra.sweeper.n_jobs=12']);
    const random = await sweep([...common, 'hydra.sweeper.sampler.n_startup_trials=100', 'hydra.sweeper.n_jobs=1']);
    const serial = await sweep([...common, 'hydra.sweeper.n_jobs=1']);
    assert.deepEqual(jobParams(oneBatch, SEARCH_KEYS), jobParams(random, SEARCH_KEYS));
    assert.deepEqual(jobParams(serial, SEARCH_KEYS).slice(0, 10), jobParams(random, SEARCH_KEYS).slice(0, 10));
    assert.notDeepEqual(jobParams(serial, SEARCH_KEYS).slice(10), jobParams(random, SEARCH_KEYS).slice(10));
  });

  test('GridSampler runs every combination of the grid once, however many trials are asked', async () => {
    const grid = (extra: string[]) => hydraRun('train', [...smallRun(dir).filter((o) => !o.startsWith('data.batch_size=')), '-m', 'hydra/sweeper=optuna', 'hydra/sweeper/sampler=grid', 'hydra.sweeper.n_trials=50', ...extra], () => 1);
    const r = await grid(['hydra.sweeper.params={data.batch_size: "choice(16, 32)", model.net.hidden: "range(32, 128, 32)"}', 'model.optimizer.lr=0.001']);
    const combos = jobParams(r, ['data.batch_size', 'model.net.hidden']);
    assert.equal(combos.length, 6);
    assert.deepEqual([...combos].sort(), ['data.batch_size=16 model.net.hidden=32', 'data.batch_size=16 model.net.hidden=64', 'data.batch_size=16 model.net.hidden=96', 'data.batch_size=32 model.net.hidden=32', 'data.batch_size=32 model.net.hidden=64', 'data.batch_size=32 model.net.hidden=96']);
    for (const j of r.jobs) assert.ok(j.overrides.includes('model.optimizer.lr=0.001'), 'the fixed value goes to every job');
    await assert.rejects(grid(['model.optimizer.lr=interval(0.1, 1)']), /GridSampler only supports discrete parameters: 'model.optimizer.lr'/);
  });

  test("hydra-optuna-sweeper's config keys are read; unknown keys and unsupported values are refused in one line", async () => {
    // range(a, b) is an IntDistribution from a to b inclusive, as hydra-optuna-sweeper makes it
    const r = await sweep(['hydra.sweeper.n_trials=30', 'hydra.sweeper.params={model.net.hidden: "range(1, 3)"}', 'data.batch_size=16', 'model.optimizer.lr=0.01'], (cfg) => cfg.model.net.hidden);
    assert.deepEqual([...new Set(r.jobs.map((j) => j.returnValue))].sort(), [1, 2, 3]);
    // int(interval()) samples integers, tag(log, interval()) stays inside the bounds
    const iv = await sweep(['hydra.sweeper.n_trials=12', 'hydra.sweeper.params={model.net.hidden: "int(interval(8, 12))", model.optimizer.lr: "tag(log, interval(0.0001, 0.1))"}', 'data.batch_size=16'], (cfg) => cfg.model.net.hidden + cfg.model.optimizer.lr);
    for (const j of iv.jobs) {
      const h = Number(j.overrides.find((o) => o.startsWith('model.net.hidden='))!.split('=')[1]);
      const lr = Number(j.overrides.find((o) => o.startsWith('model.optimizer.lr='))!.split('=')[1]);
      assert.ok(Number.isInteger(h) && h >= 8 && h <= 12, `hidden=${h}`);
      assert.ok(lr >= 0.0001 && lr <= 0.1, `lr=${lr}`);
    }
    await assert.rejects(sweep(['+hydra.sweeper.sampler.n_startup=3']), (e: Error) => {
      assert.match(e.message, /hydra.sweeper.sampler \(TPESampler\) has no key 'n_startup' \(it takes: seed, .*n_startup_trials, n_ei_candidates/);
      return true;
    });
    await assert.rejects(sweep(['+hydra.sweeper.foo=1']), /hydra.sweeper has no key 'foo'/);
    await assert.rejects(sweep(['hydra.sweeper.direction=[minimize,maximize]']), /multi-objective search \(2 directions\) is not supported/);
    await assert.rejects(sweep(['hydra.sweeper.direction=up']), /direction must be minimize or maximize, got "up"/);
    await assert.rejects(sweep(['hydra.sweeper.sampler._target_=optuna.samplers.CmaEsSampler']), /CmaEsSampler' is not supported: use optuna.samplers.TPESampler, optuna.samplers.RandomSampler, optuna.samplers.GridSampler/);
    await assert.rejects(sweep(['hydra.sweeper.n_jobs=0']), /hydra.sweeper.n_jobs must be a positive integer, got 0/);
    await assert.rejects(sweep(['hydra.sweeper.sampler.n_ei_candidates=0']), /n_ei_candidates must be a positive integer/);
  });

  test('a task returning no number fails the sweep unless max_failure_rate allows it', async () => {
    let n = 0;
    const flaky = (cfg: any) => (n++ === 1 ? 'oops' : score(cfg));
    await assert.rejects(sweep(['hydra.sweeper.n_trials=3', 'hydra.sweeper.n_jobs=1'], flaky), /needs the task to return a number \(trial #1 returned oops\)/);
    n = 0;
    const r = await sweep(['hydra.sweeper.n_trials=3', 'hydra.sweeper.n_jobs=1', '+hydra.sweeper.max_failure_rate=1.0'], flaky);
    assert.equal(r.jobs.length, 3);
    assert.ok(r.best);
  });

  test('MedianPruner stops trials whose intermediate values are worse than the median of finished trials', async () => {
    // each "epoch" reports the same quality; trials below the median are stopped at step 0
    const steps: number[] = [];
    const task = (cfg: any) => {
      const trial = currentTrial()!;
      const v = score(cfg);
      let s = 0;
      for (; s < 5; s++) {
        trial.report(v, s);
        if (trial.shouldPrune()) {
          steps.push(s);
          throw new TrialPruned();
        }
      }
      steps.push(s);
      return v;
    };
    const r = await sweep(['hydra.sweeper.n_trials=16', 'hydra.sweeper.n_jobs=1', 'hydra.sweeper.sampler.seed=4', '+hydra.sweeper.pruner={_target_: optuna.pruners.MedianPruner, n_startup_trials: 3}'], task);
    assert.equal(r.jobs.length, 16);
    const pruned = r.jobs.filter((j) => j.returnValue === undefined);
    assert.ok(pruned.length >= 3, `${pruned.length} trials pruned`);
    assert.deepEqual(steps.slice(0, 3), [5, 5, 5], 'no pruning before n_startup_trials complete');
    assert.ok(steps.filter((s) => s === 0).length === pruned.length, 'pruned at the first step');
    const complete = r.jobs.filter((j) => j.returnValue !== undefined).map((j) => j.returnValue as number);
    assert.equal(r.best!.value, Math.max(...complete));
    // without a pruner every trial runs to the end
    steps.length = 0;
    const all = await sweep(['hydra.sweeper.n_trials=8', 'hydra.sweeper.n_jobs=1', 'hydra.sweeper.sampler.seed=4'], task);
    assert.ok(all.jobs.every((j) => j.returnValue !== undefined));
    assert.deepEqual(steps, [5, 5, 5, 5, 5, 5, 5, 5]);
  });

  test('MedianPruner compares with the median at the same step (Optuna semantics)', () => {
    const study = new Study('minimize', new RandomSampler({ seed: 0 }), new MedianPruner({ n_startup_trials: 2, n_warmup_steps: 1 }));
    const space: Record<string, Distribution> = { x: { type: 'float', low: 0, high: 1, log: false, step: null } };
    for (const curve of [[5, 4, 3], [5, 2, 1], [5, 6, 7]]) {
      const t = study.ask(space);
      curve.forEach((v, s) => t.report(v, s));
      study.tell(t, 'COMPLETE', curve[2]!);
    }
    const t = study.ask(space);
    t.report(9, 0);
    assert.equal(t.shouldPrune(), false, 'warm-up step');
    t.report(4.5, 1);
    assert.equal(t.shouldPrune(), true, 'best 4.5 is worse than the median 4 at step 1');
    const u = study.ask(space);
    u.report(3.9, 1);
    assert.equal(u.shouldPrune(), false);
  });

  test('copper_train in a search sweep reports optimized_metric after each validation and stops when pruned', async () => {
    const steps: number[][] = [];
    const r = await hydraRun(
      'train',
      [
        ...smallRun(dir),
        'hparams_search=cat_dog_optuna',
        'hydra.sweeper.n_trials=3',
        'hydra.sweeper.n_jobs=1',
        'hydra.sweeper.direction=maximize',
        '+hydra.sweeper.pruner={_target_: optuna.pruners.MedianPruner, n_startup_trials: 1}',
        'optimized_metric=val/acc',
        'trainer.max_epochs=3',
        'test=False',
        'callbacks=none',
        '~logger',
        'extras.print_config=False',
      ],
      async (cfg) => {
        const trial = currentTrial()!;
        try {
          // trial 0 stands for a run better than any accuracy can be; the real runs after it
          // fall below that median at their first validation and are pruned there
          if (trial.number === 0) {
            for (const s of [0, 1, 2]) trial.report(1.01, s);
            return 1.01;
          }
          return (await train(cfg)).objective;
        } finally {
          steps.push([...trial.frozen.intermediateValues.keys()]);
        }
      },
    );
    assert.equal(r.jobs.length, 3);
    assert.deepEqual(steps, [[0, 1, 2], [0], [0]]);
    assert.deepEqual(r.jobs.map((j) => j.returnValue), [1.01, undefined, undefined]);
    assert.equal(r.best!.value, 1.01);
  });
});
