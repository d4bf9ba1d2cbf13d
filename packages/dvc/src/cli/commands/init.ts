import type { Command } from 'commander';
import { outputFor } from '../output.js';

export function register(program: Command): void {
  program
    .command('init')
    .description('Initialize DVC repository.')
    .argument('[directory]', 'Directory to initialize DVC in. Defaults to the current working directory.', '.')
    .option('--no-scm', 'Initiate DVC in directory that is not tracked by any SCM tool (e.g. Git).')
    .option('-f, --force', "Overwrite existing '.dvc/' directory. This operation removes local cache.")
    .option('--subdir', 'Necessary for running this command inside a subdirectory of a parent SCM repository.')
    .action(async (directory: string, opts: { scm: boolean; force?: boolean; subdir?: boolean }, cmd: Command) => {
      const out = outputFor(cmd);
      const { init } = await import('../../repo/init.js');
      await init(directory, { noScm: !opts.scm, force: opts.force, subdir: opts.subdir });
      out.info('Initialized DVC repository.\n');
      if (opts.scm) out.info('You can now commit the changes to git.\n');
      out.info(
        "What's next?\n" +
          '------------\n' +
          '- Check out the documentation: <https://dvc.org/doc>\n' +
          '- Get help and share ideas: <https://dvc.org/chat>\n' +
          '- Star us on GitHub: <https://github.com/iterative/dvc>',
      );
    });
}
