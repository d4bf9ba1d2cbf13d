/**
 * Replays a Python DVC 3.64 fixture (test/fixtures/dvc/NN-name: steps.sh, transcript.txt,
 * tree.txt) with our CLI and reports every difference:
 *
 * - each step of steps.sh runs with `bash -c` in `<tmp>/repo` (a fresh `git init` with user t/t@t),
 *   `$DVC` = `<tmp>/dvc-cli/dvc`, a script that runs `node packages/dvc/dist/cli/main.js` (one path,
 *   as Python DVC's `dvc` was, so `$(command -v $DVC)` works), global/system DVC config isolated;
 * - its exit code is compared with the transcript's `[rc=N]` (a difference fails);
 * - stdout/stderr are compared after `<tmp>` substitution (differences are reported as notes:
 *   the wording is welcome, not required);
 * - at the end every file under `<tmp>/repo`, `<tmp>/src` (each without .git and .dvc/tmp) and
 *   `<tmp>/remote` is compared with tree.txt: the same paths, modes, sizes and md5s.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const PKG_DIR = join(here, '..', '..');
export const FIXTURES_DIR = join(PKG_DIR, 'test', 'fixtures', 'dvc');
// The launcher users run (node_modules/.bin/dvc): the esbuild bundle when built, as shipped.
export const CLI = join(PKG_DIR, 'bin', 'dvc.js');

export interface TranscriptStep {
  command: string;
  rc: number;
  stdout: string;
  stderr: string;
}

/** Parses transcript.txt: `$ cmd`, `[rc=N]`, `--- stdout`, ..., `--- stderr`, ..., blank line. */
export function parseTranscript(text: string, steps: string[]): TranscriptStep[] {
  const lines = text.split('\n');
  const out: TranscriptStep[] = [];
  let i = 0;
  for (const step of steps) {
    const header = '$ ' + step.replace(/\$DVC/g, 'dvc');
    while (i < lines.length && !(lines[i] === header && /^\[rc=\d+\]$/.test(lines[i + 1] ?? ''))) i++;
    if (i >= lines.length) throw new Error(`transcript has no step ${JSON.stringify(header)}`);
    const rc = Number(/^\[rc=(\d+)\]$/.exec(lines[i + 1]!)![1]);
    i += 2;
    if (lines[i] !== '--- stdout') throw new Error(`transcript: no stdout block after ${header}`);
    i++;
    const stdout: string[] = [];
    while (i < lines.length && lines[i] !== '--- stderr') {
      // output without a final newline runs into the marker: `x--- stderr`
      if (lines[i]!.endsWith('--- stderr')) {
        stdout.push(lines[i]!.slice(0, -'--- stderr'.length));
        break;
      }
      stdout.push(lines[i++]!);
    }
    i++;
    const stderr: string[] = [];
    // stderr runs to the next step header (preceded by a blank line) or the end
    while (i < lines.length && !(lines[i] === '' && (lines[i + 1] ?? '').startsWith('$ ') && /^\[rc=\d+\]$/.test(lines[i + 2] ?? ''))) {
      stderr.push(lines[i++]!);
    }
    while (stderr.length && stderr[stderr.length - 1] === '') stderr.pop();
    out.push({ command: step, rc, stdout: stdout.join('\n'), stderr: stderr.join('\n') });
  }
  return out;
}

export interface TreeEntry {
  mode: string;
  size: number;
  md5?: string;
}

/** Parses tree.txt: `mode size path` lines, then `md5  path` lines. */
export function parseTree(text: string): Map<string, TreeEntry> {
  const tree = new Map<string, TreeEntry>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const a = /^([0-7]{3,4}) (\d+) (.+)$/.exec(line);
    if (a) {
      tree.set(a[3]!, { mode: a[1]!, size: Number(a[2]) });
      continue;
    }
    const b = /^([0-9a-f]{32})  (.+)$/.exec(line);
    if (b) {
      const e = tree.get(b[2]!);
      if (e) e.md5 = b[1];
      else tree.set(b[2]!, { mode: '?', size: -1, md5: b[1] });
    }
  }
  return tree;
}

/** Our tree, in tree.txt's terms: files (and links) under repo/ and remote/ of `tmp`. */
export function scanTree(tmp: string): Map<string, TreeEntry> {
  const tree = new Map<string, TreeEntry>();
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const abs = join(dir, name);
      const rel = relative(tmp, abs).split('\\').join('/');
      if (/^(repo|src)\/(\.git|\.dvc\/tmp)$/.test(rel)) continue;
      const st = lstatSync(abs);
      if (st.isDirectory()) walk(abs);
      else {
        const data = st.isSymbolicLink() ? Buffer.from(readlinkSync(abs)) : readFileSync(abs);
        tree.set(rel, {
          mode: (st.mode & 0o777).toString(8),
          size: st.size,
          md5: createHash('md5').update(data).digest('hex'),
        });
      }
    }
  };
  walk(join(tmp, 'repo'));
  walk(join(tmp, 'remote'));
  walk(join(tmp, 'src'));
  return tree;
}

export function compareTrees(expected: Map<string, TreeEntry>, actual: Map<string, TreeEntry>): string[] {
  const diffs: string[] = [];
  for (const [path, e] of expected) {
    const a = actual.get(path);
    if (!a) {
      diffs.push(`missing: ${path}`);
      continue;
    }
    if (e.mode !== a.mode) diffs.push(`mode of ${path}: expected ${e.mode}, got ${a.mode}`);
    if (e.size !== a.size) diffs.push(`size of ${path}: expected ${e.size}, got ${a.size}`);
    if (e.md5 && e.md5 !== a.md5) diffs.push(`md5 of ${path}: expected ${e.md5}, got ${a.md5}`);
  }
  for (const path of actual.keys()) if (!expected.has(path)) diffs.push(`unexpected: ${path}`);
  return diffs;
}

export interface StepResult extends TranscriptStep {
  expectedRc: number;
  expectedStdout: string;
  expectedStderr: string;
}

export interface ReplayResult {
  tmp: string;
  steps: StepResult[];
  /** Steps whose exit code differs. */
  rcDiffs: string[];
  /** Steps whose output differs (informational). */
  outputDiffs: string[];
  /** File differences with tree.txt. */
  treeDiffs: string[];
}

/** An environment that keeps a replay away from the user's own DVC and git configuration. */
export function isolatedEnv(tmp: string): NodeJS.ProcessEnv {
  const home = join(tmp, 'home');
  mkdirSync(home, { recursive: true });
  const bin = join(tmp, 'dvc-cli');
  mkdirSync(bin, { recursive: true });
  const dvc = join(bin, 'dvc');
  writeFileSync(dvc, `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
  chmodSync(dvc, 0o755);
  return {
    PATH: process.env.PATH,
    HOME: home,
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    TMPDIR: process.env.TMPDIR ?? tmpdir(),
    DVC: dvc,
    DVC_GLOBAL_CONFIG_DIR: join(tmp, 'global-config'),
    DVC_SYSTEM_CONFIG_DIR: join(tmp, 'system-config'),
    DVC_NO_ANALYTICS: '1',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
    GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
  };
}

/** Makes `<tmp>/repo` a fresh git repository as the fixtures' runner did. */
export function makeGitRepo(repo: string, env: NodeJS.ProcessEnv): void {
  mkdirSync(repo, { recursive: true });
  for (const args of [
    ['init', '-q'],
    ['config', 'user.email', 't@t'],
    ['config', 'user.name', 't'],
  ]) {
    const r = spawnSync('git', args, { cwd: repo, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  }
}

export function replayScenario(name: string, opts: { keep?: boolean } = {}): ReplayResult {
  const dir = join(FIXTURES_DIR, name);
  const steps = readFileSync(join(dir, 'steps.sh'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const transcript = parseTranscript(readFileSync(join(dir, 'transcript.txt'), 'utf8'), steps);
  const expectedTree = parseTree(readFileSync(join(dir, 'tree.txt'), 'utf8'));

  const tmp = mkdtempSync(join(tmpdir(), `copper-conf-${name.slice(0, 2)}-`));
  const repo = join(tmp, 'repo');
  const env = isolatedEnv(tmp);
  makeGitRepo(repo, env);

  const result: ReplayResult = { tmp, steps: [], rcDiffs: [], outputDiffs: [], treeDiffs: [] };
  const norm = (s: string) => s.split(tmp).join('<tmp>').replace(/\n+$/, '');
  try {
    for (const [i, step] of steps.entries()) {
      const r = spawnSync('bash', ['-c', step], { cwd: repo, env, encoding: 'utf8', timeout: 120_000 });
      const exp = transcript[i]!;
      const rc = r.status ?? (r.signal ? 128 : 1);
      const stdout = norm(r.stdout ?? '');
      const stderr = norm(r.stderr ?? '');
      result.steps.push({
        command: step,
        rc,
        stdout,
        stderr,
        expectedRc: exp.rc,
        expectedStdout: exp.stdout.replace(/\n+$/, ''),
        expectedStderr: exp.stderr.replace(/\n+$/, ''),
      });
      if (rc !== exp.rc) {
        result.rcDiffs.push(`step ${i + 1} \`${step}\`: exit ${rc}, DVC ${exp.rc}${stderr ? ` (stderr: ${stderr.split('\n')[0]})` : ''}`);
      }
      if (unordered(stdout) !== unordered(exp.stdout.replace(/\n+$/, ''))) {
        result.outputDiffs.push(`step ${i + 1} \`${step}\` stdout: ours ${JSON.stringify(stdout)}, DVC ${JSON.stringify(exp.stdout)}`);
      }
      if (unordered(stderr) !== unordered(exp.stderr.replace(/\n+$/, ''))) {
        result.outputDiffs.push(`step ${i + 1} \`${step}\` stderr: ours ${JSON.stringify(stderr)}, DVC ${JSON.stringify(exp.stderr)}`);
      }
    }
    result.treeDiffs = compareTrees(expectedTree, scanTree(tmp));
  } finally {
    if (!opts.keep) rmSync(tmp, { recursive: true, force: true });
  }
  return result;
}

/**
 * Output with the parts Python DVC prints in set order (which changes from run to run with
 * Python's hash seed: the recordings show both `git add .gitignore data.dvc` and
 * `git add data.dvc .gitignore`) put in one order: the files of a `git add` hint, and each run of
 * `\t<state>: <path>` lines of `status -c`.
 */
export function unordered(text: string): string {
  const lines = text.split('\n').map((l) => {
    const m = /^(\tgit add )(.+)$/.exec(l);
    return m ? m[1] + m[2]!.split(' ').sort().join(' ') : l;
  });
  const out: string[] = [];
  let run: string[] = [];
  const flush = () => {
    out.push(...run.sort());
    run = [];
  };
  for (const l of lines) {
    if (/^\t[a-z ]+:\s+\S/.test(l)) run.push(l);
    else {
      flush();
      out.push(l);
    }
  }
  flush();
  return out.join('\n');
}

/** Every scenario folder name, sorted. */
export function scenarios(): string[] {
  return readdirSync(FIXTURES_DIR).filter((n) => /^\d\d-/.test(n)).sort();
}
