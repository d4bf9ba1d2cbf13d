/** `dvc metrics diff A B`, `dvc params diff A B` and `dvc metrics show -a/-T/-A` across git history. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { git, makeRepo, writeFiles } from '../repo/helpers.js';

test('metrics and params across two commits, and metrics of every commit, branch and tag', () => {
  const r = makeRepo();
  try {
    writeFiles(r.dir, {
      'dvc.yaml': 'stages:\n  train:\n    cmd: echo\n    params:\n    - lr\n    metrics:\n    - metrics.json:\n        cache: false\n',
      'params.yaml': 'lr: 0.1\nepochs: 3\n',
      'metrics.json': '{"acc": 0.5, "loss": 1}\n',
    });
    git(r.dir, 'add', '-A');
    git(r.dir, 'commit', '-qm', 'v1');
    git(r.dir, 'tag', 'v1');
    const v1 = git(r.dir, 'rev-parse', 'HEAD').stdout.trim();
    writeFiles(r.dir, { 'params.yaml': 'lr: 0.2\nepochs: 3\n', 'metrics.json': '{"acc": 0.75, "loss": 1}\n' });
    git(r.dir, 'commit', '-qam', 'v2');
    const v2 = git(r.dir, 'rev-parse', 'HEAD').stdout.trim();
    writeFiles(r.dir, { 'metrics.json': '{"acc": 0.9, "loss": 1}\n' });

    let s = r.dvc('metrics', 'diff', '--json', 'HEAD~1', 'HEAD');
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.stdout, '{"metrics.json": {"acc": {"old": 0.5, "new": 0.75, "diff": 0.25}}}\n');
    s = r.dvc('metrics', 'diff', 'v1', 'HEAD');
    assert.match(s.stdout, /^Path\s+Metric\s+v1\s+HEAD\s+Change\nmetrics\.json\s+acc\s+0\.5\s+0\.75\s+0\.25\n$/);
    // --md: tabulate's github table, as DVC 3.64 (fixture 19)
    s = r.dvc('metrics', 'diff', '--md', 'HEAD~1', 'HEAD');
    assert.equal(
      s.stdout,
      '| Path         | Metric   | HEAD~1   | HEAD   | Change   |\n|--------------|----------|----------|--------|----------|\n| metrics.json | acc      | 0.5      | 0.75   | 0.25     |\n',
    );
    s = r.dvc('params', 'diff', '--json', 'HEAD~1', 'HEAD');
    assert.equal(s.stdout, '{"params.yaml": {"lr": {"old": 0.1, "new": 0.2, "diff": 0.1}}}\n');
    s = r.dvc('params', 'diff', '--all', 'HEAD~1', 'HEAD');
    assert.match(s.stdout, /^Path\s+Param\s+HEAD~1\s+HEAD\nparams\.yaml\s+epochs\s+3\s+3\nparams\.yaml\s+lr\s+0\.1\s+0\.2\n$/);
    s = r.dvc('metrics', 'diff', 'HEAD', 'nope');
    assert.notEqual(s.code, 0);
    assert.match(s.stderr, /^ERROR: .*unknown Git revision 'nope'\n$/);

    s = r.dvc('metrics', 'show', '-A', '--json');
    assert.equal(
      s.stdout,
      `{"workspace": {"data": {"metrics.json": {"data": {"acc": 0.9, "loss": 1}}}}, "${v2}": {"data": {"metrics.json": {"data": {"acc": 0.75, "loss": 1}}}}, "${v1}": {"data": {"metrics.json": {"data": {"acc": 0.5, "loss": 1}}}}}\n`,
    );
    s = r.dvc('metrics', 'show', '-T');
    assert.match(s.stdout, /^Revision\s+Path\s+acc\s+loss\nworkspace\s+metrics\.json\s+0\.9\s+1\nv1\s+metrics\.json\s+0\.5\s+1\n$/);
    s = r.dvc('metrics', 'show', '-a');
    assert.match(s.stdout, /\n(master|main)\s+metrics\.json\s+0\.75\s+1\n$/);
  } finally {
    r.cleanup();
  }
});
