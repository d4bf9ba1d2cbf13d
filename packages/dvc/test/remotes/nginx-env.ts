/**
 * Finds the nginx test server (HTTP on one port, WebDAV with basic auth on another) started by
 * `test/servers/nginx.sh start` (scripts/test-servers.sh, .ci/run). When it is not running but nginx
 * is installed, starts it (under a lock, so parallel test files start it once). Returns undefined,
 * with the reason, when nginx is not installed: the tests then skip and say why (or fail, under
 * COPPER_REQUIRE_SERVERS=1: servers.ts requireServer).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { requireServer } from './servers.js';

export interface NginxEnv {
  http: string;
  webdav: string;
  user: string;
  password: string;
  httpRoot: string;
  davRoot: string;
}

const script = fileURLToPath(new URL('../servers/nginx.sh', import.meta.url));
const info = `${process.env.COPPER_SERVERS_DIR ?? '/tmp/copper-test-servers'}/nginx.json`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function nginxEnv(): { env?: NginxEnv; skip?: string } {
  const read = () => {
    if (!existsSync(info)) return undefined;
    const j = JSON.parse(readFileSync(info, 'utf8')) as NginxEnv & { pid: number };
    return alive(j.pid) ? j : undefined;
  };
  let env = read();
  if (!env) {
    if (!existsSync('/usr/sbin/nginx') || !existsSync('/usr/lib/nginx/modules/ngx_http_dav_ext_module.so')) {
      return { skip: requireServer('nginx with the dav-ext module is not installed (apt-get install nginx-extras)') };
    }
    try {
      execFileSync('flock', ['/tmp/copper-nginx.lock', script, 'start'], { stdio: 'pipe' });
    } catch (err) {
      return { skip: requireServer(`nginx did not start: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`) };
    }
    env = read();
    if (!env) return { skip: requireServer('nginx did not start') };
  }
  return { env };
}
