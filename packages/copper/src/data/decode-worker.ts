/** Loader worker thread: answers { id, job } messages with { id, result } (see loader.ts). */
import { parentPort } from 'node:worker_threads';
import { runDecodeJob } from './decode.js';
import type { DecodeJob } from './image.js';

parentPort!.on('message', (msg: { id: number; job: DecodeJob }) => {
  try {
    const result = runDecodeJob(msg.job);
    parentPort!.postMessage({ id: msg.id, result }, [result.data.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: (e as Error).message });
  }
});
