/**
 * Entry point of a worker thread of the pool: runs jobs from ./worker-ops.ts on request.
 */
import { parentPort } from 'node:worker_threads';
import type { LinkType } from '../fs/local.js';
import { hashFiles, linkFiles, storeFiles } from './worker-ops.js';

export type Job =
  | { id: number; op: 'hash'; paths: string[] }
  | { id: number; op: 'store'; filesDir: string; paths: string[] }
  | { id: number; op: 'link'; pairs: Array<[string, string]>; types: LinkType[] };

parentPort!.on('message', (job: Job) => {
  const results =
    job.op === 'hash'
      ? hashFiles(job.paths)
      : job.op === 'store'
        ? storeFiles(job.filesDir, job.paths)
        : linkFiles(job.pairs, job.types);
  parentPort!.postMessage({ id: job.id, results });
});
