import type { Readable } from 'node:stream';

/**
 * The one small storage interface every remote kind implements (after restic's
 * internal/backend). Paths are POSIX-style and relative to the backend's root (the remote URL),
 * never starting with '/' and never containing '..' (callers validate; backends may assume it).
 * Wrappers (retry.ts, limit.ts) take a FileSystem and return a FileSystem.
 */
export interface FileSystem {
  /** Scheme name, e.g. 'local', 's3', 'azure', 'gs', 'ssh', 'http', 'webdav', 'webhdfs'. */
  readonly protocol: string;
  /** A human-readable location for messages, e.g. 's3://bucket/prefix'. */
  readonly url: string;
  /** True if a file exists at `path`. */
  exists(path: string): Promise<boolean>;
  /** Size in bytes of the file at `path`, or undefined when it does not exist. */
  size(path: string): Promise<number | undefined>;
  /** Every file below `prefix` (recursive), as paths relative to the root. Missing prefix: none. */
  list(prefix: string): AsyncIterable<string>;
  /** A stream of the file's bytes. Rejects with an error whose `code` is 'ENOENT' when missing. */
  read(path: string): Promise<Readable>;
  /**
   * Stores `data` at `path` atomically: the file is never visible under `path` until complete
   * (temp name + rename, or multipart completion). Creates parent folders as needed.
   */
  write(path: string, data: Readable, size?: number): Promise<void>;
  /** Removes the file; a missing file is not an error. */
  delete(path: string): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}
