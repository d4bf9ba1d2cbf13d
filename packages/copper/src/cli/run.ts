/**
 * Runs a task as a Hydra app from the packaged configs (`--config-dir`/`-cd` adds a project's own,
 * `--config-path`/`-cp` replaces them). Any failure prints one `Error: ...` line on stderr and sets
 * exit code 1 (HYDRA_FULL_ERROR=1 adds the stack trace).
 */
import { fileURLToPath } from 'node:url';
import { runHydra, HydraError, type TaskFunction } from '@copper/hydra';
import { CopperError } from '../utils/errors.js';
import { ProgressBar } from '../callbacks/progress-bar.js';
import { progressState } from '../utils/progress.js';
import { paramsFileOverrides, takeParamsFile } from './params-file.js';

export const CONFIG_DIR = fileURLToPath(new URL('../../configs', import.meta.url));

function oneLine(s: string): string {
  return s.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
}

export async function runApp<T>(configName: string, task: TaskFunction<T>, argv = process.argv.slice(2)): Promise<unknown> {
  // -q/--quiet: no console logging and no progress bar (log files are still written)
  // strategy=ddp's other ranks (started by rank 0) print nothing but their errors
  const quiet = argv.includes('-q') || argv.includes('--quiet') || process.env.COPPER_DDP_CHILD === '1';
  if (quiet) {
    argv = argv.filter((a) => a !== '-q' && a !== '--quiet');
    ProgressBar.quiet = true;
    progressState.quiet = true;
  }
  let fromFile: { file: string; keys: Set<string> } | null = null;
  try {
    // --params-file params.yaml[:keys]: the file's leaves as overrides, before the command line's
    const taken = takeParamsFile(argv);
    argv = taken.argv;
    if (taken.spec !== null) {
      const p = paramsFileOverrides(taken.spec);
      fromFile = p;
      argv = [...p.overrides, ...argv];
    }
    const r = await runHydra<T>({ configPath: CONFIG_DIR, configName, argv, jobName: `copper_${configName}`, quiet }, task);
    if (r.mode === 'MULTIRUN') return r.jobs.map((j) => j.returnValue);
    return r.jobs[0]?.returnValue;
  } catch (e) {
    process.exitCode = 1;
    const err = e as Error;
    let msg: string;
    if (err instanceof CopperError || err instanceof HydraError) msg = err.message;
    else if (/^Error (in call to target|locating target)/.test(err.message ?? '')) msg = err.message.replace(/: CopperError: /, ': ');
    // a plain Error's message is printed once after `Error: `, other classes keep their name
    else msg = `${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${String(err.message ?? err).replace(/^Error: /, '')}`;
    // a key of the params file the config does not have: say where it came from
    const bad = /^Could not override '([^']+)': it is not in the config/.exec(msg);
    if (bad && fromFile?.keys.has(bad[1]!)) msg = `${fromFile.file} sets '${bad[1]}', which is not in copper_${configName}'s config (--params-file takes the config's own keys: pick them with --params-file ${fromFile.file}:key1,key2)`;
    process.stderr.write(`Error: ${oneLine(msg)}\n`);
    if (process.env.HYDRA_FULL_ERROR === '1' && err.stack) process.stderr.write(err.stack + '\n');
    return undefined;
  }
}
