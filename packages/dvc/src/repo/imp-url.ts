/**
 * `dvc import-url URL [OUT]` and its `dvc update`: track a file or folder from outside the
 * repository, a local path or a URL (url-source.ts), as DVC writes it:
 *
 *   md5: <stage md5>
 *   frozen: true
 *   deps:
 *   - md5: ...  size: ...  hash: md5  path: ../ext.txt        (a local path)
 *   - etag: ...  size: ...  hash: md5  path: s3://bucket/key   (a URL: its backend's marker)
 *   outs:
 *   - md5: ...  size: ...  hash: md5  path: ext.txt
 *
 * `--to-remote` sends the data to a remote without keeping it here; `--no-download` records the
 * source but not the data (the output has no hash); `--no-exec` records neither.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { DvcError } from '../errors.js';
import { DvcFile } from '../formats/dvcfile.js';
import { StateDb } from '../hash/state.js';
import { applyCheckout, planCheckout } from '../sync/checkout.js';
import { cacheManifests, expandOuts } from '../sync/used.js';
import { upload } from '../sync/transfer.js';
import { hashWorkspace, type HashContext } from '../sync/workspace.js';
import { LocalObjectStore } from '../odb/local.js';
import { ObjectDb } from '../odb/db.js';
import { LAYOUT_V3 } from '../odb/layout.js';
import { repoPath } from './collect.js';
import { withData, type DataContext } from './context.js';
import { jobsOf, onRemote, openRemoteFs, remoteConfig } from './data-sync.js';
import { GetDvcFileError, resolveOutput } from './get.js';
import { stageMd5 } from './imp.js';
import type { Repo } from './repo.js';
import { downloadSource, isRemoteUrl, openUrlSource, recordsMd5, sourceDep, sourceShape, tempPath, type SourceShape, type UrlSource } from './url-source.js';
import { Y as yamlLib } from '../formats/dvcyaml.js';

export interface ImportUrlOptions {
  noExec?: boolean;
  noDownload?: boolean;
  force?: boolean;
  /** Send the data to a remote (`remote`, else the default one) instead of here. */
  toRemote?: boolean;
  remote?: string;
  jobs?: number;
  /** `--fs-config`: options of the URL's file system, recorded in the `.dvc` file as DVC does. */
  fsConfig?: Record<string, string>;
}

export interface ImportUrlResult {
  dvcFile: string;
  out: string;
  /** The source: a local path absolute (DVC's "Importing '<abs>' -> 'out'"), a URL as given. */
  source: string;
}

function posix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}

interface Hash {
  md5: string;
  size: number;
  nfiles?: number;
}

/** Hashes a path outside the repository into `store` (or only hashes, without one). */
async function hashInto(d: DataContext, srcAbs: string, store: LocalObjectStore | undefined): Promise<Hash> {
  const state = StateDb.memory();
  const ctx: HashContext = { ...d.hash, root: dirname(srcAbs), state, allowed: [srcAbs], ignore: undefined };
  try {
    const ws = await hashWorkspace(ctx, srcAbs, store);
    if (ws.kind === 'missing') throw new DvcError(`dependency '${srcAbs}' does not exist`);
    if (ws.kind === 'dir') {
      store?.addBytes(ws.oid, ws.text);
      return { md5: ws.oid, size: ws.size, nfiles: ws.nfiles };
    }
    return { md5: ws.md5, size: ws.size };
  } finally {
    state.close();
  }
}

function hashFields(h: Hash): Record<string, unknown> {
  const r: Record<string, unknown> = { md5: h.md5, size: h.size };
  if (h.md5.endsWith('.dir')) r.nfiles = h.nfiles ?? 0;
  return r;
}

interface StageParts {
  /** The dependency's fields before `hash`/`path` (none for --no-exec). */
  dep: Record<string, unknown>;
  depPath: string;
  fsConfig?: Record<string, string> | undefined;
  /** The output's hash (none for --no-exec and --no-download). */
  out?: Hash | undefined;
  outPath: string;
  /** Whether the stage md5 is written (not for --no-exec). */
  withMd5: boolean;
}

function stageText(p: StageParts): string {
  const Y = yamlLib();
  const dep: Record<string, unknown> = { ...p.dep, hash: 'md5', path: p.depPath };
  if (p.fsConfig && Object.keys(p.fsConfig).length) dep.fs_config = p.fsConfig;
  const out: Record<string, unknown> = { ...(p.out ? hashFields(p.out) : {}), hash: 'md5', path: p.outPath };
  const body = { frozen: true, deps: [dep], outs: [out] };
  const data = p.withMd5 ? { md5: stageMd5(body), ...body } : body;
  return new Y.Document(data).toString({ indentSeq: false, lineWidth: 0, singleQuote: true });
}

function writeStage(repo: Repo, dvcAbs: string, p: StageParts): void {
  mkdirSync(dirname(dvcAbs), { recursive: true });
  DvcFile.parse(repo.root, dvcAbs, stageText(p)).write();
}

async function checkoutOut(repo: Repo, d: DataContext, dvcAbs: string, outAbs: string, force: boolean): Promise<void> {
  const file = DvcFile.read(repo.root, dvcAbs);
  if (force) rmSync(outAbs, { recursive: true, force: true });
  const plan = await planCheckout(d.hash, d.store, file.outs[0]!);
  if (plan.unsaved.length) throw new DvcError(`'${repo.relPath(outAbs)}' has changes that are not in the cache: use --force to replace it`);
  if (plan.missing.length) throw new DvcError(`cannot check out '${repo.relPath(outAbs)}': its data is not in the cache`);
  mkdirSync(dirname(outAbs), { recursive: true });
  await applyCheckout(d.hash, d.store, plan, d.linkTypes);
}

/** Downloads a URL source through a temp folder into `store`; its output hash. */
async function fetchInto(repo: Repo, d: DataContext, src: UrlSource, shape: SourceShape, store: LocalObjectStore, jobs?: number): Promise<Hash> {
  const tmp = tempPath(repo, 'import-url');
  try {
    await downloadSource(src, shape, tmp, jobs);
    return await hashInto(d, tmp, store);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Sends the data at `from` (a local path, or a URL source) to a remote without keeping it in the
 * cache: hashed into a throwaway store in `.dvc/tmp`, uploaded from there. Its hash.
 */
export async function transferToRemote(
  repo: Repo,
  d: DataContext,
  from: { local: string } | { src: UrlSource; shape: SourceShape },
  remote: string | undefined,
  jobs?: number,
): Promise<Hash> {
  const rc = remoteConfig(repo, remote);
  const root = tempPath(repo, 'to-remote');
  try {
    const store = new LocalObjectStore(root);
    let h: Hash;
    if ('local' in from) h = await hashInto(d, from.local, store);
    else {
      const tmp = `${root}.data`;
      try {
        await downloadSource(from.src, from.shape, tmp, jobs);
        h = await hashInto(d, tmp, store);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    }
    const { objects } = expandOuts([{ rel: 'out', oid: h.md5, push: true }], cacheManifests(store));
    const fs = await openRemoteFs(rc);
    try {
      const r = await onRemote(rc, fs, () => upload(store.db, new ObjectDb(fs, LAYOUT_V3), objects, { jobs: jobsOf(jobs) }));
      if (r.failed.length) {
        const e = r.failed[0]!.error;
        if (e instanceof DvcError) throw e;
        throw new DvcError(`failed to transfer ${r.failed.length} file(s) to remote '${rc.name}': ${String((e as Error)?.message ?? e).split('\n')[0]}`);
      }
    } finally {
      await fs.close();
    }
    return h;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export async function importUrl(repo: Repo, url: string, out: string | undefined, opts: ImportUrlOptions = {}): Promise<ImportUrlResult> {
  if (opts.toRemote && (opts.noExec || opts.noDownload)) throw new DvcError('--no-exec/--no-download/--version-aware cannot be combined with --to-remote');
  if (!opts.toRemote && opts.remote) throw new DvcError("--remote can't be used without --to-remote");
  const remote = isRemoteUrl(url);
  const srcPath = remote ? url : /^file:\/\//i.test(url) ? decodeURIComponent(new URL(url).pathname) : url;
  const srcAbs = remote ? url : resolve(srcPath);
  if (!remote && !existsSync(srcAbs)) throw new DvcError(`dependency '${url}' does not exist`);
  const outRel = resolveOutput(srcPath, out, opts.force);
  const outAbs = repoPath(repo, outRel);
  if (DvcFile.isDvcFileName(outAbs)) throw new GetDvcFileError();
  const rel = posix(relative(repo.root, outAbs));
  if (rel === '' || rel.startsWith('..') || ['.dvc', '.git'].includes(rel.split('/')[0]!)) {
    throw new DvcError(`cannot import to '${outRel}': it is outside of the repository or inside '.dvc'/'.git'`);
  }
  const dvcAbs = DvcFile.pathFor(outAbs);
  if (existsSync(dvcAbs) && !opts.force) throw new DvcError(`'${posix(relative(process.cwd(), dvcAbs))}' already exists. Use \`-f|--force\` to overwrite it.`);
  // As DVC: a relative path is kept relative (to the .dvc file's folder), an absolute one or a URL as given.
  const depPath = remote || isAbsolute(srcPath) ? srcPath : posix(relative(dirname(dvcAbs), srcAbs));
  const outPath = posix(relative(dirname(dvcAbs), outAbs));
  const parts = { depPath, outPath, fsConfig: remote ? opts.fsConfig : undefined };
  return repo.withLock(() =>
    withData(repo, async (d) => {
      if (opts.noExec) writeStage(repo, dvcAbs, { ...parts, dep: {}, withMd5: false });
      else if (remote) await importRemote(repo, d, url, dvcAbs, outAbs, parts, opts);
      else {
        const h = await hashInto(d, srcAbs, opts.noDownload ? undefined : d.store);
        if (opts.toRemote) {
          const o = await transferToRemote(repo, d, { local: srcAbs }, opts.remote, opts.jobs);
          writeStage(repo, dvcAbs, { ...parts, dep: hashFields(h), out: o, withMd5: true });
        } else {
          writeStage(repo, dvcAbs, { ...parts, dep: hashFields(h), out: opts.noDownload ? undefined : h, withMd5: true });
          if (!opts.noDownload) await checkoutOut(repo, d, dvcAbs, outAbs, !!opts.force);
        }
      }
      repo.scmContext.track(dvcAbs);
      if (repo.scm) {
        const g = repo.scm.ignore(outAbs);
        if (g) repo.scmContext.track(g);
      }
      return { dvcFile: dvcAbs, out: outAbs, source: srcAbs };
    }),
  );
}

/** import-url of a URL: the source's marker recorded, the data downloaded (or sent to a remote). */
async function importRemote(
  repo: Repo,
  d: DataContext,
  url: string,
  dvcAbs: string,
  outAbs: string,
  parts: { depPath: string; outPath: string; fsConfig?: Record<string, string> | undefined },
  opts: ImportUrlOptions,
): Promise<void> {
  const src = await openUrlSource(repo, url, opts.fsConfig, opts.jobs);
  try {
    const shape = await sourceShape(src);
    if (shape.kind === 'missing') throw new DvcError(`dependency '${url}' does not exist`);
    const md5Dep = recordsMd5(src.protocol);
    if (opts.toRemote) {
      const dep = md5Dep ? undefined : await sourceDep(src, shape, { store: d.store, jobs: opts.jobs });
      const o = await transferToRemote(repo, d, { src, shape }, opts.remote, opts.jobs);
      writeStage(repo, dvcAbs, { ...parts, dep: dep ?? hashFields(o), out: o, withMd5: true });
      return;
    }
    if (opts.noDownload) {
      const dep = await sourceDep(src, shape, { store: d.store, jobs: opts.jobs });
      writeStage(repo, dvcAbs, { ...parts, dep, withMd5: true });
      return;
    }
    // The marker first: data that changes while it downloads is then seen as changed next time.
    const dep = md5Dep ? undefined : await sourceDep(src, shape, { store: d.store, jobs: opts.jobs });
    const h = await fetchInto(repo, d, src, shape, d.store, opts.jobs);
    writeStage(repo, dvcAbs, { ...parts, dep: dep ?? hashFields(h), out: h, withMd5: true });
    await checkoutOut(repo, d, dvcAbs, outAbs, !!opts.force);
  } finally {
    await src.close();
  }
}

interface UrlDep {
  path: string;
  fields: Record<string, unknown>;
  fsConfig?: Record<string, string>;
}

/** The dependency of an import-url `.dvc` file (one dep without `repo:`), or null. */
export function urlDepOf(text: string, Y: typeof import('yaml')): (UrlDep & { md5?: string }) | null {
  let data: unknown;
  try {
    data = Y.parse(text);
  } catch {
    return null;
  }
  const deps = (data as { deps?: unknown })?.deps;
  if (!Array.isArray(deps) || deps.length !== 1) return null;
  const dep = deps[0] as Record<string, unknown>;
  if (dep.repo !== undefined || typeof dep.path !== 'string') return null;
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(dep)) if (!['hash', 'path', 'fs_config'].includes(k)) fields[k] = v;
  const fsConfig = dep.fs_config && typeof dep.fs_config === 'object' ? (dep.fs_config as Record<string, string>) : undefined;
  return { path: dep.path, fields, ...(fsConfig ? { fsConfig } : {}), ...(typeof dep.md5 === 'string' ? { md5: dep.md5 } : {}) };
}

export interface UpdateUrlOptions {
  noDownload?: boolean;
  toRemote?: boolean;
  remote?: string;
  jobs?: number;
}

function sameDep(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (String(a[k] ?? '') !== String(b[k] ?? '')) return false;
  return true;
}

/**
 * `dvc update` of an import-url stage: the source's marker read again; unchanged (and the output
 * recorded) -> false, else the stage and the output are replaced -> true. `toRemote` always
 * sends the data again, as DVC does.
 */
export async function updateUrlImport(repo: Repo, dvcAbs: string, opts: UpdateUrlOptions = {}): Promise<{ changed: boolean; source: string; out: string }> {
  const Y = yamlLib();
  const text = readFileSync(dvcAbs, 'utf8');
  const dep = urlDepOf(text, Y);
  if (!dep) throw new DvcError(`'${repo.relPath(dvcAbs)}' is not an import`);
  const file = DvcFile.parse(repo.root, dvcAbs, text);
  const out = file.outs[0];
  if (!out) throw new DvcError(`'${file.rel}' has no output`);
  const parts = { depPath: dep.path, outPath: out.path, fsConfig: dep.fsConfig };
  const remote = isRemoteUrl(dep.path);
  const srcAbs = remote ? dep.path : isAbsolute(dep.path) ? dep.path : resolve(dirname(dvcAbs), dep.path);
  return withData(repo, async (d) => {
    const done = (changed: boolean) => {
      if (changed) repo.scmContext.track(dvcAbs);
      return { changed, source: srcAbs, out: out.abs };
    };
    if (!remote) {
      if (!existsSync(srcAbs)) throw new DvcError(`dependency '${dep.path}' does not exist`);
      const h = await hashInto(d, srcAbs, opts.noDownload || opts.toRemote ? undefined : d.store);
      if (opts.toRemote) {
        const o = await transferToRemote(repo, d, { local: srcAbs }, opts.remote, opts.jobs);
        writeStage(repo, dvcAbs, { ...parts, dep: hashFields(h), out: o, withMd5: true });
        return done(true);
      }
      if (sameDep(hashFields(h), dep.fields) && out.md5 === h.md5) return done(false);
      return done(await replace(d, hashFields(h), h));
    }
    const src = await openUrlSource(repo, dep.path, dep.fsConfig, opts.jobs);
    try {
      const shape = await sourceShape(src);
      if (shape.kind === 'missing') throw new DvcError(`dependency '${dep.path}' does not exist`);
      const fields = await sourceDep(src, shape, { store: d.store, jobs: opts.jobs });
      if (opts.toRemote) {
        const o = await transferToRemote(repo, d, { src, shape }, opts.remote, opts.jobs);
        writeStage(repo, dvcAbs, { ...parts, dep: fields, out: o, withMd5: true });
        return done(true);
      }
      if (sameDep(fields, dep.fields) && out.md5) return done(false);
      const h = opts.noDownload ? undefined : await fetchInto(repo, d, src, shape, d.store, opts.jobs);
      return done(await replace(d, fields, h));
    } finally {
      await src.close();
    }
  });

  /** Writes the new stage; the output checked out, or (--no-download) removed and unrecorded. */
  async function replace(d: DataContext, depFields: Record<string, unknown>, h: Hash | undefined): Promise<boolean> {
    const o = opts.noDownload ? undefined : h;
    writeStage(repo, dvcAbs, { ...parts, dep: depFields, out: o, withMd5: true });
    if (o) await checkoutOut(repo, d, dvcAbs, out!.abs, true);
    else rmSync(out!.abs, { recursive: true, force: true });
    return true;
  }
}
