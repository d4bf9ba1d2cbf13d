/** Helpers for the sync tests: md5 checks of caches and remotes with DVC's layout. */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every object below `<root>/files/md5` as oid -> absolute path (temp files excluded). */
export function objects(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const base = join(root, 'files', 'md5');
  if (!existsSync(base)) return out;
  for (const p of readdirSync(base)) {
    for (const n of readdirSync(join(base, p))) {
      if (/^[0-9a-f]{30}(\.dir)?$/.test(n)) out.set(p + n, join(base, p, n));
    }
  }
  return out;
}

/** Every file below `<root>/files/md5`, temp files included (names relative to it). */
export function allFiles(root: string): string[] {
  const base = join(root, 'files', 'md5');
  if (!existsSync(base)) return [];
  return readdirSync(base).flatMap((p) => readdirSync(join(base, p)).map((n) => `${p}/${n}`));
}

/** Objects whose content does not hash to their name. */
export function corrupt(root: string): string[] {
  const bad: string[] = [];
  for (const [oid, p] of objects(root)) {
    if (createHash('md5').update(readFileSync(p)).digest('hex') !== oid.slice(0, 32)) bad.push(oid);
  }
  return bad;
}

export function mode(p: string): number {
  return statSync(p).mode & 0o777;
}

/** A folder of `n` files with distinct content, `size` bytes each. */
export function dataset(n: number, size: number, tag = 'x'): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < n; i++) {
    const b = Buffer.alloc(size, i % 251);
    b.write(`${tag}-${i}-`, 0);
    files[`data/${i % 7}/f${i}.bin`] = b;
  }
  return files;
}
