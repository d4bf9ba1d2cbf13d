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
  /**
   * The size and the change markers the backend keeps for a file (its ETag, Content-MD5,
   * version), as the server gives them, or undefined when it does not exist. Backends that keep
   * no such marker (local, ssh) do not implement it: callers fall back to `size`.
   */
  info?(path: string): Promise<FileStat | undefined>;
  /** Every file below `prefix` (recursive), as paths relative to the root. Missing prefix: none. */
  list(prefix: string): AsyncIterable<string>;
  /** A stream of the file's bytes. Rejects with an error whose `code` is 'ENOENT' when missing. */
  read(path: string): Promise<Readable>;
  /**
   * The file's bytes for a caller that wants them whole (a download of small objects): its chunks
   * in order when it has at most `maxBytes` bytes, otherwise a stream of it as `read` gives. For
   * backends whose requests cost less without a stream per file (S3's fast path); callers fall
   * back to `read` where it is missing. Rejects as `read` does. `alive` is called when the
   * answer's head and each chunk arrive (the retry wrapper's idle timeout, retry.ts).
   */
  readSmall?(path: string, maxBytes: number, alive?: () => void): Promise<Buffer[] | Readable>;
  /**
   * Stores `data` at `path` atomically: the file is never visible under `path` until complete
   * (temp name + rename, or multipart completion). Creates parent folders as needed.
   */
  write(path: string, data: Readable, size?: number): Promise<void>;
  /** Removes the file; a missing file is not an error. */
  delete(path: string): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
  /**
   * One request's worth of a listing (one page, or one folder level), for backends whose
   * listing takes several requests: the retry wrapper (retry.ts) walks these steps itself, so a
   * failed request is tried again alone instead of the whole listing starting over. Start with
   * `{ prefix }` (as given to `list`); `next` holds the steps still to take. Files are paths
   * relative to the root, as `list` yields them (temp files left out).
   */
  listStep?(step: ListStep): Promise<ListPage>;
  /**
   * Removes the temp files that killed or failed uploads left below `prefix` (`<name>.<hex>.tmp`,
   * `.copper-tmp-*`, unfinished multipart uploads...) when older than `olderThanMs` and, with
   * `owned`, when the path they were uploading to is one of the caller's (gc: an object path, so
   * other files that share the remote are never touched); returns their paths. Backends whose
   * uploads leave nothing behind do not implement it.
   */
  removeStaleTemps?(prefix: string, olderThanMs: number, owned?: (finalPath: string) => boolean): Promise<string[]>;
}

/** What `info` tells about a file; every field but `size` is the server's text, unchanged. */
export interface FileStat {
  size: number;
  /** The ETag (S3 and HTTP give it quoted, GCS as base64). */
  etag?: string;
  /** HTTP's Content-MD5 header. */
  contentMd5?: string;
  /** S3's VersionId, GCS's generation. */
  versionId?: string;
}

/** Where a listing step starts: a prefix (folder), and for paged listings the page's token. */
export interface ListStep {
  prefix: string;
  token?: string;
}

export interface ListPage {
  files: string[];
  next: ListStep[];
}

/**
 * How old an upload's temp file must be before `dvc gc` removes it from a remote: an upload
 * still running on another machine must never lose its temp file, so a day (as restic and
 * rclone wait before removing the leftovers of interrupted transfers).
 */
export const STALE_TEMP_AGE_MS = 24 * 3600_000;

/**
 * Every file below `prefix` of a backend that lists in steps, `width` steps at a time: a new step
 * starts as soon as any answers (a slow folder holds up no others), each page's files yielded as
 * it comes (in no set order: callers sort where order matters). Pages answered but not yet taken
 * by the caller count against `width`, so a slow caller holds the walk, not its memory. The first
 * failed step fails the walk, once the pages before it are yielded.
 */
export async function* walkSteps(prefix: string, step: (s: ListStep) => Promise<ListPage>, width = 8): AsyncIterable<string> {
  const pending: ListStep[] = [{ prefix }];
  const done: ListPage[] = [];
  let running = 0;
  let failed: { error: unknown } | undefined;
  let stopped = false;
  let wake: (() => void) | undefined;
  const start = () => {
    while (!failed && !stopped && running + done.length < width && pending.length) {
      running++;
      step(pending.shift()!).then(
        (page) => {
          running--;
          done.push(page);
          pending.push(...page.next);
          start();
          wake?.();
        },
        (error: unknown) => {
          running--;
          failed ??= { error };
          wake?.();
        },
      );
    }
  };
  try {
    start();
    for (;;) {
      const page = done.shift();
      if (page) {
        start();
        yield* page.files;
        continue;
      }
      if (failed) throw failed.error;
      if (!running) {
        if (!pending.length) return;
        start();
        continue;
      }
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
  } finally {
    stopped = true;
  }
}
