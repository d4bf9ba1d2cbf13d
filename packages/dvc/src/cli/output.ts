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

/** The Output for a command's action, from its -q/-v (given on it or on `dvc` itself). */
export function outputFor(cmd: { optsWithGlobals(): Record<string, unknown> }): Output {
  const o = cmd.optsWithGlobals();
  return makeOutput({ quiet: !!o.quiet, verbose: !!o.verbose });
}

/** Expands tabs to 8-column stops, as DVC's console (rich) prints tab-separated tables. */
export function expandTabs(line: string, width = 8): string {
  let out = '';
  for (const ch of line) {
    if (ch === '\t') out += ' '.repeat(width - (out.length % width));
    else out += ch;
  }
  return out;
}
