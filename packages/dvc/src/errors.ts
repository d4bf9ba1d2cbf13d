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
