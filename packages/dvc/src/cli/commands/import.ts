import type { Command } from 'commander';
import { outputFor } from '../output.js';
import { jobsArg, keyValuesArg } from './get.js';

export function register(program: Command): void {
  program
    .command('import')
    .description('Download file or directory tracked by DVC or by Git into the workspace, and track it.')
    .argument('<url>', 'Location of DVC or Git repository to download from')
    .argument('<path>', 'Path to a file or directory within the repository')
    .option('-o, --out <path>', 'Destination path to download files to')
    .option('--rev <commit>', 'Git revision (e.g. SHA, branch, tag)')
    .option('--no-exec', 'Only create .dvc file without actually importing target data.')
    .option('--no-download', "Create .dvc file including target data hash value(s) but do not actually download the file(s).")
    .option('-j, --jobs <number>', 'Number of jobs to run simultaneously. The default value is 4 * cpu_count().')
    .option('-f, --force', 'Override destination file or folder if exists.')
    .option('--config <path>', 'Path to a config file that will be merged with the config in the target repository.')
    .option('--remote <name>', 'Remote name to set as a default in the target repository.')
    .option('--remote-config <key=value...>', "Remote config options to merge with a remote's config (default or one specified by '--remote') in the target repository.")
    .action(
      async (
        url: string,
        path: string,
        opts: { out?: string; rev?: string; exec?: boolean; download?: boolean; jobs?: string; force?: boolean; config?: string; remote?: string; remoteConfig?: string[] },
        cmd: Command,
      ) => {
        const out = outputFor(cmd);
        const { DvcError, ArgumentError } = await import('../../errors.js');
        const remoteConfig = keyValuesArg('--remote-config', opts.remoteConfig);
        const jobs = jobsArg(opts.jobs);
        if (opts.exec === false && opts.download === false) throw new ArgumentError('--no-exec and --no-download cannot be used together');
        const { Repo } = await import('../../repo/repo.js');
        const { importRepo } = await import('../../repo/imp.js');
        const { relative } = await import('node:path');
        const repo = Repo.open();
        let r;
        try {
          r = await importRepo(repo, url, path, {
            out: opts.out,
            rev: opts.rev,
            noExec: opts.exec === false,
            noDownload: opts.download === false,
            force: opts.force,
            jobs,
            config: opts.config,
            remote: opts.remote,
            remoteConfig,
          });
        } catch (e) {
          const { SourcePathError } = await import('../../repo/source.js');
          // DVC reports a path the repository lacks as an unexpected error (exit 255).
          if (e instanceof SourcePathError) throw Object.assign(new DvcError(`failed to import '${path}' from '${url}'. - ${e.message}`, { cause: e }), { exitCode: 255 });
          if (e instanceof DvcError) throw new DvcError(`failed to import '${path}' from '${url}'. - ${e.message}`, { cause: e });
          throw e;
        }
        out.info(`Importing '${path} (${url})' -> '${relative(process.cwd(), r.out).split('\\').join('/')}'`);
        const hint = await repo.scmContext.finish({ quiet: out.quiet, autostage: repo.config.autostage });
        if (hint) out.info(hint);
      },
    );
}
