/**
 * `dvc fetch`: download the objects the targets use into the cache (manifests first, so the
 * folders' files are known), each verified by its md5 before it enters the cache.
 */
import { DvcError, NoSpaceError } from '../errors.js';
import { download, parallel, type TransferFailure } from '../sync/transfer.js';
import { freeBytes } from '../sync/workspace.js';
import { cacheManifests, expandOuts, byHashName, type UsedObject, type UsedOut } from '../sync/used.js';
import { withData, type DataContext } from './context.js';
import { byRemote, jobsOf, openRemoteDb, poolWriter, usedOuts, type SyncOptions } from './data-sync.js';
import type { Repo } from './repo.js';
import type { ObjectStamp } from '../odb/write.js';

export interface FetchResult {
  /** Objects downloaded. */
  fetched: number;
  /** Objects neither the cache nor the remote has. */
  missing: UsedObject[];
  failed: TransferFailure[];
  /** Objects of the md5 cache downloaded in this run, each verified against its oid as it arrived. */
  verified: Set<string>;
  /** Objects that did not fit in the cache (ENOSPC): where, and their bytes as the remote has them. */
  noSpace?: { cacheDir: string; names: string[]; bytes: number };
}

function isNoSpace(e: unknown): boolean {
  return (e as { code?: string } | undefined)?.code === 'ENOSPC';
}

/** Some objects could not be downloaded (DVC: exit 1 with "N files failed to download"). */
export class DownloadError extends DvcError {
  constructor(
    readonly result: FetchResult,
    detail?: string,
  ) {
    super(`${result.failed.length} files failed to download${detail ? ` (${detail})` : ''}`);
  }
}

/** Fetches for outputs already collected (pull uses it with the same data context). */
export async function fetchOuts(repo: Repo, d: DataContext, outs: UsedOut[], opts: SyncOptions = {}): Promise<FetchResult> {
  const result: FetchResult = { fetched: 0, missing: [], failed: [], verified: new Set() };
  // DVC 2 outputs come from the remote's old layout into the cache's old layout.
  for (const part of byHashName(outs)) {
    const r = await fetchGroup(repo, d, part.outs, part.legacy, opts);
    result.fetched += r.fetched;
    result.missing.push(...r.missing);
    result.failed.push(...r.failed);
    if (r.noSpace) {
      const ns = (result.noSpace ??= { ...r.noSpace, names: [], bytes: 0 });
      ns.names.push(...r.noSpace.names);
      ns.bytes += r.noSpace.bytes;
    }
    for (const oid of r.verified) result.verified.add(oid);
  }
  return result;
}

async function fetchGroup(repo: Repo, d: DataContext, outs: UsedOut[], isLegacy: boolean, opts: SyncOptions): Promise<FetchResult> {
  const jobs = jobsOf(opts.jobs);
  const result: FetchResult = { fetched: 0, missing: [], failed: [], verified: new Set() };
  const store = d.space(isLegacy).store;
  for (const { rc, outs: group } of byRemote(repo, outs, opts.remote).values()) {
    const manifests = cacheManifests(store);
    // Which manifests must come first.
    const dirOids = [...new Set(group.filter((o) => o.oid.endsWith('.dir') && !manifests(o.oid)).map((o) => o.oid))];
    const needFiles = () => {
      const { objects } = expandOuts(group, manifests);
      const files = objects.filter((o) => !o.oid.endsWith('.dir'));
      const absent = new Set(store.missing(files.map((o) => o.oid)));
      return files.filter((o) => absent.has(o.oid));
    };
    if (!dirOids.length && !needFiles().length) continue;
    const remote = await openRemoteDb(rc, isLegacy);
    const fs = remote.fs;
    const start = result.failed.length;
    try {
      let total = 0;
      const state = d.space(isLegacy).hash.state;
      const progress = {
        jobs,
        writer: poolWriter(d),
        // Each object is hashed as it arrives: its stamp lets a later push or checkout trust it.
        ...(isLegacy ? {} : { onVerified: (oid: string, stamp: ObjectStamp) => state.putObjectStamp(oid, stamp) }),
        onProgress: opts.onProgress,
        onTotal: (t: { files: number }) => {
          total += t.files;
          opts.onTotal?.({ files: total });
        },
      };
      const get = (objects: UsedObject[]) => download(remote, store.db, objects, progress);
      if (dirOids.length) {
        const named = dirOids.map((oid) => ({ oid, name: group.find((o) => o.oid === oid)!.rel }));
        // A corrupt manifest in the cache is replaced.
        for (const o of named) if (store.exists(o.oid)) store.remove(o.oid);
        const r = await get(named);
        result.fetched += r.transferred.length;
        result.missing.push(...r.missing);
        result.failed.push(...r.failed);
      }
      const files = needFiles();
      const r = await get(files);
      if (!isLegacy) for (const o of r.transferred) result.verified.add(o.oid);
      result.fetched += r.transferred.length;
      result.missing.push(...r.missing);
      result.failed.push(...r.failed);
      // A full cache: how much the objects that did not fit need (sizes from the remote).
      const full = result.failed.slice(start).filter((f) => isNoSpace(f.error));
      if (full.length) {
        const ns = (result.noSpace ??= { cacheDir: store.root, names: [], bytes: 0 });
        await parallel(full, jobs, async (f) => {
          ns.names.push(f.object.name);
          const size = await remote.size(f.object.oid).catch(() => undefined);
          ns.bytes += size ?? 0;
        });
      }
    } finally {
      await fs.close();
    }
  }
  return result;
}

export interface FetchOptions extends SyncOptions {
  /** `--max-size`: only outputs smaller than this many bytes (outputs of unknown size too). */
  maxSize?: number;
  /** `--type`: only outputs that are metrics or plots. */
  types?: Array<'metrics' | 'plots'>;
}

/**
 * DVC's fetch `outs_filter` for --max-size/--type, from what the workspace's `.dvc` files,
 * dvc.yaml and dvc.lock say of each output (size, kind). Outputs only other revisions have are
 * of no known kind (left out by --type) and size (kept by --max-size).
 */
async function outsFilter(repo: Repo, opts: FetchOptions): Promise<((o: UsedOut) => boolean) | undefined> {
  if (!opts.maxSize && !opts.types?.length) return undefined;
  const { collectDvcFiles } = await import('./collect.js');
  const { loadPipeline } = await import('./pipeline.js');
  const info = new Map<string, { size?: number; kind?: string }>();
  for (const f of collectDvcFiles(repo)) for (const o of f.outs) info.set(o.rel, { size: o.size });
  for (const s of loadPipeline(repo).stages) {
    for (const o of s.outs) info.set(o.rel, { kind: o.kind, size: s.lock?.outs.find((e) => e.path === o.path)?.size });
  }
  return (o) => {
    const i = info.get(o.rel);
    if (opts.types?.length && !opts.types.some((t) => i?.kind === t)) return false;
    // As DVC: --max-size 0 filters nothing.
    if (opts.maxSize && i?.size !== undefined && i.size >= opts.maxSize) return false;
    return true;
  };
}

export async function fetch(repo: Repo, targets: string[] = [], opts: FetchOptions = {}): Promise<FetchResult> {
  return repo.withLock(() =>
    withData(repo, async (d) => {
      // Imports come from their source repositories (imp.ts), the rest from the remote.
      const { fetchImportsOf } = await import('./imp.js');
      const keep = await outsFilter(repo, opts);
      const used = await usedOuts(repo, targets, opts);
      const imp = await fetchImportsOf(repo, targets, keep ? used.filter(keep) : used, opts);
      // Only imports: no remote needed.
      const r: FetchResult = imp.outs.length || !imp.imports ? await fetchOuts(repo, d, imp.outs, opts) : { fetched: 0, missing: [], failed: [], verified: new Set() };
      r.fetched += imp.fetched;
      r.failed.push(...imp.failed);
      throwIfFailed(r);
      return r;
    }),
  );
}

export function throwIfFailed(r: FetchResult): void {
  if (!r.failed.length) return;
  const ns = r.noSpace;
  if (ns?.names.length) {
    const names = [...ns.names].sort();
    throw new NoSpaceError(ns.cacheDir, names[0]!, ns.bytes || undefined, freeBytes(ns.cacheDir), names.length - 1);
  }
  const other = r.failed.find((f) => (f.error as { code?: string })?.code !== 'ENOENT');
  const e = other?.error;
  if (e instanceof DvcError) throw e;
  throw new DownloadError(r, e instanceof Error ? e.message : undefined);
}
