/**
 * Test setup for the real servers: `await testServer('ceph')` returns the endpoint and credentials
 * the server's script wrote (`$COPPER_SERVERS_DIR/<name>.json`), starting the server through
 * `test/servers/<name>.sh start` when it is not running yet. When the server is not installed
 * (the script exits 3) it returns a skip reason for the tests to show, unless
 * COPPER_REQUIRE_SERVERS=1 (set by .ci/run): then a missing server fails the run (see
 * `requireServer`), so a CI machine that lost a server cannot quietly stop testing it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

export const SERVERS_DIR = process.env.COPPER_SERVERS_DIR ?? '/tmp/copper-test-servers';
const SCRIPTS = fileURLToPath(new URL('../servers/', import.meta.url));

export type ServerInfo = Record<string, string>;
export type TestServer = { info: ServerInfo; skip: false } | { info: undefined; skip: string };

/** True under COPPER_REQUIRE_SERVERS=1: a test server that is missing fails the run. */
export function serversRequired(): boolean {
  return process.env.COPPER_REQUIRE_SERVERS === '1';
}

/**
 * The shared skip helper of the remote suites: `reason` (why a server is missing) to skip with,
 * or, under COPPER_REQUIRE_SERVERS=1, an error that fails the test file.
 */
export function requireServer(reason: string): string {
  if (serversRequired()) throw new Error(`${reason} (COPPER_REQUIRE_SERVERS=1: a missing test server fails the run)`);
  return reason;
}

export function testServer(name: string): TestServer {
  const script = join(SCRIPTS, `${name}.sh`);
  const status = spawnSync('bash', [script, 'status'], { encoding: 'utf8' });
  if (status.status !== 0) {
    const start = spawnSync('bash', [script, 'start'], { encoding: 'utf8', timeout: 600_000 });
    if (start.status === 3) {
      return { info: undefined, skip: requireServer(`${name} server not installed: ${(start.stderr || start.stdout).trim().split('\n').pop()}`) };
    }
    if (start.status !== 0) {
      throw new Error(`could not start the ${name} test server (${script} start, exit ${start.status}):\n${start.stdout}\n${start.stderr}`);
    }
  }
  const info = JSON.parse(readFileSync(join(SERVERS_DIR, `${name}.json`), 'utf8')) as ServerInfo;
  return { info, skip: false };
}

/** A unique folder name for one test run, so parallel runs and reruns never see each other's files. */
export function uniqueName(tag: string): string {
  return `${tag}-${process.pid}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** Runs `fn` with environment variables changed (undefined removes one), then puts them back. */
export async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T | Promise<T>): Promise<T> {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/**
 * A known_hosts file holding the SSH test server's real host key (sshd.sh makes a new one at each
 * start), for COPPER_SSH_KNOWN_HOSTS: the ssh tests then never read the user's ~/.ssh.
 */
export function sshKnownHosts(info: ServerInfo): string {
  const pub = readFileSync(join(dirname(info.keyfile!), 'host_ed25519.pub'), 'utf8').trim().split(/\s+/);
  const dir = mkdtempSync(join(tmpdir(), 'copper-known-hosts-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'known_hosts');
  const port = Number(info.port);
  writeFileSync(file, `${port === 22 ? info.host : `[${info.host}]:${port}`} ${pub[0]} ${pub[1]}\n`);
  return file;
}
