/**
 * `dvc add`: hash a file or folder, put it in the cache (same read), write `<name>.dvc`, make git
 * ignore the output, and (for hardlink/symlink cache types) replace the workspace copy with links
 * to the cache.
 */
import { existsSync, lstatSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import { StateDb } from '../hash/state.js';
import { applyCheckout, planCheckout } from '../sync/checkout.js';
import { DvcError, UnsafePathError } from '../errors.js';
import { DvcFile, isLegacyOut } from '../formats/dvcfile.js';
import { hashWorkspace, type HashContext, type WsObject } from '../sync/workspace.js';
import { checkLink } from '../tree/walk.js';
import { collectDvcFiles, repoPath } from './collect.js';
import { loadPipeline } from './pipeline.js';
import { withData, type DataContext, type HashSpace, type ProgressSink } from './context.js';
import type { Repo } from './repo.js';
import { trace } from '../trace.js';

export interface AddOptions {
  /** Record the hash but do not put anything in the cache. */
  noCommit?: boolean;
  onProgress?: ProgressSink;
}

export interface AddedOutput {
  /** The .dvc file written (absolute). */
  dvcFile: string;
  out: string;
  md5: string;
  size: number;
  nfiles?: number;
}

function posix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}

/** Checks a target can be added; returns its absolute path. */
function checkTarget(repo: Repo, target: string): string {
  const abs = repoPath(repo, target);
  const rel = posix(relative(repo.root, abs));
  if (rel === '') throw new DvcError(`cannot add the repository root itself`);
  const first = rel.split('/')[0];
  if (first === '.dvc' || first === '.git') throw new UnsafePathError(`cannot add '${target}': it is inside '${first}'`);
  let lst;
  try {
    lst = lstatSync(abs);
  } catch {
    throw new DvcError(`output '${target}' does not exist: [Errno 2] No such file or directory: '${abs}'`);
  }
  if (lst.isSymbolicLink()) checkLink(abs, target, { root: repo.root });
  if (DvcFile.isDvcFileName(abs)) throw new DvcError(`cannot add '${target}': it is a .dvc file`);
  return abs;
}

export async function add(repo: Repo, targets: string[], opts: AddOptions = {}): Promise<AddedOutput[]> {
  if (!targets.length) throw new DvcError('no targets given');
  return repo.withLock(() =>
    withData(
      repo,
      async (d) => {
        const abss = targets.map((t) => checkTarget(repo, t));
        const seen = new Set<string>();
        for (let i = 0; i < abss.length; i++) {
          if (seen.has(abss[i]!)) throw new DvcError(`'${targets[i]}' is given twice`);
          seen.add(abss[i]!);
        }
        // Data git already tracks must leave git first (DVC: OutputAlreadyTrackedError).
        if (repo.scm) {
          for (let i = 0; i < abss.length; i++) {
            if (await repo.scm.isTracked(abss[i]!)) {
              const t = targets[i]!;
              throw new DvcError(
                `output '${t}' is already tracked by SCM (e.g. Git).\n` +
                  `    You can remove it from Git, then add to DVC.\n` +
                  `        To stop tracking from Git:\n` +
                  `            git rm -r --cached '${t}'\n` +
                  `            git commit -m "stop tracking ${t}"`,
              );
            }
          }
        }
        // Overlaps with outputs tracked by other .dvc files.
        const all = collectDvcFiles(repo, d.ignore);
        for (let i = 0; i < abss.length; i++) {
          const abs = abss[i]!;
          for (const f of all) {
            if (f.abs === abs + '.dvc') continue;
            for (const o of f.outs) {
              if (o.abs === abs || abs.startsWith(o.abs + sep) || o.abs.startsWith(abs + sep)) {
                throw new DvcError(
                  `cannot add '${targets[i]}', because it is overlapping with other DVC tracked output: '${o.rel}' (${f.rel})`,
                );
              }
            }
          }
        }
        // ... and with outputs of dvc.yaml stages (pipeline.ts)
        for (const s of loadPipeline(repo).stages) {
          for (const o of s.outs) {
            for (let i = 0; i < abss.length; i++) {
              const abs = abss[i]!;
              if (o.abs === abs || abs.startsWith(o.abs + sep) || o.abs.startsWith(abs + sep)) {
                throw new DvcError(`cannot add '${targets[i]}': output '${o.rel}' is already specified in stage: '${s.name}'`);
              }
            }
          }
        }
        const results: AddedOutput[] = [];
        const gitignores: string[] = [];
        for (const abs of abss) {
          const r = await addOne(d, abs, opts);
          results.push(r);
          repo.scmContext.track(r.dvcFile);
          if (repo.scm) {
            const g = repo.scm.ignore(abs);
            if (g) gitignores.push(g);
          }
        }
        repo.scmContext.track(...gitignores);
        return results;
      },
      { onProgress: opts.onProgress },
    ),
  );
}

/** Hashes `abs`, stores it (unless noCommit), relinks if needed, and writes its .dvc file. */
export async function addOne(d: DataContext, abs: string, opts: { noCommit?: boolean }): Promise<AddedOutput> {
  const repo = d.repo;
  const dvcPath = DvcFile.pathFor(abs);
  let file: DvcFile | undefined;
  let idx = 0;
  if (existsSync(dvcPath)) {
    file = DvcFile.read(repo.root, dvcPath);
    idx = file.outs.findIndex((o) => o.abs === abs);
    if (idx < 0) throw new DvcError(`'${posix(relative(repo.root, dvcPath))}' already exists and does not track '${basename(abs)}'`);
  }
  if (file && isLegacyOut(file.outs[idx]!)) {
    // A DVC 2 output whose data is unchanged stays one (DVC 3's `update_legacy_hash_name`): its
    // objects go to the old cache layout and no `hash: md5` line is added. Changed data makes
    // it a DVC 3 output below.
    const kept = await saveLegacyIfUnchanged(d, file, idx, !opts.noCommit);
    if (kept) {
      if (kept.updated) file.write();
      trace('add: legacy output kept');
      return { dvcFile: dvcPath, out: abs, ...kept.hash };
    }
  }
  const ws = await saveOutput(d, abs, !opts.noCommit);
  if (ws.kind === 'missing') throw new DvcError(`output '${abs}' does not exist`);
  const h = ws.kind === 'dir' ? { md5: ws.oid, size: ws.size, nfiles: ws.nfiles } : { md5: ws.md5, size: ws.size };
  if (file) file.setOutHash(idx, h);
  else file = DvcFile.create(repo.root, dvcPath, [{ abs, ...h }]);
  file.write();
  trace('add: .dvc written');
  return { dvcFile: dvcPath, out: abs, ...h };
}

/**
 * For output `idx` of `file`, a DVC 2 one: when the workspace still has the data it records (by
 * md5-dos2unix), saves it as DVC 3 does for such an output (with `commit`, objects into the old
 * cache layout), updates size/nfiles in `file` if they differ (`updated`: the caller writes it)
 * and returns the hash. Undefined when the data changed or is gone (the caller then saves it as
 * a DVC 3 output).
 */
export async function saveLegacyIfUnchanged(
  d: DataContext,
  file: DvcFile,
  idx: number,
  commit: boolean,
): Promise<{ hash: { md5: string; size: number; nfiles?: number }; updated: boolean } | undefined> {
  const out = file.outs[idx]!;
  const probe = await hashWorkspace(d.legacy.hash, out.abs);
  if (probe.kind === 'missing' || (probe.kind === 'dir' ? probe.oid : probe.md5) !== out.md5) return undefined;
  const ws = await saveOutput(d, out.abs, commit, d.legacy);
  if (ws.kind === 'missing') return undefined;
  const h = ws.kind === 'dir' ? { md5: ws.oid, size: ws.size, nfiles: ws.nfiles } : { md5: ws.md5, size: ws.size };
  if (h.md5 !== out.md5) return undefined; // changed while we looked
  const updated = out.size !== h.size || (ws.kind === 'dir' && out.nfiles !== ws.nfiles);
  if (updated) file.setOutHash(idx, h, { legacy: true });
  return { hash: h, updated };
}

/**
 * Hashes an output; with `commit`, stores its objects (and manifest) in the cache and, for
 * hardlink/symlink cache types, links the workspace files to the cache. `space` picks DVC 2's
 * side of the cache (md5-dos2unix, old layout) for a DVC 2 output.
 */
export async function saveOutput(d: DataContext, abs: string, commit: boolean, space: HashSpace = d): Promise<WsObject> {
  const ws = await hashWorkspace(space.hash, abs, commit ? space.store : undefined);
  if (!commit || ws.kind === 'missing') return ws;
  if (ws.kind === 'dir') space.store.addBytes(ws.oid, ws.text);
  trace('add: .dir stored');
  if (d.linksShareCache) {
    // Files already linked to their cache object (same inode, through a symlink or a hardlink)
    // are left alone: a no-op add does not relink a whole dataset.
    const all = ws.kind === 'dir' ? ws.files : [{ abs: ws.abs, md5: ws.md5, ino: ws.stat.ino }];
    const files = all.filter((f) => {
      try {
        return statSync(space.store.path(f.md5)).ino !== f.ino;
      } catch {
        return true;
      }
    });
    const pairs: Array<[string, string]> = files.map((f) => [space.store.path(f.md5), f.abs]);
    const res = await space.hash.pool().link(pairs, d.linkTypes);
    const now = Date.now();
    for (let i = 0; i < res.length; i++) {
      const r = res[i]!;
      if ('error' in r) throw new DvcError(`failed to link '${files[i]!.abs}' to the cache: ${r.error}`);
      space.hash.state.set(posix(relative(repo(d), files[i]!.abs)), r, files[i]!.md5, now);
    }
  }
  return ws;
}

/**
 * `dvc add SRC -o OUT`: copies a file or folder from anywhere (outside the repository too) into
 * the cache, checks it out at OUT inside the repository, and tracks OUT.
 */
export async function addTo(repo: Repo, src: string, out: string, opts: AddOptions = {}): Promise<AddedOutput> {
  const srcAbs = resolve(src);
  if (!existsSync(srcAbs)) throw new DvcError(`output '${src}' does not exist: [Errno 2] No such file or directory: '${srcAbs}'`);
  const outAbs = repoPath(repo, out);
  const rel = posix(relative(repo.root, outAbs));
  if (rel === '' || rel.split('/')[0] === '.dvc' || rel.split('/')[0] === '.git') throw new UnsafePathError(`cannot add to '${out}'`);
  if (existsSync(outAbs)) throw new DvcError(`'${out}' already exists`);
  if (existsSync(DvcFile.pathFor(outAbs))) throw new DvcError(`'${out}.dvc' already exists`);
  return repo.withLock(() =>
    withData(
      repo,
      async (d) => {
        // Hash + store the source with a throwaway state (it is not in this repository).
        const state = StateDb.memory();
        const ctx: HashContext = { ...d.hash, root: dirname(srcAbs), state, allowed: [srcAbs], ignore: undefined };
        let ws: WsObject;
        try {
          ws = await hashWorkspace(ctx, srcAbs, d.store);
        } finally {
          state.close();
        }
        if (ws.kind === 'missing') throw new DvcError(`output '${src}' does not exist`);
        if (ws.kind === 'dir') d.store.addBytes(ws.oid, ws.text);
        const h = ws.kind === 'dir' ? { md5: ws.oid, size: ws.size, nfiles: ws.nfiles } : { md5: ws.md5, size: ws.size };
        const dvcPath = DvcFile.pathFor(outAbs);
        const file = DvcFile.create(repo.root, dvcPath, [{ abs: outAbs, ...h }]);
        const plan = await planCheckout(d.hash, d.store, file.outs[0]!);
        if (plan.unsaved.length || plan.missing.length) throw new DvcError(`cannot check out '${out}'`);
        mkdirSync(dirname(outAbs), { recursive: true });
        await applyCheckout(d.hash, d.store, plan, d.linkTypes);
        file.write();
        repo.scmContext.track(dvcPath);
        if (repo.scm) {
          const g = repo.scm.ignore(outAbs);
          if (g) repo.scmContext.track(g);
        }
        return { dvcFile: dvcPath, out: outAbs, ...h };
      },
      { onProgress: opts.onProgress },
    ),
  );
}

function repo(d: DataContext): string {
  return d.repo.root;
}


export interface AddToRemoteOptions {
  /** `-o`: where the output is tracked (default: the source's name in the current folder). */
  out?: string;
  remote?: string;
  /** `--remote-jobs`. */
  jobs?: number;
  force?: boolean;
}

/**
 * `dvc add SRC --to-remote [-o OUT] [-r NAME]`: sends a file or folder (a local path or a URL)
 * straight to a remote and tracks OUT in `OUT.dvc`, without keeping the data in the cache or the
 * workspace (`dvc pull` brings it).
 */
export async function addToRemote(repo: Repo, src: string, opts: AddToRemoteOptions = {}): Promise<AddedOutput> {
  const { isRemoteUrl, openUrlSource, sourceShape } = await import('./url-source.js');
  const { transferToRemote } = await import('./imp-url.js');
  const { resolveOutput } = await import('./get.js');
  const remote = isRemoteUrl(src);
  if (!remote && !existsSync(resolve(src))) throw new DvcError(`output '${src}' does not exist: [Errno 2] No such file or directory: '${resolve(src)}'`);
  const outRel = opts.out ? resolveOutput(src, opts.out, opts.force) : basename(resolve('/', src.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '')));
  const outAbs = repoPath(repo, outRel);
  const rel = posix(relative(repo.root, outAbs));
  if (rel === '' || rel.startsWith('..') || rel.split('/')[0] === '.dvc' || rel.split('/')[0] === '.git') throw new UnsafePathError(`cannot add to '${outRel}'`);
  const dvcPath = DvcFile.pathFor(outAbs);
  if (existsSync(dvcPath) && !opts.force) throw new DvcError(`'${posix(relative(process.cwd(), dvcPath))}' already exists. Use \`-f|--force\` to overwrite it.`);
  return repo.withLock(() =>
    withData(repo, async (d) => {
      let h;
      if (remote) {
        const s = await openUrlSource(repo, src, {}, opts.jobs);
        try {
          const shape = await sourceShape(s);
          if (shape.kind === 'missing') throw new DvcError(`output '${src}' does not exist`);
          h = await transferToRemote(repo, d, { src: s, shape }, opts.remote, opts.jobs);
        } finally {
          await s.close();
        }
      } else h = await transferToRemote(repo, d, { local: resolve(src) }, opts.remote, opts.jobs);
      mkdirSync(dirname(dvcPath), { recursive: true });
      DvcFile.create(repo.root, dvcPath, [{ abs: outAbs, ...h }]).write();
      repo.scmContext.track(dvcPath);
      if (repo.scm) {
        const g = repo.scm.ignore(outAbs);
        if (g) repo.scmContext.track(g);
      }
      return { dvcFile: dvcPath, out: outAbs, ...h };
    }),
  );
}
