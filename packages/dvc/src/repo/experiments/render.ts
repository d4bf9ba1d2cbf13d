/**
 * `dvc exp show` tables as DVC prints them (show_experiments): --keep protects columns, empty
 * State/Executor columns go, --only-changed drops columns with one value, --drop drops by regex;
 * then CSV (Python's csv module: minimal quoting, CRLF) or the terminal table (rich's
 * "horizontals" box; collapsible columns dropped right to left to fit the width).
 */
import type { ExpTable } from './show.js';

export interface RenderOptions {
  /** GitHub Markdown (tabulate's "github" format, as DVC's --md). */
  markdown?: boolean;
  keep?: string[];
  drop?: string[];
  onlyChanged?: boolean;
  csv?: boolean;
  /** Terminal width for the table (no limit when undefined). */
  width?: number;
}

interface Td {
  keys: string[];
  cols: Map<string, string[]>;
  protectedCols: Set<string>;
}

function dropCols(td: Td, names: Iterable<string>): void {
  for (const n of [...names]) {
    if (td.protectedCols.has(n)) continue;
    td.keys = td.keys.filter((k) => k !== n);
    td.cols.delete(n);
  }
}

/** Python's re.match of any of the patterns (anchored at the start). */
function matcher(patterns: string[]): (s: string) => boolean {
  const re = new RegExp(`^(?:${patterns.join('|')})`);
  return (s) => re.test(s);
}

const TREE: Record<string, string> = { branch_commit: '├──', branch_base: '└──', baseline: '' };

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function width(s: string): number {
  return [...s].length;
}

export function renderShow(t: ExpTable, fill: string, o: RenderOptions = {}): string {
  const td: Td = { keys: [...t.headers], cols: new Map(t.headers.map((h, i) => [h, t.rows.map((r) => r[i] ?? fill)])), protectedCols: new Set() };
  if (o.keep?.length) {
    const m = matcher(o.keep);
    for (const k of td.keys) if (m(k)) td.protectedCols.add(k);
  }
  for (const c of ['State', 'Executor']) if (td.cols.get(c)!.every((v) => v === fill)) dropCols(td, [c]);
  const typ = td.cols.get('typ')!;
  if (!o.csv) {
    const exp = td.cols.get('Experiment')!;
    const rev = td.cols.get('rev')!;
    const parent = td.cols.get('parent')!;
    td.cols.set(
      'Experiment',
      exp.map((name, i) => {
        const ty = typ[i]!;
        let text = ty === 'baseline' || !name ? name || rev[i]! : `${rev[i]} [${name}]`;
        if (parent[i]) text += ` (${parent[i]})`;
        return TREE[ty] ? `${TREE[ty]} ${text}` : text;
      }),
    );
    td.protectedCols.delete('rev');
    td.protectedCols.delete('typ');
    td.protectedCols.delete('parent');
    dropCols(td, ['rev', 'typ', 'parent']);
  }
  if (o.onlyChanged) {
    const same = td.keys.filter((k) => new Set(td.cols.get(k)).size === 1);
    dropCols(td, same);
  }
  if (o.drop?.length) {
    const m = matcher(o.drop);
    dropCols(td, td.keys.filter(m));
  }
  const n = t.rows.length;
  const rows = Array.from({ length: n }, (_, i) => td.keys.map((k) => td.cols.get(k)![i]!));
  if (o.csv) return [td.keys, ...rows].map((r) => r.map(csvField).join(',') + '\r\n').join('');
  if (o.markdown) return markdownTable(td.keys, rows) + '\n\n';
  return richTable(td.keys, rows, t.groups, o.width);
}

/**
 * rich's Table(box=HORIZONTALS) as DVC subclasses it: one space of padding each side of a cell, one
 * space between columns. When the table is wider than the terminal, collapsible columns (all but
 * the first of each metrics/params/deps group) go to width 0 right to left until it fits; a run of
 * collapsed columns keeps one, which shows an ellipsis when there is room for it.
 */
function richTable(keys: string[], rows: string[][], groups: ExpTable['groups'], termWidth?: number): string {
  const right = new Set(groups.metrics);
  const collapsible = new Set<string>();
  for (const g of [groups.metrics, groups.params, groups.deps]) g.slice(1).forEach((h) => collapsible.add(h));
  let cols = keys.map((k, i) => ({ key: k, i, w: Math.max(width(k), ...rows.map((r) => width(r[i]!))) + 2 }));
  if (termWidth !== undefined) {
    let maxW = termWidth - (cols.length + 1);
    const sum = () => cols.reduce((a, c) => a + c.w, 0);
    let excess = sum() - maxW;
    if (excess > 0) {
      for (let j = cols.length - 1; j >= 0; j--) {
        if (!collapsible.has(cols[j]!.key)) continue;
        excess -= cols[j]!.w;
        cols[j]!.w = 0;
        if (excess <= 0) break;
      }
    }
    let last = -1;
    for (let j = cols.length - 1; j >= 0; j--) {
      if (cols[j]!.w === 0 && collapsible.has(cols[j]!.key)) {
        if (last >= 0) {
          cols = cols.filter((_, x) => x !== last);
          maxW += 1;
        }
        last = j;
        if (sum() + 2 <= maxW) cols[j]!.w = 3;
      } else last = -1;
    }
  }
  const total = cols.reduce((a, c) => a + c.w, 0) + cols.length + 1;
  const line = ' ' + '─'.repeat(total - 2) + ' ';
  const fmt = (cells: string[]) =>
    ' ' +
    cols
      .map((c) => {
        if (c.w === 0) return '';
        let v = cells[c.i] ?? '';
        const room = c.w - 2;
        if (width(v) > room) v = [...v].slice(0, Math.max(0, room - 1)).join('') + '…';
        const pad = ' '.repeat(Math.max(0, room - width(v)));
        return ' ' + (right.has(c.key) ? pad + v : v + pad) + ' ';
      })
      .join(' ') +
    ' ';
  return [line, fmt(keys), line, ...rows.map(fmt), line].join('\n') + '\n';
}

/** tabulate(tablefmt="github"): columns at least the header plus 2 wide, one space of padding. */
export function markdownTable(headers: string[], rows: string[][]): string {
  const w = headers.map((h, i) => Math.max(width(h) + 2, ...rows.map((r) => width(r[i] ?? ''))));
  const line = (r: string[]) => '| ' + r.map((c, i) => c + ' '.repeat(Math.max(0, w[i]! - width(c)))).join(' | ') + ' |';
  return [line(headers), '|' + w.map((x) => '-'.repeat(x + 2)).join('|') + '|', ...rows.map(line)].join('\n');
}
