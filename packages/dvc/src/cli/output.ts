/**
 * Console output shared by all commands: normal lines on stdout, `ERROR:`/`WARNING:` on stderr,
 * quiet (-q) silences everything but errors, verbose (-v) adds debug lines. Progress bars are shown
 * only when stderr is a TTY and not quiet.
 */
export interface Output {
  quiet: boolean;
  verbose: boolean;
  /** A normal line (suppressed by -q). */
  info(line?: string): void;
  /** Always printed (even with -q): machine-readable output such as --json. */
  print(text: string): void;
  warn(line: string): void;
  error(line: string): void;
  debug(line: string): void;
  /** True when progress may be drawn (stderr is a TTY and not quiet). */
  readonly interactive: boolean;
}

export function makeOutput(opts: { quiet?: boolean; verbose?: boolean } = {}): Output {
  const quiet = !!opts.quiet;
  const verbose = !!opts.verbose && !quiet;
  return {
    quiet,
    verbose,
    info(line = '') {
      if (!quiet) process.stdout.write(line + '\n');
    },
    print(text) {
      process.stdout.write(text.endsWith('\n') ? text : text + '\n');
    },
    warn(line) {
      if (!quiet) process.stderr.write(`WARNING: ${line}\n`);
    },
    error(line) {
      process.stderr.write(`ERROR: ${line}\n`);
    },
    debug(line) {
      if (verbose) process.stderr.write(`DEBUG: ${line}\n`);
    },
    get interactive() {
      return !quiet && !!process.stderr.isTTY && !process.env.CI;
    },
  };
}
