import type { Command } from 'commander';
import { outputFor } from '../output.js';

export function register(program: Command): void {
  program
    .command('import-url')
    .description('Download a file or folder from a local path and take it under DVC control.')
    .argument('<url>', 'Location of the data to download (a local path).')
    .argument('[out]', 'Destination path to put files to.')
    .option('-f, --force', 'Override local file or folder if exists.')
    .option('--no-exec', 'Only create .dvc file without actually importing target data.')
    .option('--no-download', "Create .dvc file including target data hash value(s) but do not actually download the file(s).")
    .action(async (url: string, dest: string | undefined, opts: { force?: boolean; exec?: boolean; download?: boolean }, cmd: Command) => {
      const out = outputFor(cmd);
      const { DvcError, ArgumentError } = await import('../../errors.js');
      if (opts.exec === false && opts.download === false) throw new ArgumentError('--no-exec and --no-download cannot be used together');
      const { Repo } = await import('../../repo/repo.js');
      const { importUrl } = await import('../../repo/imp-url.js');
      const { relative } = await import('node:path');
      const repo = Repo.open();
      let r;
      try {
        r = await importUrl(repo, url, dest, { force: opts.force, noExec: opts.exec === false, noDownload: opts.download === false });
      } catch (e) {
        if (e instanceof DvcError) throw new DvcError(`failed to import ${url}. You could also try downloading it manually, and adding it with \`dvc add\`. - ${e.message}`, { cause: e });
        throw e;
      }
      out.info(`Importing '${r.source}' -> '${relative(process.cwd(), r.out).split('\\').join('/')}'`);
      const hint = await repo.scmContext.finish({ quiet: out.quiet, autostage: repo.config.autostage });
      if (hint) out.info(hint);
    });
}
