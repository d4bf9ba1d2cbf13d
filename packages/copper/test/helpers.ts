// Shared test helpers: scratch folders, the synthetic dataset, in-process Hydra runs of the tasks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { runHydra } from '@copper/hydra';
import { writeSyntheticDataset } from '../src/data/synthetic.js';

export const CONFIG_DIR = fileURLToPath(new URL('../configs', import.meta.url));
export const PKG_DIR = fileURLToPath(new URL('..', import.meta.url));
export const DIST_CLI = (name: string) => join(PKG_DIR, 'dist', 'cli', `${name}.js`);

export function scratch(prefix = 'copper-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `<dir>/data/PetImages/{Cat,Dog}` with `perClass` 32x32 JPEGs each. */
export function makeData(dir: string, perClass = 30, seed = 1234): string {
  const root = join(dir, 'data', 'PetImages');
  writeSyntheticDataset(root, { perClass, size: 32, seed });
  return root;
}

/** Overrides that keep a run small and inside `dir`. */
export function smallRun(dir: string): string[] {
  return [
    `paths.root_dir=${dir}`,
    'data.image_size=32',
    'data.batch_size=16',
    'data.num_workers=0',
    `hydra.run.dir=${dir}/run`,
    `hydra.sweep.dir=${dir}/multirun`,
  ];
}

/** Runs a config through Hydra in this process with `task`; returns the jobs. */
export async function hydraRun<T>(configName: string, argv: string[], task: (cfg: any) => Promise<T> | T) {
  return runHydra({ configPath: CONFIG_DIR, configName, argv, quiet: true, jobName: configName }, task);
}

/** Runs a built CLI (`npm test` builds first). */
export function cli(name: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [DIST_CLI(name), ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
