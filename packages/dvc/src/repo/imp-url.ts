/**
 * `dvc import-url PATH [OUT]` and its `dvc update`: track a file or folder from outside the
 * repository (a local path), as DVC writes it:
 *
 *   md5: <stage md5>
 *   frozen: true
 *   deps:
 *   - md5: ...  size: ...  hash: md5  path: ../ext.txt
 *   outs:
 *   - md5: ...  size: ...  hash: md5  path: ext.txt
 *
 * Remote URLs (s3://, ...) are refused with one line: DVC records their etags, which our file
 * systems do not report yet.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { DvcError } from '../errors.js';
import { DvcFile } from '../formats/dvcfile.js';
import { StateDb } from '../hash/state.js';
import { applyCheckout, planCheckout } from '../sync/checkout.js';
import { hashWorkspace, type HashContext } from '../sync/workspace.js';
import { repoPath } from './collect.js';
import { withData, type DataContext } from './context.js';
import { GetDvcFileError, resolveOutput } from './get.js';
import { stageMd5 } from './imp.js';
import type { Repo } from './repo.js';
import { Y as yamlLib } from '../formats/dvcyaml.js';

export interface ImportUrlOptions {
  noExec?: boolean;
  noDownload?: boolean;
  force?: boolean;
}

export interface ImportUrlResult {
  dvcFile: string;
  out: string;
  /** The source, absolute (DVC's "Importing '<abs>' -> 'out'"). */
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

/** Hashes a path outside the repository; with `store`, its objects go into the cache too. */
async function hashSource(d: DataContext, srcAbs: string, store: boolean): Promise<Hash> {
  const state = StateDb.memory();
  const ctx: HashContext = { ...d.hash, root: dirname(srcAbs), state, allowed: [srcAbs], ignore: undefined };
  try {
    const ws = await hashWorkspace(ctx, srcAbs, store ? d.store : undefined);
    if (ws.kind === 'missing') throw new DvcError(`dependency '${srcAbs}' does not exist`);
    if (ws.kind === 'dir') {
      if (store) d.store.addBytes(ws.oid, ws.text);
      return { md5: ws.oid, size: ws.size, nfiles: ws.nfiles };
    }
    return { md5: ws.md5, size: ws.size };
  } finally {
    state.close();
  }
}

function hashFields(h: Hash | undefined): Record<string, unknown> {
  if (!h) return {};
  const r: Record<string, unknown> = { md5: h.md5, size: h.size };
  if (h.md5.endsWith('.dir')) r.nfiles = h.nfiles ?? 0;
  r.hash = 'md5';
  return r;
}

async function writeStage(repo: Repo, dvcAbs: string, depPath: string, outPath: string, dep: Hash | undefined, out: Hash | undefined): Promise<void> {
  const Y = yamlLib();
  const body = { frozen: true, deps: [{ ...hashFields(dep), path: depPath }], outs: [{ ...hashFields(out), path: outPath }] };
  const data = out ? { md5: stageMd5(body), ...body } : body;
  const text = new Y.Document(data).toString({ indentSeq: false, lineWidth: 0, singleQuote: true });
  mkdirSync(dirname(dvcAbs), { recursive: true });
  DvcFile.parse(repo.root, dvcAbs, text).write();
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

function checkLocal(url: string): void {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !/^file:\/\//i.test(url)) {
    throw new DvcError(`importing from '${url}' is not supported yet: only local paths can be imported with import-url`);
  }
}

export async function importUrl(repo: Repo, url: string, out: string | undefined, opts: ImportUrlOptions = {}): Promise<ImportUrlResult> {
  checkLocal(url);
  const srcPath = /^file:\/\//i.test(url) ? decodeURIComponent(new URL(url).pathname) : url;
  const srcAbs = resolve(srcPath);
  if (!existsSync(srcAbs)) throw new DvcError(`dependency '${url}' does not exist`);
  const outRel = resolveOutput(srcPath, out, opts.force);
  const outAbs = repoPath(repo, outRel);
  if (DvcFile.isDvcFileName(outAbs)) throw new GetDvcFileError();
  const rel = posix(relative(repo.root, outAbs));
  if (rel === '' || rel.startsWith('..') || ['.dvc', '.git'].includes(rel.split('/')[0]!)) {
    throw new DvcError(`cannot import to '${outRel}': it is outside of the repository or inside '.dvc'/'.git'`);
  }
  const dvcAbs = DvcFile.pathFor(outAbs);
  if (existsSync(dvcAbs) && !opts.force) throw new DvcError(`'${posix(relative(process.cwd(), dvcAbs))}' already exists. Use \`-f|--force\` to overwrite it.`);
  // As DVC: a relative path is kept relative (to the .dvc file's folder), an absolute one as given.
  const depPath = isAbsolute(srcPath) ? srcPath : posix(relative(dirname(dvcAbs), srcAbs));
  const outPath = posix(relative(dirname(dvcAbs), outAbs));
  return repo.withLock(() =>
    withData(repo, async (d) => {
      if (opts.noExec) await writeStage(repo, dvcAbs, depPath, outPath, undefined, undefined);
      else {
        const h = await hashSource(d, srcAbs, !opts.noDownload);
        await writeStage(repo, dvcAbs, depPath, outPath, h, h);
        if (!opts.noDownload) await checkoutOut(repo, d, dvcAbs, outAbs, !!opts.force);
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

/** The dependency path of an import-url `.dvc` file (one dep without `repo:`), or null. */
export function urlDepOf(text: string, Y: typeof import('yaml')): { path: string; md5?: string } | null {
  let data: unknown;
  try {
    data = Y.parse(text);
  } catch {
    return null;
  }
  const deps = (data as { deps?: unknown })?.deps;
  if (!Array.isArray(deps) || deps.length !== 1) return null;
  const dep = deps[0] as { path?: unknown; repo?: unknown; md5?: unknown };
  if (dep.repo !== undefined || typeof dep.path !== 'string') return null;
  return { path: dep.path, md5: typeof dep.md5 === 'string' ? dep.md5 : undefined };
}

/**
 * `dvc update` of an import-url stage: re-hash the source; unchanged (and checked out) -> false,
 * else the stage and the output are replaced -> true.
 */
export async function updateUrlImport(repo: Repo, dvcAbs: string, opts: { noDownload?: boolean } = {}): Promise<{ changed: boolean; source: string; out: string }> {
  const Y = yamlLib();
  const text = readFileSync(dvcAbs, 'utf8');
  const dep = urlDepOf(text, Y);
  if (!dep) throw new DvcError(`'${repo.relPath(dvcAbs)}' is not an import`);
  checkLocal(dep.path);
  const file = DvcFile.parse(repo.root, dvcAbs, text);
  const out = file.outs[0];
  if (!out) throw new DvcError(`'${file.rel}' has no output`);
  const srcAbs = isAbsolute(dep.path) ? dep.path : resolve(dirname(dvcAbs), dep.path);
  return withData(repo, async (d) => {
    const h = await hashSource(d, srcAbs, !opts.noDownload);
    if (h.md5 === dep.md5 && out.md5 === h.md5) return { changed: false, source: srcAbs, out: out.abs };
    await writeStage(repo, dvcAbs, dep.path, out.path, h, h);
    if (!opts.noDownload) await checkoutOut(repo, d, dvcAbs, out.abs, true);
    repo.scmContext.track(dvcAbs);
    return { changed: true, source: srcAbs, out: out.abs };
  });
}
