/**
 * Benchmarks (npm run bench): composing lightning-hydra-template's train.yaml, parsing overrides,
 * resolving and dumping the composed config. Prints one line per case.
 */
import { fileURLToPath } from 'node:url';
import { composeNodes } from '../compose/compose.js';
import { parseOverride } from '../grammar/parser.js';
import { toContainer, toYaml } from '../omegaconf/omegaconf.js';

const configDir = fileURLToPath(new URL('../../test/fixtures/lht/configs', import.meta.url));
process.env.PROJECT_ROOT ??= '/tmp/copper-bench';

function bench(name: string, fn: () => void, minMs = 1000): void {
  for (let i = 0; i < 3; i++) fn();
  let n = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs) {
    fn();
    n++;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  const per = elapsed / n;
  console.log(`${name.padEnd(48)} ${per < 1 ? `${(per * 1000).toFixed(1)} us` : `${per.toFixed(2)} ms`}/op  (${Math.round(1000 / per)} ops/s, ${n} runs)`);
}

const overrides = ['experiment=example', 'trainer=gpu', 'logger=many_loggers', 'data.batch_size=256', '+trainer.fast_dev_run=True', 'hydra.runtime.output_dir=/tmp/out'];
bench('compose train.yaml (defaults only)', () => composeNodes({ configDir, configName: 'train' }));
bench('compose train.yaml + 6 overrides', () => composeNodes({ configDir, configName: 'train', overrides }));
const lines = ['a.b.c=1', 'x=[1,2,{a:b}]', "s='quoted, string'", 'lr=choice(0.1,0.01,0.001)', 'n=range(0,100,5)', 'db=mysql,postgresql', '+k=${oc.env:HOME}'];
bench('parse 7 overrides', () => lines.forEach(parseOverride));
const { cfg } = composeNodes({ configDir, configName: 'train', overrides });
const task = cfg.clone();
task.delete('hydra');
bench('resolve composed config (to_container resolve)', () => {
  for (const k of cfg.keys()) if (k !== 'hydra') toContainer(cfg.get(k)!, { resolve: true });
});
bench('to_yaml composed config (with hydra node)', () => toYaml(cfg));
