/** `dvc status` wording: DVC's text for a status report (the JSON is json.ts's statusJson). */
import type { StatusResult } from '../../repo/status.js';

export { statusJson } from './json.js';

/** DVC's human-readable status text. */
export function formatStatus(r: StatusResult): string {
  const keys = Object.keys(r.report);
  if (!keys.length) {
    return r.tracked ? 'Data and pipelines are up to date.' : 'There are no data or pipelines tracked in this project yet.';
  }
  const lines: string[] = [];
  for (const k of keys) {
    lines.push(`${k}:`);
    for (const group of r.report[k]!) lines.push(...formatEntry(group));
  }
  return lines.join('\n');
}

/** The lines of one status entry (a string or a titled mapping, nested for params). */
export function formatEntry(group: string | Record<string, unknown>): string[] {
  if (typeof group === 'string') return [`\t${group}`];
  const lines: string[] = [];
  for (const [title, changes] of Object.entries(group)) {
    lines.push(`\t${title}:`);
    for (const [path, s] of Object.entries(changes as Record<string, unknown>)) {
      if (typeof s === 'string') lines.push(`\t\t${(s + ':').padEnd(20)}${path}`);
      else {
        lines.push(`\t\t${path}:`);
        for (const [k, v] of Object.entries(s as Record<string, string>)) lines.push(`\t\t\t${(v + ':').padEnd(20)}${k}`);
      }
    }
  }
  return lines;
}
