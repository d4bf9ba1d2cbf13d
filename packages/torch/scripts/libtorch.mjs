// Locates libtorch for the native build: the folder named by $LIBTORCH (a pytorch.org download, a
// CUDA build, or a pip-installed torch package's folder), else Debian/Ubuntu's libtorch-dev, else
// the torch package python3 imports when it carries headers (pip wheels do; Debian's does not). Used by build-native.mjs and by binding.gyp
// (`node scripts/libtorch.mjs include|libdir|libs|cflags|defines`).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

export function findLibtorch() {
  const env = process.env.LIBTORCH;
  if (env) {
    const inc = join(env, 'include');
    const lib = join(env, 'lib');
    if (!existsSync(join(inc, 'ATen', 'ATen.h'))) {
      return { error: `LIBTORCH=${env} has no include/ATen/ATen.h` };
    }
    // pytorch.org ships pre-C++11-ABI and C++11-ABI builds; TorchConfig.cmake says which.
    let abi = null;
    try {
      const cfg = readFileSync(join(env, 'share', 'cmake', 'Torch', 'TorchConfig.cmake'), 'utf8');
      const m = /_GLIBCXX_USE_CXX11_ABI=([01])/.exec(cfg);
      if (m) abi = m[1];
    } catch {}
    return { include: [inc, join(inc, 'torch', 'csrc', 'api', 'include')], libdir: lib, abi, source: `LIBTORCH=${env}` };
  }
  const incs = ['/usr/include', '/usr/local/include'];
  const libs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];
  const inc = incs.find((d) => existsSync(join(d, 'ATen', 'ATen.h')));
  const lib = libs.find((d) => existsSync(join(d, 'libtorch_cpu.so')) || existsSync(join(d, 'libtorch.so')));
  if (!inc || !lib) return pipTorch() ?? { error: 'libtorch not found' };
  return { include: [inc, join(inc, 'torch', 'csrc', 'api', 'include')], libdir: lib, abi: null, source: 'system libtorch-dev' };
}

/** A pip-installed torch (python3 -c 'import torch'): its folder holds include/ and lib/ as libtorch's does. */
function pipTorch() {
  const r = spawnSync('python3', ['-c', 'import os, torch; print(os.path.dirname(torch.__file__)); print(int(torch._C._GLIBCXX_USE_CXX11_ABI))'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.status !== 0) return null;
  const [dir, abi] = r.stdout.trim().split('\n');
  if (!dir || !existsSync(join(dir, 'include', 'ATen', 'ATen.h')) || !existsSync(join(dir, 'lib', 'libtorch_cpu.so'))) return null;
  const inc = join(dir, 'include');
  return { include: [inc, join(inc, 'torch', 'csrc', 'api', 'include')], libdir: join(dir, 'lib'), abi: abi ?? null, source: `python3's torch package (${dir})` };
}

/** Libraries to link: the CPU core, plus the CUDA parts when this libtorch has them. */
export function libraries(t) {
  const out = ['-ltorch_cpu', '-lc10'];
  if (existsSync(join(t.libdir, 'libtorch_cuda.so'))) out.push('-ltorch_cuda');
  if (existsSync(join(t.libdir, 'libc10_cuda.so'))) out.push('-lc10_cuda');
  if (existsSync(join(t.libdir, 'libtorch.so'))) out.push('-ltorch');
  return out;
}

/**
 * torch.distributed's Gloo backend: c10d's ProcessGroupGloo.hpp includes Gloo's headers, which
 * libtorch folders from pytorch.org or pip may carry (include/gloo) and Debian ships separately
 * (libgloo-dev, matching its libtorch). Returns the defines that compile src/native/distributed.cc's
 * real body, or null (the addon then builds without it and torch.distributed.isAvailable() is false).
 * COPPER_TORCH_NO_GLOO=1 forces it off.
 */
export function gloo(t) {
  if (process.env.COPPER_TORCH_NO_GLOO) return null;
  const pg = t.include.some((d) => existsSync(join(d, 'torch', 'csrc', 'distributed', 'c10d', 'ProcessGroupGloo.hpp')));
  if (!pg) return null;
  // System Gloo headers only with the system libtorch they were packaged for.
  const dirs = t.source === 'system libtorch-dev' ? t.include : t.include.filter((d) => !d.startsWith('/usr/'));
  if (!dirs.some((d) => existsSync(join(d, 'gloo', 'config.h')))) return null;
  return ['COPPER_TORCH_GLOO', 'USE_C10D_GLOO', 'USE_DISTRIBUTED'];
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  const what = process.argv[2];
  const t = findLibtorch();
  if (t.error) process.exit(1);
  if (what === 'include') console.log(t.include.join(' '));
  else if (what === 'libdir') console.log(t.libdir);
  else if (what === 'libs') console.log(libraries(t).join(' '));
  else if (what === 'defines') console.log((gloo(t) ?? []).join(' '));
  else if (what === 'cflags') console.log(t.abi === null ? '' : `-D_GLIBCXX_USE_CXX11_ABI=${t.abi}`);
}
