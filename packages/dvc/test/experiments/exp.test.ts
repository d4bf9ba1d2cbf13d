/**
 * `dvc exp` end to end with the built CLI: real git, real stages. Experiments must be stored as
 * Python DVC 3.64 stores them (a commit whose parent is the baseline, `dvc: commit experiment
 * <sha256 of the lock entries>`, under refs/exps/<baseline[:2]>/<baseline[2:]>/<name>), and an
 * experiment written the way Python DVC writes it must be listed, shown, applied and branched.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isOneLineError, sandbox, type Sandbox } from '../cli/helpers.js';

function ok(r: { code: number; stdout: string; stderr: string }): string {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const TRAIN = `awk '/^lr:/{lr=$2} END{printf "{\\"acc\\": %.3f}\\n", 1-lr}' params.yaml > metrics.json\n`;

/** One stage (params lr, dep train.sh, metrics.json), run and committed as the baseline. */
function project(params = 'lr: 0.1 # learning rate\nepochs: 3\n'): Sandbox {
  const sb = sandbox();
  ok(sb.dvc(['init', '-q']));
  writeFileSync(join(sb.repo, 'train.sh'), TRAIN);
  writeFileSync(join(sb.repo, 'params.yaml'), params);
  ok(sb.dvc(['stage', 'add', '-n', 'train', '-p', 'lr', '-d', 'train.sh', '-M', 'metrics.json', 'sh train.sh']));
  ok(sb.dvc(['repro', '-q']));
  ok(sb.git(['add', '-A']));
  ok(sb.git(['commit', '-qm', 'base']));
  return sb;
}
const git = (sb: Sandbox, ...args: string[]) => ok(sb.git(args)).trim();
const read = (sb: Sandbox, rel: string) => readFileSync(join(sb.repo, rel), 'utf8');

describe('dvc exp run', () => {
  test('stores the experiment as Python DVC does; HEAD, branch and index untouched; results in the workspace', () => {
    const sb = project();
    const head = git(sb, 'rev-parse', 'HEAD');
    const out = ok(sb.dvc(['exp', 'run', '-S', 'lr=0.25', '-n', 'exp1']));
    assert.equal(out, "Reproducing experiment 'exp1'\nRunning stage 'train':\n> sh train.sh\nUpdating lock file 'dvc.lock'\n\nRan experiment(s): exp1\nExperiment results have been applied to your workspace.\n");
    // the ref layout and the commit
    const refs = git(sb, 'for-each-ref', '--format=%(refname)', 'refs/exps/' + head.slice(0, 2));
    assert.equal(refs, `refs/exps/${head.slice(0, 2)}/${head.slice(2)}/exp1`);
    const rev = git(sb, 'rev-parse', refs);
    assert.equal(git(sb, 'rev-parse', `${rev}^`), head);
    assert.equal(git(sb, 'rev-list', '--count', `${head}..${rev}`), '1');
    // exp_hash: sha256 of json.dumps({stage: lock entry}, sort_keys=True), as DVC's hash_exp
    const metrics = '{"acc": 0.750}\n';
    assert.equal(read(sb, 'metrics.json'), metrics);
    const entry =
      `{"train": {"cmd": "sh train.sh", "deps": [{"hash": "md5", "md5": "${md5(TRAIN)}", "path": "train.sh", "size": ${TRAIN.length}}], ` +
      `"outs": [{"hash": "md5", "md5": "${md5(metrics)}", "path": "metrics.json", "size": ${metrics.length}}], "params": {"params.yaml": {"lr": 0.25}}}}`;
    const hash = createHash('sha256').update(entry).digest('hex');
    assert.equal(git(sb, 'log', '-1', '--format=%B', rev), `dvc: commit experiment ${hash}`);
    // the commit holds the run's results; -S kept the comment and the layout
    assert.equal(git(sb, 'show', `${rev}:params.yaml`), 'lr: 0.25 # learning rate\nepochs: 3');
    assert.equal(git(sb, 'show', `${rev}:metrics.json`), metrics.trim());
    assert.match(git(sb, 'show', `${rev}:dvc.lock`), /lr: 0\.25/);
    // the user's HEAD, branch and index are as they were; the results are in the workspace
    assert.equal(git(sb, 'rev-parse', 'HEAD'), head);
    assert.equal(git(sb, 'symbolic-ref', '--short', 'HEAD'), 'master');
    assert.equal(sb.git(['diff', '--cached', '--quiet']).code, 0);
    assert.equal(ok(sb.git(['status', '--short'])), ' M dvc.lock\n M metrics.json\n M params.yaml\n');
  });

  test('an existing name is refused before anything runs; -f replaces it; bad names and overrides are one ERROR line', () => {
    const sb = project();
    ok(sb.dvc(['exp', 'run', '-S', 'lr=0.2', '-n', 'exp1']));
    const head = git(sb, 'rev-parse', 'HEAD');
    const ref = `refs/exps/${head.slice(0, 2)}/${head.slice(2)}/exp1`;
    const first = git(sb, 'rev-parse', ref);
    let r = sb.dvc(['exp', 'run', '-S', 'lr=0.3', '-n', 'exp1']);
    assert.equal(r.code, 255);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, "ERROR: Experiment conflicts with existing experiment 'exp1'. To overwrite the existing experiment run:\n\n\tdvc exp run -f ...\n\n\n");
    assert.match(read(sb, 'params.yaml'), /^lr: 0.2 /); // the overrides were not applied
    ok(sb.dvc(['exp', 'run', '-S', 'lr=0.3', '-n', 'exp1', '-f']));
    const second = git(sb, 'rev-parse', ref);
    assert.notEqual(second, first);
    assert.equal(git(sb, 'show', `${second}:params.yaml`), 'lr: 0.3 # learning rate\nepochs: 3');

    r = sb.dvc(['exp', 'run', '-n', 'bad..name']);
    assert.equal(r.code, 255);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, /Invalid exp name bad\.\.name/);
    const before = read(sb, 'params.yaml');
    for (const bad of ['missing=1', '+lr=1', '~nothere']) {
      r = sb.dvc(['exp', 'run', '-S', bad, '-n', 'x']);
      assert.equal(r.code, 255, bad);
      assert.ok(isOneLineError(r.stderr), r.stderr);
      assert.match(r.stderr, /Invalid `--set-param` value/);
      assert.equal(read(sb, 'params.yaml'), before);
    }
    r = sb.dvc(['exp', 'run', '-S', 'params.toml:a=1', '-n', 'x']);
    assert.equal(r.code, 255);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, /'params\.toml' is not a YAML or JSON params file/);
  });

  test('-S adds (+key), deletes (~key) and sets nested keys in other files; without -n a random adjective-noun name', () => {
    const sb = project('lr: 0.1\nepochs: 3\nmodel:\n  depth: 2 # layers\n');
    writeFileSync(join(sb.repo, 'other.yaml'), 'a: 1\n');
    ok(sb.git(['add', 'other.yaml']));
    ok(sb.git(['commit', '-qm', 'other']));
    const out = ok(sb.dvc(['exp', 'run', '-S', 'model.depth=4', '-S', '+model.act=relu', '-S', '~epochs', '-S', 'other.yaml:a=[1, 2]']));
    const name = /^Reproducing experiment '([^']+)'$/m.exec(out)![1]!;
    assert.match(name, /^[a-z]+-[a-z]+$/);
    assert.equal(read(sb, 'params.yaml'), 'lr: 0.1\nmodel:\n  depth: 4 # layers\n  act: relu\n');
    assert.equal(read(sb, 'other.yaml'), 'a: [ 1, 2 ]\n');
    assert.deepEqual(ok(sb.dvc(['exp', 'list', '--name-only'])).trim().split('\n'), [name]);
  });
  test('the commit holds the pipeline files git does not track yet and newly staged files; nothing else is staged', () => {
    const sb = sandbox();
    ok(sb.dvc(['init', '-q']));
    writeFileSync(join(sb.repo, 'train.sh'), TRAIN);
    writeFileSync(join(sb.repo, 'params.yaml'), 'lr: 0.1\n');
    writeFileSync(join(sb.repo, 'notes.txt'), 'untracked, not part of the experiment\n');
    ok(sb.dvc(['stage', 'add', '-n', 'train', '-p', 'lr', '-d', 'train.sh', '-M', 'metrics.json', 'sh train.sh']));
    ok(sb.git(['add', '.dvc', '.dvcignore', 'dvc.yaml', 'train.sh', 'params.yaml']));
    ok(sb.git(['commit', '-qm', 'base without dvc.lock']));
    writeFileSync(join(sb.repo, 'staged.txt'), 'new and staged\n');
    ok(sb.git(['add', 'staged.txt']));
    ok(sb.dvc(['exp', 'run', '-S', 'lr=0.5', '-n', 'e']));
    const files = git(sb, 'ls-tree', '-r', '--name-only', 'refs/exps/' + git(sb, 'rev-parse', 'HEAD').slice(0, 2) + '/' + git(sb, 'rev-parse', 'HEAD').slice(2) + '/e');
    assert.deepEqual(files.split('\n').sort(), ['.dvc/.gitignore', '.dvc/config', '.dvcignore', 'dvc.lock', 'dvc.yaml', 'metrics.json', 'params.yaml', 'staged.txt', 'train.sh']);
    // the user's index: only what they staged themselves
    assert.equal(git(sb, 'diff', '--cached', '--name-only'), 'staged.txt');
    // apply over an untracked file the experiment has: the file is kept in the apply stash
    writeFileSync(join(sb.repo, 'metrics.json'), 'mine\n');
    ok(sb.dvc(['exp', 'apply', 'e']));
    assert.equal(read(sb, 'metrics.json'), '{"acc": 0.500}\n');
    assert.equal(git(sb, 'show', 'refs/exps/apply/stash^3:metrics.json'), 'mine');
    assert.equal(git(sb, 'diff', '--cached', '--name-only'), 'staged.txt');
  });
});

describe('dvc exp show / list / diff', () => {
  test('--json and --csv list the workspace, the baseline and its experiments newest first', () => {
    const sb = project();
    ok(sb.dvc(['exp', 'run', '-S', 'lr=0.2', '-n', 'exp1'], { env: { GIT_COMMITTER_DATE: '2026-01-02T00:00:00Z' } }));
    ok(sb.dvc(['exp', 'run', '-S', 'lr=0.3', '-n', 'exp2'], { env: { GIT_COMMITTER_DATE: '2026-01-03T00:00:00Z' } }));
    const head = git(sb, 'rev-parse', 'HEAD');
    const e1 = git(sb, 'rev-parse', 'refs/exps/' + head.slice(0, 2) + '/' + head.slice(2) + '/exp1');
    const e2 = git(sb, 'rev-parse', 'refs/exps/' + head.slice(0, 2) + '/' + head.slice(2) + '/exp2');
    const json = JSON.parse(ok(sb.dvc(['exp', 'show', '--json'])));
    assert.deepEqual(
      json.map((s: { rev: string; name: string | null }) => [s.rev, s.name]),
      [
        ['workspace', null],
        [head, 'master'],
      ],
    );
    assert.deepEqual(
      json[1].experiments.map((r: { name: string; revs: Array<{ rev: string; data: { timestamp: string; params: unknown } }> }) => [r.name, r.revs[0]!.rev, r.revs[0]!.data.params]),
      [
        ['exp2', e2, { 'params.yaml': { data: { lr: 0.3, epochs: 3 } } }],
        ['exp1', e1, { 'params.yaml': { data: { lr: 0.2, epochs: 3 } } }],
      ],
    );
    assert.equal(json[1].experiments[0].revs[0].data.timestamp.slice(0, 10), '2026-01-03');
    const csv = ok(sb.dvc(['exp', 'show', '--csv', '--drop', 'Created']));
    const dep = md5(TRAIN);
    assert.equal(
      csv,
      'Experiment,rev,typ,parent,acc,lr,epochs,train.sh\r\n' +
        `,workspace,baseline,,0.7,0.3,3,${dep}\r\n` +
        `,master,baseline,,0.9,0.1,3,${dep}\r\n` +
        `exp2,${e2.slice(0, 7)},branch_commit,,0.7,0.3,3,${dep}\r\n` +
        `exp1,${e1.slice(0, 7)},branch_base,,0.8,0.2,3,${dep}\r\n`,
    );
    // --sort-by, --only-changed, --keep
    const sorted = ok(sb.dvc(['exp', 'show', '--csv', '--sort-by', 'acc', '--sort-order', 'desc', '--only-changed', '--keep', 'epochs']));
    assert.equal(sorted.split('\r\n')[0], 'Experiment,rev,typ,Created,acc,lr,epochs');
    assert.deepEqual(
      sorted.split('\r\n').slice(3, 5).map((l) => l.split(',')[0]),
      ['exp1', 'exp2'],
    );
    assert.match(ok(sb.dvc(['exp', 'show', '--no-pager', '--drop', 'Created'])), /├── [0-9a-f]{7} \[exp2\].*\n.*└── [0-9a-f]{7} \[exp1\]/);
    assert.equal(ok(sb.dvc(['exp', 'list'])), `master:\n\t${e1.slice(0, 7)} [exp1]\n\t${e2.slice(0, 7)} [exp2]\n`);
    assert.equal(
      ok(sb.dvc(['exp', 'diff', '--json', 'exp1', 'exp2'])),
      '{"metrics": {"metrics.json": {"acc": {"old": 0.8, "new": 0.7, "diff": -0.10000000000000009}}}, "params": {"params.yaml": {"lr": {"old": 0.2, "new": 0.3, "diff": 0.09999999999999998}}}}\n',
    );
    assert.equal(
      ok(sb.dvc(['exp', 'diff', 'exp1', 'exp2'])),
      'Path          Metric    exp1    exp2    Change\nmetrics.json  acc       0.8     0.7     -0.1\n\nPath         Param    exp1    exp2    Change\nparams.yaml  lr       0.2     0.3     0.09999999999999998\n',
    );
    assert.equal(
      ok(sb.dvc(['exp', 'diff', '--md', 'exp1', 'exp2'])),
      '| Path         | Metric   | exp1   | exp2   | Change   |\n|--------------|----------|--------|--------|----------|\n| metrics.json | acc      | 0.8    | 0.7    | -0.1     |\n\n\n' +
        '| Path        | Param   | exp1   | exp2   | Change              |\n|-------------|---------|--------|--------|---------------------|\n| params.yaml | lr      | 0.2    | 0.3    | 0.09999999999999998 |\n\n',
    );
    assert.match(ok(sb.dvc(['exp', 'show', '--md', '--drop', 'Created'])), /^\| Experiment +\| acc +\| lr +\| epochs +\| train\.sh +\|\n\|-+\|/);
    const r = sb.dvc(['exp', 'diff', 'nope']);
    assert.equal(r.code, 255);
    assert.ok(isOneLineError(r.stderr), r.stderr);
  });
});

describe('dvc exp apply / branch / remove / rename', () => {
  test('apply writes the experiment into the workspace (index and HEAD untouched); branch, rename, remove', () => {
    const sb = project();
    ok(sb.dvc(['exp', 'run', '-S', 'lr=0.2', '-n', 'exp1']));
    ok(sb.dvc(['exp', 'run', '-S', 'lr=0.3', '-n', 'exp2']));
    const head = git(sb, 'rev-parse', 'HEAD');
    assert.equal(ok(sb.dvc(['exp', 'apply', 'exp1'])), "Changes for experiment 'exp1' have been applied to your current workspace.\n");
    assert.equal(read(sb, 'params.yaml'), 'lr: 0.2 # learning rate\nepochs: 3\n');
    assert.equal(read(sb, 'metrics.json'), '{"acc": 0.800}\n');
    assert.equal(git(sb, 'rev-parse', 'HEAD'), head);
    assert.equal(sb.git(['diff', '--cached', '--quiet']).code, 0);
    // the workspace as it was is kept where DVC keeps it
    assert.match(git(sb, 'show', 'refs/exps/apply/stash:params.yaml'), /lr: 0.3/);

    assert.equal(ok(sb.dvc(['exp', 'branch', 'exp1', 'b1'])), "Git branch 'b1' has been created from experiment 'exp1'.\nTo switch to the new branch run:\n\n\tgit checkout b1\n");
    assert.equal(git(sb, 'rev-parse', 'b1'), git(sb, 'rev-parse', `refs/exps/${head.slice(0, 2)}/${head.slice(2)}/exp1`));
    ok(sb.dvc(['exp', 'branch', 'exp2']));
    assert.ok(git(sb, 'branch', '--list', 'exp2-branch'));
    let r = sb.dvc(['exp', 'branch', 'exp1', 'b1']);
    assert.equal(r.code, 255);
    assert.equal(r.stderr, "ERROR: Git branch 'b1' already exists.\n");
    r = sb.dvc(['exp', 'apply', 'nope']);
    assert.equal(r.code, 255);
    assert.equal(r.stderr, "ERROR: 'nope' does not appear to be an experiment commit.\n");

    assert.equal(ok(sb.dvc(['exp', 'rename', 'exp2', 'best'])), "Renamed experiments: 'exp2'\n");
    r = sb.dvc(['exp', 'rename', 'best', 'exp1']);
    assert.equal(r.code, 255);
    assert.match(r.stderr, /^ERROR: Experiment conflicts with existing experiment 'exp1'\. To overwrite the existing experiment run:\n\n\tdvc exp rename -f|^ERROR: Experiment conflicts with existing experiment 'exp1'/);
    assert.deepEqual(ok(sb.dvc(['exp', 'list', '--name-only'])).trim().split('\n').sort(), ['best', 'exp1']);
    r = sb.dvc(['exp', 'remove', 'nope', 'best']);
    assert.equal(r.code, 255);
    assert.equal(r.stderr, "ERROR: 'nope' is not a valid experiment name\n");
    assert.equal(ok(sb.dvc(['exp', 'remove', 'best', 'exp1'])), "Removed experiments: 'best' and 'exp1'\n");
    assert.equal(ok(sb.dvc(['exp', 'list'])), '');
    ok(sb.dvc(['exp', 'run', '-n', 'again']));
    assert.equal(ok(sb.dvc(['exp', 'remove', '-A'])), "Removed experiments: 'again'\n");
    r = sb.dvc(['exp', 'remove']);
    assert.equal(r.code, 255);
    assert.ok(isOneLineError(r.stderr), r.stderr);
  });
});

describe('experiments written the way Python DVC writes them', () => {
  test('are listed, shown, diffed, applied and branched; bookkeeping refs are skipped', () => {
    const sb = project();
    const head = git(sb, 'rev-parse', 'HEAD');
    // what Python DVC's workspace executor leaves: the experiment commit (parent: the baseline),
    // its ref, and the exec/apply bookkeeping refs and a stash that must not be listed
    writeFileSync(join(sb.repo, 'params.yaml'), 'lr: 0.5 # learning rate\nepochs: 3\n');
    writeFileSync(join(sb.repo, 'metrics.json'), '{"acc": 0.500}\n');
    const env = { GIT_INDEX_FILE: join(sb.tmp, 'py-index') };
    const run = (args: string[]) => gitEnv(sb, args, env);
    run(['read-tree', 'HEAD']);
    run(['add', 'params.yaml', 'metrics.json']);
    const tree = run(['write-tree']);
    const rev = run(['commit-tree', tree, '-p', head, '-m', 'dvc: commit experiment ' + '0'.repeat(64)]);
    git(sb, 'update-ref', `refs/exps/${head.slice(0, 2)}/${head.slice(2)}/py-exp`, rev);
    git(sb, 'update-ref', 'refs/exps/exec/EXEC_HEAD', head);
    git(sb, 'update-ref', 'refs/exps/exec/EXEC_APPLY', rev);
    git(sb, 'update-ref', 'refs/exps/stash', head);
    git(sb, 'update-ref', 'refs/exps/celery/stash', head);
    git(sb, 'checkout', '-q', '--', 'params.yaml', 'metrics.json');

    assert.equal(ok(sb.dvc(['exp', 'list'])), `master:\n\t${rev.slice(0, 7)} [py-exp]\n`);
    const json = JSON.parse(ok(sb.dvc(['exp', 'show', '--json'])));
    assert.equal(json[1].experiments.length, 1);
    assert.equal(json[1].experiments[0].name, 'py-exp');
    assert.deepEqual(json[1].experiments[0].revs[0].data.metrics, { 'metrics.json': { data: { acc: 0.5 } } });
    assert.match(ok(sb.dvc(['exp', 'diff', 'HEAD', 'py-exp'])), /params\.yaml  lr       0\.1     0\.5/);
    ok(sb.dvc(['exp', 'apply', rev.slice(0, 7)]));
    assert.equal(read(sb, 'params.yaml'), 'lr: 0.5 # learning rate\nepochs: 3\n');
    ok(sb.dvc(['exp', 'branch', 'py-exp']));
    assert.equal(git(sb, 'rev-parse', 'py-exp-branch'), rev);
    // a second baseline's experiment of the same name makes the short name ambiguous only off HEAD
    ok(sb.git(['commit', '-qam', 'next']));
    const next = git(sb, 'rev-parse', 'HEAD');
    git(sb, 'update-ref', `refs/exps/${next.slice(0, 2)}/${next.slice(2)}/py-exp`, rev);
    git(sb, 'checkout', '-q', 'HEAD~1');
    git(sb, 'checkout', '-q', '-b', 'other');
    git(sb, 'commit', '-q', '--allow-empty', '-m', 'elsewhere');
    const r = sb.dvc(['exp', 'branch', 'py-exp', 'x']);
    assert.equal(r.code, 255);
    const rr = sb.dvc(['exp', 'remove', 'py-exp']);
    assert.equal(rr.code, 255);
    assert.match(rr.stderr, /^ERROR: Ambiguous name 'py-exp' refers to multiple experiments\. Use one of the following full refnames instead:\n\n\trefs\/exps\//);
    assert.equal(ok(sb.dvc(['exp', 'list', '-A', '--name-only'])), 'py-exp\npy-exp\n');
  });
});

function gitEnv(sb: Sandbox, args: string[], extra: NodeJS.ProcessEnv): string {
  const r = spawnSync('git', args, { cwd: sb.repo, env: { ...sb.env, ...extra }, encoding: 'utf8' });
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

describe("Python DVC's recording 24-exp", () => {
  test('replayed: the same output but for the experiments\' commit ids (table layout, refs, files, messages)', () => {
    const dir = join(import.meta.dirname, '..', 'fixtures', 'dvc', '24-exp');
    const steps = readFileSync(join(dir, 'steps.sh'), 'utf8').split('\n').filter(Boolean);
    const transcript = readFileSync(join(dir, 'transcript.txt'), 'utf8');
    const expected = (step: string) => {
      const start = transcript.indexOf(`$ ${step.replace(/\$DVC/g, 'dvc')}\n[rc=`);
      return transcript.slice(start).split('\n--- stdout\n')[1]!.split('--- stderr')[0]!;
    };
    const sb = sandbox();
    let head = '';
    const short = (n: string) => git(sb, 'rev-parse', `refs/exps/${head.slice(0, 2)}/${head.slice(2)}/${n}`).slice(0, 7);
    // these steps' output holds commit ids or times that cannot be the same (exp commits carry their own time)
    const skip = new Set(['$DVC exp show --json', '$DVC exp show --csv --drop Created', '$DVC exp list', 'git for-each-ref refs/exps', '$DVC exp apply e1']);
    let compared = 0;
    for (const [i, step] of steps.slice(0, 24).entries()) {
      // exp2 newer than exp1, as in the recording (experiments are listed newest first)
      const date = i >= 5 ? { GIT_COMMITTER_DATE: `2026-01-${String(i).padStart(2, '0')}T00:00:00Z` } : {};
      const r = spawnSync('bash', ['-c', step], { cwd: sb.repo, env: { ...sb.env, COLUMNS: '80', ...date }, encoding: 'utf8' });
      if (i === 4) head = git(sb, 'rev-parse', 'HEAD');
      if (skip.has(step)) continue;
      let want = expected(step);
      if (step === '$DVC exp show --no-pager --drop Created') want = want.replace('22a6478', short('exp2')).replace('1d8378a', short('exp1'));
      assert.equal(r.stdout, want, `step ${i + 1} \`${step}\`: ${r.stderr}`);
      compared++;
    }
    assert.equal(compared, 19);
    // the refs Python DVC leaves, by name
    assert.equal(
      ok(sb.git(['for-each-ref', '--format=%(refname)', 'refs/exps'])),
      `refs/exps/${head.slice(0, 2)}/${head.slice(2)}/exp1\nrefs/exps/apply/ORIG_HEAD\nrefs/exps/apply/stash\nrefs/exps/exec/EXEC_APPLY\nrefs/exps/exec/EXEC_HEAD\n`,
    );
    // without --no-pager DVC renders the whole table for its pager: nothing collapsed
    const full = ok(sb.dvc(['exp', 'show', '--drop', 'Created'], { env: { COLUMNS: '80' } }));
    assert.match(full.split('\n')[1]!, /^  Experiment +acc +loss +lr +epochs +train\.sh +$/);
  });
});

describe('dvc exp over several baselines', () => {
  test('show -n/-a/-A and list --rev/-A pick baselines; remove --rev removes theirs', () => {
    const sb = project();
    ok(sb.dvc(['exp', 'run', '-S', 'lr=0.2', '-n', 'old']));
    ok(sb.git(['checkout', '-q', '--', '.']));
    ok(sb.git(['commit', '-q', '--allow-empty', '-m', 'second']));
    ok(sb.dvc(['exp', 'run', '-S', 'lr=0.3', '-n', 'new']));
    const [h2, h1] = [git(sb, 'rev-parse', 'HEAD'), git(sb, 'rev-parse', 'HEAD~1')];
    const names = (csv: string) => csv.split('\r\n').slice(1, -1).map((l) => l.split(',').slice(0, 2).join(','));
    assert.deepEqual(names(ok(sb.dvc(['exp', 'show', '--csv']))), [',workspace', ',master', `new,${git(sb, 'rev-parse', '--short=7', 'refs/exps/' + h2.slice(0, 2) + '/' + h2.slice(2) + '/new')}`]);
    const two = names(ok(sb.dvc(['exp', 'show', '--csv', '-n', '2'])));
    assert.deepEqual(two.map((r) => r.split(',')[0]), ['', '', 'new', '', 'old']);
    assert.equal(two[3], `,${h1.slice(0, 7)}`);
    assert.deepEqual(names(ok(sb.dvc(['exp', 'show', '--csv', '-A']))).map((r) => r.split(',')[0]), ['', '', 'new', '', 'old']);
    assert.deepEqual(names(ok(sb.dvc(['exp', 'show', '--csv', '-a', '--hide-workspace']))).map((r) => r.split(',')[0]), ['', 'new']);
    assert.equal(ok(sb.dvc(['exp', 'list', '--name-only'])), 'new\n');
    assert.equal(ok(sb.dvc(['exp', 'list', '--rev', 'HEAD~1'])), `${h1.slice(0, 7)}:\n\t${git(sb, 'rev-parse', '--short=7', 'refs/exps/' + h1.slice(0, 2) + '/' + h1.slice(2) + '/old')} [old]\n`);
    assert.equal(ok(sb.dvc(['exp', 'list', '-A', '--name-only'])).split('\n').filter(Boolean).sort().join(','), 'new,old');
    assert.equal(ok(sb.dvc(['exp', 'remove', '--rev', 'HEAD~1'])), "Removed experiments: 'old'\n");
    assert.equal(ok(sb.dvc(['exp', 'list', '-A', '--name-only'])), 'new\n');
  });
});

describe('dvc exp save', () => {
  test('records the workspace as it is (nothing run), with -I untracked files; a taken name exits 1', () => {
    const sb = project();
    const head = git(sb, 'rev-parse', 'HEAD');
    writeFileSync(join(sb.repo, 'params.yaml'), 'lr: 0.9 # learning rate\nepochs: 3\n');
    writeFileSync(join(sb.repo, 'notes.md'), 'why\n');
    const metrics = read(sb, 'metrics.json');
    assert.equal(ok(sb.dvc(['exp', 'save', '-n', 's1', '-I', 'notes.md'])), 'Experiment has been saved as: s1\n');
    const rev = git(sb, 'rev-parse', `refs/exps/${head.slice(0, 2)}/${head.slice(2)}/s1`);
    assert.equal(git(sb, 'rev-parse', `${rev}^`), head);
    assert.equal(git(sb, 'show', `${rev}:params.yaml`), 'lr: 0.9 # learning rate\nepochs: 3');
    assert.equal(git(sb, 'show', `${rev}:notes.md`), 'why');
    assert.match(git(sb, 'show', `${rev}:dvc.lock`), /lr: 0\.9/); // committed, not run
    assert.equal(read(sb, 'metrics.json'), metrics);
    assert.match(git(sb, 'log', '-1', '--format=%B', rev), /^dvc: commit experiment [0-9a-f]{64}$/);
    assert.equal(sb.git(['diff', '--cached', '--quiet']).code, 0);
    const r = sb.dvc(['exp', 'save', '-n', 's1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^ERROR: failed to save experiment - Experiment conflicts with existing experiment 's1'/);
    const j = JSON.parse(ok(sb.dvc(['exp', 'save', '-n', 's1', '-f', '--json'])));
    assert.equal(j.ref, git(sb, 'rev-parse', `refs/exps/${head.slice(0, 2)}/${head.slice(2)}/s1`));
  });
});
