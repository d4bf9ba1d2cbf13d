// Locates libtorch for the native build: the folder named by $LIBTORCH (a pytorch.org download or a
// CUDA build), else Debian/Ubuntu's libtorch-dev. Used by build-native.mjs and by binding.gyp
// (`node scripts/libtorch.mjs include|libdir`).
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function findLibtorch() {
  const env = process.env.LIBTORCH;
  if (env) {
    const inc = join(env, 'include');
    const lib = join(env, 'lib');
    if (!existsSync(join(inc, 'ATen', 'ATen.h'))) {
      return { error: `LIBTORCH=${env} has no include/ATen/ATen.h` };
    }
    return { include: [inc, join(inc, 'torch', 'csrc', 'api', 'include')], libdir: lib, source: `LIBTORCH=${env}` };
  }
  const incs = ['/usr/include', '/usr/local/include'];
  const libs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];
  const inc = incs.find((d) => existsSync(join(d, 'ATen', 'ATen.h')));
  const lib = libs.find((d) => existsSync(join(d, 'libtorch_cpu.so')) || existsSync(join(d, 'libtorch.so')));
  if (!inc || !lib) return { error: 'libtorch not found' };
  return { include: [inc, join(inc, 'torch', 'csrc', 'api', 'include')], libdir: lib, source: 'system libtorch-dev' };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  const what = process.argv[2];
  const t = findLibtorch();
  if (t.error) process.exit(1);
  if (what === 'include') console.log(t.include.join(' '));
  else if (what === 'libdir') console.log(t.libdir);
}
