/**
 * Entry point of a worker thread of the pool: runs jobs from ./worker-ops.ts on request.
 */
import { parentPort } from 'node:worker_threads';
import type { LinkType } from '../fs/local.js';
import type { HashName } from './md5.js';
import { copyObjects, hashFiles, linkFiles, storeFiles } from './worker-ops.js';

export type Job =
  | { id: number; op: 'hash'; paths: string[]; hashName?: HashName }
  | { id: number; op: 'store'; filesDir: string; paths: string[]; hashName?: HashName }
  | { id: number; op: 'link'; pairs: Array<[string, string]>; types: LinkType[]; filesDir?: string; hashName?: HashName; trusted?: boolean[]; known?: Float64Array }
  | { id: number; op: 'copy'; triples: Array<[string, string, string]>; hashName?: HashName; known?: Float64Array };

parentPort!.on('message', (job: Job) => {
  const results =
    job.op === 'hash'
      ? hashFiles(job.paths, job.hashName)
      : job.op === 'store'
        ? storeFiles(job.filesDir, job.paths, job.hashName)
        : job.op === 'copy'
          ? copyObjects(job.triples, job.hashName, job.known)
          : linkFiles(job.pairs, job.types, job.filesDir, job.hashName, job.trusted, job.known);
  parentPort!.postMessage({ id: job.id, results });
});
