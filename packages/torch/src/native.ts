// Loads the native addon (build/Release/copper_torch.node). Its interface (the Native type and the
// op-code tables) is generated from scripts/native-spec.mjs into native.gen.ts, like the C++ side.
// Everything here is internal: use the Tensor API (tensor.ts) and functional.ts instead.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeNotBuiltError, nativeError } from './errors.js';
import { NATIVE_FUNCTIONS, type Native } from './native.gen.js';

export { type Handle, type Native, Unary, Binary, Reduce, NATIVE_FUNCTIONS } from './native.gen.js';

const REBUILD = 'rebuild it with `npm run build:native -w packages/torch` (or `npm rebuild @copper/torch`)';
const HOW_TO_INSTALL =
  'install libtorch (Debian/Ubuntu: `npm run setup` in the copper folder, or `sudo apt-get install libtorch-dev`; elsewhere set LIBTORCH to a libtorch folder from pytorch.org or to a pip-installed torch package\'s folder), then rebuild the addon with `npm run build:native -w packages/torch` (or `npm rebuild @copper/torch`)';

/** The name main's CLI launcher and earlier code knew NativeNotBuiltError by. */
export { NativeNotBuiltError as TorchNativeUnavailableError } from './errors.js';

function load(): Native {
  const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
  const file = join(pkg, 'build', 'Release', 'copper_torch.node');
  if (!existsSync(file)) {
    throw new NativeNotBuiltError(`@copper/torch needs libtorch, and its native addon is not built: ${HOW_TO_INSTALL}`);
  }
  let addon: Native;
  try {
    addon = createRequire(import.meta.url)(file) as Native;
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    throw new NativeNotBuiltError(`@copper/torch: cannot load the native addon (${msg}): ${HOW_TO_INSTALL}`);
  }
  const missing = NATIVE_FUNCTIONS.filter((f) => typeof (addon as unknown as Record<string, unknown>)[f] !== 'function');
  if (missing.length) {
    throw new NativeNotBuiltError(`@copper/torch: the native addon is older than this package (it lacks ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}); ${REBUILD}`);
  }
  addon.setErrorFactory(nativeError);
  return addon;
}

export const native: Native = load();
