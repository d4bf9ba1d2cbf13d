/**
 * `dvc pull`: fetch, then check the workspace out (never overwriting a changed file unless
 * `force`). Returns what fetch moved and what checkout changed, for DVC's summary line
 * `N files fetched and M files added`.
 */
import { join } from 'node:path';
import { checkout, CheckoutFailedError, type CheckoutResult } from './checkout.js';
import { withData } from './context.js';
import { usedOuts, workspaceOuts, type SyncOptions } from './data-sync.js';
import { fetchOuts, throwIfFailed, type FetchResult } from './fetch.js';
import type { Repo } from './repo.js';
import { trace } from '../trace.js';

export interface PullOptions extends SyncOptions {
  force?: boolean;
  /** `--allow-missing`: data neither the cache nor the remote has is left out, not an error. */
  allowMissing?: boolean;
}

export interface PullResult {
  fetch: FetchResult;
  checkout: CheckoutResult;
}

export async function pull(repo: Repo, targets: string[] = [], opts: PullOptions = {}): Promise<PullResult> {
  return repo.withLock(() => pullLocked(repo, targets, opts));
}

async function pullLocked(repo: Repo, targets: string[], opts: PullOptions): Promise<PullResult> {
  const fetched = await withData(repo, async (d) => {
    // Imports come from their source repositories (imp.ts), the rest from the remote.
    const { fetchImportsOf } = await import('./imp.js');
    const imp = await fetchImportsOf(repo, targets, await usedOuts(repo, targets, opts), opts);
    // Only imports: no remote needed.
    const r: FetchResult = imp.outs.length || !imp.imports ? await fetchOuts(repo, d, imp.outs, opts) : { fetched: 0, missing: [], failed: [], verified: new Set() };
    r.fetched += imp.fetched;
    r.failed.push(...imp.failed);
    return r;
  });
  trace(`pull: fetched ${fetched.fetched}`);
  // Check out what is there even when some objects are missing; then report the failures.
  const coTargets = opts.glob ? [...new Set(workspaceOuts(repo, targets, true).map((o) => join(repo.root, o.rel)))] : targets;
  let co: CheckoutResult;
  try {
    co = opts.glob && !coTargets.length ? emptyCheckout() : await checkout(repo, coTargets, { force: opts.force, verified: fetched.verified, allowMissing: opts.allowMissing });
  } catch (e) {
    if (e instanceof CheckoutFailedError && fetched.failed.length) throwIfFailed(fetched);
    throw e;
  }
  trace(`pull: checked out ${co.linked}`);
  // --allow-missing: only objects the remote lacks are forgiven, never a failed transfer.
  if (opts.allowMissing) throwIfFailed({ ...fetched, failed: fetched.failed.filter((f) => (f.error as { code?: string })?.code !== 'ENOENT') });
  else throwIfFailed(fetched);
  return { fetch: fetched, checkout: co };
}

function emptyCheckout(): CheckoutResult {
  return { added: [], modified: [], deleted: [], failed: [], corrupt: [], linked: 0, files: { added: 0, modified: 0, deleted: 0 } };
}

