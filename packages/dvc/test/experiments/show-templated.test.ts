/**
 * `dvc exp show` of commits whose dvc.yaml is templated (`${...}` from params.yaml): the stages are
 * resolved with that commit's params.yaml, so its metrics, deps and outs are shown (they were
 * left out before: a commit's dvc.yaml could not be resolved without the files on disk).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sandbox, type RunResult } from '../cli/helpers.js';

function ok(r: RunResult): string {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

test('exp show resolves a templated dvc.yaml with each commit\'s own params.yaml', () => {
  const sb = sandbox();
  ok(sb.dvc(['init', '-q']));
  writeFileSync(join(sb.repo, 'params.yaml'), 'train:\n  lr: 0.1\n');
  writeFileSync(join(sb.repo, 'train.sh'), 'printf \'{"acc": %s}\\n\' "$1" > metrics.json\n');
  writeFileSync(
    join(sb.repo, 'dvc.yaml'),
    'stages:\n  train:\n    cmd: sh train.sh ${train.lr}\n    params:\n      - train\n    metrics:\n      - metrics.json:\n          cache: false\n',
  );
  ok(sb.dvc(['repro', '-q']));
  ok(sb.git(['add', '-A']));
  ok(sb.git(['commit', '-qm', 'base']));
  ok(sb.dvc(['exp', 'run', '-q', '-S', 'train.lr=0.5', '-n', 'e1']));
  const shown = JSON.parse(ok(sb.dvc(['exp', 'show', '--json']))) as Array<{ rev: string; data: { metrics: Record<string, { data: unknown }>; params: Record<string, { data: unknown }> }; experiments: Array<{ name: string; revs: Array<{ data: { metrics: Record<string, { data: unknown }>; params: Record<string, { data: unknown }> } }> }> | null }>;
  assert.deepEqual(shown[0]!.data.metrics['metrics.json']!.data, { acc: 0.5 });
  // the baseline and the experiment: each commit's own metrics and params
  assert.deepEqual(shown[1]!.data.metrics['metrics.json']!.data, { acc: 0.1 });
  const e = shown[1]!.experiments![0]!;
  assert.equal(e.name, 'e1');
  assert.deepEqual(e.revs[0]!.data.metrics['metrics.json']!.data, { acc: 0.5 });
  assert.deepEqual(e.revs[0]!.data.params['params.yaml']!.data, { train: { lr: 0.5 } });
});
