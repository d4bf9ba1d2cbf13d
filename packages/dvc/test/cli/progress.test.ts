/** The progress line: drawn only for a person at a terminal; files, bytes, rate, ETA; erased at the end. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { formatBytes, formatDuration, NO_PROGRESS, progress } from '../../src/cli/progress.js';
import { CLI } from '../conformance/replay.js';
import { sandbox } from './helpers.js';

function fakeTty(isTTY = true) {
  const writes: string[] = [];
  return { stream: { isTTY, columns: 120, write: (s: string) => writes.push(s) }, writes };
}

describe('progress', () => {
  test('silent when stderr is not a TTY, with -q, under CI, or TERM=dumb', () => {
    const cases = [
      { tty: false, quiet: false, env: {} },
      { tty: true, quiet: true, env: {} },
      { tty: true, quiet: false, env: { CI: 'true' } },
      { tty: true, quiet: false, env: { TERM: 'dumb' } },
    ];
    for (const c of cases) {
      const { stream, writes } = fakeTty(c.tty);
      const p = progress('Adding', { stream, quiet: c.quiet, env: c.env });
      assert.equal(p, NO_PROGRESS);
      p.advance(5, 1000);
      p.done();
      assert.deepEqual(writes, []);
    }
  });

  test('shows files, bytes, rate and ETA, at most every interval, and erases itself', () => {
    const { stream, writes } = fakeTty();
    let t = 0;
    const p = progress('Adding', { stream, env: {}, now: () => t, intervalMs: 100 });
    p.setTotal({ files: 10, bytes: 10_000_000 });
    t = 1000;
    p.advance(5, 5_000_000);
    assert.equal(writes.length, 1);
    assert.equal(writes[0], '\rAdding 5/10 files, 5.00 MB/10.0 MB, 5.00 MB/s, ETA 0:01');
    t = 1050;
    p.advance(1, 1_000_000); // within the interval: not redrawn
    assert.equal(writes.length, 1);
    t = 3000;
    p.advance(4, 4_000_000);
    assert.equal(writes[1], '\rAdding 10/10 files, 10.0 MB/10.0 MB, 3.33 MB/s, ETA 0:00');
    p.done();
    assert.match(writes[2]!, /^\r +\r$/);
    p.advance(1, 1);
    assert.equal(writes.length, 3, 'nothing after done');
  });

  test('without sizes it counts files per second', () => {
    const { stream, writes } = fakeTty();
    let t = 0;
    const p = progress('Checking', { stream, env: {}, now: () => t });
    t = 2000;
    p.advance(300);
    assert.equal(writes[0], '\rChecking 300 files, 150 files/s');
  });

  test('advance works detached, as a library onProgress(files, bytes) callback', () => {
    const { stream, writes } = fakeTty();
    let t = 0;
    const p = progress('Checking out', { stream, env: {}, now: () => t });
    const onProgress: (files: number, bytes: number) => void = p.advance;
    t = 1000;
    onProgress(2, 2000);
    assert.equal(writes[0], '\rChecking out 2 files, 2.00 kB, 2.00 kB/s');
  });

  test('number formats', () => {
    assert.equal(formatBytes(999), '999 B');
    assert.equal(formatBytes(34_000), '34.0 kB');
    assert.equal(formatBytes(850_000_000), '850 MB');
    assert.equal(formatDuration(75), '1:15');
    assert.equal(formatDuration(3725), '1:02:05');
  });
});

describe('progress in the CLI', () => {
  test('dvc add draws on a terminal, not when piped or with -q', () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    mkdirSync(join(s.repo, 'data'));
    for (let i = 0; i < 300; i++) writeFileSync(join(s.repo, 'data', `f${i}`), `file ${i}\n`.repeat(50));
    const piped = s.dvc(['add', 'data']);
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stderr, '', 'nothing on a pipe');
    rmData(s);
    // under a pseudo-terminal (util-linux `script`), stdout and stderr both go to the terminal
    const tty = (args: string) =>
      spawnSync('script', ['-qec', `"${process.execPath}" "${CLI}" ${args}`, '/dev/null'], {
        cwd: s.repo,
        env: { ...s.env, TERM: 'xterm' },
        encoding: 'utf8',
      });
    const quiet = tty('add -q data');
    assert.equal(quiet.status, 0, quiet.stdout);
    assert.doesNotMatch(quiet.stdout, /Adding/);
    rmData(s);
    const shown = tty('add data');
    assert.equal(shown.status, 0, shown.stdout);
    assert.match(shown.stdout, /\rAdding \d+ files, [\d.]+ [kM]?B, [\d.]+ [kM]?B\/s/);
  });
});

function rmData(s: ReturnType<typeof sandbox>) {
  // forget the output so the next add hashes and stores again
  assert.equal(s.dvc(['remove', 'data.dvc', '-q']).code, 0);
  spawnSync('rm', ['-rf', join(s.repo, '.dvc', 'cache'), join(s.repo, '.dvc', 'tmp')]);
}
