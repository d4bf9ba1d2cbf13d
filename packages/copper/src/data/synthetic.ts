/**
 * A small synthetic image-folder dataset of two classes anyone can tell apart, so the demo and the
 * tests need no download: `Cat` images are warm (reddish) with a filled disc, `Dog` images are
 * cool (bluish) with a filled square, both with random position, size and noise. JPEG files.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { CopperError } from '../utils/errors.js';

function writeFileAtomic(file: string, bytes: Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
}
import { join } from 'node:path';
import { encodeJpeg, encodePng, type RgbImage } from './image.js';
import { Rng } from '../utils/rng.js';

export interface SyntheticOptions {
  /** Images per class. */
  perClass?: number;
  /** Image width and height in pixels. */
  size?: number;
  seed?: number;
  classes?: string[];
  format?: 'jpeg' | 'png';
  /** Overwrite existing files that differ (default: refuse). */
  force?: boolean;
}

export function syntheticImage(label: number, size: number, rng: Rng): RgbImage {
  const data = new Uint8Array(size * size * 3);
  const warm = label % 2 === 0;
  const bg = warm ? [150, 90, 70] : [70, 100, 150];
  const fg = warm ? [240, 170, 60] : [60, 200, 230];
  const r = size * (0.18 + rng.next() * 0.14);
  const cx = r + rng.next() * (size - 2 * r);
  const cy = r + rng.next() * (size - 2 * r);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside = warm ? (x - cx) ** 2 + (y - cy) ** 2 <= r * r : Math.abs(x - cx) <= r && Math.abs(y - cy) <= r;
      const c = inside ? fg : bg;
      const p = (y * size + x) * 3;
      for (let k = 0; k < 3; k++) data[p + k] = Math.max(0, Math.min(255, Math.round(c[k]! + (rng.next() - 0.5) * 60)));
    }
  }
  return { width: size, height: size, data };
}

/** Writes `<root>/<class>/<class>_<i>.jpg`; returns the file paths by class. */
export function writeSyntheticDataset(root: string, opts: SyntheticOptions = {}): Record<string, string[]> {
  const perClass = opts.perClass ?? 40;
  const size = opts.size ?? 32;
  const classes = opts.classes ?? ['Cat', 'Dog'];
  const rng = new Rng(opts.seed ?? 1234);
  const ext = opts.format === 'png' ? 'png' : 'jpg';
  const out: Record<string, string[]> = {};
  classes.forEach((c, label) => {
    const dir = join(root, c);
    mkdirSync(dir, { recursive: true });
    out[c] = [];
    for (let i = 0; i < perClass; i++) {
      const img = syntheticImage(label, size, rng);
      const file = join(dir, `${c}_${String(i).padStart(4, '0')}.${ext}`);
      const bytes = ext === 'png' ? encodePng(img) : encodeJpeg(img, 90);
      if (existsSync(file) && !opts.force && !readFileSync(file).equals(bytes)) {
        throw new CopperError(`${file} exists and differs: not overwriting it (use --force)`);
      }
      writeFileAtomic(file, bytes);
      out[c]!.push(file);
    }
  });
  return out;
}
