// Shared by the committed launchers in this folder (copper_train, copper_eval, copper_infer,
// copper_data). npm links them at the first `npm install`, before the TypeScript is built; each
// runs the compiled command from dist/cli/. Start-up failures (not built yet, no libtorch) are one
// line and exit 1, never a stack trace (HYDRA_FULL_ERROR=1 adds it).
import { existsSync } from 'node:fs';

export async function launch(name) {
  // Warnings from dependencies (Node's multi-line process warnings) stay off the user's terminal;
  // HYDRA_FULL_ERROR=1 shows them, one line each.
  process.removeAllListeners('warning');
  process.on('warning', (w) => {
    if (process.env.HYDRA_FULL_ERROR === '1') process.stderr.write(`Warning: ${w.name}: ${String(w.message).split('\n')[0]}\n`);
  });
  const file = new URL(`../dist/cli/${name}.js`, import.meta.url);
  if (!existsSync(file)) {
    process.stderr.write(`Error: copper_${name} is not built yet: run \`npm run build\` (or \`npm install\`) in the copper folder\n`);
    process.exit(1);
  }
  try {
    await import(file.href);
  } catch (e) {
    const err = /** @type {Error & { code?: string }} */ (e);
    const msg = String(err?.message ?? err).split('\n')[0];
    if (err?.code === 'ERR_COPPER_TORCH_NATIVE') {
      process.stderr.write(`Error: copper_${name} cannot run: ${msg}\n`);
    } else {
      process.stderr.write(`Error: ${err?.name && err.name !== 'Error' ? `${err.name}: ` : ''}${msg}\n`);
    }
    if (process.env.HYDRA_FULL_ERROR === '1' && err?.stack) process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  }
}
