/**
 * `dvc checkout`: make the workspace match the .dvc files from the cache. Never deletes or
 * overwrites a changed file whose content is not in the cache unless `force`; checks every
 * output before changing anything.
 */
import { DvcError, WorkspaceChangedError } from '../errors.js';
import { applyCheckout, planCheckout, type CheckoutPlan, type FileCounts } from '../sync/checkout.js';
import { collectDvcFiles, resolveTargets, shownPath } from './collect.js';
import { lockDvcFiles } from './pipeline.js';
import { isLegacyOut, type DvcOut } from '../formats/dvcfile.js';
import { withData, type HashSpace, type ProgressSink } from './context.js';
import type { Repo } from './repo.js';
import { join } from 'node:path';
import { QUARANTINE } from '../odb/local.js';

export interface CheckoutOptions {
  force?: boolean;
  relink?: boolean;
  onProgress?: ProgressSink;
  /**
   * Objects this process has just downloaded into the cache and verified (pull): their copies
   * are not hashed again. Only for objects of the md5 cache (`files/md5`).
   */
  verified?: ReadonlySet<string>;
  /** `--allow-missing`: outputs whose data is not in the cache are left out, not an error. */
  allowMissing?: boolean;
}

export interface CheckoutResult {
  added: string[];
  modified: string[];
  deleted: string[];
  /** Outputs that could not be checked out (missing cache objects). */
  failed: string[];
  /**
   * Files not checked out because their cache object is corrupt (shown paths); the objects were
   * moved to the cache's quarantine folder, so `dvc fetch`/`dvc pull` download them again.
   */
  corrupt: Array<{ path: string; oid: string; actual: string }>;
  /** Files linked. */
  linked: number;
  /** Files (inside folders too) added, modified and deleted, of the outputs checked out. */
  files: FileCounts;
}

/** Checkout refused: unsaved workspace changes (DVC exits 255 here). */
export class CheckoutUnsavedError extends WorkspaceChangedError {
  override readonly exitCode = 255;
}

/** The target names nothing (DVC suggests git checkout, exit 255). */
export class CheckoutTargetError extends DvcError {
  override readonly exitCode = 255;
}

/** Some outputs could not be checked out (missing from the cache). */
export class CheckoutFailedError extends DvcError {
  constructor(
    message: string,
    readonly result: CheckoutResult,
  ) {
    super(message);
  }
}

export async function checkout(repo: Repo, targets: string[] = [], opts: CheckoutOptions = {}): Promise<CheckoutResult> {
  return repo.withLock(() =>
    withData(
      repo,
      async (d) => {
        // Stage outputs recorded in dvc.lock are checked out too (pipeline.ts lockDvcFiles).
        const stageFiles = !targets.length || targets.some((t) => !t.endsWith('.dvc')) ? lockDvcFiles(repo) : [];
        const resolved = resolveTargets(
          repo,
          targets,
          (t, abs) => new CheckoutTargetError(`Did you mean \`git checkout ${t}\`?: '${abs}' does not exist`),
          stageFiles.length ? [...collectDvcFiles(repo), ...stageFiles] : undefined,
        );
        // One plan per output: the whole of it, or (targets inside a tracked folder) only the
        // paths named inside it.
        const wanted = new Map<string, { out: DvcOut; prefixes: Set<string> | null }>();
        for (const { file, outs, sub } of resolved) {
          for (const i of outs) {
            const out = file.outs[i]!;
            if (!out.cache || !out.md5) continue;
            const w = wanted.get(out.abs);
            if (!w) wanted.set(out.abs, { out, prefixes: sub === undefined ? null : new Set([sub]) });
            else if (sub === undefined) w.prefixes = null;
            else w.prefixes?.add(sub);
          }
        }
        const plans: Array<{ plan: CheckoutPlan; space: HashSpace }> = [];
        for (const { out, prefixes } of wanted.values()) {
          // DVC 2 outputs check out from the old cache layout, compared by md5-dos2unix.
          const space = d.space(isLegacyOut(out));
          const plan = await planCheckout(space.hash, space.store, out, { relink: opts.relink, prefixes: prefixes ? [...prefixes] : undefined });
          plans.push({ plan, space });
        }
        const unsaved = plans.flatMap((p) => p.plan.unsaved);
        if (unsaved.length && !opts.force) {
          throw new CheckoutUnsavedError(
            "Can't remove the following unsaved files without confirmation. Use `--force` to force.\n" +
              unsaved.join('\n'),
          );
        }
        const result: CheckoutResult = { added: [], modified: [], deleted: [], failed: [], corrupt: [], linked: 0, files: { added: 0, modified: 0, deleted: 0 } };
        for (const { plan: p, space } of plans) {
          result.linked += await applyCheckout(space.hash, space.store, p, d.linkTypes, space.store.hashName === 'md5' ? opts.verified : undefined);
          const shown = shownPath(p.out.abs) + (p.out.isDir ? '/' : '');
          for (const c of p.corrupt) result.corrupt.push({ path: shownPath(c.dest), oid: c.oid, actual: c.actual });
          if (p.missing.length) result.failed.push(shownPath(p.out.abs));
          else {
            if (p.change === 'added') result.added.push(shown);
            else if (p.change === 'modified') result.modified.push(shown);
            result.files.added += p.files.added;
            result.files.modified += p.files.modified;
            result.files.deleted += p.files.deleted;
          }
          if (repo.scm && p.change) {
            const g = repo.scm.ignore(p.out.abs);
            if (g) repo.scmContext.track(g);
          }
        }
        // Corrupt objects are moved aside (after every output: two may share one), so that the
        // next fetch/pull downloads them again.
        for (const { plan: p, space } of plans) for (const c of p.corrupt) space.store.quarantine(c.oid);
        if (result.corrupt.length) {
          const lines = result.corrupt.map((c) => `${c.path} (md5: ${c.oid}, its content hashes to ${c.actual})`);
          throw new CheckoutFailedError(
            `Checkout failed: corrupted cache objects were not checked out (moved to '${shownPath(join(repo.cacheDir, QUARANTINE))}'):\n${lines.join('\n')}\n` +
              `Run 'dvc pull' (or 'dvc fetch' then 'dvc checkout') to restore them from the remote.`,
            result,
          );
        }
        if (result.failed.length && !opts.allowMissing) {
          throw new CheckoutFailedError(
            `Checkout failed for following targets:\n${result.failed.join('\n')}\nIs your cache up to date?\n<https://error.dvc.org/missing-files>`,
            result,
          );
        }
        return result;
      },
      { onProgress: opts.onProgress },
    ),
  );
}

