/**
 * The DVC side of the data: when `<data_dir>.dvc` (or a parent's) exists, the folder must match it
 * before training. Training never changes the user's workspace: a tracked folder that is absent
 * altogether (a fresh clone) is checked out from the cache or pulled from the default remote; a
 * folder that exists and differs from its .dvc file is the user's, so the run is refused (one line
 * with what differs and the two ways forward) unless `allow_modified`, when the run trains on it
 * and records that the data was not the committed version. The hash is the run's data version.
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
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
  /** What sync did: 'in sync', 'checked out', 'pulled', or 'modified' (trained on as is). */
  action: string;
  /** False when the folder differs from the .dvc file (trained on with allow_modified). */
  committed: boolean;
  /** When not committed: the hash of the folder as trained on (`md5` is then the .dvc's). */
  workspace_md5?: string;
  /** When not committed: how many files differ from the .dvc file. */
  changes?: { modified: number; added: number; deleted: number };
}

/** How a tracked folder (or file) in the workspace differs from its .dvc file. */
export interface WorkspaceDiff {
  /** The workspace's hash (`<md5>.dir` for a folder). */
  md5: string;
  /** The hash the .dvc file records. */
  recorded: string;
  /** Paths relative to the tracked folder; empty lists when the .dvc's file list is not in the cache. */
  modified: string[];
  added: string[];
  deleted: string[];
  /** False when the recorded file list is not in the cache (only the hashes can be compared). */
  listed: boolean;
}

/** Thrown (as a CopperError) when the data differs from its .dvc file and allow_modified is off. */
export class DataModifiedError extends CopperError {
  constructor(
    message: string,
    readonly diff: WorkspaceDiff,
  ) {
    super(message);
  }
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

/** Hashes the tracked output in the workspace (nothing written there) and compares it with the .dvc file. */
export async function compareWithDvcFile(repo: dvc.Repo, dvcFile: string): Promise<WorkspaceDiff | null> {
  const file = dvc.DvcFile.read(repo.root, dvcFile);
  const out = file.outs[0];
  if (!out || file.outs.length !== 1) throw new CopperError(`${dvcFile} must track exactly one output`);
  const recorded = out.md5 ?? '';
  return dvc.withData(repo, async (d) => {
    const space = d.space(dvc.isLegacyOut(out));
    const ws = await dvc.hashWorkspace(space.hash, out.abs);
    if (ws.kind === 'missing') return null;
    const md5 = ws.kind === 'file' ? ws.md5 : ws.oid;
    const r: WorkspaceDiff = { md5, recorded, modified: [], added: [], deleted: [], listed: true };
    if (md5 === recorded) return r;
    if (ws.kind === 'file') {
      r.modified.push(relative(dirname(out.abs), out.abs));
      return r;
    }
    let entries;
    try {
      entries = recorded.endsWith('.dir') ? space.store.readManifest(recorded) : undefined;
    } catch {
      entries = undefined;
    }
    if (!entries) {
      r.listed = false;
      return r;
    }
    const before = new Map(entries.map((e) => [e.relpath, e.md5]));
    for (const f of ws.files) {
      const was = before.get(f.relpath);
      if (was === undefined) r.added.push(f.relpath);
      else if (was !== f.md5) r.modified.push(f.relpath);
      before.delete(f.relpath);
    }
    r.deleted.push(...before.keys());
    return r;
  });
}

/** `p` relative to the current folder when inside it, else absolute. */
function shownPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r === '' ? '.' : r.startsWith('..') ? p : r;
}

/** One line: what differs, a few names, and the two ways forward (or the option to train anyway). */
export function modifiedMessage(tracked: string, dvcFile: string, d: WorkspaceDiff): string {
  const t = shownPath(tracked);
  const f = shownPath(dvcFile);
  let what: string;
  if (d.listed) {
    const names = [...d.modified, ...d.added, ...d.deleted];
    const few = names.slice(0, 3).join(', ') + (names.length > 3 ? `, ... ${names.length - 3} more` : '');
    what = `${d.modified.length} modified, ${d.added.length} added, ${d.deleted.length} deleted (${few})`;
  } else what = `its hash is ${d.md5}, the .dvc file records ${d.recorded} (that file list is not in the DVC cache)`;
  const unsaved = d.modified.length + d.added.length > 0 || !d.listed;
  return (
    `${t}${d.listed && d.md5.endsWith('.dir') ? '/' : ''} differs from ${f}: ${what}. Training does not change your data: ` +
    `run \`dvc add ${t}\` to version the change, or \`dvc checkout${unsaved ? ' --force' : ''} ${f}\` to drop it ` +
    `(or train on it as it is with data.allow_modified=True)`
  );
}

export async function syncData(dataDir: string, log: (m: string) => void = () => {}, opts: { allowModified?: boolean } = {}): Promise<DataVersionInfo | null> {
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
  let modified: WorkspaceDiff | null = null;
  try {
    if (existsSync(tracked)) {
      // the user's folder: compared, never changed
      const d = await compareWithDvcFile(repo, dvcFile);
      if (d && d.md5 !== d.recorded) {
        if (!opts.allowModified) throw new DataModifiedError(modifiedMessage(tracked, dvcFile, d), d);
        modified = d;
        action = 'modified';
      }
    } else {
      // absent altogether (a fresh clone): check out from the cache, or pull
      const { report } = await dvc.status(repo, [dvcFile]);
      // Entries of a .dvc file are `{ 'changed outs': {path: state} }` (pipeline stages add others).
      const states = Object.values(report).flatMap((groups) =>
        groups.flatMap((g) => (typeof g === 'object' && g['changed outs'] && typeof g['changed outs'] === 'object' ? Object.values(g['changed outs'] as Record<string, string>) : [])),
      );
      if (states.includes('not in cache')) {
        const pulled = await tryPull(repo, dvcFile, log);
        if (pulled !== true) throw new CopperError(`data folder ${dataDir} is missing and its files are not in the DVC cache: run \`dvc pull\` first${pulled ? ` (${pulled})` : ''}`);
        action = 'pulled';
      } else {
        log(`data ${tracked} is missing: checking it out from the DVC cache (${dvcFile})`);
        const c = counter(`checking out ${tracked}`);
        try {
          await dvc.checkout(repo, [dvcFile], { onProgress: c.advance });
        } finally {
          c.done();
        }
        action = 'checked out';
      }
    }
  } catch (e) {
    if (e instanceof CopperError) throw e;
    throw new CopperError(`cannot bring ${dataDir} in line with ${dvcFile}: ${message(e)}`);
  }
  const v = dvc.dataVersion(dvcFile, { repo, cwd: repo.root });
  const info: DataVersionInfo = { dvc_file: dvcFile, md5: v.md5 ?? null, nfiles: v.nfiles ?? null, size: v.size ?? null, action, committed: !modified };
  if (modified) {
    info.workspace_md5 = modified.md5;
    info.changes = { modified: modified.modified.length, added: modified.added.length, deleted: modified.deleted.length };
  }
  return info;
}
