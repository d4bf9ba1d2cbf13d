/**
 * Another DVC repository, read without checking it out: what `dvc ls`, `get`, `import` and
 * `update` (and the library's `openFile`/`readFile`) read from. As Python DVC's `open_repo`:
 *
 * - a local path is read in place: at `rev` from its git, or
 *   without `rev` from its working tree; its data comes from its own cache, else its remote;
 * - any other URL (`file://`, `https://`, `ssh://`, `git@host:path`, a bare repository) is cloned
 *   (bare, into a temp folder removed by `close()`); its data comes from its default remote (or
 *   `remote`), with `remoteConfig` merged into that remote's options.
 *
 *   const src = await SourceRepo.open('../registry', { rev: 'v1' });
 *   try {
 *     await src.list('data', { recursive: true });   // ls entries
 *     const node = await src.resolve('data/file');    // what a path is (git file, output, folder)
 *     await src.collect('data', store);               // its files as objects in `store`
 *   } finally { await src.close(); }
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, constants as fsc } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { Config, type RemoteConfig } from '../config/config.js';
import { DvcError } from '../errors.js';
import { DvcFile } from '../formats/dvcfile.js';
import { md5Bytes } from '../hash/md5.js';
import { outsOfDvcFiles, outsOfLockFile, type UsedObject, type UsedOut } from '../sync/used.js';
import { LocalObjectStore } from '../odb/local.js';
import { hashManifest, underPrefix, type TreeEntry } from '../tree/manifest.js';
import { findGitRoot } from '../scm/git.js';

export interface SourceOptions {
  /** A git revision (branch, tag, commit); default: the working tree (local) or HEAD (clone). */
  rev?: string;
  /** Remote name to use instead of the repository's default. */
  remote?: string;
  /** Options merged into that remote's config (`--remote-config key=value`). */
  remoteConfig?: Record<string, string>;
  /** A config file merged over the repository's (`--config`). */
  config?: string;
  /** Parallel downloads. */
  jobs?: number;
}

/** The repository could not be cloned or read. */
export class SourceError extends DvcError {}

/** The path names nothing in the repository (DVC: FileNotFoundError, `[Errno 2] ...`). */
export class SourcePathError extends DvcError {
  constructor(readonly path: string, readonly abs: string) {
    super(`[Errno 2] No such file or directory: '${abs}'`);
  }
}

/** One entry of `dvc ls`, in DVC's JSON shape and key order. */
export interface LsEntry {
  isout: boolean;
  isdir: boolean;
  isexec: boolean;
  size: number | null;
  md5: string | null;
  path: string;
}

/** A file of the repository: from git (or the working tree), or an object of a DVC output. */
export interface SourceFile {
  /** Path relative to the repository root. */
  rel: string;
  size: number;
  isexec: boolean;
  /** Set for files of DVC outputs. */
  oid?: string;
  /** The output it belongs to (for files of DVC outputs). */
  out?: UsedOut;
}

export type SourceNode =
  | { kind: 'file'; rel: string; file: SourceFile }
  | { kind: 'dir'; rel: string; out?: UsedOut }
  | { kind: 'missing'; rel: string };

interface GitFile {
  rel: string;
  size: number;
  isexec: boolean;
}

/** A URL is a local folder when it has no scheme and exists. */
function localPath(url: string): string | null {
  // As DVC (os.path.exists(url)): a file:// URL is not a path, so it is cloned like any URL.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[^/\\]+@[^/\\]+:/.test(url)) return null;
  const abs = resolve(url);
  try {
    return statSync(abs).isDirectory() ? abs : null;
  } catch {
    return null;
  }
}

function git(cwd: string, args: string[], input?: string): { code: number; stdout: Buffer; stderr: string } {
  const r = spawnSync('git', args, {
    cwd,
    input,
    maxBuffer: 1 << 30,
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
  });
  if (r.error) throw new SourceError(`git is not available: ${r.error.message}`);
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

export class SourceRepo {
  /** The URL as given (written to import `.dvc` files). */
  readonly url: string;
  /** The folder git runs in: the local repository or the bare clone. */
  readonly gitDir: string;
  /** The repository's own folder for local sources (working tree), else the clone. */
  readonly root: string;
  readonly local: boolean;
  /** The commit read (undefined: the local working tree). */
  readonly commit: string | undefined;
  readonly config: Config;
  private readonly opts: SourceOptions;
  private readonly temps: string[] = [];
  private files?: Map<string, GitFile>;
  private outsCache?: UsedOut[];
  /** size / nfiles of outputs as their `.dvc` files record them. */
  private readonly outMeta = new Map<string, { size?: number; nfiles?: number }>();
  private scratch?: LocalObjectStore;
  private readonly ownCache: LocalObjectStore | null;

  private constructor(init: { url: string; gitDir: string; root: string; local: boolean; commit: string | undefined; config: Config; opts: SourceOptions; temps: string[] }) {
    this.url = init.url;
    this.gitDir = init.gitDir;
    this.root = init.root;
    this.local = init.local;
    this.commit = init.commit;
    this.config = init.config;
    this.opts = init.opts;
    this.temps = init.temps;
    this.ownCache = init.local ? new LocalObjectStore(init.config.cacheDir ?? join(init.root, '.dvc', 'cache')) : null;
  }

  static async open(url: string, opts: SourceOptions = {}): Promise<SourceRepo> {
    const temps: string[] = [];
    const local = localPath(url);
    try {
      let gitDir: string;
      let root: string;
      let isLocal = false;
      let noGit = false;
      if (local) {
        // As DVC: any local folder is read in place (a plain folder, without git, too).
        gitDir = root = local;
        isLocal = true;
        if (!findGitRoot(local, false)) {
          if (opts.rev !== undefined) throw new SourceError(`'${url}' is not a git repository: --rev cannot be used`);
          noGit = true;
        }
      } else {
        const tmp = mkdtempSync(join(tmpdir(), 'copper-erepo-'));
        temps.push(tmp);
        const r = git(tmp, ['clone', '--bare', '-q', '--', url, 'repo.git']);
        if (r.code !== 0) {
          const why = r.stderr.trim().split('\n').pop() ?? '';
          throw new SourceError(`Failed to clone repo '${url}' to '${join(tmp, 'repo.git')}'${why ? `: ${why}` : ''}`);
        }
        gitDir = root = join(tmp, 'repo.git');
      }
      let commit: string | undefined;
      if (!noGit && (opts.rev !== undefined || !isLocal)) {
        const rev = opts.rev ?? 'HEAD';
        const r = git(gitDir, ['rev-parse', '--verify', '-q', `${rev}^{commit}`]);
        if (r.code !== 0) throw new SourceError(`unknown Git revision '${rev}'`);
        commit = r.stdout.toString('utf8').trim();
      }
      // The repository's config: its own files when local, else `.dvc/config` at the commit.
      let dvcDir: string;
      if (isLocal) dvcDir = join(root, '.dvc');
      else {
        const cfgTmp = mkdtempSync(join(tmpdir(), 'copper-erepo-config-'));
        temps.push(cfgTmp);
        dvcDir = join(cfgTmp, '.dvc');
        mkdirSync(dvcDir);
        const r = git(gitDir, ['cat-file', 'blob', `${commit}:.dvc/config`]);
        if (r.code === 0) writeFileSync(join(dvcDir, 'config'), r.stdout);
      }
      if (opts.config) {
        // --config: that file merged over the repository's (as config.local is).
        let text: string;
        try {
          text = readFileSync(opts.config, 'utf8');
        } catch (e) {
          throw new SourceError(`cannot read config file '${opts.config}': ${(e as NodeJS.ErrnoException).code ?? e}`);
        }
        if (isLocal) {
          const cfgTmp = mkdtempSync(join(tmpdir(), 'copper-erepo-config-'));
          temps.push(cfgTmp);
          const d = join(cfgTmp, '.dvc');
          mkdirSync(d);
          try {
            copyFileSync(join(dvcDir, 'config'), join(d, 'config'));
          } catch {
            /* none */
          }
          // cache.dir and relative remote paths keep meaning what they meant in the repository
          const cfg = new Config(dvcDir);
          const extra = cfg.cacheDir ? `\n[cache]\n    dir = ${cfg.cacheDir}\n` : '';
          writeFileSync(join(d, 'config.local'), text + extra);
          dvcDir = d;
        } else writeFileSync(join(dvcDir, 'config.local'), text);
      }
      const config = new Config(dvcDir);
      return new SourceRepo({ url, gitDir, root, local: isLocal, commit, config, opts, temps });
    } catch (e) {
      for (const t of temps) rmSync(t, { recursive: true, force: true });
      throw e;
    }
  }

  /** The commit DVC records as `rev_lock`: the one read, or HEAD of a local working tree. */
  revLock(): string {
    if (this.commit) return this.commit;
    if (!findGitRoot(this.root, false)) throw new SourceError(`'${this.url}' is not a git repository`);
    const r = git(this.gitDir, ['rev-parse', '--verify', '-q', 'HEAD^{commit}']);
    if (r.code !== 0) throw new SourceError(`'${this.url}' has no commits`);
    return r.stdout.toString('utf8').trim();
  }

  /** The remote data comes from (`opts.remote`, else the default one), with `remoteConfig` merged. */
  remote(): RemoteConfig {
    const rc = this.config.remote(this.opts.remote, this.local ? this.root : this.url);
    if (!this.opts.remoteConfig) return rc;
    return { ...rc, options: { ...rc.options, ...this.opts.remoteConfig }, url: this.opts.remoteConfig.url ?? rc.url };
  }

  /** The absolute path DVC names in its "No such file" error. */
  absPath(rel: string): string {
    return rel ? join(this.root, rel) : this.root;
  }

  /** Files tracked by git at the commit, or (working tree) every file outside `.git` and `.dvc`. */
  private gitFiles(): Map<string, GitFile> {
    if (this.files) return this.files;
    const files = new Map<string, GitFile>();
    if (this.commit) {
      const r = git(this.gitDir, ['ls-tree', '-r', '-l', '-z', '--full-tree', this.commit]);
      if (r.code !== 0) throw new SourceError(`cannot list '${this.url}' at ${this.commit}: ${r.stderr.trim()}`);
      for (const rec of r.stdout.toString('utf8').split('\0')) {
        const m = /^(\d+) (\w+) [0-9a-f]+ +(-|\d+)\t(.*)$/s.exec(rec);
        if (!m || m[2] !== 'blob') continue;
        const rel = m[4]!;
        if (rel === '.dvc' || rel.startsWith('.dvc/')) continue;
        files.set(rel, { rel, size: m[3] === '-' ? 0 : Number(m[3]), isexec: m[1] === '100755' });
      }
    } else {
      const walk = (rel: string) => {
        let names: string[];
        try {
          names = readdirSync(this.absPath(rel));
        } catch {
          return;
        }
        for (const name of names) {
          const r = rel ? `${rel}/${name}` : name;
          if (!rel && (name === '.git' || name === '.dvc')) continue;
          let st;
          try {
            st = statSync(this.absPath(r));
          } catch {
            continue;
          }
          if (st.isDirectory()) walk(r);
          else if (st.isFile()) files.set(r, { rel: r, size: st.size, isexec: (st.mode & 0o111) !== 0 });
        }
      };
      walk('');
    }
    return (this.files = files);
  }

  /** A git file's bytes (at the commit, or from the working tree). */
  readGitFile(rel: string): Buffer {
    if (!this.commit) return readFileSync(this.absPath(rel));
    const r = git(this.gitDir, ['cat-file', 'blob', `${this.commit}:${rel}`]);
    if (r.code !== 0) throw new SourcePathError(rel, this.absPath(rel));
    return r.stdout;
  }

  /** Every cached DVC output of the repository (its `.dvc` files and `dvc.lock` stages). */
  outs(): UsedOut[] {
    if (this.outsCache) return this.outsCache;
    const outs: UsedOut[] = [];
    for (const rel of this.gitFiles().keys()) {
      const name = basename(rel);
      if (DvcFile.isDvcFileName(rel)) {
        const text = this.readGitFile(rel).toString('utf8');
        const f = DvcFile.parse('/r', join('/r', rel), text, rel);
        outs.push(...outsOfDvcFiles([f]));
        for (const o of f.outs) this.outMeta.set(o.rel, { size: o.size, nfiles: o.nfiles });
      } else if (name === 'dvc.lock') {
        outs.push(...outsOfLockFile(this.readGitFile(rel).toString('utf8'), rel));
      }
    }
    // Paths under an output are the output's, never git's (the working tree's copy of them).
    if (!this.commit) {
      for (const f of [...this.gitFiles().keys()]) {
        if (outs.some((o) => underPrefix(f, o.rel))) this.gitFiles().delete(f);
      }
    }
    return (this.outsCache = outs);
  }

  private outAt(rel: string): UsedOut | undefined {
    return this.outs().find((o) => o.rel === rel || (rel !== '' && underPrefix(rel, o.rel)));
  }

  /** The path of an object in the repository's own cache, when it has it. */
  cachedPath(oid: string): string | undefined {
    return this.ownCache?.exists(oid) ? this.ownCache.path(oid) : undefined;
  }

  /** The store objects are fetched into when the caller gives none (removed by close()). */
  private scratchStore(): LocalObjectStore {
    if (!this.scratch) {
      const d = mkdtempSync(join(tmpdir(), 'copper-erepo-cache-'));
      this.temps.push(d);
      this.scratch = new LocalObjectStore(d);
    }
    return this.scratch;
  }

  /** Puts the objects into `store`: from the repository's own cache, else from its remote. */
  async fetch(store: LocalObjectStore, objects: UsedObject[]): Promise<void> {
    const need = objects.filter((o, i) => objects.findIndex((x) => x.oid === o.oid) === i && !store.exists(o.oid));
    const remote: UsedObject[] = [];
    for (const o of need) {
      if (this.ownCache && this.ownCache.exists(o.oid) && this.ownCache.filesDir !== store.filesDir) {
        const dest = store.path(o.oid);
        mkdirSync(dirname(dest), { recursive: true });
        const tmp = `${dest}.${process.pid}.${Math.random().toString(16).slice(2)}.tmp`;
        copyFileSync(this.ownCache.path(o.oid), tmp, fsc.COPYFILE_FICLONE);
        renameSync(tmp, dest);
      } else if (!this.ownCache || !this.ownCache.exists(o.oid)) remote.push(o);
    }
    if (!remote.length) return;
    const rc = this.remote();
    const { openRemoteDb, onRemote, jobsOf } = await import('./data-sync.js');
    const { download } = await import('../sync/transfer.js');
    const db = await openRemoteDb(rc, store.legacy);
    const fs = db.fs;
    try {
      const r = await onRemote(rc, fs, () => download(db, store.db, remote, { jobs: jobsOf(this.opts.jobs) }));
      if (r.failed.length) {
        const f = r.failed[0]!;
        const missing = r.missing.length;
        throw new SourceError(
          missing
            ? `${missing} files are missing from the remote '${rc.name}' of '${this.url}' (first: '${f.object.name}')`
            : `failed to download '${f.object.name}' from '${this.url}': ${String((f.error as Error)?.message ?? f.error)}`,
        );
      }
    } finally {
      await fs.close();
    }
  }

  /** The store that holds `oid` after fetching it if needed (own cache, else `store`). */
  private async objectStore(oid: string, name: string, store?: LocalObjectStore): Promise<LocalObjectStore> {
    if (this.ownCache?.exists(oid) && !store) return this.ownCache;
    const s = store ?? this.scratchStore();
    await this.fetch(s, [{ oid, name }]);
    return s;
  }

  /** A folder output's entries (its manifest fetched when needed), with sizes when known. */
  async manifest(out: UsedOut, store?: LocalObjectStore): Promise<TreeEntry[]> {
    const s = await this.objectStore(out.oid, out.rel, store);
    const entries = s.readManifest(out.oid);
    if (!entries) throw new SourceError(`cannot read the listing of '${out.rel}' in '${this.url}'`);
    return entries;
  }

  /**
   * Every file under `rel` ('' for the root), git's and outputs', sorted by path; the files of
   * folder outputs come from their manifests. `expand: false` leaves folder outputs unopened.
   */
  private async filesUnder(rel: string, expand = true): Promise<Array<SourceFile | { rel: string; out: UsedOut; dir: true }>> {
    const res: Array<SourceFile | { rel: string; out: UsedOut; dir: true }> = [];
    const outs = this.outs();
    for (const f of this.gitFiles().values()) {
      if (rel === '' || f.rel === rel || underPrefix(f.rel, rel)) res.push({ ...f });
    }
    for (const o of outs) {
      const inside = rel === '' || o.rel === rel || underPrefix(o.rel, rel);
      const around = rel !== '' && underPrefix(rel, o.rel);
      if (!inside && !around) continue;
      if (!o.oid.endsWith('.dir')) {
        if (inside) res.push({ rel: o.rel, size: -1, isexec: false, oid: o.oid, out: o });
        continue;
      }
      if (!expand && inside) {
        res.push({ rel: o.rel, out: o, dir: true });
        continue;
      }
      for (const e of await this.manifest(o)) {
        const r = `${o.rel}/${e.relpath}`;
        if (rel === '' || r === rel || underPrefix(r, rel)) res.push({ rel: r, size: -1, isexec: false, oid: e.md5, out: o });
      }
    }
    return res.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  }

  /** Object sizes: from the own cache or the scratch store (fetched), for --size and `du`. */
  private async sizeOf(f: SourceFile): Promise<number> {
    if (f.size >= 0 || !f.oid) return f.size;
    const s = await this.objectStore(f.oid, f.rel);
    return (f.size = statSync(s.path(f.oid)).size);
  }

  /** What `rel` names: a file (git's or an output's), a folder, or nothing. */
  async resolve(rel: string): Promise<SourceNode> {
    rel = normRel(rel);
    if (rel === '') return { kind: 'dir', rel };
    this.outs();
    const g = this.gitFiles().get(rel);
    if (g) return { kind: 'file', rel, file: { ...g } };
    const out = this.outAt(rel);
    if (out && out.rel === rel) {
      if (out.oid.endsWith('.dir')) return { kind: 'dir', rel, out };
      return { kind: 'file', rel, file: { rel, size: -1, isexec: false, oid: out.oid, out } };
    }
    if (out) {
      const entries = await this.manifest(out);
      const sub = rel.slice(out.rel.length + 1);
      const e = entries.find((x) => x.relpath === sub);
      if (e) return { kind: 'file', rel, file: { rel, size: -1, isexec: false, oid: e.md5, out } };
      if (entries.some((x) => underPrefix(x.relpath, sub))) return { kind: 'dir', rel, out };
      return { kind: 'missing', rel };
    }
    const under = await this.filesUnder(rel, false);
    if (under.some((f) => f.rel !== rel)) return { kind: 'dir', rel };
    return { kind: 'missing', rel };
  }

  /**
   * `dvc ls`: the entries under `path` (its children; every file with `recursive`, down to
   * `maxdepth` levels), or the file itself. Throws SourcePathError for a path that is not there.
   */
  async list(path = '', opts: { recursive?: boolean; dvcOnly?: boolean; maxdepth?: number; withSize?: boolean } = {}): Promise<LsEntry[]> {
    const rel = normRel(path);
    const node = await this.resolve(rel);
    if (node.kind === 'missing') throw new SourcePathError(rel, this.absPath(rel));
    if (node.kind === 'file') {
      const f = node.file;
      if (opts.dvcOnly && !f.out) return [];
      return [{ isout: !!f.out, isdir: false, isexec: f.isexec, size: opts.withSize || !f.out ? await this.sizeOf(f) : null, md5: f.oid ?? null, path: basename(rel) }];
    }
    const depth = opts.maxdepth ?? (opts.recursive ? Infinity : 1);
    const recursive = opts.recursive || opts.maxdepth !== undefined;
    const files = await this.filesUnder(rel, recursive || !!node.out);
    const prefix = rel ? rel + '/' : '';
    const seen = new Map<string, LsEntry>();
    for (const f of files) {
      const sub = f.rel.slice(prefix.length);
      const parts = sub.split('/');
      const isOutFile = 'out' in f && !!f.out;
      if (opts.dvcOnly && !isOutFile) continue;
      if (parts.length <= (recursive ? depth : 1) && !('dir' in f)) {
        const sf = f as SourceFile;
        seen.set(sub, {
          isout: isOutFile,
          isdir: false,
          isexec: sf.isexec,
          size: opts.withSize || !isOutFile ? await this.sizeOf(sf) : null,
          md5: sf.oid ?? null,
          path: sub,
        });
        continue;
      }
      // A folder at the depth limit (or a child folder when not recursive).
      const keep = recursive ? depth : 1;
      const name = parts.slice(0, keep).join('/');
      if (seen.has(name)) continue;
      const dirRel = prefix + name;
      const out = this.outs().find((o) => o.rel === dirRel);
      seen.set(name, { isout: !!out, isdir: true, isexec: false, size: null, md5: out?.oid ?? null, path: name });
    }
    return [...seen.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /**
   * Every file under `rel` (or `rel` itself) with its bytes' source: objects are fetched into
   * `store` (default: a scratch store; the own cache is read in place), git files are returned
   * for the caller to read with readGitFile. Throws SourcePathError when `rel` names nothing.
   */
  async collect(path: string, store?: LocalObjectStore): Promise<{ node: SourceNode; files: SourceFile[]; store: LocalObjectStore }> {
    const rel = normRel(path);
    const node = await this.resolve(rel);
    if (node.kind === 'missing') throw new SourcePathError(rel, this.absPath(rel));
    const files = node.kind === 'file' ? [node.file] : ((await this.filesUnder(rel, true)) as SourceFile[]);
    const objects = files.filter((f) => f.oid).map((f) => ({ oid: f.oid!, name: f.rel }));
    // Objects: read from the own cache in place unless a store is given.
    const target = store ?? (this.ownCache && objects.every((o) => this.ownCache!.exists(o.oid)) ? this.ownCache : this.scratchStore());
    await this.fetch(target, objects);
    for (const f of files) if (f.oid && f.size < 0) f.size = statSync(target.path(f.oid)).size;
    return { node, files, store: target };
  }

  /**
   * The objects of `path` in `store` as one DVC hash: a file's md5, or a folder's `.dir` manifest
   * (written to `store`) with its size and file count. Git files are stored as objects too.
   */
  async hashInto(path: string, store: LocalObjectStore, opts: { download?: boolean } = {}): Promise<{ node: SourceNode; md5: string; size: number; nfiles?: number }> {
    if (opts.download === false) {
      // A whole output whose `.dvc` file records its size: its hash without any download.
      const node = await this.resolve(path);
      const out = node.kind === 'dir' ? node.out : node.kind === 'file' ? node.file.out : undefined;
      const meta = out && out.rel === node.rel ? this.outMeta.get(out.rel) : undefined;
      if (out && meta?.size !== undefined && (!out.oid.endsWith('.dir') || meta.nfiles !== undefined)) {
        return { node, md5: out.oid, size: meta.size, ...(out.oid.endsWith('.dir') ? { nfiles: meta.nfiles } : {}) };
      }
    }
    const { node, files } = await this.collect(path, store);
    for (const f of files) {
      if (f.oid) continue;
      const data = this.readGitFile(f.rel);
      f.oid = md5Bytes(data);
      if (!store.exists(f.oid)) store.addBytes(f.oid, data);
    }
    if (node.kind === 'file') return { node, md5: files[0]!.oid!, size: files[0]!.size };
    // A whole folder output keeps its recorded hash.
    if (node.kind === 'dir' && node.out && node.out.rel === node.rel) {
      await this.fetch(store, [{ oid: node.out.oid, name: node.rel }]);
      const size = files.reduce((n, f) => n + f.size, 0);
      return { node, md5: node.out.oid, size, nfiles: files.length };
    }
    const base = node.rel ? node.rel + '/' : '';
    const entries: TreeEntry[] = files.map((f) => ({ relpath: f.rel.slice(base.length), md5: f.oid! }));
    const { oid, text } = hashManifest(entries);
    if (!store.exists(oid)) store.addBytes(oid, text);
    return { node, md5: oid, size: files.reduce((n, f) => n + f.size, 0), nfiles: files.length };
  }

  /** Total size of every file (git's and outputs') under `rel`, or of the file `rel`. */
  async totalSize(rel: string): Promise<number> {
    const node = await this.resolve(rel);
    if (node.kind === 'missing') throw new SourcePathError(rel, this.absPath(rel));
    const files = node.kind === 'file' ? [node.file] : ((await this.filesUnder(node.rel, true)) as SourceFile[]);
    let n = 0;
    for (const f of files) n += await this.sizeOf(f);
    return n;
  }

  /** `dvc du`: each entry of a folder with its total size, then the folder's (or only the total). */
  async du(path = '', opts: { summarize?: boolean } = {}): Promise<Array<[string, number]>> {
    const rel = normRel(path);
    const node = await this.resolve(rel);
    if (node.kind === 'missing') throw new SourcePathError(rel, this.absPath(rel));
    if (opts.summarize || node.kind === 'file') return [[path, await this.totalSize(rel)]];
    const rows: Array<[string, number]> = [];
    for (const e of await this.list(rel)) {
      const child = rel ? `${rel}/${e.path}` : e.path;
      rows.push([child, await this.totalSize(child)]);
    }
    rows.push([path, rows.reduce((n, [, s]) => n + s, 0)]);
    return rows;
  }

  /** Removes the clone and scratch folders. */
  async close(): Promise<void> {
    for (const t of this.temps.splice(0)) rmSync(t, { recursive: true, force: true });
  }
}

/** 'data/', './data', '' -> 'data', '' (POSIX, no leading ./ or trailing /). */
export function normRel(p: string): string {
  let r = (p ?? '').split('\\').join('/');
  while (r.startsWith('./')) r = r.slice(2);
  r = r.replace(/\/+$/, '');
  if (r === '.' ) r = '';
  if (isAbsolute(r) || r.split('/').includes('..')) throw new SourceError(`'${p}' is outside of the repository`);
  return r;
}

/** True when `p` exists (file, folder or link) on the local file system. */
export function existsLocal(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return existsSync(p);
  }
}
