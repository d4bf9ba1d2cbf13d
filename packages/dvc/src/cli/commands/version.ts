import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { outputFor } from '../output.js';

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** DVC's `dvc version` report: the tool, the platform, config folders, and the repository's setup. */
async function report(): Promise<string> {
  const { globalConfigDir, systemConfigDir } = await import('../../config/config.js');
  const lines = [
    `DVC version: ${version()} (copper)`,
    '---------------------------------',
    `Platform: Node.js ${process.version} on ${process.platform}-${process.arch}`,
    `Native folder scanner: ${(await import('../../fs/scan.js')).nativeScanAvailable ? 'yes' : 'no (plain Node fs calls)'}`,
    'Config:',
    `\tGlobal: ${globalConfigDir()}`,
    `\tSystem: ${systemConfigDir()}`,
  ];
  const { Repo } = await import('../../repo/repo.js');
  let repo;
  try {
    repo = Repo.open(process.cwd());
  } catch {
    return lines.join('\n');
  }
  const remotes = repo.config.remoteNames().map((n) => {
    const url = repo.config.remote(n).url;
    const m = /^([a-z0-9+.-]+):\/\//i.exec(url);
    return m ? m[1]!.toLowerCase() : 'local';
  });
  lines.push(
    `Cache types: ${(repo.config.cacheTypes ?? ['reflink', 'copy']).join(', ')}`,
    `Cache directory: ${repo.cacheDir}`,
    `Remotes: ${remotes.length ? [...new Set(remotes)].join(', ') : 'None'}`,
    `Workspace directory: ${repo.root}`,
    `Repo: dvc${repo.scm ? ', git' : ' (no_scm)'}`,
  );
  return lines.join('\n');
}

export function register(program: Command): void {
  program
    .command('version')
    .alias('doctor')
    .description('Display the DVC version and system/environment information.')
    .action(async (_opts: unknown, cmd: Command) => {
      outputFor(cmd).info(await report());
    });
}
