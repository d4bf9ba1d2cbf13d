/**
 * Phase timings for performance work: with `COPPER_TRACE=1` in the environment, `trace(label)`
 * prints the milliseconds since the process started and since the previous mark to stderr.
 * Free when off (one boolean test).
 */
const on = process.env.COPPER_TRACE === '1' || process.env.COPPER_TRACE === 'true';
let last = 0;

export function trace(label: string): void {
  if (!on) return;
  const now = performance.now();
  process.stderr.write(`[trace] ${now.toFixed(1).padStart(8)} ms  +${(now - last).toFixed(1).padStart(7)}  ${label}\n`);
  last = now;
}
