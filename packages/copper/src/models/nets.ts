/**
 * The networks: SimpleCNN (conv-bn-relu-pool blocks and a small classifier head, like the
 * PetImages seed's CNN) and TinyResNet (a ResNet with basic blocks, for small images).
 * Constructors take one options object (what Hydra's instantiate passes).
 */
import * as torch from '@copper/torch';

const { nn } = torch;

export interface SimpleCNNOptions {
  in_channels?: number;
  num_classes?: number;
  /** Output channels of each conv block (each halves the resolution). */
  channels?: number[];
  hidden?: number;
  dropout?: number;
}

export class SimpleCNN extends nn.Module {
  readonly features: torch.nn.Sequential;
  readonly pool: torch.nn.AdaptiveAvgPool2d;
  readonly classifier: torch.nn.Sequential;

  constructor(opts: SimpleCNNOptions = {}) {
    super();
    const inC = opts.in_channels ?? 3;
    const chans = opts.channels ?? [16, 32, 64];
    const numClasses = opts.num_classes ?? 2;
    const hidden = opts.hidden ?? 64;
    if (!chans.length) throw new Error('SimpleCNN: channels must list at least one block');
    const layers: torch.nn.Module[] = [];
    let c = inC;
    for (const out of chans) {
      layers.push(new nn.Conv2d(c, out, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(out), new nn.ReLU(), new nn.MaxPool2d(2));
      c = out;
    }
    this.features = new nn.Sequential(...layers);
    this.pool = new nn.AdaptiveAvgPool2d(1);
    this.classifier = new nn.Sequential(new nn.Flatten(), new nn.Linear(c, hidden), new nn.ReLU(), new nn.Dropout(opts.dropout ?? 0.2), new nn.Linear(hidden, numClasses));
  }

  forward(x: torch.Tensor): torch.Tensor {
    return this.classifier.forward(this.pool.forward(this.features.forward(x)));
  }
}

class BasicBlock extends nn.Module {
  readonly conv1: torch.nn.Conv2d;
  readonly bn1: torch.nn.BatchNorm2d;
  readonly conv2: torch.nn.Conv2d;
  readonly bn2: torch.nn.BatchNorm2d;
  readonly downsample: torch.nn.Sequential | null;

  constructor(inC: number, outC: number, stride: number) {
    super();
    this.conv1 = new nn.Conv2d(inC, outC, 3, { stride, padding: 1, bias: false });
    this.bn1 = new nn.BatchNorm2d(outC);
    this.conv2 = new nn.Conv2d(outC, outC, 3, { padding: 1, bias: false });
    this.bn2 = new nn.BatchNorm2d(outC);
    this.downsample = stride !== 1 || inC !== outC ? new nn.Sequential(new nn.Conv2d(inC, outC, 1, { stride, bias: false }), new nn.BatchNorm2d(outC)) : null;
  }

  forward(x: torch.Tensor): torch.Tensor {
    const out = this.bn2.forward(this.conv2.forward(this.bn1.forward(this.conv1.forward(x)).relu()));
    const short = this.downsample ? this.downsample.forward(x) : x;
    return out.add(short).relu();
  }
}

export interface TinyResNetOptions {
  in_channels?: number;
  num_classes?: number;
  /** Channels of each stage (the first keeps the resolution, the others halve it). */
  widths?: number[];
  /** Basic blocks per stage. */
  blocks?: number;
}

export class TinyResNet extends nn.Module {
  readonly stem: torch.nn.Sequential;
  readonly layers: torch.nn.Sequential;
  readonly pool: torch.nn.AdaptiveAvgPool2d;
  readonly fc: torch.nn.Linear;

  constructor(opts: TinyResNetOptions = {}) {
    super();
    const widths = opts.widths ?? [16, 32, 64];
    const blocks = opts.blocks ?? 1;
    if (!widths.length) throw new Error('TinyResNet: widths must list at least one stage');
    this.stem = new nn.Sequential(new nn.Conv2d(opts.in_channels ?? 3, widths[0]!, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(widths[0]!), new nn.ReLU());
    const stages: torch.nn.Module[] = [];
    let c = widths[0]!;
    widths.forEach((w, i) => {
      for (let b = 0; b < blocks; b++) {
        stages.push(new BasicBlock(c, w, b === 0 && i > 0 ? 2 : 1));
        c = w;
      }
    });
    this.layers = new nn.Sequential(...stages);
    this.pool = new nn.AdaptiveAvgPool2d(1);
    this.fc = new nn.Linear(c, opts.num_classes ?? 2);
  }

  forward(x: torch.Tensor): torch.Tensor {
    return this.fc.forward(this.pool.forward(this.layers.forward(this.stem.forward(x))).flatten(1));
  }
}
