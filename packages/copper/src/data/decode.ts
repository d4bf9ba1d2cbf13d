/** Reads, decodes and resizes a batch of image files (what each loader worker runs). */
import { readFileSync } from 'node:fs';
import { decodeImage, resizeInto, type DecodeJob, type DecodeResult } from './image.js';

export function runDecodeJob(job: DecodeJob): DecodeResult {
  const per = job.size * job.size * 3;
  const data = new Uint8Array(job.paths.length * per);
  const errors: (string | null)[] = [];
  job.paths.forEach((p, i) => {
    try {
      const img = decodeImage(readFileSync(p));
      resizeInto(img, job.size, data, i * per, job.flips[i] ?? false, job.crops?.[i] ?? null);
      errors.push(null);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      errors.push(err.code ? `${err.code}` : String(err.message ?? err).split('\n')[0]!);
    }
  });
  return { data, errors };
}
