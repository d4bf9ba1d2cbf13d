/**
 * What a data operation needs besides the Repo: the cache (object store), the hash state, the
 * worker pool (started on first need), .dvcignore rules and the link types. Always `close()` it.
 */
import { realpathSync } from 'node:fs';
import { DvcIgnore } from '../formats/dvcignore.js';
import type { LinkType } from '../fs/local.js';
import { HashPool } from '../hash/pool.js';
import { StateDb } from '../hash/state.js';
import type { HashContext } from '../index/workspace.js';
import { LocalObjectStore } from '../odb/local.js';
import type { Repo } from './repo.js';

export interface ProgressSink {
  /** Called as files are hashed, stored or linked. */
  (files: number, bytes: number): void;
}

export class DataContext {
  readonly store: LocalObjectStore;
  readonly state: StateDb;
  readonly ignore: DvcIgnore;
  readonly linkTypes: LinkType[];
  readonly hash: HashContext;
  private pool?: HashPool;

  constructor(
    readonly repo: Repo,
    opts: { onProgress?: ProgressSink } = {},
  ) {
    this.store = new LocalObjectStore(repo.cacheDir);
    this.state = StateDb.open(repo.tmpDir);
    this.ignore = new DvcIgnore(repo.root);
    const types = repo.config.cacheTypes;
    this.linkTypes = types && types.length ? types : ['reflink', 'copy'];
    let cacheReal = repo.cacheDir;
    try {
      cacheReal = realpathSync.native(repo.cacheDir);
    } catch {
      /* not created yet */
    }
    let rootReal = repo.root;
    try {
      rootReal = realpathSync.native(repo.root);
    } catch {
      /* keep */
    }
    this.hash = {
      root: repo.root,
      state: this.state,
      pool: () => (this.pool ??= new HashPool()),
      ignore: this.ignore,
      allowed: [cacheReal, rootReal],
      onProgress: opts.onProgress,
    };
  }

  /** True when workspace files are links to the cache (hardlink/symlink first in cache.type). */
  get linksShareCache(): boolean {
    return this.linkTypes[0] === 'hardlink' || this.linkTypes[0] === 'symlink';
  }

  async close(): Promise<void> {
    try {
      this.state.close();
    } finally {
      await this.pool?.close();
    }
  }
}

/** Runs `fn` with a DataContext, closing it afterwards. */
export async function withData<T>(repo: Repo, fn: (d: DataContext) => Promise<T>, opts: { onProgress?: ProgressSink } = {}): Promise<T> {
  const d = new DataContext(repo, opts);
  try {
    return await fn(d);
  } finally {
    await d.close();
  }
}
