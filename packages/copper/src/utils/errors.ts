/** Errors a user can act on: the CLIs print their message as one line and exit non-zero. */
export class CopperError extends Error {
  override name = 'CopperError';
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}
