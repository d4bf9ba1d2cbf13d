/** `dvc completion [-s bash|zsh]`: prints a tab-completion script for this CLI's commands. */
import { Option, type Command } from 'commander';

export function register(program: Command): void {
  program
    .command('completion')
    .description('Generate shell tab completion.')
    .addOption(new Option('-s, --shell <shell>', 'Shell syntax for completions.').choices(['bash', 'zsh']).default('bash'))
    .action(async (o: { shell: 'bash' | 'zsh' }, cmd: Command) => {
      const { bashCompletion, zshCompletion } = await import('../completion.js');
      const root = cmd.parent ?? program;
      process.stdout.write(o.shell === 'zsh' ? zshCompletion(root) : bashCompletion(root));
    });
}
