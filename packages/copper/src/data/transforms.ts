/**
 * Image transforms configured in the data config with torchvision's names and semantics:
 * `Resize`, `CenterCrop`, `RandomCrop`, `RandomResizedCrop`, `RandomHorizontalFlip`,
 * `RandomVerticalFlip`, `RandomRotation`, `ColorJitter`, `Normalize` (and `ToTensor`, a no-op).
 *
 *     train_transforms:
 *       - RandomResizedCrop: {size: 64, scale: [0.5, 1.0]}
 *       - RandomHorizontalFlip: {p: 0.5}
 *       - ColorJitter: {brightness: 0.2, contrast: 0.2}
 *
 * Each image's random parameters come from its own seeded generator, so a batch is the same
 * whichever worker decodes it. `planImage` turns the list into one resize of the decoded image
 * (done by libvips, antialiased, with JPEG shrink-on-load) plus a crop rectangle and flips
 * (`View`), followed by the steps that need pixels (rotation, colour jitter, normalization, and
 * any resize after them), which `applySteps` runs on float32 planar (CHW) values in [0, 1].
 */
import { Rng } from '../utils/rng.js';
import { CopperError } from '../utils/errors.js';

export type Interpolation = 'nearest' | 'bilinear' | 'bicubic' | 'lanczos';
type HW = [number, number];
type Range = [number, number];

export type TransformSpec =
  | { name: 'Resize'; size: number | HW; interpolation: Interpolation; max_size: number | null }
  | { name: 'CenterCrop'; size: HW }
  | { name: 'RandomCrop'; size: HW; padding: [number, number, number, number]; pad_if_needed: boolean; fill: number[] }
  | { name: 'RandomResizedCrop'; size: HW; scale: Range; ratio: Range; interpolation: Interpolation }
  | { name: 'RandomHorizontalFlip'; p: number }
  | { name: 'RandomVerticalFlip'; p: number }
  | { name: 'RandomRotation'; degrees: Range; interpolation: 'nearest' | 'bilinear'; center: [number, number] | null; fill: number[] }
  | { name: 'ColorJitter'; brightness: Range | null; contrast: Range | null; saturation: Range | null; hue: Range | null }
  | { name: 'Normalize'; mean: number[]; std: number[] }
  | { name: 'ToTensor' };

/** Each transform's parameters in torchvision's order (a bare value sets the first). */
const PARAMS: Record<TransformSpec['name'], string[]> = {
  Resize: ['size', 'interpolation', 'max_size', 'antialias'],
  CenterCrop: ['size'],
  RandomCrop: ['size', 'padding', 'pad_if_needed', 'fill', 'padding_mode'],
  RandomResizedCrop: ['size', 'scale', 'ratio', 'interpolation', 'antialias'],
  RandomHorizontalFlip: ['p'],
  RandomVerticalFlip: ['p'],
  RandomRotation: ['degrees', 'interpolation', 'expand', 'center', 'fill'],
  ColorJitter: ['brightness', 'contrast', 'saturation', 'hue'],
  Normalize: ['mean', 'std', 'inplace'],
  ToTensor: [],
};
export const TRANSFORM_NAMES = Object.keys(PARAMS) as TransformSpec['name'][];

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}
const byCloseness = (word: string, names: string[]) => [...names].sort((x, y) => editDistance(word, x) - editDistance(word, y));

/** Reads the config's transform list; throws one CopperError line naming the bad entry. */
export function parseTransforms(list: unknown, where: string, channels: number): TransformSpec[] {
  if (list === null || list === undefined) return [];
  if (!Array.isArray(list)) throw new CopperError(`${where} must be a list of transforms (e.g. - RandomHorizontalFlip: {p: 0.5}), got ${JSON.stringify(list)}`);
  return list.map((item, i) => parseOne(item, `${where}[${i}]`, channels));
}

function parseOne(item: unknown, where: string, channels: number): TransformSpec {
  let name: string;
  let raw: unknown;
  if (typeof item === 'string') [name, raw] = [item, {}];
  else if (item && typeof item === 'object' && !Array.isArray(item) && Object.keys(item).length === 1) [name, raw] = Object.entries(item)[0]!;
  else throw new CopperError(`${where}: a transform is written \`- Name: {param: value}\` (or \`- Name\`), got ${JSON.stringify(item)}`);
  name = name.replace(/^(torchvision\.)?transforms\.(v2\.)?/, '');
  if (!(name in PARAMS)) throw new CopperError(`${where}: unknown transform '${name}' (known: ${byCloseness(name, TRANSFORM_NAMES).join(', ')})`);
  const known = PARAMS[name as TransformSpec['name']];
  const args: Record<string, unknown> = raw === null || raw === undefined ? {} : typeof raw === 'object' && !Array.isArray(raw) ? { ...(raw as object) } : { [known[0] ?? '?']: raw };
  for (const k of Object.keys(args)) {
    if (!known.includes(k)) throw new CopperError(`${where}: ${name} takes no parameter '${k}' (it takes: ${known.length ? byCloseness(k, known).join(', ') : 'none'})`);
  }
  const bad = (k: string, want: string): never => {
    throw new CopperError(`${where}: ${name}.${k} must be ${want}, got ${JSON.stringify(args[k])}`);
  };
  const num = (k: string, d: number | undefined, test: (x: number) => boolean = () => true, want = 'a number'): number => {
    const v = args[k] ?? d;
    if (v === undefined) throw new CopperError(`${where}: ${name} needs '${k}'`);
    if (typeof v !== 'number' || !Number.isFinite(v) || !test(v)) bad(k, want);
    return v as number;
  };
  const size = (k: string): HW => {
    const v = args[k];
    if (v === undefined) throw new CopperError(`${where}: ${name} needs '${k}'`);
    const ok = (x: unknown) => Number.isInteger(x) && (x as number) > 0;
    if (ok(v)) return [v as number, v as number];
    if (Array.isArray(v) && v.length === 1 && ok(v[0])) return [v[0], v[0]];
    if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
    return bad(k, 'a positive integer or [height, width]');
  };
  const range = (k: string, d: Range | undefined, test: (r: Range) => boolean, want: string): Range => {
    const v = args[k] ?? d;
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' && Number.isFinite(x)) && v[0] <= v[1] && test(v as Range)) return [v[0], v[1]];
    return bad(k, want);
  };
  const interp = (d: Interpolation, allowed: Interpolation[] = ['nearest', 'bilinear', 'bicubic', 'lanczos']): Interpolation => {
    const v = args.interpolation ?? d;
    const s = typeof v === 'string' ? v.replace(/^(torchvision\.transforms\.)?InterpolationMode\./, '').toLowerCase() : '';
    if (!(allowed as string[]).includes(s)) bad('interpolation', allowed.join(' | '));
    return s as Interpolation;
  };
  const fill = (): number[] => {
    const v = args.fill ?? 0;
    const vals = typeof v === 'number' ? new Array(channels).fill(v) : v;
    if (!Array.isArray(vals) || vals.length !== channels || !vals.every((x) => typeof x === 'number' && x >= 0 && x <= 255)) bad('fill', `a number in [0, 255] or ${channels} of them`);
    return (vals as number[]).map((x) => x / 255);
  };
  const prob = () => num('p', 0.5, (x) => x >= 0 && x <= 1, 'a probability in [0, 1]');
  if (args.antialias === false) bad('antialias', 'true (copper always resizes with antialiasing)');
  switch (name as TransformSpec['name']) {
    case 'Resize': {
      const v = args.size;
      const sz: number | HW = Number.isInteger(v) && (v as number) > 0 ? (v as number) : Array.isArray(v) && v.length === 1 && Number.isInteger(v[0]) && v[0] > 0 ? (v[0] as number) : size('size');
      const ms = args.max_size ?? null;
      if (ms !== null && !(Number.isInteger(ms) && (ms as number) > 0 && typeof sz === 'number' && (ms as number) > sz)) bad('max_size', 'null or an integer above size (with size an integer)');
      return { name: 'Resize', size: sz, interpolation: interp('bilinear'), max_size: ms as number | null };
    }
    case 'CenterCrop':
      return { name: 'CenterCrop', size: size('size') };
    case 'RandomCrop': {
      if ((args.padding_mode ?? 'constant') !== 'constant') bad('padding_mode', "'constant'");
      const p = args.padding ?? 0;
      const okInt = (x: unknown) => Number.isInteger(x) && (x as number) >= 0;
      let pad: [number, number, number, number];
      if (okInt(p)) pad = [p as number, p as number, p as number, p as number];
      else if (Array.isArray(p) && p.length === 2 && p.every(okInt)) pad = [p[0], p[1], p[0], p[1]];
      else if (Array.isArray(p) && p.length === 4 && p.every(okInt)) pad = [p[0], p[1], p[2], p[3]];
      else return bad('padding', 'a non-negative integer, [left/right, top/bottom] or [left, top, right, bottom]');
      const pin = args.pad_if_needed ?? false;
      if (typeof pin !== 'boolean') bad('pad_if_needed', 'true or false');
      return { name: 'RandomCrop', size: size('size'), padding: pad, pad_if_needed: pin as boolean, fill: fill() };
    }
    case 'RandomResizedCrop':
      return {
        name: 'RandomResizedCrop',
        size: size('size'),
        scale: range('scale', [0.08, 1], (r) => r[0] > 0 && r[1] <= 1, '[min, max] with 0 < min <= max <= 1'),
        ratio: range('ratio', [3 / 4, 4 / 3], (r) => r[0] > 0, '[min, max] with 0 < min <= max'),
        interpolation: interp('bilinear'),
      };
    case 'RandomHorizontalFlip':
      return { name: 'RandomHorizontalFlip', p: prob() };
    case 'RandomVerticalFlip':
      return { name: 'RandomVerticalFlip', p: prob() };
    case 'RandomRotation': {
      if ((args.expand ?? false) !== false) bad('expand', 'false (copper keeps the image size)');
      const d = args.degrees;
      if (d === undefined) throw new CopperError(`${where}: RandomRotation needs 'degrees'`);
      const degrees: Range = typeof d === 'number' && d >= 0 ? [-d, d] : range('degrees', undefined, () => true, 'a non-negative number or [min, max]');
      const c = args.center ?? null;
      if (c !== null && !(Array.isArray(c) && c.length === 2 && c.every((x) => typeof x === 'number'))) bad('center', 'null or [x, y]');
      return { name: 'RandomRotation', degrees, interpolation: interp('nearest', ['nearest', 'bilinear']) as 'nearest' | 'bilinear', center: c as [number, number] | null, fill: fill() };
    }
    case 'ColorJitter': {
      // torchvision: a number f gives [max(0, 1 - f), 1 + f] (hue: [-f, f]); a pair is used as is
      const factor = (k: string, hue = false): Range | null => {
        const v = args[k] ?? 0;
        if (typeof v === 'number') {
          if (!(v >= 0) || (hue && v > 0.5)) bad(k, hue ? 'a number in [0, 0.5] or [min, max] within [-0.5, 0.5]' : 'a non-negative number or [min, max]');
          if (v === 0) return null;
          return hue ? [-v, v] : [Math.max(0, 1 - v), 1 + v];
        }
        const r = range(k, undefined, (x) => (hue ? x[0] >= -0.5 && x[1] <= 0.5 : x[0] >= 0), hue ? '[min, max] within [-0.5, 0.5]' : '[min, max] with 0 <= min <= max');
        return (hue ? r[0] === 0 && r[1] === 0 : r[0] === 1 && r[1] === 1) ? null : r;
      };
      return { name: 'ColorJitter', brightness: factor('brightness'), contrast: factor('contrast'), saturation: factor('saturation'), hue: factor('hue', true) };
    }
    case 'Normalize': {
      const stats = (k: string): number[] => {
        const v = args[k];
        if (v === undefined) throw new CopperError(`${where}: Normalize needs '${k}'`);
        const vals = typeof v === 'number' ? [v] : v;
        if (!Array.isArray(vals) || !vals.every((x) => typeof x === 'number' && Number.isFinite(x)) || (k === 'std' && vals.some((x) => x === 0))) bad(k, k === 'std' ? 'non-zero numbers' : 'numbers');
        const arr = vals as number[];
        if (arr.length === 1) return new Array(channels).fill(arr[0]);
        if (arr.length !== channels) throw new CopperError(`${where}: Normalize.${k} has ${arr.length} values but the images have ${channels} channel${channels === 1 ? '' : 's'} (data.channels): give ${channels} value${channels === 1 ? '' : 's'} (or one for all)`);
        return arr;
      };
      return { name: 'Normalize', mean: stats('mean'), std: stats('std') };
    }
    case 'ToTensor':
      return { name: 'ToTensor' };
  }
}

/** The (height, width) every image has after `specs`, or why it can vary. */
export function outputSize(specs: readonly TransformSpec[]): HW | string {
  let hw: HW | null = null;
  let why = 'no transform sets the image size';
  for (const s of specs) {
    if (s.name === 'Resize') {
      if (typeof s.size === 'number') [hw, why] = [null, `Resize: ${s.size} sets only the shorter side`];
      else hw = s.size;
    } else if (s.name === 'CenterCrop' || s.name === 'RandomCrop' || s.name === 'RandomResizedCrop') hw = s.size;
  }
  return hw ?? why;
}

// ---------------------------------------------------------------------------------------------
// Per-image planning

/**
 * What libvips does with the decoded image: resize all of it to sw x sh, then take the rectangle
 * (x, y, w, h) of that (parts outside are `fill`), mirrored when flipH/flipV.
 */
export interface View {
  sw: number;
  sh: number;
  x: number;
  y: number;
  w: number;
  h: number;
  flipH: boolean;
  flipV: boolean;
  interpolation: Interpolation;
  fill: number[] | null;
}

export type Step =
  | { op: 'crop'; x: number; y: number; w: number; h: number; fill: number[] | null }
  | { op: 'flipH' }
  | { op: 'flipV' }
  | { op: 'resize'; w: number; h: number; interpolation: Interpolation }
  | { op: 'rotate'; angle: number; interpolation: 'nearest' | 'bilinear'; center: [number, number] | null; fill: number[] }
  | { op: 'jitter'; fns: ([0, number] | [1, number] | [2, number] | [3, number])[] }
  | { op: 'normalize'; mean: number[]; std: number[] };

export interface ImagePlan {
  view: View;
  steps: Step[];
  /** Output width and height. */
  width: number;
  height: number;
}

/** Python's round(): halves go to the even integer. */
export function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const uniform = (rng: Rng, a: number, b: number) => a + rng.next() * (b - a);
/** torch.randint(lo, hi): an integer in [lo, hi). */
const randint = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng.next() * (hi - lo));

/** torchvision's Resize output size for an image of w x h. */
export function resizeTo(s: Extract<TransformSpec, { name: 'Resize' }>, w: number, h: number): [number, number] {
  if (typeof s.size !== 'number') return [s.size[1], s.size[0]];
  const short = Math.min(w, h);
  const long = Math.max(w, h);
  let newShort = s.size;
  let newLong = Math.floor((s.size * long) / short);
  if (s.max_size !== null && newLong > s.max_size) {
    newShort = Math.floor((s.max_size * newShort) / newLong);
    newLong = s.max_size;
  }
  return w <= h ? [newShort, newLong] : [newLong, newShort];
}

/** torchvision's RandomResizedCrop.get_params: [top, left, height, width]. */
export function randomResizedCropParams(w: number, h: number, scale: Range, ratio: Range, rng: Rng): [number, number, number, number] {
  const area = w * h;
  const logr: Range = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * uniform(rng, scale[0], scale[1]);
    const aspect = Math.exp(uniform(rng, logr[0], logr[1]));
    const cw = pyRound(Math.sqrt(target * aspect));
    const ch = pyRound(Math.sqrt(target / aspect));
    if (cw > 0 && cw <= w && ch > 0 && ch <= h) return [randint(rng, 0, h - ch + 1), randint(rng, 0, w - cw + 1), ch, cw];
  }
  const inRatio = w / h;
  let cw = w;
  let ch = h;
  if (inRatio < ratio[0]) ch = pyRound(cw / ratio[0]);
  else if (inRatio > ratio[1]) cw = pyRound(ch * ratio[1]);
  return [Math.floor((h - ch) / 2), Math.floor((w - cw) / 2), ch, cw];
}

/** torchvision's CenterCrop offsets (negative when the crop is larger: padding). */
function centerCropAt(w: number, h: number, cw: number, ch: number): [number, number] {
  const left = cw > w ? -Math.floor((cw - w) / 2) : pyRound((w - cw) / 2);
  const top = ch > h ? -Math.floor((ch - h) / 2) : pyRound((h - ch) / 2);
  return [left, top];
}

/**
 * Draws this image's random parameters and lays out the work for an image of srcW x srcH.
 * Geometry up to the first step that needs pixels stays in `view`.
 */
export function planImage(specs: readonly TransformSpec[], srcW: number, srcH: number, rng: Rng): ImagePlan {
  const view: View = { sw: srcW, sh: srcH, x: 0, y: 0, w: srcW, h: srcH, flipH: false, flipV: false, interpolation: 'bilinear', fill: null };
  const steps: Step[] = [];
  let lazy = true;
  let w = srcW;
  let h = srcH;
  const crop = (x: number, y: number, cw: number, ch: number, fill: number[] | null) => {
    if (lazy) {
      const vx = view.flipH ? w - x - cw : x;
      const vy = view.flipV ? h - y - ch : y;
      view.x += vx;
      view.y += vy;
      view.w = cw;
      view.h = ch;
      if (fill && (x < 0 || y < 0 || x + cw > w || y + ch > h)) view.fill = fill;
    } else steps.push({ op: 'crop', x, y, w: cw, h: ch, fill });
    w = cw;
    h = ch;
  };
  const resize = (nw: number, nh: number, interpolation: Interpolation) => {
    if (nw === w && nh === h) return;
    if (lazy) {
      if (view.x === 0 && view.y === 0 && view.w === view.sw && view.h === view.sh) {
        view.sw = nw;
        view.sh = nh;
      } else {
        const fx = nw / view.w;
        const fy = nh / view.h;
        view.sw = Math.max(1, Math.round(view.sw * fx));
        view.sh = Math.max(1, Math.round(view.sh * fy));
        view.x = Math.round(view.x * fx);
        view.y = Math.round(view.y * fy);
      }
      view.w = nw;
      view.h = nh;
      view.interpolation = interpolation;
    } else steps.push({ op: 'resize', w: nw, h: nh, interpolation });
    w = nw;
    h = nh;
  };
  const flip = (op: 'flipH' | 'flipV') => {
    if (lazy) view[op] = !view[op];
    else steps.push({ op });
  };
  for (const s of specs) {
    switch (s.name) {
      case 'Resize': {
        const [nw, nh] = resizeTo(s, w, h);
        resize(nw, nh, s.interpolation);
        break;
      }
      case 'CenterCrop': {
        const [ch, cw] = s.size;
        const [x, y] = centerCropAt(w, h, cw, ch);
        crop(x, y, cw, ch, [0, 0, 0, 0]);
        break;
      }
      case 'RandomCrop': {
        const [ch, cw] = s.size;
        const [pl, pt, pr, pb] = s.padding;
        let ox = -pl;
        let oy = -pt;
        let pw = w + pl + pr;
        let ph = h + pt + pb;
        if (s.pad_if_needed && pw < cw) {
          ox -= cw - pw;
          pw = cw + (cw - pw);
        }
        if (s.pad_if_needed && ph < ch) {
          oy -= ch - ph;
          ph = ch + (ch - ph);
        }
        if (pw < cw || ph < ch) throw new CopperError(`RandomCrop: the crop ${ch}x${cw} is larger than the image ${ph}x${pw} (set pad_if_needed: true)`);
        const top = randint(rng, 0, ph - ch + 1);
        const left = randint(rng, 0, pw - cw + 1);
        crop(ox + left, oy + top, cw, ch, s.fill);
        break;
      }
      case 'RandomResizedCrop': {
        const [top, left, ch, cw] = randomResizedCropParams(w, h, s.scale, s.ratio, rng);
        crop(left, top, cw, ch, null);
        resize(s.size[1], s.size[0], s.interpolation);
        break;
      }
      case 'RandomHorizontalFlip':
        if (rng.next() < s.p) flip('flipH');
        break;
      case 'RandomVerticalFlip':
        if (rng.next() < s.p) flip('flipV');
        break;
      case 'RandomRotation':
        lazy = false;
        steps.push({ op: 'rotate', angle: uniform(rng, s.degrees[0], s.degrees[1]), interpolation: s.interpolation, center: s.center, fill: s.fill });
        break;
      case 'ColorJitter': {
        lazy = false;
        // torchvision: the four adjustments in a random order, each with a factor drawn uniformly
        const order = rng.shuffle([0, 1, 2, 3] as const);
        const fns: ([0, number] | [1, number] | [2, number] | [3, number])[] = [];
        const ranges = [s.brightness, s.contrast, s.saturation, s.hue];
        const factors = ranges.map((r) => (r ? uniform(rng, r[0], r[1]) : null));
        for (const i of order) if (factors[i] !== null) fns.push([i, factors[i]!] as [0, number]);
        if (fns.length) steps.push({ op: 'jitter', fns });
        break;
      }
      case 'Normalize':
        lazy = false;
        steps.push({ op: 'normalize', mean: s.mean, std: s.std });
        break;
      case 'ToTensor':
        break;
    }
  }
  return { view, steps, width: w, height: h };
}

// ---------------------------------------------------------------------------------------------
// Pixel steps on float32 CHW images in [0, 1]

export interface FloatImage {
  c: number;
  w: number;
  h: number;
  data: Float32Array;
}

function filterOf(interp: Interpolation): { support: number; f: (x: number) => number } {
  switch (interp) {
    case 'nearest':
      return { support: 0.5, f: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) };
    case 'bicubic': {
      const a = -0.5;
      return {
        support: 2,
        f: (x) => {
          x = Math.abs(x);
          if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
          if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
          return 0;
        },
      };
    }
    case 'lanczos': {
      const sinc = (x: number) => (x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x));
      return { support: 3, f: (x) => (x > -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) };
    }
    default:
      return { support: 1, f: (x) => Math.max(0, 1 - Math.abs(x)) };
  }
}

/** Resampling weights of one axis, as Pillow computes them (antialiased when shrinking). */
function weights(inSize: number, outSize: number, interp: Interpolation): { start: Int32Array; count: Int32Array; w: Float64Array; k: number } {
  const scale = inSize / outSize;
  const { support: base, f } = filterOf(interp);
  const fscale = Math.max(scale, 1);
  const support = interp === 'nearest' ? 0.5 * fscale : base * fscale;
  const k = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const w = new Float64Array(outSize * k);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5));
    let total = 0;
    const n = xmax - xmin;
    for (let j = 0; j < n; j++) {
      const v = f((j + xmin - center + 0.5) / fscale);
      w[i * k + j] = v;
      total += v;
    }
    for (let j = 0; j < n; j++) if (total !== 0) w[i * k + j]! /= total;
    start[i] = xmin;
    count[i] = n;
  }
  return { start, count, w, k };
}

/**
 * Separable resize (Pillow's algorithm: antialiased when shrinking) to nw x nh; only the window
 * (x, y, w, h) of the result is computed and returned when given.
 */
export function resizeFloat(img: FloatImage, nw: number, nh: number, interp: Interpolation, win: { x: number; y: number; w: number; h: number } = { x: 0, y: 0, w: nw, h: nh }): FloatImage {
  const { c, w, h, data } = img;
  const hx = weights(w, nw, interp);
  const vy = weights(h, nh, interp);
  // rows of the source the window needs
  let r0 = h;
  let r1 = 0;
  for (let y = win.y; y < win.y + win.h; y++) {
    r0 = Math.min(r0, vy.start[y]!);
    r1 = Math.max(r1, vy.start[y]! + vy.count[y]!);
  }
  const rows = Math.max(0, r1 - r0);
  const tmp = new Float32Array(c * rows * win.w);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < rows; y++) {
      const row = ch * h * w + (r0 + y) * w;
      const trow = ch * rows * win.w + y * win.w;
      for (let x = 0; x < win.w; x++) {
        const ox = win.x + x;
        let s = 0;
        const st = hx.start[ox]!;
        const wo = ox * hx.k;
        for (let j = 0, n = hx.count[ox]!; j < n; j++) s += data[row + st + j]! * hx.w[wo + j]!;
        tmp[trow + x] = s;
      }
    }
  }
  const out = new Float32Array(c * win.w * win.h);
  const clampIt = interp === 'bicubic' || interp === 'lanczos';
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < win.h; y++) {
      const oy = win.y + y;
      const st = vy.start[oy]! - r0;
      const wo = oy * vy.k;
      const n = vy.count[oy]!;
      for (let x = 0; x < win.w; x++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += tmp[ch * rows * win.w + (st + j) * win.w + x]! * vy.w[wo + j]!;
        out[ch * win.w * win.h + y * win.w + x] = clampIt ? Math.min(1, Math.max(0, s)) : s;
      }
    }
  }
  return { c, w: win.w, h: win.h, data: out };
}

function cropFloat(img: FloatImage, x0: number, y0: number, cw: number, ch: number, fill: number[] | null): FloatImage {
  const out = new Float32Array(img.c * cw * ch);
  for (let c = 0; c < img.c; c++) {
    const fv = fill?.[c] ?? 0;
    for (let y = 0; y < ch; y++) {
      const sy = y0 + y;
      for (let x = 0; x < cw; x++) {
        const sx = x0 + x;
        out[c * cw * ch + y * cw + x] = sx >= 0 && sx < img.w && sy >= 0 && sy < img.h ? img.data[c * img.w * img.h + sy * img.w + sx]! : fv;
      }
    }
  }
  return { c: img.c, w: cw, h: ch, data: out };
}

function flipFloat(img: FloatImage, horizontal: boolean): void {
  const { c, w, h, data } = img;
  for (let ch = 0; ch < c; ch++) {
    const base = ch * w * h;
    if (horizontal) {
      for (let y = 0; y < h; y++) data.subarray(base + y * w, base + (y + 1) * w).reverse();
    } else {
      for (let y = 0; y < h >> 1; y++) {
        const a = data.slice(base + y * w, base + (y + 1) * w);
        data.copyWithin(base + y * w, base + (h - 1 - y) * w, base + (h - y) * w);
        data.set(a, base + (h - 1 - y) * w);
      }
    }
  }
}

/** Pillow's rotate (what torchvision's RandomRotation does on PIL images): counter-clockwise. */
function rotateFloat(img: FloatImage, angle: number, interp: 'nearest' | 'bilinear', center: [number, number] | null, fill: number[]): FloatImage {
  const { c, w, h, data } = img;
  const out = new Float32Array(data.length);
  const t = (-angle * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const [cx, cy] = center ?? [w / 2, h / 2];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const X = x + 0.5 - cx;
      const Y = y + 0.5 - cy;
      const sx = cos * X + sin * Y + cx;
      const sy = -sin * X + cos * Y + cy;
      const o = y * w + x;
      if (interp === 'nearest') {
        const ix = Math.floor(sx);
        const iy = Math.floor(sy);
        const inside = ix >= 0 && ix < w && iy >= 0 && iy < h;
        for (let ch = 0; ch < c; ch++) out[ch * w * h + o] = inside ? data[ch * w * h + iy * w + ix]! : fill[ch] ?? 0;
      } else {
        const fx = sx - 0.5;
        const fy = sy - 0.5;
        if (fx < -0.5 || fy < -0.5 || fx > w - 0.5 || fy > h - 0.5) {
          for (let ch = 0; ch < c; ch++) out[ch * w * h + o] = fill[ch] ?? 0;
          continue;
        }
        const x0 = Math.floor(fx);
        const y0 = Math.floor(fy);
        const ax = fx - x0;
        const ay = fy - y0;
        const xa = Math.max(0, x0);
        const xb = Math.min(w - 1, x0 + 1);
        const ya = Math.max(0, y0);
        const yb = Math.min(h - 1, y0 + 1);
        for (let ch = 0; ch < c; ch++) {
          const b = ch * w * h;
          const top = data[b + ya * w + xa]! * (1 - ax) + data[b + ya * w + xb]! * ax;
          const bot = data[b + yb * w + xa]! * (1 - ax) + data[b + yb * w + xb]! * ax;
          out[b + o] = top * (1 - ay) + bot * ay;
        }
      }
    }
  }
  return { c, w, h, data: out };
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** torchvision's rgb_to_grayscale weights. */
function gray(d: Float32Array, n: number, i: number): number {
  return 0.2989 * d[i]! + 0.587 * d[n + i]! + 0.114 * d[2 * n + i]!;
}

/** torchvision's ColorJitter adjustments on a float image (functional_tensor semantics). */
function jitterFloat(img: FloatImage, fns: [number, number][]): void {
  const { c, data } = img;
  const n = img.w * img.h;
  const rgb = c >= 3;
  for (const [fn, f] of fns) {
    if (fn === 0) {
      for (let ch = 0; ch < Math.min(c, 3); ch++) for (let i = 0; i < n; i++) data[ch * n + i] = clamp01(data[ch * n + i]! * f);
    } else if (fn === 1) {
      let mean = 0;
      if (rgb) for (let i = 0; i < n; i++) mean += gray(data, n, i);
      else for (let i = 0; i < n; i++) mean += data[i]!;
      mean /= n;
      for (let ch = 0; ch < Math.min(c, 3); ch++) for (let i = 0; i < n; i++) data[ch * n + i] = clamp01(f * data[ch * n + i]! + (1 - f) * mean);
    } else if (fn === 2) {
      if (!rgb) continue;
      for (let i = 0; i < n; i++) {
        const g = gray(data, n, i);
        for (let ch = 0; ch < 3; ch++) data[ch * n + i] = clamp01(f * data[ch * n + i]! + (1 - f) * g);
      }
    } else if (fn === 3) {
      if (!rgb) continue;
      for (let i = 0; i < n; i++) {
        const r = data[i]!;
        const g = data[n + i]!;
        const b = data[2 * n + i]!;
        const max = Math.max(r, g, b);
        const min = Math.min(r, g, b);
        const cr = max - min;
        let hue = 0;
        if (cr !== 0) {
          if (max === r) hue = ((g - b) / cr) % 6;
          else if (max === g) hue = (b - r) / cr + 2;
          else hue = (r - g) / cr + 4;
          hue /= 6;
        }
        hue = (((hue + f) % 1) + 1) % 1;
        const s = max === 0 ? 0 : cr / max;
        const v = max;
        const h6 = hue * 6;
        const k = Math.floor(h6) % 6;
        const fr = h6 - Math.floor(h6);
        const p = v * (1 - s);
        const q = v * (1 - s * fr);
        const t = v * (1 - s * (1 - fr));
        const out = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]][k]!;
        data[i] = clamp01(out[0]!);
        data[n + i] = clamp01(out[1]!);
        data[2 * n + i] = clamp01(out[2]!);
      }
    }
  }
}

/** Runs the pixel steps of a plan; the result is `img` itself when no step changes the size. */
export function applySteps(img: FloatImage, steps: readonly Step[]): FloatImage {
  let cur = img;
  for (const s of steps) {
    switch (s.op) {
      case 'crop':
        cur = cropFloat(cur, s.x, s.y, s.w, s.h, s.fill);
        break;
      case 'flipH':
      case 'flipV':
        flipFloat(cur, s.op === 'flipH');
        break;
      case 'resize':
        cur = resizeFloat(cur, s.w, s.h, s.interpolation);
        break;
      case 'rotate':
        cur = rotateFloat(cur, s.angle, s.interpolation, s.center, s.fill);
        break;
      case 'jitter':
        jitterFloat(cur, s.fns);
        break;
      case 'normalize': {
        const n = cur.w * cur.h;
        for (let ch = 0; ch < cur.c; ch++) {
          const m = s.mean[ch] ?? 0;
          const inv = 1 / (s.std[ch] ?? 1);
          const d = cur.data;
          for (let i = ch * n, e = (ch + 1) * n; i < e; i++) d[i] = (d[i]! - m) * inv;
        }
        break;
      }
    }
  }
  return cur;
}

/** True when no step changes the image's size (pixels can be written in the batch directly). */
export function stepsKeepSize(steps: readonly Step[]): boolean {
  return steps.every((s) => s.op === 'jitter' || s.op === 'normalize' || s.op === 'flipH' || s.op === 'flipV' || s.op === 'rotate');
}
