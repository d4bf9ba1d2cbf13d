/**
 * User-facing errors. Every error the CLI prints is one of these classes: the CLI prints
 * `ERROR: <message>` on stderr (one line, no stack trace) and exits with `exitCode`.
 * Exit codes follow Python DVC's: 1 for a failed command, 251 config errors,
 * 253 not inside a repository, 254 bad command-line arguments, 255 unexpected errors.
 */
export class DvcError extends Error {
  readonly exitCode: number = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotDvcRepoError extends DvcError {
  override readonly exitCode = 253;
}

export class ConfigError extends DvcError {
  override readonly exitCode = 251;
  constructor(message: string, options?: { cause?: unknown }) {
    super(`configuration error - config file error: ${message}`, options);
  }
}

export class ArgumentError extends DvcError {
  override readonly exitCode = 254;
}

/** A path from a file, a manifest or a remote that would leave the repository. */
export class UnsafePathError extends DvcError {}

/** A .dvc, dvc.yaml, dvc.lock or .dir file that cannot be parsed or has the wrong shape. */
export class InvalidFileError extends DvcError {}

/** Another dvc process holds the repository lock. */
export class LockError extends DvcError {}

/** A remote could not be reached, or refused the credentials, or lacks the bucket. */
export class RemoteError extends DvcError {}

/** Checkout/pull would overwrite or delete a workspace file that differs (needs --force). */
export class WorkspaceChangedError extends DvcError {}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** `34.0 kB`, `850 MB` (powers of 1000). */
export function formatBytes(n: number): string {
  let i = 0;
  while (n >= 1000 && i < UNITS.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n.toFixed(0) : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0)} ${UNITS[i]}`;
}

/** The device holding the cache is full (ENOSPC while storing objects in it). */
export class NoSpaceError extends DvcError {
  constructor(
    /** The cache folder. */
    readonly dir: string,
    /** The first file that did not fit (as shown to the user). */
    readonly path: string,
    /** Bytes of the files that did not fit, when known. */
    readonly needed: number | undefined,
    /** Bytes free for this user on the device, when known. */
    readonly free: number | undefined,
    /** How many more files did not fit besides `path`. */
    readonly more = 0,
  ) {
    const what = `storing '${path}'${more ? ` and ${more} more file${more === 1 ? '' : 's'}` : ''}`;
    const need = needed !== undefined ? ` needs ${formatBytes(needed)}` : ' could not be stored';
    super(`no space left on the device holding the cache '${dir}': ${what}${need}${free !== undefined ? ` (${formatBytes(free)} free)` : ''}`);
  }
}
