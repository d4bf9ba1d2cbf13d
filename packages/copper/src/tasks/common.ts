/** Shared by the train/eval tasks: seeding, instantiating the config's objects, metric output. */
import { withoutInitWeights } from '../models/torchvision.js';
import * as torch from '@copper/torch';
import { instantiate, toYaml, getLogger, UnexpectedKeywordError, type Logger } from '@copper/hydra';
import { ImageFolderDataModule } from '../data/datamodule.js';
import { LightningModule } from '../models/lightning-module.js';
import { Trainer } from '../trainer/trainer.js';
import type { Callback } from '../callbacks/callback.js';
import type { ExperimentLogger } from '../loggers/logger.js';
import { CopperError } from '../utils/errors.js';
import { registerCopperTargets } from '../registry.js';
import { DDPStrategy } from '../strategies/ddp.js';

import { opt, plainCfg, type Cfg } from './cfg.js';
export { opt, plainCfg, type Cfg };

/** Seeds libtorch (and so every torch random op) like Lightning's seed_everything. */
export function seedEverything(seed: number): number {
  if (!Number.isInteger(seed)) throw new CopperError(`seed must be an integer, got ${seed}`);
  torch.manualSeed(seed);
  return seed;
}


/** One line for a config key the target does not take (Python's unexpected keyword TypeError). */
export function unexpectedKeyMessage(e: UnexpectedKeywordError, what: string): string {
  const full = e.fullKey === e.key ? `${what}.${e.key}` : e.fullKey;
  return `unexpected key '${e.key}' (${full}) for ${e.target}; it takes: ${e.accepted.join(', ')}`;
}

function build<T>(node: unknown, what: string): T {
  try {
    return instantiate<T>(node);
  } catch (e) {
    if (e instanceof CopperError) throw e;
    if (e instanceof UnexpectedKeywordError) throw new CopperError(unexpectedKeyMessage(e, what));
    throw new CopperError(`cannot build ${what}: ${(e as Error).message}`);
  }
}

/** Each `_target_` entry of a dict group (callbacks, logger) instantiated, in order. */
export function instantiateGroup<T>(node: unknown, what: string): T[] {
  if (node === null || node === undefined) return [];
  const plain = plainCfg(node);
  if (!plain || typeof plain !== 'object') return [];
  if ('_target_' in plain) return [build<T>(node, what)];
  const out: T[] = [];
  for (const k of Object.keys(plain)) {
    const v = plain[k];
    if (v && typeof v === 'object' && '_target_' in v) out.push(build<T>((node as Cfg)[k], `${what}.${k}`));
  }
  return out;
}

export interface Built {
  datamodule: ImageFolderDataModule;
  model: LightningModule;
  callbacks: Callback[];
  loggers: ExperimentLogger[];
  trainer: Trainer;
  log: Logger;
}

export function buildAll(cfg: Cfg, task: string): Built {
  registerCopperTargets();
  const log = getLogger(`copper.${task}`);
  const extras = opt(cfg, 'extras');
  if (opt(extras, 'print_config')) log.info(`Config:\n${toYaml(cfg as never, { resolve: true })}`);
  if (opt(extras, 'enforce_tags') && task === 'train' && !(plainCfg(opt(cfg, 'tags')) ?? []).length) log.warning('No tags given in the config (tags=[...])');
  if (!opt(cfg, 'data')) throw new CopperError('the config has no `data` section (choose one: data=cat_dog)');
  if (!opt(cfg, 'model')) throw new CopperError('the config has no `model` section (choose one: model=simple_cnn)');
  if (!opt(cfg, 'trainer')) throw new CopperError('the config has no `trainer` section (choose one: trainer=default)');
  log.info(`Instantiating datamodule <${cfg.data._target_}>`);
  const datamodule = build<ImageFolderDataModule>(cfg.data, 'data');
  if (!(datamodule instanceof ImageFolderDataModule)) throw new CopperError(`data._target_ ${cfg.data._target_} is not an image-folder data module`);
  datamodule.log = (m) => log.info(m);
  log.info(`Instantiating model <${cfg.model._target_}>`);
  const model = build<LightningModule>(cfg.model, 'model');
  if (!(model instanceof LightningModule)) throw new CopperError(`model._target_ ${cfg.model._target_} is not a LightningModule`);
  // the checkpoint's state_dict supersedes net.weights: eval/infer rebuild the net without the file
  model.hparams = { model: withoutInitWeights(plainCfg(cfg.model)) };
  log.info('Instantiating callbacks...');
  const callbacks = instantiateGroup<Callback>(opt(cfg, 'callbacks'), 'callbacks');
  log.info('Instantiating loggers...');
  // strategy=ddp: only rank 0 has loggers (a logger's folder is made when it is built)
  const tc = plainCfg(cfg.trainer) as Record<string, unknown>;
  let otherRank = false;
  try {
    otherRank = DDPStrategy.fromOptions(tc)?.isGlobalZero === false;
  } catch {
    /* a bad devices/num_nodes is reported by the Trainer */
  }
  const loggers = otherRank ? [] : instantiateGroup<ExperimentLogger>(opt(cfg, 'logger'), 'logger');
  log.info(`Instantiating trainer <${cfg.trainer._target_}>`);
  const partial = build<(kw: Record<string, unknown>) => Trainer>(Object.assign({}, plainCfg(cfg.trainer), { _partial_: true }), 'trainer');
  let trainer: Trainer;
  try {
    trainer = partial({ callbacks, logger: loggers, info: (m: string) => log.info(m) });
  } catch (e) {
    throw new CopperError(`cannot build trainer: ${(e as Error).message.replace(/^Error in call to target '[^']+': (CopperError: )?/, '')}`);
  }
  return { datamodule, model, callbacks, loggers, trainer, log };
}

/** The first convolution's input channels (what the network takes), or null when it has none. */
function firstConvInChannels(model: LightningModule): number | null {
  for (const m of model.modules()) {
    if (m instanceof torch.nn.Conv2d) return m.weight.shape[1]! * (m.opts.groups ?? 1);
  }
  return null;
}

/**
 * Checks the network against the data: its input channels against data.channels and its output
 * width against the classes found in the data folder, one line each when they disagree.
 */
export function checkModelFitsData(model: LightningModule, dm: ImageFolderDataModule): void {
  const s = dm.hparams.image_size;
  const c = dm.hparams.channels;
  const inC = firstConvInChannels(model);
  const fix = `set model.net.in_channels=${c}, or leave it at \${data.channels}`;
  if (inC !== null && inC !== c) {
    throw new CopperError(`the model takes ${inC}-channel images but the data has ${c} channel${c === 1 ? '' : 's'} (data.channels=${c}): ${fix}`);
  }
  let out: readonly number[];
  try {
    out = torch.noGrad(() =>
      torch.tidy(() => {
        const was = model.training;
        model.eval();
        try {
          return model.forward(torch.zeros([1, c, s, s])).shape;
        } finally {
          if (was) model.train();
        }
      }),
    );
  } catch (e) {
    const m = String((e as Error).message ?? e).split('\n')[0]!.replace(/^(\w*Error: )+/, '');
    if (/channels|groups=/.test(m)) throw new CopperError(`the model does not take ${c}-channel ${s}x${s} images (data.channels=${c}, data.image_size=${s}): ${m}`);
    throw new CopperError(`the model fails on a ${c}x${s}x${s} image (data.channels, data.image_size): ${m}`);
  }
  const n = out[out.length - 1];
  if (n !== dm.numClasses) {
    throw new CopperError(`the model outputs ${n} classes but ${dm.hparams.data_dir} has ${dm.numClasses} (${dm.classes.join(', ')}): set model.net.num_classes=${dm.numClasses}`);
  }
}

/** The metadata inference needs, saved in every checkpoint's hyper_parameters. */
export function recordHparams(model: LightningModule, dm: ImageFolderDataModule, extra: Record<string, unknown> = {}): void {
  model.hparams = {
    ...model.hparams,
    classes: dm.classes,
    image_size: dm.hparams.image_size,
    channels: dm.hparams.channels,
    mean: dm.hparams.mean,
    std: dm.hparams.std,
    eval_transforms: dm.hparams.eval_transforms,
    data_version: dm.dataVersion,
    ...extra,
  };
}

export function formatMetrics(m: Record<string, number>): string {
  return Object.entries(m)
    .map(([k, v]) => `${k}=${Number.isFinite(v) ? v.toFixed(4) : v}`)
    .join(' ');
}
