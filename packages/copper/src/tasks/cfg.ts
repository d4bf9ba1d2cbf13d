/** Reading config values (no heavy imports, so copper_infer starts fast). */
import { toContainer } from '@copper/hydra';

export type Cfg = Record<string, any>;

/** cfg[key] or undefined when the (struct) config has no such key. */
export function opt(cfg: Cfg | null | undefined, key: string): any {
  if (!cfg) return undefined;
  try {
    return key in cfg ? cfg[key] : undefined;
  } catch {
    return undefined;
  }
}

export function plainCfg(node: unknown): any {
  if (node === null || node === undefined) return node;
  if (typeof node !== 'object') return node;
  return toContainer(node as never, { resolve: true });
}
