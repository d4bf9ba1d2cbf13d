/**
 * Image decoding (JPEG through jpeg-js, PNG through pngjs, chosen by the file's magic bytes) and
 * the per-image transform the loader workers apply: resize to a square (box average when
 * shrinking, bilinear when growing) with an optional horizontal flip, as RGB bytes (HWC).
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

export interface RgbImage {
  width: number;
  height: number;
  /** width*height*3 bytes, row-major RGB. */
  data: Uint8Array;
}

export type ImageFormat = 'jpeg' | 'png';

export function sniffFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  return null;
}

function rgbaToRgb(rgba: Uint8Array, width: number, height: number): Uint8Array {
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    out[i * 3] = rgba[j]!;
    out[i * 3 + 1] = rgba[j + 1]!;
    out[i * 3 + 2] = rgba[j + 2]!;
  }
  return out;
}

/** Decodes JPEG or PNG bytes to RGB. Throws an Error with a short reason for anything else. */
export function decodeImage(bytes: Uint8Array): RgbImage {
  const fmt = sniffFormat(bytes);
  if (fmt === 'jpeg') {
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 200, maxMemoryUsageInMB: 1024 });
    if (!img.width || !img.height) throw new Error('empty JPEG');
    return { width: img.width, height: img.height, data: rgbaToRgb(img.data, img.width, img.height) };
  }
  if (fmt === 'png') {
    const img = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: img.width, height: img.height, data: rgbaToRgb(img.data, img.width, img.height) };
  }
  if (bytes.length === 0) throw new Error('empty file');
  const head = Buffer.from(bytes.subarray(0, 12));
  const other =
    head.subarray(0, 3).toString('latin1') === 'GIF' ? 'GIF' : head.subarray(0, 2).toString('latin1') === 'BM' ? 'BMP' : head.subarray(8, 12).toString('latin1') === 'WEBP' ? 'WebP' : null;
  throw new Error(other ? `${other} image: only JPEG and PNG are supported` : 'not a JPEG or PNG image');
}

/** Encodes RGB bytes as a JPEG (used by the synthetic dataset). */
export function encodeJpeg(img: RgbImage, quality = 90): Buffer {
  const n = img.width * img.height;
  const rgba = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    rgba[i * 4] = img.data[i * 3]!;
    rgba[i * 4 + 1] = img.data[i * 3 + 1]!;
    rgba[i * 4 + 2] = img.data[i * 3 + 2]!;
    rgba[i * 4 + 3] = 255;
  }
  return jpeg.encode({ width: img.width, height: img.height, data: rgba }, quality).data;
}

/** Encodes RGB bytes as a PNG. */
export function encodePng(img: RgbImage): Buffer {
  const png = new PNG({ width: img.width, height: img.height });
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) {
    png.data[i * 4] = img.data[i * 3]!;
    png.data[i * 4 + 1] = img.data[i * 3 + 1]!;
    png.data[i * 4 + 2] = img.data[i * 3 + 2]!;
    png.data[i * 4 + 3] = 255;
  }
  return PNG.sync.write(png);
}

/** A crop of the source as fractions of its width and height: [left, top, width, height]. */
export type CropRect = readonly [number, number, number, number];

/**
 * Resizes (a crop of) the image to size x size RGB into `out` at `offset`, flipped left-right when
 * `flip`. Shrinking averages the source box under each output pixel (like PIL's BOX/area),
 * growing interpolates bilinearly (half-pixel centres, as torch's align_corners=False).
 */
export function resizeInto(img: RgbImage, size: number, out: Uint8Array, offset: number, flip = false, crop: CropRect | null = null): void {
  const { width: W, height: H, data } = img;
  const [cx, cy, cw, ch] = crop ?? [0, 0, 1, 1];
  const X0 = Math.min(W - 1, Math.max(0, Math.floor(cx * W)));
  const Y0 = Math.min(H - 1, Math.max(0, Math.floor(cy * H)));
  const RW = Math.max(1, Math.min(W - X0, Math.round(cw * W)));
  const RH = Math.max(1, Math.min(H - Y0, Math.round(ch * H)));
  const sx = RW / size;
  const sy = RH / size;
  if (sx >= 1 && sy >= 1) {
    for (let oy = 0; oy < size; oy++) {
      const y0 = Y0 + Math.floor(oy * sy);
      const y1 = Math.min(Y0 + RH, Math.max(y0 + 1, Y0 + Math.floor((oy + 1) * sy)));
      for (let ox = 0; ox < size; ox++) {
        const x0 = X0 + Math.floor(ox * sx);
        const x1 = Math.min(X0 + RW, Math.max(x0 + 1, X0 + Math.floor((ox + 1) * sx)));
        let r = 0, g = 0, b = 0;
        for (let y = y0; y < y1; y++) {
          let p = (y * W + x0) * 3;
          for (let x = x0; x < x1; x++, p += 3) {
            r += data[p]!;
            g += data[p + 1]!;
            b += data[p + 2]!;
          }
        }
        const cnt = (y1 - y0) * (x1 - x0);
        const dx = flip ? size - 1 - ox : ox;
        const q = offset + (oy * size + dx) * 3;
        out[q] = Math.round(r / cnt);
        out[q + 1] = Math.round(g / cnt);
        out[q + 2] = Math.round(b / cnt);
      }
    }
    return;
  }
  for (let oy = 0; oy < size; oy++) {
    const fy = Y0 + Math.min(Math.max((oy + 0.5) * sy - 0.5, 0), RH - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, Y0 + RH - 1);
    const wy = fy - y0;
    for (let ox = 0; ox < size; ox++) {
      const fx = X0 + Math.min(Math.max((ox + 0.5) * sx - 0.5, 0), RW - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, X0 + RW - 1);
      const wx = fx - x0;
      const dx = flip ? size - 1 - ox : ox;
      const q = offset + (oy * size + dx) * 3;
      for (let c = 0; c < 3; c++) {
        const a = data[(y0 * W + x0) * 3 + c]!;
        const b = data[(y0 * W + x1) * 3 + c]!;
        const d = data[(y1 * W + x0) * 3 + c]!;
        const e = data[(y1 * W + x1) * 3 + c]!;
        const top = a + (b - a) * wx;
        const bot = d + (e - d) * wx;
        out[q + c] = Math.round(top + (bot - top) * wy);
      }
    }
  }
}

export interface DecodeJob {
  paths: string[];
  flips: boolean[];
  /** Per path: the crop to take before resizing (random crop augmentation), or null. */
  crops?: (CropRect | null)[];
  size: number;
}
export interface DecodeResult {
  /** paths.length * size * size * 3 bytes; failed images are left black. */
  data: Uint8Array;
  /** Per path: null when decoded, else the reason it could not be. */
  errors: (string | null)[];
}
