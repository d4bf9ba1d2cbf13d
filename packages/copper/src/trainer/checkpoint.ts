/**
 * Checkpoints in PyTorch's file format (readable by Python's torch.load), laid out like
 * Lightning's: { epoch, global_step, state_dict, optimizer_states, lr_schedulers, callbacks,
 * hyper_parameters, data_version, copper_version }.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import * as torch from '@copper/torch';
import { CopperError } from '../utils/errors.js';

export const CHECKPOINT_VERSION = 'copper-0.1.0';

export type Checkpoint = {
  epoch: number;
  global_step: number;
  state_dict: Record<string, torch.Tensor>;
  optimizer_states?: unknown[];
  lr_schedulers?: unknown[];
  callbacks?: Record<string, unknown>;
  hyper_parameters?: Record<string, unknown>;
  data_version?: unknown;
  [k: string]: unknown;
};

/** Replaces undefined by null and drops functions so a value can be pickled. */
export function plain(v: unknown, depth = 0): torch.Saveable {
  if (depth > 32) return null;
  if (v === undefined || typeof v === 'function') return null;
  if (v instanceof torch.Tensor) return v;
  if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map((x) => plain(x, depth + 1));
  if (typeof v === 'object') {
    const o: Record<string, torch.Saveable> = {};
    for (const [k, x] of Object.entries(v as object)) if (typeof x !== 'function') o[k] = plain(x, depth + 1);
    return o;
  }
  return String(v);
}

export function saveCheckpoint(ckpt: Checkpoint, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  torch.save(plain({ ...ckpt, copper_version: CHECKPOINT_VERSION }), path);
}

export function loadCheckpoint(path: string): Checkpoint {
  if (!existsSync(path)) throw new CopperError(`checkpoint ${path} does not exist`);
  let c: torch.Loaded;
  try {
    c = torch.load(path);
  } catch (e) {
    throw new CopperError(`cannot read checkpoint ${path}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!c || typeof c !== 'object' || Array.isArray(c) || c instanceof torch.Tensor || !('state_dict' in c)) {
    throw new CopperError(`${path} is not a copper/Lightning checkpoint (no state_dict)`);
  }
  return c as unknown as Checkpoint;
}

/** Frees the tensors a loaded checkpoint holds. */
export function disposeCheckpoint(c: Checkpoint): void {
  torch.dispose(c as unknown);
}
