/**
 * node:crypto, loaded on first use: most commands' start-up (`dvc version`, a no-op `dvc status`)
 * never hashes anything, and loading it costs a few milliseconds.
 */
import { createRequire } from 'node:module';
import type { Hash } from 'node:crypto';

let mod: typeof import('node:crypto') | undefined;

function crypto(): typeof import('node:crypto') {
  return (mod ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto'));
}

export function createHash(algorithm: string): Hash {
  return crypto().createHash(algorithm);
}

export function randomBytes(size: number): Buffer {
  return crypto().randomBytes(size);
}
