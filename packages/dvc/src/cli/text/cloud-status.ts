/** `dvc status -c` wording. */
import type { CloudStatusResult } from '../../repo/cloud-status.js';

/** DVC's text: `\tnew:                data/a.txt` lines, or `Cache and remote 'NAME' are in sync.` */
export function formatCloudStatus(r: CloudStatusResult): string {
  const names = Object.keys(r.changes);
  if (!names.length) return `Cache and remote '${r.remotes.join("', '")}' are in sync.`;
  return names.map((n) => `\t${(r.changes[n] + ':').padEnd(20)}${n}`).join('\n');
}
