/**
 * The DVC side of the data: when `<data_dir>.dvc` exists, the folder must match it before training.
 * Missing or stale data is checked out from the DVC cache (DVC's rules: files that are not in the
 * cache are never overwritten); the recorded hash is the run's data version.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as dvc from '@copper/dvc';
import { CopperError } from '../utils/errors.js';
import { counter } from '../utils/progress.js';

export interface DataVersionInfo {
  /** The .dvc file (absolute). */
  dvc_file: string;
  /** The recorded md5 (`<md5>.dir` for a folder). */
  md5: string | null;
  nfiles: number | null;
  size: number | null;
  /** What sync did: 'in sync', 'checked out', or 'not in cache' (used as is). */
  action: string;
}

/**
 * The .dvc file tracking `dataDir`: `<dataDir>.dvc`, or `<ancestor>.dvc` for the nearest tracked
 * parent folder (`dvc add data` tracks data/PetImages too); null when none up to the DVC root.
 */
export function dvcFileFor(dataDir: string): string | null {
  let dir = resolve(dataDir);
  for (;;) {
    if (existsSync(`${dir}.dvc`)) return `${dir}.dvc`;
    const parent = dirname(dir);
    if (parent === dir || existsSync(join(parent, '.dvc'))) return null;
    dir = parent;
  }
}

function message(e: unknown): string {
  return String((e as Error).message ?? e).split('\n')[0]!;
}

/**
 * `dvc pull` of the .dvc file from the default remote: true when done, else a short reason
 * (no remote configured, object missing there, ...).
 */
async function tryPull(repo: dvc.Repo, dvcFile: string, log: (m: string) => void): Promise<true | string> {
  log(`pulling ${dvcFile} from the DVC remote`);
  try {
    await dvc.pull(repo, [dvcFile], {});
    return true;
  } catch (e) {
    if (e instanceof dvc.CheckoutUnsavedError) throw e;
    return message(e);
  }
}

export async function syncData(dataDir: string, log: (m: string) => void = () => {}): Promise<DataVersionInfo | null> {
  const dvcFile = dvcFileFor(dataDir);
  if (!dvcFile) return null;
  const tracked = dvcFile.slice(0, -4);
  let repo: dvc.Repo;
  try {
    repo = dvc.Repo.open(dirname(dvcFile));
  } catch (e) {
    throw new CopperError(`${dvcFile} is not inside a DVC repository: ${message(e)}`);
  }
  let action = 'in sync';
  try {
    const { report } = await dvc.status(repo, [dvcFile]);
    // Entries of a .dvc file are `{ 'changed outs': {path: state} }` (pipeline stages add others).
    const states = Object.values(report).flatMap((groups) =>
      groups.flatMap((g) => (typeof g === 'object' && g['changed outs'] && typeof g['changed outs'] === 'object' ? Object.values(g['changed outs'] as Record<string, string>) : [])),
    );
    const present = existsSync(dataDir) && existsSync(tracked);
    if (states.includes('not in cache')) {
      const pulled = await tryPull(repo, dvcFile, log);
      if (pulled === true) action = 'pulled';
      else if (!present) {
        throw new CopperError(`data folder ${dataDir} is missing and its files are not in the DVC cache: run \`dvc pull\` first${pulled ? ` (${pulled})` : ''}`);
      } else {
        log(`data ${dataDir}: not all of it is in the DVC cache${pulled ? ` and pull failed (${pulled})` : ''}; using the files in the workspace`);
        action = 'not in cache';
      }
    } else if (states.includes('deleted') || states.includes('modified')) {
      log(`data ${tracked} is ${present ? 'out of date' : 'missing'}: checking it out from the DVC cache (${dvcFile})`);
      const c = counter(`checking out ${tracked}`);
      try {
        await dvc.checkout(repo, [dvcFile], { onProgress: c.advance });
      } finally {
        c.done();
      }
      action = 'checked out';
    }
  } catch (e) {
    if (e instanceof CopperError) throw e;
    if (e instanceof dvc.CheckoutUnsavedError) {
      throw new CopperError(`${tracked} has files that are not saved in DVC and a checkout would remove them: run \`dvc add ${tracked}\` to keep them or \`dvc checkout --force\` to drop them`);
    }
    throw new CopperError(`cannot bring ${dataDir} in line with ${dvcFile}: ${message(e)}`);
  }
  const v = dvc.dataVersion(dvcFile, { repo, cwd: repo.root });
  return { dvc_file: dvcFile, md5: v.md5 ?? null, nfiles: v.nfiles ?? null, size: v.size ?? null, action };
}
