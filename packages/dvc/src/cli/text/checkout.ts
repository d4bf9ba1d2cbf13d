/** `dvc checkout` / `dvc pull` wording: per-output lines and DVC's summaries. */
import type { CheckoutResult } from '../../repo/checkout.js';
import type { PullResult } from '../../repo/pull.js';

/** DVC's per-output lines: `A       data/`. */
export function formatCheckoutChanges(r: CheckoutResult): string[] {
  const lines: string[] = [];
  for (const [letter, list] of [['A', r.added], ['M', r.modified], ['D', r.deleted]] as const) {
    for (const p of list) lines.push(`${letter.padEnd(8)}${p}`);
  }
  return lines;
}

/** `--summary`: DVC's per-file counts, "2 files modified and 1 file added" (modified, added, deleted). */
export function formatCheckoutSummary(r: CheckoutResult): string {
  const parts: string[] = [];
  for (const [name, n] of [['modified', r.files.modified], ['added', r.files.added], ['deleted', r.files.deleted + r.deleted.length]] as const) {
    if (n) parts.push(`${n} ${n === 1 ? 'file' : 'files'} ${name}`);
  }
  if (!parts.length) return 'No changes.';
  return parts.length === 1 ? parts[0]! : parts.slice(0, -1).join(', ') + ' and ' + parts[parts.length - 1];
}

/** DVC's summary: `13 files fetched and 12 files added` / `Everything is up to date.` */
export function pullSummary(r: PullResult): string {
  const co = r.checkout;
  // DVC counts files, each by its own change (a file a failed pull never wrote is added, even in
  // a folder that exists), in its order: fetched, modified, added, deleted.
  const parts: Array<[string, number]> = [
    ['fetched', r.fetch.fetched],
    ['modified', co.files.modified],
    ['added', co.files.added],
    ['deleted', co.files.deleted + co.deleted.length],
  ];
  return summary(parts) || 'Everything is up to date.';
}

/** `1 file pushed`, `2 files fetched and 3 files added`, `a, b and c`. */
export function summary(parts: Array<[string, number]>): string {
  const words = parts.filter(([, n]) => n > 0).map(([what, n]) => `${n} ${n === 1 ? 'file' : 'files'} ${what}`);
  if (words.length <= 1) return words.join('');
  return words.slice(0, -1).join(', ') + ' and ' + words[words.length - 1];
}
