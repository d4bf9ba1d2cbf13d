// walkSteps (fs/types.ts), the folder walk of the remotes that list one folder or page per request
// (webdav, ssh, webhdfs, s3, azure, gs): at most `width` requests in flight, a new one started as
// soon as any answers (a slow folder holds up no others), every file once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { walkSteps, type ListPage, type ListStep } from '../../src/fs/types.js';

/** A tree of 20 folders below the root, each with two files, and one nested folder below 'd03'. */
function tree(step: ListStep): ListPage {
  if (step.prefix === 'root') return { files: ['root/top'], next: Array.from({ length: 20 }, (_, i) => ({ prefix: `d${String(i).padStart(2, '0')}` })) };
  if (step.prefix === 'd03') return { files: ['d03/a', 'd03/b'], next: [{ prefix: 'd03/inner' }] };
  return { files: [`${step.prefix}/a`, `${step.prefix}/b`], next: [] };
}

test('a slow folder holds up no others: the next folder starts as soon as any answers', async () => {
  const started: string[] = [];
  let inFlight = 0;
  let most = 0;
  let released = false;
  let release!: () => void;
  const slowDone = new Promise<void>((r) => (release = r));
  const releaseSlow = () => {
    released = true;
    release();
  };
  // The first folder answers only once the ninth has started (or, with a walk that waits for the
  // whole batch of 8, after a while, when the check below fails).
  const fallback = setTimeout(releaseSlow, 3000);
  let ninthBeforeSlow = false;
  const step = async (s: ListStep): Promise<ListPage> => {
    started.push(s.prefix);
    inFlight++;
    most = Math.max(most, inFlight);
    try {
      if (s.prefix === 'd00') await slowDone;
      else {
        if (s.prefix === 'd08') {
          ninthBeforeSlow = !released;
          releaseSlow();
        }
        await new Promise((r) => setImmediate(r));
      }
      return tree(s);
    } finally {
      inFlight--;
    }
  };
  const got: string[] = [];
  for await (const f of walkSteps('root', step, 8)) got.push(f);
  clearTimeout(fallback);
  assert.ok(ninthBeforeSlow, 'the ninth folder waited for the slow first one');
  assert.ok(most <= 8, `${most} requests in flight (at most 8)`);
  // Every file once (in the order the folders answered).
  const expected = ['root/top', ...Array.from({ length: 20 }, (_, i) => `d${String(i).padStart(2, '0')}`).flatMap((d) => [`${d}/a`, `${d}/b`]), 'd03/inner/a', 'd03/inner/b'];
  assert.deepEqual([...got].sort(), [...expected].sort());
  assert.equal(got.length, expected.length);
  assert.equal(started.length, 22);
});

test('a caller that stops early stops the walk: no folder is asked for after it', async () => {
  const started: string[] = [];
  const step = async (s: ListStep): Promise<ListPage> => {
    started.push(s.prefix);
    await new Promise((r) => setImmediate(r));
    return tree(s);
  };
  for await (const f of walkSteps('root', step, 4)) if (f === 'root/top') break;
  const before = started.length;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(started.length, before);
  assert.ok(before <= 5, `${before} folders asked for`);
});

test('a failed folder fails the walk, and a later failure while it is awaited is no unhandled rejection', async () => {
  const step = async (s: ListStep): Promise<ListPage> => {
    if (s.prefix === 'd01') {
      await new Promise((r) => setTimeout(r, 20));
      throw new Error('d01 failed');
    }
    if (s.prefix === 'd02') throw new Error('d02 failed');
    return tree(s);
  };
  let unhandled: unknown;
  const onUnhandled = (e: unknown) => (unhandled = e);
  process.on('unhandledRejection', onUnhandled);
  try {
    await assert.rejects(async () => {
      for await (const _ of walkSteps('root', step, 8)) void _;
    }, /d0[12] failed/);
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.equal(unhandled, undefined);
});
