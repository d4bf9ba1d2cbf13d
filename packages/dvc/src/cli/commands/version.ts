import type { Command } from 'commander';
import { readFileSync } from 'node:fs';

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function register(program: Command): void {
  program
    .command('version')
    .alias('doctor')
    .description('Display the DVC version and system/environment information')
    .option('-q, --quiet', 'be quiet')
    .option('-v, --verbose', 'be verbose')
    .action(() => {
      process.stdout.write(
        `DVC version: ${version()} (copper)\n` +
          `---------------------------------\n` +
          `Platform: Node.js ${process.version} on ${process.platform}-${process.arch}\n`,
      );
    });
}
