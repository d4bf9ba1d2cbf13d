/**
 * Phase timings for performance work: with `COPPER_TRACE=1` in the environment, `trace(label)`
 * prints the milliseconds since the process started and since the previous mark to stderr
 * (`COPPER_TRACE=mem` adds resident and heap memory).
 * Free when off (one boolean test).
 */
const on = process.env.COPPER_TRACE === '1' || process.env.COPPER_TRACE === 'true' || process.env.COPPER_TRACE === 'mem';
const mem = process.env.COPPER_TRACE === 'mem';
let last = 0;

export function trace(label: string): void {
  if (!on) return;
  const now = performance.now();
  const rss = mem ? `  rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB, heap ${(process.memoryUsage().heapUsed / 1048576).toFixed(0)} MB` : '';
  process.stderr.write(`[trace] ${now.toFixed(1).padStart(8)} ms  +${(now - last).toFixed(1).padStart(7)}  ${label}${rss}\n`);
  last = now;
}
