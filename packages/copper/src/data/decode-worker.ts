/** Loader worker thread: answers { id, job } messages with { id, result } (see loader.ts). */
import { parentPort } from 'node:worker_threads';
import { runDecodeJob, type DecodeJob } from './decode.js';

parentPort!.on('message', (msg: { id: number; job: DecodeJob }) => {
  runDecodeJob(msg.job).then(
    (result) => parentPort!.postMessage({ id: msg.id, result }, [result.data.buffer as ArrayBuffer]),
    (e) => parentPort!.postMessage({ id: msg.id, error: (e as Error).message }),
  );
});
