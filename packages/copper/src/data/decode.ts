/**
 * Reads, decodes and transforms a batch of image files (what each loader worker runs): every
 * image is written into one float32 buffer laid out as the batch tensor [B, C, H, W].
 */
import { readFileSync } from 'node:fs';
import { loadImage, ImageSizeError } from './image.js';
import type { TransformSpec } from './transforms.js';

export interface DecodeJob {
  paths: string[];
  /** Per path: the seed of its random transform parameters. */
  seeds: number[];
  transforms: TransformSpec[];
  channels: number;
  /** [height, width] of every image in the batch. */
  size: [number, number];
}
export interface DecodeResult {
  /** paths.length * channels * height * width floats; failed images are left zero. */
  data: Float32Array;
  /** Per path: null when decoded, else the reason it could not be. */
  errors: (string | null)[];
  /** A config error (the transforms do not make images of the batch's size). */
  fatal?: string;
}

export async function runDecodeJob(job: DecodeJob): Promise<DecodeResult> {
  const [h, w] = job.size;
  const per = job.channels * h * w;
  const data = new Float32Array(job.paths.length * per);
  const errors: (string | null)[] = new Array(job.paths.length).fill(null);
  let fatal: string | undefined;
  await Promise.all(
    job.paths.map(async (p, i) => {
      try {
        // a synchronous read: the thread pool is left to libvips (a file read there is 4 round trips)
        const bytes = readFileSync(p);
        await loadImage(bytes, job.transforms, { channels: job.channels, seed: job.seeds[i] ?? 0, out: data.subarray(i * per, (i + 1) * per), expect: job.size });
      } catch (e) {
        if (e instanceof ImageSizeError) fatal ??= e.message;
        const err = e as NodeJS.ErrnoException;
        errors[i] = err.code ? `${err.code}` : String(err.message ?? err).split('\n')[0]!;
      }
    }),
  );
  return fatal ? { data, errors, fatal } : { data, errors };
}
