/**
 * The default number of transfer jobs (push, pull, fetch, status -c, gc): DVC's 4 x cores, but
 * never fewer than 16 (small-object transfers wait on round trips, not on the CPU).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpus } from 'node:os';
import { jobsOf, MIN_DEFAULT_JOBS } from '../../src/repo/data-sync.js';
import { sandbox } from '../cli/helpers.js';

test('default jobs: 4 x cores, at least 16; -j still wins', () => {
  assert.equal(MIN_DEFAULT_JOBS, 16);
  assert.equal(jobsOf(undefined), Math.max(16, 4 * cpus().length));
  assert.ok(jobsOf(undefined) >= 16);
  assert.equal(jobsOf(3), 3);
  assert.throws(() => jobsOf(0), /invalid number of jobs '0'/);
});

test('push, pull and fetch --help state the default', () => {
  const s = sandbox();
  for (const cmd of ['push', 'pull', 'fetch']) {
    const r = s.dvc([cmd, '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout.replace(/\s+/g, ' '), /The default value is 4 \* cpu_count\(\), at least 16\./, cmd);
  }
});
