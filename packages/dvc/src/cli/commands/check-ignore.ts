import type { Command } from 'commander';
import { outputFor } from '../output.js';

export function register(program: Command): void {
  program
    .command('check-ignore')
    .description('Check whether files or directories are excluded due to `.dvcignore`.')
    .argument('[targets...]', 'File or directory paths to check.')
    .option('-d, --details', 'Show the exclude patterns along with each target path.')
    .option('-a, --all', 'Show all of the patterns match the target paths. Only usable when `--details` is also employed')
    .option('-n, --non-matching', 'Include the target paths which don’t match any pattern in the `--details` list.')
    .option('--stdin', 'Read paths from standard input instead of providing a target argument.')
    .action(
      async (targets: string[], opts: { details?: boolean; all?: boolean; nonMatching?: boolean; stdin?: boolean }, cmd: Command) => {
        const out = outputFor(cmd);
        const { Repo } = await import('../../repo/repo.js');
        const { checkIgnore } = await import('../../repo/check-ignore.js');
        const { ArgumentError } = await import('../../errors.js');
        if (opts.stdin) {
          const chunks: Buffer[] = [];
          for await (const c of process.stdin) chunks.push(c as Buffer);
          targets = Buffer.concat(chunks).toString('utf8').split('\n').filter((l) => l.trim() !== '');
        }
        if (!targets.length) throw new ArgumentError('the following arguments are required: targets');
        if (opts.nonMatching && !opts.details) throw new ArgumentError('--non-matching is only valid with --details');
        if (opts.all && !opts.details) throw new ArgumentError('--all is only valid with --details');
        const repo = Repo.open();
        const results = checkIgnore(repo, targets);
        let any = false;
        for (const r of results) {
          if (r.match?.ignored) any = true;
          if (opts.details) {
            if (r.match) for (const m of opts.all ? r.all : [r.match]) out.info(`${m.file}:${m.line}:${m.pattern}\t${r.target}`);
            else if (opts.nonMatching) out.info(`::\t${r.target}`);
          } else if (r.match?.ignored) out.info(r.target);
        }
        if (!any) process.exitCode = 1;
      },
    );
}
