/**
 * `dvc git-hook pre-commit | post-checkout | pre-push | merge-driver`: what the hooks `dvc
 * install` writes run (`exec dvc git-hook <name> $@`), and the merge driver it configures.
 * Outside a DVC repository each does nothing and exits 0, as DVC.
 */
import type { Command } from 'commander';

/** Runs another dvc command in this process (as DVC's hooks call its own main()). */
async function dvc(argv: string[]): Promise<number> {
  const { run } = await import('../run.js');
  return run(argv);
}

async function inDvcRepo(): Promise<boolean> {
  const { Repo } = await import('../../repo/repo.js');
  try {
    Repo.findRoot(process.cwd());
    return true;
  } catch {
    return false;
  }
}

export function register(program: Command): void {
  const hook = program.command('git-hook').description('Run GIT hook.');
  const sub = (name: string, description: string, fn: (args: string[]) => Promise<number>) =>
    hook
      .command(name)
      .description(description)
      .argument('[args...]', 'Arguments passed by GIT or pre-commit tool.')
      .action(async (args: string[]) => {
        if (!(await inDvcRepo())) return;
        const code = await fn(args);
        process.exitCode = code;
      });
  sub('pre-commit', 'Run pre-commit GIT hook.', () => dvc(['status']));
  sub('post-checkout', 'Run post-checkout GIT hook.', async (args) => {
    // pre-commit (the tool) passes the checkout type in the environment, git as the third argument.
    const flag = process.env.PRE_COMMIT_CHECKOUT_TYPE ?? (args.length >= 3 ? args[2] : undefined);
    // 1: a branch or commit was checked out (0: files only).
    if (flag !== '1') return 0;
    const { inRebase } = await import('../../repo/install.js');
    if (inRebase()) return 0;
    return dvc(['checkout']);
  });
  sub('pre-push', 'Run pre-push GIT hook.', () => dvc(['push']));
  hook
    .command('merge-driver')
    .description('Run GIT merge driver.')
    .requiredOption('--ancestor <ancestor>', "Ancestor's version of the conflicting file.")
    .requiredOption('--our <our>', 'Current version of the conflicting file.')
    .requiredOption('--their <their>', "Other branch's version of the conflicting file.")
    .action(async (o: { ancestor: string; our: string; their: string }) => {
      if (!(await inDvcRepo())) return;
      const { Repo } = await import('../../repo/repo.js');
      const { mergeDvcFiles } = await import('../../repo/merge-driver.js');
      mergeDvcFiles(Repo.open(), o);
    });
}
