/**
 * `dvc import` and `dvc update`: track data from another repository. The `.dvc` file is DVC's
 * import stage, byte for byte:
 *
 *   md5: <stage md5>
 *   frozen: true
 *   deps:
 *   - path: data
 *     repo:
 *       url: ../registry
 *       rev: v1                 (only with --rev)
 *       rev_lock: <commit sha>
 *   outs:
 *   - md5: ...  size: ...  nfiles: ...  hash: md5  path: data
 *
 * The data goes into this repository's cache (from the source's cache when it is local, else its
 * remote) and is checked out like any output; the stage is frozen, so only `update` moves it.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, relative, sep } from 'node:path';
import type { Document, YAMLMap } from 'yaml';
import { DvcError, InvalidFileError } from '../errors.js';
import { DvcFile } from '../formats/dvcfile.js';
import { md5Bytes } from '../hash/md5.js';
import { pyJsonString } from '../tree/manifest.js';
import { checkout } from './checkout.js';
import { collectDvcFiles, repoPath } from './collect.js';
import { withData } from './context.js';
import { FileExistsLocallyError, GetDvcFileError, resolveOutput } from './get.js';
import type { Repo } from './repo.js';
import { SourceRepo, type SourceOptions } from './source.js';
import type { UsedOut } from '../sync/used.js';
import { LocalObjectStore } from '../odb/local.js';
import { Y as yamlLib } from '../formats/dvcyaml.js';

/** The `repo:` of an import dependency, as DVC writes it. */
export interface ImportRepoInfo {
  url: string;
  rev?: string;
  rev_lock?: string;
  /** `--config` path, or the merged dict of `--remote` + `--remote-config`. */
  config?: string | Record<string, unknown>;
  /** `--remote NAME`, or `--remote-config` options alone. */
  remote?: string | Record<string, string>;
}

export interface ImportInfo {
  /** The `.dvc` file (absolute). */
  file: string;
  /** The path inside the source repository. */
  path: string;
  repo: ImportRepoInfo;
  frozen: boolean;
}

export interface ImportOptions {
  out?: string;
  rev?: string;
  /** Write the .dvc file only (no hash, no data). */
  noExec?: boolean;
  /** Record the hash, but neither download nor check out the data. */
  noDownload?: boolean;
  force?: boolean;
  jobs?: number;
  config?: string;
  remote?: string;
  remoteConfig?: Record<string, string>;
}

export interface ImportResult {
  dvcFile: string;
  out: string;
  /** The path in the source, and its url, for DVC's "Importing 'data (../src)' -> 'out'". */
  path: string;
  url: string;
}

const STRINGIFY = { indentSeq: false, lineWidth: 0, singleQuote: true } as const;

/** The yaml library (loaded by require: a dynamic import of it in the esbuild bundle has only `default`). */
async function yaml(): Promise<typeof import('yaml')> {
  return yamlLib();
}

/** Python's json.dumps(d, sort_keys=True). */
function pyJsonSorted(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return pyJsonString(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return '[' + v.map(pyJsonSorted).join(', ') + ']';
  const keys = Object.keys(v as object).sort();
  return '{' + keys.map((k) => `${pyJsonString(k)}: ${pyJsonSorted((v as Record<string, unknown>)[k])}`).join(', ') + '}';
}

const STAGE_MD5_EXCLUDE = new Set(['desc', 'type', 'labels', 'meta', 'locked', 'frozen', 'metric', 'persist', 'isexec', 'size', 'nfiles']);

function filterKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(filterKeys);
  if (v && typeof v === 'object') {
    const r: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (!STAGE_MD5_EXCLUDE.has(k)) r[k] = filterKeys(x);
    return r;
  }
  return v;
}

/** DVC's stage md5 (stage/utils.py compute_md5) of a `.dvc` file's data. */
export function stageMd5(data: Record<string, unknown>): string {
  const d = { ...data };
  delete d.md5;
  delete d.meta;
  delete d.desc;
  if (d.wdir === '.') delete d.wdir;
  return md5Bytes(pyJsonSorted(filterKeys(d)));
}

/** The import dependency of a parsed `.dvc` file's text, or null for any other file. */
export function importInfoOf(file: string, text: string, Y: typeof import('yaml')): ImportInfo | null {
  let data: unknown;
  try {
    data = Y.parse(text);
  } catch {
    return null;
  }
  const deps = (data as { deps?: unknown })?.deps;
  if (!Array.isArray(deps) || deps.length !== 1) return null;
  const dep = deps[0] as { path?: unknown; repo?: unknown };
  const repo = dep?.repo as ImportRepoInfo | undefined;
  if (!repo || typeof repo !== 'object' || typeof repo.url !== 'string' || typeof dep.path !== 'string') return null;
  return { file, path: dep.path, repo, frozen: (data as { frozen?: unknown }).frozen === true };
}

/** Every import `.dvc` file of the repository (or those the targets name). */
export async function collectImports(repo: Repo, targets: string[] = []): Promise<ImportInfo[]> {
  const Y = await yaml();
  const files: string[] = [];
  if (targets.length) {
    for (const t of targets) {
      const abs = repoPath(repo, t);
      files.push(DvcFile.isDvcFileName(abs) ? abs : DvcFile.pathFor(abs));
    }
  } else for (const f of collectDvcFiles(repo)) files.push(f.abs);
  const res: ImportInfo[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    const info = importInfoOf(f, text, Y);
    if (info) res.push(info);
  }
  return res;
}

/** The source options an import dependency records (`config`/`remote` as DVC stores them). */
export function sourceOptionsOf(info: ImportRepoInfo, rev: string | undefined, jobs?: number): SourceOptions {
  const o: SourceOptions = { rev, jobs };
  if (typeof info.config === 'string') o.config = info.config;
  else if (info.config && typeof info.config === 'object') {
    const core = (info.config.core ?? {}) as Record<string, string>;
    if (core.remote) {
      o.remote = core.remote;
      const rc = ((info.config.remote ?? {}) as Record<string, Record<string, string>>)[core.remote];
      if (rc) o.remoteConfig = rc;
    }
  }
  if (typeof info.remote === 'string') o.remote = info.remote;
  else if (info.remote && typeof info.remote === 'object') o.remoteConfig = info.remote;
  return o;
}

/** The `repo:` dict for new import options, as DVC's imp() builds it (key order kept). */
function repoInfoFor(url: string, opts: ImportOptions): ImportRepoInfo {
  const r: ImportRepoInfo = { url };
  if (opts.rev !== undefined) r.rev = opts.rev;
  if (opts.remote && opts.remoteConfig && opts.config) {
    throw new DvcError("Can't specify config path together with both remote and remote_config");
  }
  if (opts.config !== undefined) r.config = opts.config;
  if (opts.remote !== undefined && opts.remoteConfig !== undefined) {
    r.config = { core: { remote: opts.remote }, remote: { [opts.remote]: { ...opts.remoteConfig } } };
  } else if (opts.remote !== undefined) r.remote = opts.remote;
  else if (opts.remoteConfig !== undefined) r.remote = opts.remoteConfig;
  return r;
}

function posix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}

/** The text of a new import `.dvc` file (DVC's key order: md5, frozen, deps, outs). */
function importText(
  Y: typeof import('yaml'),
  depPath: string,
  repoInfo: ImportRepoInfo,
  outPath: string,
  h: { md5: string; size: number; nfiles?: number } | undefined,
): string {
  const out: Record<string, unknown> = {};
  if (h) {
    out.md5 = h.md5;
    out.size = h.size;
    if (h.md5.endsWith('.dir')) out.nfiles = h.nfiles ?? 0;
    out.hash = 'md5';
  }
  out.path = outPath;
  const body = { frozen: true, deps: [{ path: depPath, repo: repoInfo }], outs: [out] };
  const data: Record<string, unknown> = h ? { md5: stageMd5(body), ...body } : body;
  return new Y.Document(data).toString(STRINGIFY);
}

/** Refuses an output another `.dvc` file already tracks (other than the one being replaced). */
function checkNotTracked(repo: Repo, outAbs: string, dvcAbs: string): void {
  const rel = posix(relative(repo.root, outAbs));
  for (const f of collectDvcFiles(repo)) {
    if (f.abs === dvcAbs) continue;
    for (const o of f.outs) {
      if (o.rel === rel || rel.startsWith(o.rel + '/') || o.rel.startsWith(rel + '/')) {
        throw new DvcError(`The output paths:\n'${rel}'('${f.rel}')\noverlaps with another output`);
      }
    }
  }
}

export async function importRepo(repo: Repo, url: string, path: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const out = resolveOutput(path, opts.out, opts.force);
  const outAbs = repoPath(repo, out);
  if (DvcFile.isDvcFileName(outAbs)) throw new GetDvcFileError();
  const relRoot = posix(relative(repo.root, outAbs));
  if (relRoot === '' || relRoot.startsWith('..') || relRoot.split('/')[0] === '.dvc' || relRoot.split('/')[0] === '.git') {
    throw new DvcError(`cannot import to '${out}': it is outside of the repository or inside '.dvc'/'.git'`);
  }
  const dvcAbs = DvcFile.pathFor(outAbs);
  if (existsSync(dvcAbs) && !opts.force) throw new FileExistsLocallyError(posix(relative(process.cwd(), dvcAbs)));
  const repoInfo = repoInfoFor(url, opts);
  return repo.withLock(async () => {
    checkNotTracked(repo, outAbs, dvcAbs);
    const Y = await yaml();
    const src = await SourceRepo.open(url, sourceOptionsOf(repoInfo, opts.rev, opts.jobs));
    try {
      const outPath = posix(relative(dirname(dvcAbs), outAbs));
      if (opts.noExec) {
        // No hash: the stage records what to import; `dvc update` fetches it later.
        writeDvc(repo, dvcAbs, importText(Y, path, repoInfo, outPath, undefined));
      } else {
        await withData(repo, async (d) => {
          const h = await src.hashInto(path, d.store, { download: !opts.noDownload });
          // DVC's order: url, rev, rev_lock, then config/remote.
          const { url: u, rev, ...rest } = repoInfo;
          const info: ImportRepoInfo = rev !== undefined ? { url: u, rev, rev_lock: src.revLock(), ...rest } : { url: u, rev_lock: src.revLock(), ...rest };
          writeDvc(repo, dvcAbs, importText(Y, path, info, outPath, h));
        });
        if (!opts.noDownload) {
          if (opts.force) removeOutput(outAbs);
          await checkout(repo, [dvcAbs], { force: opts.force });
        }
      }
      repo.scmContext.track(dvcAbs);
      if (repo.scm) {
        const g = repo.scm.ignore(outAbs);
        if (g) repo.scmContext.track(g);
      }
      return { dvcFile: dvcAbs, out: outAbs, path, url };
    } finally {
      await src.close();
    }
  });
}

function writeDvc(repo: Repo, abs: string, text: string): void {
  mkdirSync(dirname(abs), { recursive: true });
  const f = DvcFile.parse(repo.root, abs, text);
  f.write();
}

function removeOutput(abs: string): void {
  try {
    lstatSync(abs);
  } catch {
    return;
  }
  rmSync(abs, { recursive: true, force: true });
}

export interface UpdateOptions {
  rev?: string;
  recursive?: boolean;
  noDownload?: boolean;
  jobs?: number;
  /** `--to-remote`: import-url data goes to this remote (`remote`, else the default one). */
  toRemote?: boolean;
  remote?: string;
}

export interface UpdateResult {
  /** Updated imports: their `.dvc` file and what was imported. */
  updated: Array<{ dvcFile: string; path: string; url: string; out: string; /** DVC's label: `path (url)`, or an import-url's source. */ source: string }>;
  /** `.dvc` files whose source had not moved. */
  unchanged: string[];
  /** Outputs of other `.dvc` files named: nothing to update them from (DVC warns). */
  notPushed: string[];
}

/** The import dependencies the update targets name (`-R`: every import under a folder). */
async function updateTargets(repo: Repo, targets: string[], recursive: boolean, opts: UpdateOptions, skipped: string[], urlImports: string[]): Promise<ImportInfo[]> {
  const Y = await yaml();
  const res: ImportInfo[] = [];
  for (const t of targets) {
    const abs = repoPath(repo, t);
    let isDir = false;
    try {
      isDir = lstatSync(abs).isDirectory();
    } catch {
      /* a .dvc target or a missing output */
    }
    if (isDir && recursive) {
      const rel = posix(relative(repo.root, abs));
      for (const f of collectDvcFiles(repo)) {
        if (rel && f.rel !== rel && !f.rel.startsWith(rel + '/')) continue;
        const t = readFileSync(f.abs, 'utf8');
        const info = importInfoOf(f.abs, t, Y);
        if (info) res.push(info);
        else if ((await import('./imp-url.js')).urlDepOf(t, Y)) urlImports.push(f.abs);
      }
      continue;
    }
    const file = DvcFile.isDvcFileName(abs) ? abs : DvcFile.pathFor(abs);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new DvcError(`'${t}' does not exist`);
    }
    const info = importInfoOf(file, text, Y);
    if (!info && (await import('./imp-url.js')).urlDepOf(text, Y)) {
      urlImports.push(file);
      continue;
    }
    if (!info) {
      // Not an import: DVC's "worktree update", which only version-aware remotes can serve.
      if (opts.rev !== undefined) throw new DvcError("--rev can't be used with worktree update");
      if (opts.noDownload) throw new DvcError("--no-download can't be used with worktree update");
      for (const o of DvcFile.parse(repo.root, file, text).outs) skipped.push(o.abs);
      continue;
    }
    res.push(info);
  }
  return res;
}

export async function update(repo: Repo, targets: string[], opts: UpdateOptions = {}): Promise<UpdateResult> {
  if (!targets.length) throw new DvcError('no targets given');
  if (opts.toRemote && opts.noDownload) throw new DvcError("--to-remote can't be used with --no-download");
  if (!opts.toRemote && opts.remote) throw new DvcError("--remote can't be used without --to-remote");
  return repo.withLock(async () => {
    const result: UpdateResult = { updated: [], unchanged: [], notPushed: [] };
    const urlImports: string[] = [];
    const infos = await updateTargets(repo, targets, !!opts.recursive, opts, result.notPushed, urlImports);
    if (urlImports.length && opts.rev !== undefined) throw new DvcError("--rev can't be used with an import-url stage");
    if (infos.length && opts.toRemote) throw new DvcError("Data imported from other DVC or Git repositories can't be updated with --to-remote");
    for (const f of urlImports) {
      const { updateUrlImport } = await import('./imp-url.js');
      const u = await updateUrlImport(repo, f, { noDownload: opts.noDownload, toRemote: opts.toRemote, remote: opts.remote, jobs: opts.jobs });
      if (!u.changed) result.unchanged.push(f);
      else result.updated.push({ dvcFile: f, path: u.source, url: '', out: u.out, source: u.source });
    }
    const Y = await yaml();
    for (const info of infos) {
      const rev = opts.rev ?? info.repo.rev;
      const src = await SourceRepo.open(info.repo.url, sourceOptionsOf(info.repo, rev, opts.jobs));
      try {
        const file = DvcFile.read(repo.root, info.file);
        const out = file.outs[0];
        if (!out) throw new InvalidFileError(`'${file.rel}' has no output`);
        const lock = src.revLock();
        const sameRev = opts.rev === undefined || opts.rev === info.repo.rev;
        if (lock === info.repo.rev_lock && sameRev && out.md5) {
          // The source has not moved: the data may still need checking out.
          result.unchanged.push(info.file);
          continue;
        }
        const text = readFileSync(info.file, 'utf8');
        const doc = Y.parseDocument(text) as Document;
        await withData(repo, async (d) => {
          const h = await src.hashInto(info.path, d.store, { download: !opts.noDownload });
          const repoNode = ((doc.get('deps') as import('yaml').YAMLSeq).items[0] as YAMLMap).get('repo') as YAMLMap;
          repoNode.set('rev_lock', lock);
          if (opts.rev !== undefined) repoNode.set('rev', opts.rev);
          const outNode = (doc.get('outs') as import('yaml').YAMLSeq).items[0] as YAMLMap;
          for (const k of ['md5', 'size', 'nfiles', 'hash']) outNode.delete(k);
          const path = outNode.get('path');
          outNode.delete('path');
          outNode.set('md5', h.md5);
          outNode.set('size', h.size);
          if (h.md5.endsWith('.dir')) outNode.set('nfiles', h.nfiles ?? 0);
          outNode.set('hash', 'md5');
          outNode.set('path', path);
          const data = doc.toJSON() as Record<string, unknown>;
          if (doc.has('md5')) doc.set('md5', stageMd5(data));
          else {
            // md5 first, as DVC writes it
            const md5 = stageMd5(data);
            (doc.contents as YAMLMap).items.unshift(doc.createPair('md5', md5) as never);
          }
          writeDvc(repo, info.file, doc.toString(STRINGIFY));
        });
        if (!opts.noDownload) {
          removeOutput(out.abs);
          await checkout(repo, [info.file], { force: true });
        }
        repo.scmContext.track(info.file);
        result.updated.push({ dvcFile: info.file, path: info.path, url: info.repo.url, out: out.abs, source: `${info.path} (${info.repo.url})` });
      } finally {
        await src.close();
      }
    }
    return result;
  });
}

/**
 * `dvc status` of an import: 'update available' when the source's revision (its `rev`, or HEAD)
 * is no longer the recorded `rev_lock`. Unreachable sources are reported as DVC does: not at all.
 */
export async function importStatus(info: ImportInfo): Promise<'update available' | null> {
  let src: SourceRepo | undefined;
  try {
    src = await SourceRepo.open(info.repo.url, { rev: info.repo.rev });
    return src.revLock() !== info.repo.rev_lock ? 'update available' : null;
  } catch {
    return null;
  } finally {
    await src?.close();
  }
}

/**
 * For pull/fetch: the objects of import outputs come into the cache from their source
 * repositories (at `rev_lock`), never from this repository's remote. Returns the other outputs,
 * for the remote, and what the sources gave.
 */
export async function fetchImportsOf(
  repo: Repo,
  targets: string[],
  outs: UsedOut[],
  opts: { jobs?: number } = {},
): Promise<{ outs: UsedOut[]; imports: number; fetched: number; failed: Array<{ object: { oid: string; name: string }; error: unknown }> }> {
  // Cheap first look: no `repo:` in any .dvc file, nothing to do.
  const files = targets.length ? null : collectDvcFiles(repo).filter((f) => !f.toString().startsWith('outs:') && f.toString().includes('repo:'));
  if (files && !files.length) return { outs, imports: 0, fetched: 0, failed: [] };
  const infos = await collectImports(repo, targets).catch(() => [] as ImportInfo[]);
  if (!infos.length) return { outs, imports: 0, fetched: 0, failed: [] };
  const importRels = new Set<string>();
  for (const i of infos) {
    try {
      for (const o of DvcFile.read(repo.root, i.file).outs) importRels.add(o.rel);
    } catch {
      /* reported by the usual path */
    }
  }
  const r = await fetchImports(repo, infos, opts);
  return {
    outs: outs.filter((o) => !importRels.has(o.rel)),
    imports: infos.length,
    fetched: r.fetched,
    failed: r.failed.map((name) => ({ object: { oid: '', name }, error: new DvcError(`failed to fetch '${name}' from its source repository`) })),
  };
}

/** Puts the objects of import outputs into the cache from their source repositories. */
async function fetchImports(repo: Repo, infos: ImportInfo[], opts: { jobs?: number } = {}): Promise<{ fetched: number; failed: string[] }> {
  const res = { fetched: 0, failed: [] as string[] };
  if (!infos.length) return res;
  const store = new LocalObjectStore(repo.cacheDir);
  for (const info of infos) {
    if (!info.repo.rev_lock) continue;
    let file: DvcFile;
    try {
      file = DvcFile.read(repo.root, info.file);
    } catch {
      continue;
    }
    const out = file.outs[0];
    if (!out?.md5) continue;
    const entries = out.isDir ? store.readManifest(out.md5) : undefined;
    const missing = out.isDir ? !entries || entries.some((e) => !store.exists(e.md5)) : !store.exists(out.md5);
    if (!missing) continue;
    // An unreachable source fails this import only; the rest of the pull goes on.
    let src: SourceRepo | undefined;
    try {
      src = await SourceRepo.open(info.repo.url, sourceOptionsOf(info.repo, info.repo.rev_lock, opts.jobs));
      const h = await src.hashInto(info.path, store);
      if (h.md5 !== out.md5) res.failed.push(file.rel);
      else res.fetched++;
    } catch {
      res.failed.push(file.rel);
    } finally {
      await src?.close();
    }
  }
  return res;
}
