/**
 * What a data operation needs besides the Repo: the cache (object store), the hash state, the
 * worker pool (started on first need), .dvcignore rules and the link types. Always `close()` it.
 */
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { DvcIgnore } from '../formats/dvcignore.js';
import type { LinkType } from '../fs/local.js';
import { HashPool } from '../hash/pool.js';
import { StateDb } from '../hash/state.js';
import type { HashContext } from '../sync/workspace.js';
import { LocalObjectStore } from '../odb/local.js';
import type { Repo } from './repo.js';

export interface ProgressSink {
  /** Called as files are hashed, stored or linked. */
  (files: number, bytes: number): void;
}

/** The cache and hashing of one hash name: DVC 3's md5, or DVC 2's md5-dos2unix. */
export interface HashSpace {
  store: LocalObjectStore;
  hash: HashContext;
}

export class DataContext {
  readonly store: LocalObjectStore;
  readonly state: StateDb;
  readonly ignore: DvcIgnore;
  readonly linkTypes: LinkType[];
  readonly hash: HashContext;
  private pool?: HashPool;
  private legacySpace?: HashSpace & { state: StateDb; pool?: HashPool };

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

  /**
   * DVC 2's side of the cache (outputs whose `.dvc` entry has no `hash: md5`): objects in the
   * old layout `.dvc/cache/<2>/<30>`, hashed md5-dos2unix. Its hash state is kept apart (the same
   * file has two different hashes). Opened on first need.
   */
  get legacy(): HashSpace {
    if (!this.legacySpace) {
      const state = StateDb.open(join(this.repo.tmpDir, 'state-md5-dos2unix'));
      const space: HashSpace & { state: StateDb; pool?: HashPool } = {
        state,
        store: new LocalObjectStore(this.repo.cacheDir, { hashName: 'md5-dos2unix' }),
        hash: {
          ...this.hash,
          state,
          pool: () => (space.pool ??= new HashPool(undefined, { hashName: 'md5-dos2unix' })),
        },
      };
      this.legacySpace = space;
    }
    return this.legacySpace;
  }

  /** The cache and hashing for outputs of DVC 2 (`legacy`) or DVC 3. */
  space(legacy: boolean | undefined): HashSpace {
    return legacy ? this.legacy : this;
  }

  /** True when workspace files are links to the cache (hardlink/symlink first in cache.type). */
  get linksShareCache(): boolean {
    return this.linkTypes[0] === 'hardlink' || this.linkTypes[0] === 'symlink';
  }

  async close(): Promise<void> {
    const legacy = this.legacySpace;
    try {
      this.state.close();
      legacy?.state.close();
    } finally {
      await this.pool?.close();
      await legacy?.pool?.close();
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
