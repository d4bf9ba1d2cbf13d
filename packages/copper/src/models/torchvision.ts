/**
 * torchvision's classification networks with torchvision's module tree, so their state_dict keys
 * and shapes are torchvision's and a `.pth` saved by Python (`torch.save(model.state_dict(), p)`,
 * or the ImageNet weights torchvision downloads) loads as is:
 *
 *   const net = models.resnet18({ num_classes: 2, weights: 'resnet18-f37072fd.pth', freeze: ['conv1', 'bn1', 'layer1'] });
 *   net.loadStateDict(torch.load('resnet18.pth'));   // or by hand
 *
 * In eval mode the logits equal torchvision's for the same weights and input. Options (snake_case,
 * as Hydra configs pass them):
 * - `num_classes` (1000): size of the classifier head. With `weights`, a head of another size in the
 *   file (ImageNet's 1000 classes) is left out and the model's freshly initialised head is kept.
 * - `weights`: path of a state dict file to load (a bare state dict, or a checkpoint holding one
 *   under `state_dict`/`model`; a DataParallel `module.` prefix is dropped).
 * - `freeze`: submodule names whose parameters stop training (`conv1`, `layer1`, `features.3`), or
 *   `backbone` for everything but the classifier head.
 * - `dropout`, `stochastic_depth_prob`: the classifier's dropout (MobileNetV3, EfficientNet) and
 *   EfficientNet's stochastic depth, torchvision's defaults otherwise.
 */
import * as torch from '@copper/torch';
import { CopperError } from '../utils/errors.js';

const { nn } = torch;
type Module = torch.nn.Module;

export interface VisionNetOptions {
  num_classes?: number;
  weights?: string | null;
  freeze?: string[] | string | null;
  dropout?: number;
  stochastic_depth_prob?: number;
}

/** What loading a weights file did. */
export interface WeightsReport {
  path: string;
  /** Head keys of the file left out because their shapes differ from the model's (num_classes). */
  replacedHead: string[];
  /** BatchNorm num_batches_tracked counters the file lacks (older torchvision files); kept at 0. */
  filledCounters: string[];
}

/** Base of the torchvision networks: weights loading, head replacement and freezing. */
export abstract class VisionNet extends nn.Module {
  /** torchvision's architecture name (resnet18, ...). */
  abstract readonly arch: string;
  /** Name of the final Linear layer's parent path ('fc' or 'classifier.3'). */
  abstract readonly headPath: string;
  /** Set when weights were loaded from a file. */
  weightsReport: WeightsReport | null = null;

  /** The classifier's last Linear layer. */
  get head(): torch.nn.Linear {
    return this.moduleAt(this.headPath) as torch.nn.Linear;
  }

  /** The submodule at a dotted path ('layer1', 'features.3.block'), or null. */
  moduleAt(path: string): Module | null {
    for (const [name, m] of this.namedModules()) if (name === path) return m;
    return null;
  }

  /** Every parameter except the classifier head's (what a backbone freeze or fine-tuning callback acts on). */
  backboneParameters(): torch.nn.Parameter[] {
    const head = new Set<unknown>(this.head.parameters());
    return this.parameters().filter((p) => !head.has(p));
  }

  /** The top-level children holding the backbone (all but the head's branch, e.g. ResNet's all but fc). */
  backboneModules(): Module[] {
    const top = this.headPath.split('.')[0];
    return this.namedChildren()
      .filter(([k]) => k !== top)
      .map(([, m]) => m);
  }

  /**
   * Stops training the parameters of the named submodules ('backbone' = all but the head). Their
   * BatchNorm layers keep updating running statistics in train mode, as in PyTorch with
   * requires_grad=False.
   */
  freeze(names: string[] | string): this {
    const list = typeof names === 'string' ? [names] : names;
    for (const n of list) {
      if (n === 'backbone') {
        for (const p of this.backboneParameters()) p.requiresGrad = false;
        continue;
      }
      const m = n === '' ? null : this.moduleAt(n);
      if (!m) {
        const top = this.namedChildren().map(([k]) => k);
        const nested = this.namedModules().find(([k]) => k.includes('.'))?.[0];
        throw new CopperError(`${this.arch}: cannot freeze '${n}': no such submodule (top level: ${[...top, 'backbone'].join(', ')}${nested ? `; nested names such as '${nested}' work too` : ''})`);
      }
      for (const p of m.parameters()) p.requiresGrad = false;
    }
    return this;
  }

  /** Makes every parameter trainable again. */
  unfreeze(): this {
    for (const p of this.parameters()) p.requiresGrad = true;
    return this;
  }

  /**
   * Loads torchvision weights from a file: see the module doc. Head tensors of another shape are
   * left out (the model keeps its own head); any other difference is an error naming the keys.
   */
  loadWeights(path: string): WeightsReport {
    let loaded: torch.Loaded;
    try {
      loaded = torch.load(path);
    } catch (e) {
      throw new CopperError(`${this.arch}: cannot load weights: ${(e as Error).message}`);
    }
    const sd = extractStateDict(loaded);
    if (!sd) throw new CopperError(`${this.arch}: ${path} holds no state dict (expected a dict of tensors, or one under 'state_dict' or 'model')`);
    const own = new Map<string, torch.Tensor>(Object.entries(this.stateDict()));
    const replacedHead: string[] = [];
    for (const suffix of ['weight', 'bias']) {
      const k = `${this.headPath}.${suffix}`;
      const src = sd[k];
      const dst = own.get(k);
      if (src && dst && !sameShape(src.shape, dst.shape)) {
        delete sd[k];
        replacedHead.push(k);
      }
    }
    const filledCounters: string[] = [];
    for (const [k, t] of own) {
      if (k.endsWith('.num_batches_tracked') && !(k in sd)) {
        sd[k] = t;
        filledCounters.push(k);
      }
    }
    for (const k of replacedHead) sd[k] = own.get(k)!;
    try {
      this.loadStateDict(sd);
    } catch (e) {
      throw new CopperError(`${this.arch}: ${path} does not fit this network: ${describeMismatch(e)}`);
    } finally {
      torch.dispose([...own.values()]);
      torch.dispose(loaded); // the file's tensors were copied into the parameters
    }
    this.weightsReport = { path, replacedHead, filledCounters };
    return this.weightsReport;
  }

  /** Applies the common options after the subclass built its layers. */
  protected setup(opts: VisionNetOptions): void {
    if (opts.weights) this.loadWeights(opts.weights);
    if (opts.freeze && (typeof opts.freeze === 'string' || opts.freeze.length)) this.freeze(opts.freeze);
  }
}

/**
 * A model config as recorded in a checkpoint: `net.weights` set to null, since the checkpoint's
 * state_dict replaces those weights (eval/infer then rebuild the net without reading the file).
 */
export function withoutInitWeights<T>(modelCfg: T): T {
  const net = (modelCfg as { net?: Record<string, unknown> } | null)?.net;
  if (!net || typeof net !== 'object' || !('weights' in net) || net.weights == null) return modelCfg;
  return { ...(modelCfg as object), net: { ...net, weights: null } } as T;
}

/** A state dict mismatch in a few words: key counts and the first keys of each kind. */
function describeMismatch(e: unknown): string {
  if (!(e instanceof torch.StateDictError)) return (e as Error).message;
  const part = (what: string, keys: string[]) =>
    keys.length ? `${keys.length} ${what} key${keys.length > 1 ? 's' : ''} (${keys.slice(0, 4).join(', ')}${keys.length > 4 ? ', ...' : ''})` : '';
  return [part('missing', e.missingKeys), part('unexpected', e.unexpectedKeys)].filter(Boolean).join(', ') + ': is it a file of another architecture?';
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function isTensorDict(v: unknown): v is Record<string, torch.Tensor> {
  if (!v || typeof v !== 'object' || Array.isArray(v) || v instanceof torch.Tensor) return false;
  const vals = Object.values(v);
  return vals.length > 0 && vals.every((x) => x instanceof torch.Tensor);
}

/** The state dict in a loaded file: the dict itself, or under state_dict/model; 'module.' prefixes dropped. */
export function extractStateDict(loaded: unknown): Record<string, torch.Tensor> | null {
  let sd: Record<string, torch.Tensor> | null = null;
  if (isTensorDict(loaded)) sd = loaded;
  else if (loaded && typeof loaded === 'object') {
    for (const key of ['state_dict', 'model', 'model_state_dict']) {
      const v = (loaded as Record<string, unknown>)[key];
      if (isTensorDict(v)) {
        sd = v;
        break;
      }
    }
  }
  if (!sd) return null;
  const keys = Object.keys(sd);
  if (keys.every((k) => k.startsWith('module.'))) return Object.fromEntries(keys.map((k) => [k.slice(7), sd![k]!]));
  return { ...sd };
}

function positive(name: string, v: unknown, fallback: number): number {
  const n = v ?? fallback;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new CopperError(`${name}: num_classes must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

function probability(name: string, what: string, v: unknown, fallback: number): number {
  const p = v ?? fallback;
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new CopperError(`${name}: ${what} must be between 0 and 1, got ${JSON.stringify(v)}`);
  return p;
}

/** torchvision's models/_utils.py _make_divisible. */
export function makeDivisible(v: number, divisor: number, minValue?: number): number {
  const min = minValue ?? divisor;
  let n = Math.max(min, Math.floor(Math.floor(v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

// ---------------------------------------------------------------------------------------------
// ResNet (torchvision/models/resnet.py)

const conv3x3 = (i: number, o: number, stride = 1) => new nn.Conv2d(i, o, 3, { stride, padding: 1, bias: false });
const conv1x1 = (i: number, o: number, stride = 1) => new nn.Conv2d(i, o, 1, { stride, bias: false });

class BasicBlock extends nn.Module {
  static readonly expansion = 1;
  readonly conv1: torch.nn.Conv2d;
  readonly bn1: torch.nn.BatchNorm2d;
  readonly relu = new nn.ReLU();
  readonly conv2: torch.nn.Conv2d;
  readonly bn2: torch.nn.BatchNorm2d;
  readonly downsample: torch.nn.Sequential | null;

  constructor(inplanes: number, planes: number, stride: number, downsample: torch.nn.Sequential | null) {
    super();
    this.conv1 = conv3x3(inplanes, planes, stride);
    this.bn1 = new nn.BatchNorm2d(planes);
    this.conv2 = conv3x3(planes, planes);
    this.bn2 = new nn.BatchNorm2d(planes);
    this.downsample = downsample;
  }

  forward(x: torch.Tensor): torch.Tensor {
    const out = this.bn2.forward(this.conv2.forward(this.relu.forward(this.bn1.forward(this.conv1.forward(x)))));
    const identity = this.downsample ? this.downsample.forward(x) : x;
    return out.add_(identity).relu_();
  }
}

class Bottleneck extends nn.Module {
  static readonly expansion = 4;
  readonly conv1: torch.nn.Conv2d;
  readonly bn1: torch.nn.BatchNorm2d;
  readonly conv2: torch.nn.Conv2d;
  readonly bn2: torch.nn.BatchNorm2d;
  readonly conv3: torch.nn.Conv2d;
  readonly bn3: torch.nn.BatchNorm2d;
  readonly relu = new nn.ReLU();
  readonly downsample: torch.nn.Sequential | null;

  constructor(inplanes: number, planes: number, stride: number, downsample: torch.nn.Sequential | null) {
    super();
    const width = planes;
    this.conv1 = conv1x1(inplanes, width);
    this.bn1 = new nn.BatchNorm2d(width);
    this.conv2 = conv3x3(width, width, stride);
    this.bn2 = new nn.BatchNorm2d(width);
    this.conv3 = conv1x1(width, planes * Bottleneck.expansion);
    this.bn3 = new nn.BatchNorm2d(planes * Bottleneck.expansion);
    this.downsample = downsample;
  }

  forward(x: torch.Tensor): torch.Tensor {
    let out = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
    out = this.relu.forward(this.bn2.forward(this.conv2.forward(out)));
    out = this.bn3.forward(this.conv3.forward(out));
    const identity = this.downsample ? this.downsample.forward(x) : x;
    return out.add_(identity).relu_();
  }
}

type BlockClass = (typeof BasicBlock | typeof Bottleneck) & { expansion: number };

export class ResNet extends VisionNet {
  readonly arch: string;
  readonly headPath = 'fc';
  readonly conv1: torch.nn.Conv2d;
  readonly bn1: torch.nn.BatchNorm2d;
  readonly relu = new nn.ReLU();
  readonly maxpool = new nn.MaxPool2d(3, { stride: 2, padding: 1 });
  readonly layer1: torch.nn.Sequential;
  readonly layer2: torch.nn.Sequential;
  readonly layer3: torch.nn.Sequential;
  readonly layer4: torch.nn.Sequential;
  readonly avgpool = new nn.AdaptiveAvgPool2d([1, 1]);
  readonly fc: torch.nn.Linear;

  constructor(arch: string, block: BlockClass, layers: [number, number, number, number], opts: VisionNetOptions = {}) {
    super();
    this.arch = arch;
    const numClasses = positive(arch, opts.num_classes, 1000);
    let inplanes = 64;
    const makeLayer = (planes: number, blocks: number, stride = 1): torch.nn.Sequential => {
      let downsample: torch.nn.Sequential | null = null;
      if (stride !== 1 || inplanes !== planes * block.expansion) {
        downsample = new nn.Sequential(conv1x1(inplanes, planes * block.expansion, stride), new nn.BatchNorm2d(planes * block.expansion));
      }
      const out: Module[] = [new block(inplanes, planes, stride, downsample)];
      inplanes = planes * block.expansion;
      for (let i = 1; i < blocks; i++) out.push(new block(inplanes, planes, 1, null));
      return new nn.Sequential(...out);
    };
    this.conv1 = new nn.Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false });
    this.bn1 = new nn.BatchNorm2d(64);
    this.layer1 = makeLayer(64, layers[0]);
    this.layer2 = makeLayer(128, layers[1], 2);
    this.layer3 = makeLayer(256, layers[2], 2);
    this.layer4 = makeLayer(512, layers[3], 2);
    this.fc = new nn.Linear(512 * block.expansion, numClasses);
    for (const m of this.modules()) if (m instanceof nn.Conv2d) nn.init.kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
    this.setup(opts);
  }

  forward(x: torch.Tensor): torch.Tensor {
    let y = this.maxpool.forward(this.relu.forward(this.bn1.forward(this.conv1.forward(x))));
    y = this.layer4.forward(this.layer3.forward(this.layer2.forward(this.layer1.forward(y))));
    return this.fc.forward(this.avgpool.forward(y).flatten(1));
  }
}

// ---------------------------------------------------------------------------------------------
// Shared blocks (torchvision/ops/misc.py)

type Act = (() => Module) | null;

/** torchvision's Conv2dNormActivation: conv (no bias), BatchNorm, activation, as a Sequential '0', '1', '2'. */
function convNormAct(
  inC: number,
  outC: number,
  kernel: number,
  opts: { stride?: number; groups?: number; act: Act; bn?: torch.nn.BatchNormLayerOptions },
): torch.nn.Sequential {
  const layers: Module[] = [
    new nn.Conv2d(inC, outC, kernel, { stride: opts.stride ?? 1, padding: Math.floor((kernel - 1) / 2), groups: opts.groups ?? 1, bias: false }),
    new nn.BatchNorm2d(outC, opts.bn),
  ];
  if (opts.act) layers.push(opts.act());
  return new nn.Sequential(...layers);
}

/** torchvision's init for MobileNetV3 and EfficientNet convolutions and BatchNorms. */
function initConvs(net: Module): void {
  for (const m of net.modules()) {
    if (m instanceof nn.Conv2d) {
      nn.init.kaimingNormal_(m.weight, { mode: 'fan_out' });
      if (m.bias) nn.init.zeros_(m.bias);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// MobileNetV3 (torchvision/models/mobilenetv3.py)

/** [input, kernel, expanded, out, use_se, activation, stride] of each inverted residual block. */
type Bneck = [number, number, number, number, boolean, 'RE' | 'HS', number];

const MOBILENET_V3_LARGE: Bneck[] = [
  [16, 3, 16, 16, false, 'RE', 1],
  [16, 3, 64, 24, false, 'RE', 2],
  [24, 3, 72, 24, false, 'RE', 1],
  [24, 5, 72, 40, true, 'RE', 2],
  [40, 5, 120, 40, true, 'RE', 1],
  [40, 5, 120, 40, true, 'RE', 1],
  [40, 3, 240, 80, false, 'HS', 2],
  [80, 3, 200, 80, false, 'HS', 1],
  [80, 3, 184, 80, false, 'HS', 1],
  [80, 3, 184, 80, false, 'HS', 1],
  [80, 3, 480, 112, true, 'HS', 1],
  [112, 3, 672, 112, true, 'HS', 1],
  [112, 5, 672, 160, true, 'HS', 2],
  [160, 5, 960, 160, true, 'HS', 1],
  [160, 5, 960, 160, true, 'HS', 1],
];
const MOBILENET_V3_SMALL: Bneck[] = [
  [16, 3, 16, 16, true, 'RE', 2],
  [16, 3, 72, 24, false, 'RE', 2],
  [24, 3, 88, 24, false, 'RE', 1],
  [24, 5, 96, 40, true, 'HS', 2],
  [40, 5, 240, 40, true, 'HS', 1],
  [40, 5, 240, 40, true, 'HS', 1],
  [40, 5, 120, 48, true, 'HS', 1],
  [48, 5, 144, 48, true, 'HS', 1],
  [48, 5, 288, 96, true, 'HS', 2],
  [96, 5, 576, 96, true, 'HS', 1],
  [96, 5, 576, 96, true, 'HS', 1],
];

const MOBILENET_BN: torch.nn.BatchNormLayerOptions = { eps: 0.001, momentum: 0.01 };

class InvertedResidual extends nn.Module {
  readonly block: torch.nn.Sequential;
  private readonly useRes: boolean;

  constructor([input, kernel, expanded, out, useSe, act, stride]: Bneck) {
    super();
    this.useRes = stride === 1 && input === out;
    const activation: Act = act === 'HS' ? () => new nn.Hardswish() : () => new nn.ReLU();
    const layers: Module[] = [];
    if (expanded !== input) layers.push(convNormAct(input, expanded, 1, { act: activation, bn: MOBILENET_BN }));
    layers.push(convNormAct(expanded, expanded, kernel, { stride, groups: expanded, act: activation, bn: MOBILENET_BN }));
    if (useSe) layers.push(new nn.SqueezeExcitation(expanded, makeDivisible(Math.floor(expanded / 4), 8), { scaleActivation: () => new nn.Hardsigmoid() }));
    layers.push(convNormAct(expanded, out, 1, { act: null, bn: MOBILENET_BN }));
    this.block = new nn.Sequential(...layers);
  }

  forward(x: torch.Tensor): torch.Tensor {
    const r = this.block.forward(x) as torch.Tensor;
    return this.useRes ? r.add_(x) : r;
  }
}

export class MobileNetV3 extends VisionNet {
  readonly arch: string;
  readonly headPath = 'classifier.3';
  readonly features: torch.nn.Sequential;
  readonly avgpool = new nn.AdaptiveAvgPool2d(1);
  readonly classifier: torch.nn.Sequential;

  constructor(arch: string, setting: Bneck[], lastChannel: number, opts: VisionNetOptions = {}) {
    super();
    this.arch = arch;
    const numClasses = positive(arch, opts.num_classes, 1000);
    const dropout = probability(arch, 'dropout', opts.dropout, 0.2);
    const first = setting[0]![0];
    const lastIn = setting[setting.length - 1]![3];
    const lastOut = 6 * lastIn;
    this.features = new nn.Sequential(
      convNormAct(3, first, 3, { stride: 2, act: () => new nn.Hardswish(), bn: MOBILENET_BN }),
      ...setting.map((s) => new InvertedResidual(s)),
      convNormAct(lastIn, lastOut, 1, { act: () => new nn.Hardswish(), bn: MOBILENET_BN }),
    );
    this.classifier = new nn.Sequential(new nn.Linear(lastOut, lastChannel), new nn.Hardswish(), new nn.Dropout(dropout), new nn.Linear(lastChannel, numClasses));
    initConvs(this);
    for (const m of this.classifier.children()) {
      if (m instanceof nn.Linear) {
        nn.init.normal_(m.weight, 0, 0.01);
        if (m.bias) nn.init.zeros_(m.bias);
      }
    }
    this.setup(opts);
  }

  forward(x: torch.Tensor): torch.Tensor {
    return this.classifier.forward(this.avgpool.forward(this.features.forward(x)).flatten(1));
  }
}

// ---------------------------------------------------------------------------------------------
// EfficientNet (torchvision/models/efficientnet.py), B0

/** [expand_ratio, kernel, stride, input, out, num_layers] of each stage. */
type MBStage = [number, number, number, number, number, number];
const EFFICIENTNET_B0: MBStage[] = [
  [1, 3, 1, 32, 16, 1],
  [6, 3, 2, 16, 24, 2],
  [6, 5, 2, 24, 40, 2],
  [6, 3, 2, 40, 80, 3],
  [6, 5, 1, 80, 112, 3],
  [6, 5, 2, 112, 192, 4],
  [6, 3, 1, 192, 320, 1],
];

class MBConv extends nn.Module {
  readonly block: torch.nn.Sequential;
  readonly stochastic_depth: torch.nn.StochasticDepth;
  private readonly useRes: boolean;

  constructor(expandRatio: number, kernel: number, stride: number, input: number, out: number, sdProb: number) {
    super();
    this.useRes = stride === 1 && input === out;
    const silu = () => new nn.SiLU();
    const expanded = makeDivisible(input * expandRatio, 8);
    const layers: Module[] = [];
    if (expanded !== input) layers.push(convNormAct(input, expanded, 1, { act: silu }));
    layers.push(convNormAct(expanded, expanded, kernel, { stride, groups: expanded, act: silu }));
    layers.push(new nn.SqueezeExcitation(expanded, Math.max(1, Math.floor(input / 4)), { activation: silu }));
    layers.push(convNormAct(expanded, out, 1, { act: null }));
    this.block = new nn.Sequential(...layers);
    this.stochastic_depth = new nn.StochasticDepth(sdProb, 'row');
  }

  forward(x: torch.Tensor): torch.Tensor {
    const r = this.block.forward(x) as torch.Tensor;
    if (!this.useRes) return r;
    return this.stochastic_depth.forward(r).add(x);
  }
}

export class EfficientNet extends VisionNet {
  readonly arch: string;
  readonly headPath = 'classifier.1';
  readonly features: torch.nn.Sequential;
  readonly avgpool = new nn.AdaptiveAvgPool2d(1);
  readonly classifier: torch.nn.Sequential;

  constructor(arch: string, setting: MBStage[], opts: VisionNetOptions & { defaultDropout: number }) {
    super();
    this.arch = arch;
    const numClasses = positive(arch, opts.num_classes, 1000);
    const dropout = probability(arch, 'dropout', opts.dropout, opts.defaultDropout);
    const sdProb = probability(arch, 'stochastic_depth_prob', opts.stochastic_depth_prob, 0.2);
    const silu = () => new nn.SiLU();
    const total = setting.reduce((a, s) => a + s[5], 0);
    let id = 0;
    const stages: Module[] = [];
    for (const [ratio, kernel, stride, input, out, n] of setting) {
      const blocks: Module[] = [];
      for (let i = 0; i < n; i++) {
        blocks.push(new MBConv(ratio, kernel, i === 0 ? stride : 1, i === 0 ? input : out, out, (sdProb * id) / total));
        id++;
      }
      stages.push(new nn.Sequential(...blocks));
    }
    const lastIn = setting[setting.length - 1]![4];
    const lastOut = 4 * lastIn;
    this.features = new nn.Sequential(
      convNormAct(3, setting[0]![3], 3, { stride: 2, act: silu }),
      ...stages,
      convNormAct(lastIn, lastOut, 1, { act: silu }),
    );
    this.classifier = new nn.Sequential(new nn.Dropout(dropout), new nn.Linear(lastOut, numClasses));
    initConvs(this);
    const fc = this.classifier.at(1) as torch.nn.Linear;
    const range = 1 / Math.sqrt(numClasses);
    nn.init.uniform_(fc.weight, -range, range);
    if (fc.bias) nn.init.zeros_(fc.bias);
    this.setup(opts);
  }

  forward(x: torch.Tensor): torch.Tensor {
    return this.classifier.forward(this.avgpool.forward(this.features.forward(x)).flatten(1));
  }
}

// ---------------------------------------------------------------------------------------------
// The builders, named as torchvision.models' functions

export function resnet18(opts: VisionNetOptions = {}): ResNet {
  return new ResNet('resnet18', BasicBlock, [2, 2, 2, 2], opts);
}
export function resnet34(opts: VisionNetOptions = {}): ResNet {
  return new ResNet('resnet34', BasicBlock, [3, 4, 6, 3], opts);
}
export function resnet50(opts: VisionNetOptions = {}): ResNet {
  return new ResNet('resnet50', Bottleneck, [3, 4, 6, 3], opts);
}
export function mobilenet_v3_large(opts: VisionNetOptions = {}): MobileNetV3 {
  return new MobileNetV3('mobilenet_v3_large', MOBILENET_V3_LARGE, 1280, opts);
}
export function mobilenet_v3_small(opts: VisionNetOptions = {}): MobileNetV3 {
  return new MobileNetV3('mobilenet_v3_small', MOBILENET_V3_SMALL, 1024, opts);
}
export function efficientnet_b0(opts: VisionNetOptions = {}): EfficientNet {
  return new EfficientNet('efficientnet_b0', EFFICIENTNET_B0, { ...opts, defaultDropout: 0.2 });
}

/** The builders by torchvision name. */
export const builders = { resnet18, resnet34, resnet50, mobilenet_v3_small, mobilenet_v3_large, efficientnet_b0 } as const;
