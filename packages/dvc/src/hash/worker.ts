/** Entry point of a hashing worker thread: runs jobs from ./worker-ops.ts on request. */
import { parentPort } from 'node:worker_threads';
import { hashFiles, storeFiles } from './worker-ops.js';

export type Job =
  | { id: number; op: 'hash'; paths: string[] }
  | { id: number; op: 'store'; filesDir: string; paths: string[] };

parentPort!.on('message', (job: Job) => {
  const results = job.op === 'hash' ? hashFiles(job.paths) : storeFiles(job.filesDir, job.paths);
  parentPort!.postMessage({ id: job.id, results });
});
