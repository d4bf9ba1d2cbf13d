/**
 * The `dvc` command: parses arguments with commander, dispatches to one file per command
 * (./commands/*.ts), and turns errors into one `ERROR:` line and DVC's exit codes
 * (254 for a bad command line, the error's own code otherwise; never a stack trace, except the
 * cause's under -v).
 *
 * Every command and subcommand accepts -q/--quiet, -v/--verbose and --cd <path> (added here,
 * after the command files register themselves); an action reads -q/-v with outputFor(cmd) from
 * ./output.ts, and --cd has already changed the working folder when it runs.
 */
import { Command, CommanderError } from 'commander';
import { DvcError } from '../errors.js';
import { COMMAND_FILES, commandWord, registerAll } from './commands/lazy.js';
import { makeOutput } from './output.js';
import { trace } from '../trace.js';

/** Adds -q/-v/--cd to every command that lacks them, recursively. */
function addCommonOptions(cmd: Command): void {
  for (const sub of cmd.commands) {
    const has = (flag: string) => sub.options.some((o) => o.short === flag || o.long === flag);
    if (!has('-q')) sub.option('-q, --quiet', 'Be quiet.');
    if (!has('-v')) sub.option('-v, --verbose', 'Be verbose.');
    if (!has('--cd')) sub.option('--cd <path>', 'Change to directory before executing.');
    sub.helpOption('-h, --help', 'Show this help message and exit.');
    if (sub.commands.length) sub.helpCommand(false);
    addCommonOptions(sub);
  }
}

/** commander's "error: ..." message -> DVC's one-line "ERROR: ..." on stderr. */
function writeCommanderError(text: string): void {
  const line = text
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .join(' ')
    .replace(/^error:\s*/i, '');
  process.stderr.write(`ERROR: ${line}\n`);
}

export async function run(argv: string[]): Promise<number> {
  trace('cli: modules loaded');
  process.exitCode = undefined;
  // `dvc --version` is what editors and scripts call most: answer before building the parser.
  if (argv.length === 1 && (argv[0] === '-V' || argv[0] === '--version')) {
    const { version } = await import('./commands/version.js');
    process.stdout.write(version() + '\n');
    return 0;
  }
  const program = new Command('dvc');
  program
    .description('Data Version Control (copper, DVC 3.x compatible)')
    .option('-q, --quiet', 'Be quiet.')
    .option('-v, --verbose', 'Be verbose.')
    .option('-V, --version', 'Show program\'s version.')
    .option('--cd <path>', 'Change to directory before executing.')
    .helpCommand(false)
    .helpOption('-h, --help', 'Show this help message and exit.')
    .exitOverride()
    .configureOutput({ outputError: (s: string) => writeCommanderError(s) })
    .showHelpAfterError(false);
  const word = commandWord(argv);
  const only = word !== undefined && Object.hasOwn(COMMAND_FILES, word) ? COMMAND_FILES[word] : undefined;
  if (only) (await only()).register(program);
  else await registerAll(program);
  addCommonOptions(program);
  program.hook('preAction', (_program, action) => {
    const cd = action.optsWithGlobals().cd as string | undefined;
    if (cd === undefined) return;
    try {
      process.chdir(cd);
    } catch (e) {
      throw new DvcError(`cannot change to directory '${cd}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  });
  if (argv.every((a) => a === '-q' || a === '--quiet' || a === '-v' || a === '--verbose')) {
    // No command: usage on stderr, exit 254 (argparse: "the following arguments are required").
    process.stderr.write(program.helpInformation());
    process.stderr.write('ERROR: the following arguments are required: COMMAND\n');
    return 254;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return handleError(err, argv);
  }
}

function handleError(err: unknown, argv: string[]): number {
  const out = makeOutput({ verbose: argv.includes('-v') || argv.includes('--verbose') });
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
    // commander already printed its message; DVC exits 254 on bad arguments.
    return 254;
  }
  if (err instanceof DvcError) {
    out.error(err.message);
    const cause = (err as Error).cause as Error | undefined;
    if (out.verbose) out.debug(String((cause ?? err).stack ?? cause ?? err));
    return err.exitCode;
  }
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && 'code' in e && typeof e.code === 'string') {
    // A system error that escaped the library: still one line.
    out.error(`${e.message}`);
    if (out.verbose) out.debug(String(e.stack));
    return 255;
  }
  out.error(`unexpected error - ${e instanceof Error ? e.message : String(e)}`);
  if (out.verbose && e instanceof Error) out.debug(String(e.stack));
  return 255;
}
