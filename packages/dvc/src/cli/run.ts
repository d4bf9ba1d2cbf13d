/**
 * The `dvc` command: parses arguments with commander, dispatches to one file per command
 * (./commands/*.ts), and turns errors into one `ERROR:` line and DVC's exit codes.
 */
import { Command, CommanderError } from 'commander';
import { DvcError } from '../errors.js';
import { commands } from './commands/index.js';
import { makeOutput } from './output.js';

export async function run(argv: string[]): Promise<number> {
  const program = new Command('dvc');
  program
    .description('Data Version Control (copper, DVC 3.x compatible)')
    .option('-q, --quiet', 'be quiet')
    .option('-v, --verbose', 'be verbose')
    .option('-V, --version', 'show the version')
    .helpCommand(false)
    .exitOverride()
    .configureOutput({ outputError: (s: string, write: (str: string) => void) => write(s) })
    .showHelpAfterError(false);
  for (const register of commands) register(program);
  program.action(async (opts: { version?: boolean }) => {
    if (opts.version) {
      const { version } = await import('./commands/version.js');
      process.stdout.write(version() + '\n');
      return;
    }
    program.help({ error: true });
  });
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
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version') {
      return 0;
    }
    // commander already printed its message ("error: ..."); DVC exits 254 on bad arguments.
    return 254;
  }
  if (err instanceof DvcError) {
    out.error(err.message);
    const cause = (err as Error).cause as Error | undefined;
    if (out.verbose && cause) out.debug(String(cause.stack ?? cause));
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

