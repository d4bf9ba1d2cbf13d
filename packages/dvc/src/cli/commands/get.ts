import type { Command } from 'commander';
import { ArgumentError } from '../../errors.js';
import { outputFor } from '../output.js';

/** `--remote-config a=1 b=2` -> { a: '1', b: '2' } (DVC's DictAction). */
export function parseKeyValues(items: string[] | undefined): Record<string, string> | undefined {
  if (!items) return undefined;
  const r: Record<string, string> = {};
  for (const it of items) {
    const i = it.indexOf('=');
    if (i <= 0) throw Object.assign(new Error(`expected key=value, got '${it}'`), { argument: true });
    r[it.slice(0, i)] = it.slice(i + 1);
  }
  return r;
}

/** A key=value option's items, or argparse's one-line error naming `flag`. */
export function keyValuesArg(flag: string, items: string[] | undefined): Record<string, string> | undefined {
  try {
    return parseKeyValues(items);
  } catch (e) {
    throw new ArgumentError(`argument ${flag}: ${(e as Error).message}`);
  }
}

/** `-j/--jobs`: a whole number >= 1, or `wording` in argparse's one-line error. */
export function jobsArg(v: string | undefined, wording = 'invalid value'): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new ArgumentError(`argument -j/--jobs: ${wording}: '${v}'`);
  return n;
}

export function register(program: Command): void {
  program
    .command('get')
    .description('Download file or directory tracked by DVC or by Git.')
    .argument('<url>', 'Location of DVC or Git repository to download from')
    .argument('<path>', 'Path to a file or directory within the repository')
    .option('-o, --out <path>', 'Destination path to download files to')
    .option('--rev <commit>', 'Git revision (e.g. SHA, branch, tag)')
    .option('--show-url', 'Print the storage location (URL) the target data would be downloaded from, and exit.')
    .option('-j, --jobs <number>', 'Number of jobs to run simultaneously. The default value is 4 * cpu_count().')
    .option('-f, --force', 'Override local file or folder if exists.')
    .option('--config <path>', 'Path to a config file that will be merged with the config in the target repository.')
    .option('--remote <name>', 'Remote name to set as a default in the target repository.')
    .option('--remote-config <key=value...>', "Remote config options to merge with a remote's config (default or one specified by '--remote') in the target repository.")
    .action(async (url: string, path: string, opts: { out?: string; rev?: string; showUrl?: boolean; jobs?: string; force?: boolean; config?: string; remote?: string; remoteConfig?: string[] }, cmd: Command) => {
      const out = outputFor(cmd);
      const { DvcError } = await import('../../errors.js');
      const remoteConfig = keyValuesArg('--remote-config', opts.remoteConfig);
      const jobs = jobsArg(opts.jobs);
      const g = await import('../../repo/get.js');
      const { SourcePathError } = await import('../../repo/source.js');
      const common = { rev: opts.rev, jobs, config: opts.config, remote: opts.remote, remoteConfig };
      try {
        if (opts.showUrl) {
          out.print(await g.getUrl(url, path, common));
          return;
        }
        await g.get(url, path, { ...common, out: opts.out, force: opts.force });
      } catch (e) {
        if (e instanceof SourcePathError) {
          // DVC reports a path the repository lacks as an unexpected error (exit 255).
          throw Object.assign(new DvcError(`failed to get '${path}' from '${url}' - ${e.message}`, { cause: e }), { exitCode: 255 });
        }
        if (e instanceof DvcError) throw new DvcError(`failed to get '${path}' from '${url}' - ${e.message}`, { cause: e });
        throw e;
      }
    });
}
