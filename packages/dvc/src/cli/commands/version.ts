import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { outputFor } from '../output.js';

/** The DVC release whose commands, files and messages copper's `dvc` follows. */
export const DVC_COMPATIBLE_VERSION = '3.64.0';

/** Copper's own version: the `version` of @copper/dvc's package.json (found from this module's place). */
export function copperVersion(): string {
  // dist/cli/commands/ when compiled, dist/bundle/ when bundled: walk up to the package root.
  let dir = new URL('./', import.meta.url);
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@copper/dvc' && pkg.version) return pkg.version;
    } catch {}
    dir = new URL('../', dir);
  }
  return 'unknown';
}

/**
 * `dvc --version`: the DVC version first, as Python DVC prints it (VS Code's DVC extension and CI
 * scripts read the leading `X.Y.Z`), with copper's own version as build metadata, valid both as
 * semver and as a PEP 440 local version: `3.64.0+copper.0.1.0`.
 */
export function version(): string {
  return `${DVC_COMPATIBLE_VERSION}+copper.${copperVersion()}`;
}

/** DVC's `dvc version` report: the tool, the platform, config folders, and the repository's setup. */
async function report(): Promise<string> {
  const { globalConfigDir, systemConfigDir } = await import('../../config/config.js');
  const lines = [
    `DVC version: ${DVC_COMPATIBLE_VERSION} (copper ${copperVersion()})`,
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
