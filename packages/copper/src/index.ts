/**
 * @copper/copper: the Lightning + Hydra style training template.
 *
 *   copper_train experiment=cat_dog            # train, checkpoint, test
 *   copper_eval ckpt_path=.../epoch_009.ckpt   # test a checkpoint
 *   copper_infer img_path=cat.jpg ckpt_path=...  # "Class: Cat, Probability: 0.9812"
 *
 * The same pieces as a library: data modules and loaders, LightningModule, Trainer, callbacks,
 * loggers, and the train/eval/infer tasks.
 */
export { ImageFolder, splitSamples, IMAGE_EXTENSIONS, type Sample } from './data/image-folder.js';
export { decodeImage, loadImage, encodeJpeg, encodePng, type RgbImage, type DecodedImage, type LoadOptions } from './data/image.js';
export { parseTransforms, planImage, TRANSFORM_NAMES, type TransformSpec } from './data/transforms.js';
export { DataLoader, DecodePool, type Batch, type LoaderOptions } from './data/loader.js';
export { ImageFolderDataModule, type ImageFolderDataModuleOptions } from './data/datamodule.js';
export { syncData, dvcFileFor, type DataVersionInfo } from './data/dvc-sync.js';
export { writeSyntheticDataset, syntheticImage, type SyntheticOptions } from './data/synthetic.js';
export { LightningModule, type LogOptions, type OptimizerConfig, type SchedulerConfig } from './models/lightning-module.js';
export { ImageClassifier, type ImageClassifierOptions } from './models/classifier.js';
export { SimpleCNN, TinyResNet } from './models/nets.js';
export * as models from './models/torchvision.js';
export { VisionNet, ResNet, MobileNetV3, EfficientNet, type VisionNetOptions, type WeightsReport } from './models/torchvision.js';
export { accuracy, correctCount, MeanMetric, MaxMetric } from './models/metrics.js';
export { Trainer, type TrainerOptions } from './trainer/trainer.js';
export { saveCheckpoint, loadCheckpoint, type Checkpoint } from './trainer/checkpoint.js';
export { Callback } from './callbacks/callback.js';
export { ModelCheckpoint, formatCheckpointName } from './callbacks/model-checkpoint.js';
export { EarlyStopping } from './callbacks/early-stopping.js';
export { ModelSummary, summarize } from './callbacks/model-summary.js';
export { ProgressBar } from './callbacks/progress-bar.js';
export { LearningRateMonitor } from './callbacks/lr-monitor.js';
export { BackboneFinetuning, type BackboneFinetuningOptions } from './callbacks/backbone-finetuning.js';
export { OptunaPruning } from './callbacks/optuna-pruning.js';
export { CSVLogger } from './loggers/csv.js';
export { TensorBoardLogger, encodeEvent, tfRecord, crc32c } from './loggers/tensorboard.js';
export type { ExperimentLogger } from './loggers/logger.js';
export { train, type TaskResult } from './tasks/train.js';
export { evaluate } from './tasks/eval.js';
export { infer, loadPredictor, formatPrediction, type Prediction, type Predictor } from './tasks/infer.js';
export { registerCopperTargets } from './registry.js';
export { seedEverything } from './tasks/common.js';
export { CopperError } from './utils/errors.js';
export { Rng } from './utils/rng.js';
