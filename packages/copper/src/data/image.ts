/**
 * Image decoding through libvips (sharp): JPEG (baseline, progressive, grayscale, CMYK), PNG
 * (8/16-bit, palette, alpha), WebP, GIF (first frame), TIFF. The decode and the resize the
 * transforms ask for are one libvips pipeline: a JPEG much larger than the target is decoded at
 * 1/2, 1/4 or 1/8 scale (shrink-on-load), then resized with an antialiased filter (bilinear by
 * default, as torchvision's Resize on PIL images). Crops, flips, rotation, colour jitter and
 * normalization then run on the small image, written as float32 planar (CHW) values.
 *
 * Colour follows PIL's `convert()` (what torchvision's ImageFolder loader uses): grayscale is
 * expanded to RGB, RGBA drops its alpha (kept with 4 channels), CMYK becomes RGB as
 * (255 - C)(255 - K)/255, and 1 channel is PIL's luma L = 0.299 R + 0.587 G + 0.114 B.
 *
 * The JPEG/PNG encoders (jpeg-js/pngjs) only write the synthetic dataset, synchronously.
 */
import sharp, { type KernelEnum, type Metadata, type Sharp } from 'sharp';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { applySteps, planImage, resizeFloat, stepsKeepSize, type FloatImage, type Interpolation, type TransformSpec, type View } from './transforms.js';
import { Rng } from '../utils/rng.js';

export interface RgbImage {
  width: number;
  height: number;
  /** width*height*3 bytes, row-major RGB. */
  data: Uint8Array;
}

/** A decoded image: `channels` bytes per pixel, row-major (HWC). */
export interface DecodedImage {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

/** The transforms turn out images of a size other than the batch's: a config error, not a bad file. */
export class ImageSizeError extends Error {
  override name = 'ImageSizeError';
}

const KERNEL: Record<Interpolation, keyof KernelEnum> = { nearest: 'nearest', bilinear: 'linear', bicubic: 'cubic', lanczos: 'lanczos3' };

/** One short line for a decoder error. */
function reason(e: unknown): string {
  const m = String((e as Error)?.message ?? e).split('\n')[0]!.trim();
  if (/unsupported image format/i.test(m)) return 'not an image format libvips reads (JPEG, PNG, WebP, GIF, TIFF)';
  if (/empty/i.test(m)) return 'empty file';
  // libvips' error buffer is shared by its threads: a message can be lost when several images decode at once
  if (!m || /^unknown error$/i.test(m)) return 'corrupt image data';
  return m.replace(/^Vips\w*: /, '');
}

interface Source {
  width: number;
  height: number;
  /** Bytes to give libvips, or raw pixels (alpha already removed). */
  input: Buffer;
  raw?: { width: number; height: number; channels: 1 | 2 | 3 | 4 };
  cmyk: boolean;
  alpha: boolean;
}

async function openSource(bytes: Buffer, keepAlpha: boolean): Promise<Source> {
  if (!bytes.length) throw new Error('empty file');
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { failOn: 'truncated' }).metadata();
  } catch (e) {
    throw new Error(reason(e));
  }
  if (!meta.width || !meta.height) throw new Error('no image size in the header');
  const cmyk = meta.space === 'cmyk';
  const alpha = !!meta.hasAlpha;
  if (alpha && !keepAlpha) {
    // PIL's convert('RGB') drops alpha before any resize: the colour of transparent pixels stays
    try {
      const { data, info } = await sharp(bytes, { failOn: 'truncated' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      return { width: info.width, height: info.height, input: data, raw: { width: info.width, height: info.height, channels: info.channels as 1 | 3 }, cmyk: false, alpha: false };
    } catch (e) {
      throw new Error(reason(e));
    }
  }
  return { width: meta.width, height: meta.height, input: bytes, cmyk, alpha };
}

/** Pixels from libvips: w x h, k bytes each, starting at (bx, by) of the resized image. */
interface Pixels {
  data: Buffer;
  w: number;
  h: number;
  k: number;
  bx: number;
  by: number;
}

function sharpOf(src: Source): Sharp {
  let p = sharp(src.input, src.raw ? { raw: src.raw } : { failOn: 'truncated' });
  if (src.cmyk) p = p.pipelineColourspace('cmyk');
  return p;
}

async function rawPixels(p: Sharp, src: Source, keepAlpha: boolean, bx = 0, by = 0): Promise<Pixels> {
  if (src.cmyk) p = p.toColourspace('cmyk');
  else if (keepAlpha) p = p.ensureAlpha();
  const { data, info } = await p.raw().toBuffer({ resolveWithObject: true });
  return { data, w: info.width, h: info.height, k: info.channels, bx, by };
}

/**
 * Shrinking (or keeping the size): libvips resizes the whole image to sw x sh, decoding a JPEG at
 * 1/2, 1/4 or 1/8 scale when the target is that much smaller, with an antialiased filter.
 */
async function shrinkView(src: Source, view: View, keepAlpha: boolean): Promise<Pixels> {
  let p = sharpOf(src);
  if (view.sw !== src.width || view.sh !== src.height) p = p.resize(view.sw, view.sh, { fit: 'fill', kernel: KERNEL[view.interpolation] });
  return rawPixels(p, src, keepAlpha);
}

/**
 * Copies the view's rectangle (mirrored as it says) out of `px` into `out` as float32 CHW in
 * [0, 1] with `channels` channels; pixels outside `px` are the view's fill.
 */
function copyView(px: Pixels, view: View, cmyk: boolean, channels: number, out: Float32Array): void {
  const { w, h } = view;
  const n = w * h;
  const { data, k } = px;
  const fill = view.fill ?? [0, 0, 0, 0];
  const rgba = [0, 0, 0, 255];
  for (let oy = 0; oy < h; oy++) {
    const vy = view.flipV ? h - 1 - oy : oy;
    const sy = view.y + vy - px.by;
    for (let ox = 0; ox < w; ox++) {
      const vx = view.flipH ? w - 1 - ox : ox;
      const sx = view.x + vx - px.bx;
      const o = oy * w + ox;
      if (sx < 0 || sy < 0 || sx >= px.w || sy >= px.h) {
        for (let c = 0; c < channels; c++) out[c * n + o] = fill[c] ?? 0;
        continue;
      }
      const p = (sy * px.w + sx) * k;
      if (cmyk) {
        const nk = 255 - data[p + 3]!;
        rgba[0] = ((255 - data[p]!) * nk) / 255;
        rgba[1] = ((255 - data[p + 1]!) * nk) / 255;
        rgba[2] = ((255 - data[p + 2]!) * nk) / 255;
        rgba[3] = 255;
      } else if (k >= 3) {
        rgba[0] = data[p]!;
        rgba[1] = data[p + 1]!;
        rgba[2] = data[p + 2]!;
        rgba[3] = k === 4 ? data[p + 3]! : 255;
      } else {
        rgba[0] = rgba[1] = rgba[2] = data[p]!;
        rgba[3] = k === 2 ? data[p + 1]! : 255;
      }
      if (channels === 1) {
        // PIL's L: integer luma with its rounding
        out[o] = ((Math.round(rgba[0]!) * 19595 + Math.round(rgba[1]!) * 38470 + Math.round(rgba[2]!) * 7471 + 0x8000) >> 16) / 255;
      } else {
        out[o] = rgba[0]! / 255;
        out[n + o] = rgba[1]! / 255;
        out[2 * n + o] = rgba[2]! / 255;
        if (channels === 4) out[3 * n + o] = rgba[3]! / 255;
      }
    }
  }
}

/**
 * Enlarging: the image at full size, resampled as Pillow does (what torchvision's Resize does
 * to PIL images), only over the part of the enlarged image the view's rectangle covers.
 */
async function enlargeView(src: Source, view: View, channels: number, out: Float32Array): Promise<void> {
  const px = await rawPixels(sharpOf(src), src, channels === 4);
  const full: FloatImage = { c: channels, w: px.w, h: px.h, data: new Float32Array(channels * px.w * px.h) };
  copyView(px, { sw: px.w, sh: px.h, x: 0, y: 0, w: px.w, h: px.h, flipH: false, flipV: false, interpolation: view.interpolation, fill: null }, src.cmyk, channels, full.data);
  const ax0 = Math.max(0, view.x);
  const ay0 = Math.max(0, view.y);
  const ax1 = Math.min(view.sw, view.x + view.w);
  const ay1 = Math.min(view.sh, view.y + view.h);
  const n = view.w * view.h;
  if (ax1 <= ax0 || ay1 <= ay0) {
    for (let c = 0; c < channels; c++) out.fill(view.fill?.[c] ?? 0, c * n, (c + 1) * n);
    return;
  }
  const win = resizeFloat(full, view.sw, view.sh, view.interpolation, { x: ax0, y: ay0, w: ax1 - ax0, h: ay1 - ay0 });
  const m = win.w * win.h;
  for (let oy = 0; oy < view.h; oy++) {
    const sy = view.y + (view.flipV ? view.h - 1 - oy : oy) - ay0;
    for (let ox = 0; ox < view.w; ox++) {
      const sx = view.x + (view.flipH ? view.w - 1 - ox : ox) - ax0;
      const inside = sx >= 0 && sy >= 0 && sx < win.w && sy < win.h;
      for (let c = 0; c < channels; c++) out[c * n + oy * view.w + ox] = inside ? win.data[c * m + sy * win.w + sx]! : view.fill?.[c] ?? 0;
    }
  }
}

export interface LoadOptions {
  channels: number;
  /** Seed of this image's random transform parameters. */
  seed?: number;
  /** Where to write the result (float32 CHW); its size must match the transforms' output. */
  out?: Float32Array;
  /** The output's expected [height, width] (a mismatch is an ImageSizeError). */
  expect?: [number, number];
}

/**
 * Decodes an image file's bytes and applies the transforms: float32 CHW values (in [0, 1], or
 * normalized when the transforms end with Normalize). Throws an Error with a short reason when
 * the bytes are not a readable image.
 */
export async function loadImage(bytes: Buffer, specs: readonly TransformSpec[], opts: LoadOptions): Promise<FloatImage> {
  const channels = opts.channels;
  const src = await openSource(bytes, channels === 4);
  const plan = planImage(specs, src.width, src.height, new Rng(opts.seed ?? 0));
  if (opts.expect && (plan.height !== opts.expect[0] || plan.width !== opts.expect[1])) {
    throw new ImageSizeError(`the transforms make a ${src.width}x${src.height} image ${plan.width}x${plan.height} (width x height), not ${opts.expect[1]}x${opts.expect[0]}`);
  }
  const size = channels * plan.view.w * plan.view.h;
  const direct = opts.out && stepsKeepSize(plan.steps) && opts.out.length === size;
  const first: FloatImage = { c: channels, w: plan.view.w, h: plan.view.h, data: direct ? opts.out! : new Float32Array(size) };
  try {
    if (plan.view.sw <= src.width && plan.view.sh <= src.height) copyView(await shrinkView(src, plan.view, channels === 4), plan.view, src.cmyk, channels, first.data);
    else await enlargeView(src, plan.view, channels, first.data);
  } catch (e) {
    throw new Error(reason(e));
  }
  const done = applySteps(first, plan.steps);
  if (opts.out && done.data !== opts.out) {
    if (done.data.length !== opts.out.length) throw new ImageSizeError(`the transforms make a ${done.w}x${done.h} image, not the batch's size`);
    opts.out.set(done.data);
  }
  return done;
}

/** Decodes image bytes at full size to `channels` (1, 3 or 4) bytes per pixel, HWC. */
export async function decodeImage(bytes: Buffer, channels = 3): Promise<DecodedImage> {
  const img = await loadImage(bytes, [], { channels });
  const n = img.w * img.h;
  const data = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) data[i * channels + c] = Math.round(img.data[c * n + i]! * 255);
  return { width: img.w, height: img.h, channels, data };
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
