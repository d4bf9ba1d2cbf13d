import type { Command } from 'commander';
import { outputFor } from '../output.js';
import { parseKeyValues } from './get.js';

interface LsOpts {
  recursive?: boolean;
  tree?: boolean;
  level?: string;
  dvcOnly?: boolean;
  json?: boolean;
  rev?: string;
  config?: string;
  remote?: string;
  remoteConfig?: string[];
  size?: boolean;
  showHash?: boolean;
}

/** Python's json.dumps of ls entries (", " / ": " separators, ASCII). */
function pyJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return '[' + v.map(pyJson).join(', ') + ']';
  return '{' + Object.entries(v).map(([k, x]) => `${pyJson(k)}: ${pyJson(x)}`).join(', ') + '}';
}

/** DVC's naturalsize (dvc/utils/humanize.py): 3, 4.0k, 1.2M. */
export function naturalsize(n: number): string {
  const units = ['', 'k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];
  if (n < 1024) return String(n);
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)}${units[i]}`;
}

/** Columns separated by two spaces, the first right-aligned when it holds sizes (tabulate's plain). */
function table(rows: string[][], rightFirst: boolean): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : i === 0 && rightFirst ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .replace(/\s+$/, ''),
  );
}

export function register(program: Command): void {
  program
    .command('list')
    .alias('ls')
    .description('List repository contents, including files and directories tracked by DVC and by Git.')
    .argument('<url>', 'Location of DVC repository to list')
    .argument('[path]', 'Path to directory within the repository to list outputs for')
    .option('-R, --recursive', 'Recursively list files.')
    .option('-T, --tree', 'Recurse into directories as a tree.')
    .option('-L, --level <depth>', 'Limit the depth of recursion.')
    .option('--dvc-only', 'Show only DVC outputs.')
    .option('--json', 'Show output in JSON format.')
    .option('--rev <commit>', 'Git revision (e.g. SHA, branch, tag)')
    .option('--config <path>', 'Path to a config file that will be merged with the config in the target repository.')
    .option('--remote <name>', 'Remote name to set as a default in the target repository.')
    .option('--remote-config <key=value...>', "Remote config options to merge with a remote's config (default or one specified by '--remote') in the target repository.")
    .option('--size', 'Show sizes.')
    .option('--show-hash', 'Display hash value for each item.')
    .action(async (url: string, path: string | undefined, opts: LsOpts, cmd: Command) => {
      const out = outputFor(cmd);
      const { DvcError, ArgumentError } = await import('../../errors.js');
      if (opts.tree && opts.json) throw new DvcError('Cannot use --tree and --json options together.');
      let level: number | undefined;
      if (opts.level !== undefined) {
        level = Number(opts.level);
        if (!Number.isInteger(level)) throw new ArgumentError(`argument -L/--level: invalid int value: '${opts.level}'`);
      }
      const { SourceRepo, SourcePathError } = await import('../../repo/source.js');
      let src;
      try {
        src = await SourceRepo.open(url, { rev: opts.rev, config: opts.config, remote: opts.remote, remoteConfig: parseKeyValues(opts.remoteConfig) });
      } catch (e) {
        if (e instanceof DvcError && !(e instanceof SourcePathError)) throw new DvcError(`failed to list '${url}' - ${e.message}`, { cause: e });
        throw e;
      }
      try {
        const recursive = !!opts.recursive || !!opts.tree;
        const entries = await src.list(path ?? '', {
          recursive,
          dvcOnly: opts.dvcOnly,
          maxdepth: level,
          withSize: opts.size || opts.json,
        });
        if (opts.json) {
          out.print(pyJson(entries));
          return;
        }
        const cols = (e: { size: number | null; md5: string | null; isdir: boolean }, name: string): string[] => {
          const r: string[] = [];
          if (opts.size) r.push(e.size === null || (e.size <= 0 && e.isdir) ? '' : naturalsize(e.size));
          if (opts.showHash) r.push(e.md5 ?? '');
          r.push(name);
          return r;
        };
        let rows: string[][];
        if (opts.tree) {
          // Entries as a tree: folders implied by the file paths.
          interface Node { children: Map<string, Node>; entry?: (typeof entries)[number] }
          const rootNode: Node = { children: new Map() };
          for (const e of entries) {
            let n = rootNode;
            for (const part of e.path.split('/')) {
              if (!n.children.has(part)) n.children.set(part, { children: new Map() });
              n = n.children.get(part)!;
            }
            n.entry = e;
          }
          rows = [cols({ size: null, md5: null, isdir: true }, '.')];
          const walk = (n: Node, prefix: string) => {
            const kids = [...n.children.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
            kids.forEach(([name, child], i) => {
              const last = i === kids.length - 1;
              const e = child.entry ?? { size: null, md5: null, isdir: true };
              rows.push(cols(e, prefix + (last ? '└── ' : '├── ') + name));
              if (child.children.size) walk(child, prefix + (last ? '    ' : '│   '));
            });
          };
          walk(rootNode, '');
        } else rows = entries.map((e) => cols(e, e.path));
        if (!rows.length) return;
        const lines = opts.size || opts.showHash ? table(rows, !!opts.size) : rows.map((r) => r[r.length - 1]!);
        out.print(lines.join('\n'));
      } catch (e) {
        if (e instanceof SourcePathError) throw e;
        if (e instanceof DvcError) throw new DvcError(`failed to list '${url}' - ${e.message}`, { cause: e });
        throw e;
      } finally {
        await src.close();
      }
    });
}
