/**
 * `dvc exp push|pull <git_remote>` and `dvc exp list <git_remote>` with the built CLI: a real
 * bare git repository as the git remote and a local folder as the DVC remote; experiments made
 * in one clone are pushed, pulled into another clone, shown and applied there with their data.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isOneLineError, sandbox, type RunResult, type Sandbox } from '../cli/helpers.js';

function ok(r: RunResult): string {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Every file below `dir` (relative paths), or none when it does not exist. */
function files(dir: string, pre = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name), `${pre}${e.name}/`) : [`${pre}${e.name}`]));
}

const TRAIN = 'mkdir -p model && awk \'/^lr:/{print "weights for lr " $2}\' params.yaml > model/weights.txt && awk \'/^lr:/{printf "{\\"acc\\": %s}\\n", 1-$2}\' params.yaml > metrics.json\n';

interface World {
  sb: Sandbox;
  /** The bare git remote. */
  origin: string;
  /** The DVC remote folder. */
  store: string;
  /** A second clone of origin, or null until clone() is called. */
  clone(): string;
  dvcIn(dir: string, args: string[]): RunResult;
  gitIn(dir: string, args: string[]): string;
  head: string;
}

/**
 * Clone A (sb.repo): a stage writing model/ (cached) and metrics.json from params.yaml, a DVC
 * remote `store`, committed and pushed to the bare repository `origin`.
 */
function world(): World {
  const sb = sandbox();
  const origin = join(sb.tmp, 'origin.git');
  const store = join(sb.tmp, 'store');
  ok(sb.git(['init', '-q', '--bare', origin], { cwd: sb.tmp }));
  ok(sb.dvc(['init', '-q']));
  ok(sb.dvc(['remote', 'add', '-d', 'store', store]));
  writeFileSync(join(sb.repo, 'train.sh'), TRAIN);
  writeFileSync(join(sb.repo, 'params.yaml'), 'lr: 0.1\n');
  ok(sb.dvc(['stage', 'add', '-n', 'train', '-p', 'lr', '-d', 'train.sh', '-o', 'model', '-M', 'metrics.json', 'sh train.sh']));
  ok(sb.dvc(['repro', '-q']));
  ok(sb.git(['add', '-A']));
  ok(sb.git(['commit', '-qm', 'base']));
  ok(sb.git(['remote', 'add', 'origin', origin]));
  ok(sb.git(['push', '-q', 'origin', 'HEAD:refs/heads/master']));
  const head = ok(sb.git(['rev-parse', 'HEAD'])).trim();
  const dvcIn = (dir: string, args: string[]) => sb.dvc(args, { cwd: dir });
  const gitIn = (dir: string, args: string[]) => ok(sb.git(args, { cwd: dir })).trim();
  let n = 0;
  const clone = () => {
    const dir = join(sb.tmp, `clone${++n}`);
    ok(sb.git(['clone', '-q', origin, dir], { cwd: sb.tmp }));
    gitIn(dir, ['config', 'user.email', 't@t']);
    gitIn(dir, ['config', 'user.name', 't']);
    return dir;
  };
  return { sb, origin, store, clone, dvcIn, gitIn, head };
}

const ref = (head: string, name: string) => `refs/exps/${head.slice(0, 2)}/${head.slice(2)}/${name}`;

describe('dvc exp push / pull', () => {
  test('push sends the refs and the data; another clone pulls them, shows and applies the experiment with its data', () => {
    const w = world();
    const { sb } = w;
    ok(sb.dvc(['exp', 'run', '-q', '-S', 'lr=0.25', '-n', 'exp1']));
    ok(sb.dvc(['exp', 'run', '-q', '-S', 'lr=0.5', '-n', 'exp2']));
    const rev1 = ok(sb.git(['rev-parse', ref(w.head, 'exp1')])).trim();
    const before = files(w.store).length;
    assert.equal(ok(sb.dvc(['exp', 'push', 'origin', 'exp1'])), "Pushed experiment exp1 to Git remote 'origin'.\n3 files uploaded\n");
    // the bare repository has the ref at the same commit; the DVC remote got the data
    assert.equal(w.gitIn(w.origin, ['rev-parse', ref(w.head, 'exp1')]), rev1);
    assert.equal(w.sb.git(['rev-parse', '-q', '--verify', ref(w.head, 'exp2')], { cwd: w.origin }).code, 1);
    assert.equal(files(w.store).length, before + 3);
    // again: nothing to send
    assert.equal(ok(sb.dvc(['exp', 'push', 'origin', 'exp1'])), "Experiment exp1 is up to date on Git remote 'origin'.\n");
    // by baseline (HEAD by default): both, one up to date; a URL works as well as a remote name
    assert.equal(ok(sb.dvc(['exp', 'push', '-r', 'store', '-j', '2', '--no-run-cache', w.origin])), `Experiment exp1 is up to date on Git remote '${w.origin}'.\nPushed experiment exp2 to Git remote '${w.origin}'.\n3 files uploaded\n`);
    assert.equal(ok(sb.dvc(['exp', 'list', 'origin'])), 'master:\n\texp1\n\texp2\n');
    assert.equal(ok(sb.dvc(['exp', 'list', 'origin', '--name-only'])), 'exp1\nexp2\n');

    const b = w.clone();
    assert.equal(ok(w.dvcIn(b, ['exp', 'list'])), '');
    assert.equal(ok(w.dvcIn(b, ['exp', 'list', 'origin'])), 'master:\n\texp1\n\texp2\n');
    const badRemote = w.dvcIn(b, ['exp', 'pull', '-r', 'nosuch', 'origin', 'exp1']);
    assert.notEqual(badRemote.code, 0);
    assert.match(badRemote.stderr, /remote 'nosuch' doesn't exist/);
    assert.equal(ok(w.dvcIn(b, ['exp', 'pull', '-r', 'store', '-j', '2', 'origin', 'exp1'])), "Pulled experiment '['exp1']' from Git remote 'origin'.\n");
    assert.equal(w.gitIn(b, ['rev-parse', ref(w.head, 'exp1')]), rev1);
    assert.equal(ok(w.dvcIn(b, ['exp', 'pull', 'origin', 'exp1'])), 'No experiments to pull.\n');
    // the experiment's data is in the clone's cache: show lists it, apply checks it out
    const shown = JSON.parse(ok(w.dvcIn(b, ['exp', 'show', '--json']))) as Array<{ experiments: Array<{ name: string; revs: Array<{ data: { params: Record<string, { data: unknown }>; metrics: Record<string, { data: unknown }> } }> }> | null }>;
    const exps = shown[1]!.experiments!;
    assert.deepEqual(exps.map((e) => e.name), ['exp1']);
    assert.deepEqual(exps[0]!.revs[0]!.data.params['params.yaml']!.data, { lr: 0.25 });
    assert.deepEqual(exps[0]!.revs[0]!.data.metrics['metrics.json']!.data, { acc: 0.75 });
    assert.equal(existsSync(join(b, 'model')), false);
    assert.equal(ok(w.dvcIn(b, ['exp', 'apply', 'exp1'])), "Changes for experiment 'exp1' have been applied to your current workspace.\n");
    assert.equal(readFileSync(join(b, 'model', 'weights.txt'), 'utf8'), 'weights for lr 0.25\n');
    assert.equal(readFileSync(join(b, 'metrics.json'), 'utf8'), '{"acc": 0.75}\n');
    // -A brings the rest; diff compares them here
    assert.equal(ok(w.dvcIn(b, ['exp', 'pull', 'origin', '-A'])), "Pulled experiment '['exp2']' from Git remote 'origin'.\n");
    assert.match(ok(w.dvcIn(b, ['exp', 'diff', 'exp1', 'exp2'])), /lr\s+0\.25\s+0\.5\s+0\.25/);
    ok(w.dvcIn(b, ['exp', 'apply', 'exp2']));
    assert.equal(readFileSync(join(b, 'model', 'weights.txt'), 'utf8'), 'weights for lr 0.5\n');
  });

  test('--no-cache moves refs only, with DVC\'s hint; the data can follow with a later pull', () => {
    const w = world();
    ok(w.sb.dvc(['exp', 'run', '-q', '-S', 'lr=0.3', '-n', 'e1']));
    const before = files(w.store);
    assert.equal(
      ok(w.sb.dvc(['exp', 'push', '--no-cache', 'origin', 'e1'])),
      "Pushed experiment e1 to Git remote 'origin'.\nTo push cached outputs for this experiment to DVC remote storage,re-run this command without '--no-cache'.\n",
    );
    assert.deepEqual(files(w.store), before);
    const b = w.clone();
    assert.equal(
      ok(w.dvcIn(b, ['exp', 'pull', '--no-cache', 'origin', 'e1'])),
      "Pulled experiment '['e1']' from Git remote 'origin'.\nTo pull cached outputs for this experimentfrom DVC remote storage,re-run this command without '--no-cache'.\n",
    );
    assert.deepEqual(files(join(b, '.dvc', 'cache')), []);
    // the data was never pushed: a pull with the cache names what failed, after the ref came
    const r = w.dvcIn(b, ['exp', 'pull', 'origin', 'e1']);
    assert.equal(r.code, 255);
    assert.equal(r.stdout, 'No experiments to pull.\n');
    assert.match(r.stderr, /^ERROR: failed to pull cache - /);
    ok(w.sb.dvc(['exp', 'push', 'origin', 'e1']));
    assert.equal(ok(w.dvcIn(b, ['exp', 'pull', 'origin', 'e1'])), 'No experiments to pull.\n');
    ok(w.dvcIn(b, ['exp', 'apply', 'e1']));
    assert.equal(readFileSync(join(b, 'model', 'weights.txt'), 'utf8'), 'weights for lr 0.3\n');
  });

  test('a diverged experiment of the same name is left alone on either side unless -f', () => {
    const w = world();
    ok(w.sb.dvc(['exp', 'run', '-q', '-S', 'lr=0.2', '-n', 'same']));
    const a1 = ok(w.sb.git(['rev-parse', ref(w.head, 'same')])).trim();
    ok(w.sb.dvc(['exp', 'push', 'origin', 'same']));
    const b = w.clone();
    ok(w.dvcIn(b, ['exp', 'run', '-q', '-S', 'lr=0.4', '-n', 'same']));
    const b1 = w.gitIn(b, ['rev-parse', ref(w.head, 'same')]);
    assert.notEqual(a1, b1);
    // push from b: refused for that experiment (exit 0, as DVC), the remote keeps a's
    let r = w.dvcIn(b, ['exp', 'push', 'origin', 'same']);
    assert.equal(r.code, 0);
    assert.equal(r.stderr, "Local experiment same has diverged from remote experiment with the same name.\nTo override the remote experiment re-run with '--force'.\n");
    assert.equal(r.stdout, 'No experiments to push.\n');
    assert.equal(w.gitIn(w.origin, ['rev-parse', ref(w.head, 'same')]), a1);
    // pull into b: a warning, b keeps its own
    r = w.dvcIn(b, ['exp', 'pull', 'origin', 'same']);
    assert.equal(r.code, 0);
    assert.equal(r.stderr, "WARNING: Local experiment '['same']' has diverged from remote experiment with the same name. To override the local experiment re-run with '--force'.\n");
    assert.equal(r.stdout, 'No experiments to pull.\n');
    assert.equal(w.gitIn(b, ['rev-parse', ref(w.head, 'same')]), b1);
    // -f: b's replaces the remote's; a's pull -f takes it
    assert.equal(ok(w.dvcIn(b, ['exp', 'push', '-f', 'origin', 'same'])), "Pushed experiment same to Git remote 'origin'.\n3 files uploaded\n");
    assert.equal(w.gitIn(w.origin, ['rev-parse', ref(w.head, 'same')]), b1);
    r = w.sb.dvc(['exp', 'pull', 'origin', 'same']);
    assert.match(r.stderr, /^WARNING: Local experiment '\['same'\]' has diverged/);
    assert.equal(ok(w.sb.dvc(['exp', 'pull', '-f', 'origin', 'same'])), "Pulled experiment '['same']' from Git remote 'origin'.\n");
    assert.equal(ok(w.sb.git(['rev-parse', ref(w.head, 'same')])).trim(), b1);
    ok(w.sb.dvc(['exp', 'apply', 'same']));
    assert.equal(readFileSync(join(w.sb.repo, 'model', 'weights.txt'), 'utf8'), 'weights for lr 0.4\n');
  });

  test('--rev/-n pick experiments by baseline; -A all; nothing selected says so', () => {
    const w = world();
    ok(w.sb.dvc(['exp', 'run', '-q', '-S', 'lr=0.2', '-n', 'old']));
    ok(w.sb.git(['checkout', '-q', '--', '.']));
    ok(w.sb.dvc(['checkout', '-q']));
    writeFileSync(join(w.sb.repo, 'notes.txt'), 'second commit\n');
    ok(w.sb.git(['add', 'notes.txt']));
    ok(w.sb.git(['commit', '-qm', 'second']));
    ok(w.sb.dvc(['exp', 'run', '-q', '-S', 'lr=0.6', '-n', 'new']));
    // HEAD's only by default
    assert.equal(ok(w.sb.dvc(['exp', 'push', '--no-cache', 'origin'])).split('\n')[0], "Pushed experiment new to Git remote 'origin'.");
    assert.equal(ok(w.sb.dvc(['exp', 'push', '--no-cache', 'origin', '--rev', 'HEAD~1'])).split('\n')[0], "Pushed experiment old to Git remote 'origin'.");
    ok(w.sb.git(['push', '-q', 'origin', 'HEAD:refs/heads/master']));
    const b = w.clone();
    // -n 2 from HEAD: both baselines
    assert.equal(ok(w.dvcIn(b, ['exp', 'list', 'origin', '-n', '2', '--name-only'])).split('\n').filter(Boolean).sort().join(' '), 'new old');
    assert.equal(ok(w.dvcIn(b, ['exp', 'pull', '--no-cache', 'origin', '--rev', 'HEAD~1'])).split('\n')[0], "Pulled experiment '['old']' from Git remote 'origin'.");
    assert.equal(ok(w.dvcIn(b, ['exp', 'pull', '--no-cache', 'origin', '-n', '-1'])).split('\n')[0], "Pulled experiment '['new']' from Git remote 'origin'.");
    assert.equal(ok(w.dvcIn(b, ['exp', 'push', '--no-cache', 'origin', '-n', '0'])).split('\n')[0], 'No experiments to push.');
    assert.equal(ok(w.dvcIn(b, ['exp', 'list', '-A', '--name-only'])).split('\n').filter(Boolean).sort().join(' '), 'new old');
  });

  test('bad input: an unknown experiment or git remote, --sha-only with a remote, a bad -n: one ERROR line', () => {
    const w = world();
    ok(w.sb.dvc(['exp', 'run', '-q', '-S', 'lr=0.2', '-n', 'e1']));
    let r = w.sb.dvc(['exp', 'push', 'origin', 'nope']);
    assert.equal(r.code, 255);
    assert.equal(r.stderr, "ERROR: 'nope' is not a valid experiment name\n");
    r = w.sb.dvc(['exp', 'push', 'nowhere', 'e1']);
    assert.equal(r.code, 255);
    assert.equal(r.stderr, "ERROR: 'nowhere' is not a valid Git remote or URL\n");
    for (const args of [
      ['exp', 'pull', 'nowhere'],
      ['exp', 'list', join(w.sb.tmp, 'missing.git')],
      ['exp', 'pull', 'origin', 'nope'],
    ]) {
      r = w.sb.dvc(args);
      assert.equal(r.code, 255, args.join(' '));
      assert.ok(isOneLineError(r.stderr), r.stderr);
    }
    r = w.sb.dvc(['exp', 'list', 'origin', '--sha-only']);
    assert.equal(r.code, 255);
    assert.equal(r.stderr, 'ERROR: --sha-only not supported with git_remote.\n');
    r = w.sb.dvc(['exp', 'push', 'origin', '-n', 'x']);
    assert.notEqual(r.code, 0);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, /-n\/--num: invalid int value: 'x'/);
    // nothing went anywhere
    assert.equal(w.sb.git(['ls-remote', '--exit-code', w.origin, 'refs/exps/*']).code, 2);
  });

  test('--run-cache sends the run cache to the DVC remote and brings it into another clone', () => {
    const w = world();
    ok(w.sb.dvc(['exp', 'run', '-q', '-S', 'lr=0.2', '-n', 'e1']));
    const runs = files(join(w.sb.repo, '.dvc', 'cache', 'runs'));
    assert.ok(runs.length >= 2, `run cache: ${runs}`);
    const out = ok(w.sb.dvc(['exp', 'push', '--run-cache', 'origin', 'e1']));
    assert.equal(out, `Pushed experiment e1 to Git remote 'origin'.\n${3 + runs.length} files uploaded\n`);
    assert.deepEqual(files(join(w.store, 'runs')).sort(), runs.sort());
    const b = w.clone();
    ok(w.dvcIn(b, ['exp', 'pull', '--run-cache', 'origin', 'e1']));
    assert.deepEqual(files(join(b, '.dvc', 'cache', 'runs')).sort(), runs.sort());
    // without --run-cache nothing of it moves
    const c = w.clone();
    ok(w.dvcIn(c, ['exp', 'pull', 'origin', 'e1']));
    assert.deepEqual(files(join(c, '.dvc', 'cache', 'runs')), []);
  });
});
