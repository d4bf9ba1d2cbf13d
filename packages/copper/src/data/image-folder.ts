/**
 * An image-folder dataset (torchvision's ImageFolder): `root/<class>/<image>`, classes are the
 * sub-folder names in sorted order, labels their index. Files are listed in sorted order too, so
 * the same folder always gives the same sample list.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CopperError } from '../utils/errors.js';

/** What libvips reads here (torchvision's list less BMP/PPM/PGM, plus GIF). */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff'];

export interface Sample {
  path: string;
  label: number;
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export class ImageFolder {
  readonly classes: string[];
  readonly samples: Sample[];

  constructor(readonly root: string, opts: { extensions?: string[] } = {}) {
    const exts = (opts.extensions ?? IMAGE_EXTENSIONS).map((e) => e.toLowerCase());
    let names: string[];
    try {
      names = readdirSync(root);
    } catch (e) {
      throw new CopperError(`data folder ${root} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    this.classes = names.filter((n) => !n.startsWith('.') && statSync(join(root, n)).isDirectory()).sort(byCodePoint);
    if (!this.classes.length) throw new CopperError(`data folder ${root} has no class sub-folders (expected ${root}/<class>/<image>)`);
    this.samples = [];
    this.classes.forEach((c, label) => {
      const files = readdirSync(join(root, c))
        .filter((f) => !f.startsWith('.') && exts.some((e) => f.toLowerCase().endsWith(e)))
        .sort(byCodePoint);
      for (const f of files) this.samples.push({ path: join(root, c, f), label });
    });
    if (!this.samples.length) throw new CopperError(`data folder ${root} has no ${exts.join('/')} images`);
  }

  get length(): number {
    return this.samples.length;
  }
}

/**
 * Splits samples into train/val/test, either by fractions summing to 1 (e.g. [0.8, 0.1, 0.1]) or
 * by counts, after a seeded shuffle (the same seed gives the same split).
 */
export function splitSamples(samples: readonly Sample[], split: readonly number[], shuffled: Sample[]): [Sample[], Sample[], Sample[]] {
  if (split.length !== 3 || split.some((x) => !(x >= 0))) {
    throw new CopperError(`data.train_val_test_split must be three non-negative numbers, got [${split.join(', ')}]`);
  }
  const n = samples.length;
  let counts: number[];
  const total = split[0]! + split[1]! + split[2]!;
  if (split.every((x) => Number.isInteger(x)) && total > 1) {
    if (total > n) throw new CopperError(`data.train_val_test_split asks for ${total} images but the folder has ${n}`);
    counts = [...split];
  } else {
    if (Math.abs(total - 1) > 1e-6) throw new CopperError(`data.train_val_test_split fractions must sum to 1, got ${total}`);
    const val = Math.round(n * split[1]!);
    const test = Math.round(n * split[2]!);
    counts = [n - val - test, val, test];
  }
  const a = counts[0]!;
  const b = a + counts[1]!;
  return [shuffled.slice(0, a), shuffled.slice(a, b), shuffled.slice(b, b + counts[2]!)];
}
