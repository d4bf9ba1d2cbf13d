/** `dvc diff` wording: DVC's text, `--md` table and `--json` shape of a DiffResult. */
import type { DiffResult } from '../../repo/diff.js';

function digest(h: string | { old: string; new: string }): string {
  return typeof h === 'string' ? h.slice(0, 8) : `${h.old.slice(0, 8)}..${h.new.slice(0, 8)}`;
}

type Entry = { path: string | { old: string; new: string }; hash?: string | { old: string; new: string } };

function shown(e: Entry): string {
  return typeof e.path === 'string' ? e.path : `${e.path.old} -> ${e.path.new}`;
}

/** DVC's JSON: entries without hashes unless `showHash`; 'not in cache' dropped when `hideMissing`. */
export function diffJsonData(r: DiffResult, opts: { showHash?: boolean; hideMissing?: boolean } = {}): Record<string, Entry[]> {
  const out: Record<string, Entry[]> = {};
  for (const [k, list] of Object.entries(r) as Array<[string, Entry[]]>) {
    if (k === 'not in cache' && opts.hideMissing) continue;
    out[k] = list.map((e) => (opts.showHash ? { path: e.path, hash: e.hash } : { path: e.path }));
  }
  return out;
}

/** DVC's text: sections `Added:` / `Deleted:` / `Renamed:` / `Modified:` and `files summary: ...`. */
export function formatDiff(r: DiffResult, opts: { showHash?: boolean; hideMissing?: boolean } = {}): string {
  const sections: Array<[string, Entry[]]> = [
    ['Added', r.added],
    ['Deleted', r.deleted],
    ['Renamed', r.renamed],
    ['Modified', r.modified],
  ];
  if (!opts.hideMissing) sections.push(['Not in cache', r['not in cache']]);
  const blocks: string[] = [];
  const summary: string[] = [];
  for (const [title, list] of sections) {
    if (!list.length) continue;
    blocks.push(`${title}:\n` + list.map((e) => `    ${opts.showHash && e.hash ? digest(e.hash) + '  ' : ''}${shown(e)}`).join('\n'));
    const files = list.filter((e) => !shown(e).endsWith('/')).length;
    if (files) summary.push(`${files} ${title.toLowerCase()}`);
  }
  if (!blocks.length) return '';
  return summary.length ? `${blocks.join('\n\n')}\n\nfiles summary: ${summary.join(', ')}` : blocks.join('\n\n');
}

/** `--md`: a GitHub table of Status (Hash) Path. */
export function formatDiffMarkdown(r: DiffResult, opts: { showHash?: boolean; hideMissing?: boolean } = {}): string {
  const headers = opts.showHash ? ['Status', 'Hash', 'Path'] : ['Status', 'Path'];
  const rows: string[][] = [];
  const statuses: Array<keyof DiffResult> = ['added', 'deleted', 'renamed', 'modified'];
  if (!opts.hideMissing) statuses.push('not in cache');
  for (const st of statuses) {
    for (const e of r[st] as Entry[]) rows.push(opts.showHash ? [st, e.hash ? digest(e.hash) : '', shown(e)] : [st, shown(e)]);
  }
  return markdownTable(headers, rows);
}

/** tabulate's "github" format, as DVC's ui.table(markdown=True) prints it (with a final newline). */
export function markdownTable(headers: string[], rows: string[][]): string {
  // tabulate's MIN_PADDING: a column is at least its header plus 2 wide
  const widths = headers.map((h, i) => Math.max(h.length + 2, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  return [line(headers), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)].join('\n') + '\n';
}
