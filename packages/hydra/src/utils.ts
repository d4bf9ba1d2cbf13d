/** hydra.utils equivalents for tasks run through main(). */
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { HydraError } from './errors.js';
import { getHydraConfig } from './compose/compose.js';
import { DictNode } from './omegaconf/nodes.js';
import { select } from './omegaconf/omegaconf.js';
import { wrap } from './omegaconf/proxy.js';

/** The `hydra` node of the running job (HydraConfig.get()). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function hydraConfig(): Record<string, any> {
  const h = getHydraConfig();
  if (!(h instanceof DictNode)) throw new HydraError('HydraConfig is not set: call this from a task run by main()');
  return wrap(h);
}

/** The folder the application was started from (before hydra.job.chdir). */
export function getOriginalCwd(): string {
  const h = getHydraConfig();
  if (!h) throw new HydraError('getOriginalCwd() is only available in a task run by main()');
  return String(select(h, 'runtime.cwd'));
}

/** A path made absolute against the original working folder. */
export function toAbsolutePath(path: string): string {
  if (isAbsolute(path)) return path;
  const h = getHydraConfig();
  return resolvePath(h ? getOriginalCwd() : process.cwd(), path);
}
