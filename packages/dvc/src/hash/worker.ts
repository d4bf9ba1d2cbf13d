/**
 * Entry point of a worker thread of the pool: runs jobs from ./worker-ops.ts on request, and
 * folder walks (tree/walk.ts, loaded on first walk) so big folders are stat'ed on all cores.
 */
import { parentPort } from 'node:worker_threads';
import type { LinkType } from '../fs/local.js';
import { hashFiles, linkFiles, storeFiles } from './worker-ops.js';

export interface WalkJobOptions {
  root: string;
  allowed?: string[];
  /** Use the repository's .dvcignore files. */
  ignore: boolean;
}

export type Job =
  | { id: number; op: 'hash'; paths: string[] }
  | { id: number; op: 'store'; filesDir: string; paths: string[] }
  | { id: number; op: 'link'; pairs: Array<[string, string]>; types: LinkType[] }
  | { id: number; op: 'walk'; dirAbs: string; relToRoot: string; opts: WalkJobOptions };

let walkMod: typeof import('../tree/walk.js') | undefined;
let ignoreMod: typeof import('../formats/dvcignore.js') | undefined;
const ignores = new Map<string, import('../formats/dvcignore.js').DvcIgnore>();

async function walk(job: Extract<Job, { op: 'walk' }>): Promise<unknown> {
  walkMod ??= await import('../tree/walk.js');
  let ig;
  if (job.opts.ignore) {
    ignoreMod ??= await import('../formats/dvcignore.js');
    ig = ignores.get(job.opts.root);
    if (!ig) ignores.set(job.opts.root, (ig = new ignoreMod.DvcIgnore(job.opts.root)));
  }
  try {
    return walkMod.walkFiles(job.dirAbs, { root: job.opts.root, allowed: job.opts.allowed, ignore: ig, relToRoot: job.relToRoot });
  } catch (e) {
    const err = e as Error & { code?: string };
    return { error: err.message, name: err.name, code: err.code };
  }
}

parentPort!.on('message', (job: Job) => {
  if (job.op === 'walk') {
    void walk(job).then((results) => parentPort!.postMessage({ id: job.id, results }));
    return;
  }
  const results =
    job.op === 'hash'
      ? hashFiles(job.paths)
      : job.op === 'store'
        ? storeFiles(job.filesDir, job.paths)
        : linkFiles(job.pairs, job.types);
  parentPort!.postMessage({ id: job.id, results });
});
