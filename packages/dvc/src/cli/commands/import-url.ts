import { Option, type Command } from 'commander';
import { outputFor } from '../output.js';
import { jobsArg, keyValuesArg } from './get.js';

export function register(program: Command): void {
  program
    .command('import-url')
    .description('Download or copy file from URL and take it under DVC control.')
    .argument('<url>', 'Location of the data to download: a local path, s3://, azure://, gs://, ssh://, http(s)://, webdav(s)://, or remote://<name>/<path> (see `dvc remote`).')
    .argument('[out]', 'Destination path to put files to.')
    .option('--to-remote', 'Download it directly to the remote')
    .option('-r, --remote <name>', 'Remote storage to download to')
    .option('--no-exec', 'Only create .dvc file without actually importing target data.')
    .option('--no-download', "Create .dvc file including target data hash value(s) but do not actually download the file(s).")
    .option('-j, --jobs <number>', 'Number of jobs to run simultaneously. The default value is 4 * cpu_count().')
    .option('-f, --force', 'Override local file or folder if exists.')
    // Accepted only to be refused with one line (cloud versioning is not implemented): not in --help.
    .addOption(new Option('--version-aware').hideHelp())
    .option('--fs-config <key=value...>', 'Config options for the target url.')
    .action(
      async (
        url: string,
        dest: string | undefined,
        opts: { force?: boolean; exec?: boolean; download?: boolean; toRemote?: boolean; remote?: string; jobs?: string; versionAware?: boolean; fsConfig?: string[] },
        cmd: Command,
      ) => {
        const out = outputFor(cmd);
        const { DvcError, ArgumentError } = await import('../../errors.js');
        if (opts.exec === false && opts.download === false) throw new ArgumentError('--no-exec and --no-download cannot be used together');
        const jobs = jobsArg(opts.jobs, 'invalid int value');
        const fsConfig = keyValuesArg('--fs-config', opts.fsConfig);
        const { Repo } = await import('../../repo/repo.js');
        const { importUrl } = await import('../../repo/imp-url.js');
        const { relative } = await import('node:path');
        const repo = Repo.open();
        let r;
        try {
          // Cloud versioning needs version ids from every backend: not offered.
          if (opts.versionAware) throw new DvcError('--version-aware is not supported: cloud-versioned imports are not implemented');
          r = await importUrl(repo, url, dest, {
            force: opts.force,
            noExec: opts.exec === false,
            noDownload: opts.download === false,
            toRemote: opts.toRemote,
            remote: opts.remote,
            jobs,
            fsConfig: fsConfig && Object.keys(fsConfig).length ? fsConfig : undefined,
          });
        } catch (e) {
          if (e instanceof DvcError) throw new DvcError(`failed to import ${url}. You could also try downloading it manually, and adding it with \`dvc add\`. - ${e.message}`, { cause: e });
          throw e;
        }
        out.info(`Importing '${r.source}' -> '${relative(process.cwd(), r.out).split('\\').join('/')}'`);
        const hint = await repo.scmContext.finish({ quiet: out.quiet, autostage: repo.config.autostage });
        if (hint) out.info(hint);
      },
    );
}
