/**
 * Replays fixtures and prints every difference, step by step, for a person fixing them:
 *
 *   node --import tsx packages/dvc/test/conformance/show.ts [NN-name ...] [--keep]
 *
 * (all scenarios when none is named; --keep leaves each <tmp> folder for a look).
 */
import { replayScenario, scenarios } from './replay.js';

const args = process.argv.slice(2);
const keep = args.includes('--keep');
const wanted = args.filter((a) => !a.startsWith('--'));
const names = scenarios().filter((n) => !wanted.length || wanted.some((w) => n.startsWith(w)));
let failed = 0;
for (const name of names) {
  const r = replayScenario(name, { keep });
  const bad = r.rcDiffs.length + r.treeDiffs.length;
  if (bad) failed++;
  console.log(`${bad ? 'DIFFERS' : 'same   '} ${name}${keep ? `  (${r.tmp})` : ''}`);
  for (const d of [...r.rcDiffs, ...r.treeDiffs]) console.log(`  ${d}`);
  for (const d of r.outputDiffs) console.log(`  note: ${d}`);
}
process.exitCode = failed ? 1 : 0;
