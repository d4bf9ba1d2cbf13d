/**
 * OpenSSH known_hosts files for the ssh remote: parsing (plain and hashed host names, wildcard and
 * negated patterns, `[host]:port`, the @revoked and @cert-authority markers) and the check of the
 * key a server offers against them.
 *
 * Policy (ssh.ts): a key that differs from the one known for the host, or a revoked key, is
 * refused; a host that no file knows is accepted, as DVC accepts every host (its asyncssh
 * connection runs with known_hosts=None), unless COPPER_SSH_STRICT_HOST_KEY_CHECKING=yes.
 * Files: ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts, or the list in COPPER_SSH_KNOWN_HOSTS
 * (separated by ':'); COPPER_SSH_KNOWN_HOSTS=none, or COPPER_SSH_STRICT_HOST_KEY_CHECKING=no,
 * checks nothing (exactly DVC's behaviour).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface KnownHost {
  file: string;
  /** 1-based line number in `file`. */
  line: number;
  marker: '' | 'revoked' | 'cert-authority';
  /** The host pattern list as written (comma separated, or one hashed `|1|salt|hash`). */
  hosts: string;
  /** Key type as written, e.g. 'ssh-ed25519', 'ssh-rsa'. */
  type: string;
  /** The public key blob (SSH wire format). */
  key: Buffer;
}

export interface HostKeyPolicy {
  /** known_hosts files to read; undefined: no checking at all. */
  files: string[] | undefined;
  /** Refuse hosts that no file knows (OpenSSH's StrictHostKeyChecking=yes, asyncssh's default). */
  strict: boolean;
}

/** The policy from the environment (see the header). */
export function hostKeyPolicy(env: NodeJS.ProcessEnv = process.env): HostKeyPolicy {
  const strict = (env.COPPER_SSH_STRICT_HOST_KEY_CHECKING ?? '').trim().toLowerCase();
  const list = env.COPPER_SSH_KNOWN_HOSTS;
  if (['no', 'off', 'false', '0'].includes(strict) || list?.trim().toLowerCase() === 'none') return { files: undefined, strict: false };
  const files = list?.trim()
    ? list.split(delimiter).filter(Boolean).map((f) => f.replace(/^~(?=$|\/)/, homedir()))
    : [join(homedir(), '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'];
  return { files, strict: ['yes', 'on', 'true', '1'].includes(strict) };
}

/** Parses one known_hosts file's text. Lines that are not entries are skipped, as OpenSSH does. */
export function parseKnownHosts(text: string, file: string): KnownHost[] {
  const out: KnownHost[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line || line.startsWith('#')) continue;
    const f = line.split(/\s+/);
    let marker: KnownHost['marker'] = '';
    if (f[0] === '@revoked' || f[0] === '@cert-authority') marker = f.shift()!.slice(1) as KnownHost['marker'];
    else if (f[0]!.startsWith('@')) continue;
    if (f.length < 3) continue;
    const key = Buffer.from(f[2]!, 'base64');
    if (!key.length || keyType(key) !== f[1]) continue;
    out.push({ file, line: i + 1, marker, hosts: f[0]!, type: f[1]!, key });
  }
  return out;
}

/** The entries of `files` (missing or unreadable files have none). */
export function readKnownHosts(files: string[]): KnownHost[] {
  const out: KnownHost[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    out.push(...parseKnownHosts(text, file));
  }
  return out;
}

/** The name OpenSSH looks a host up by: `host`, or `[host]:port` off port 22. */
export function knownHostName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** OpenSSH's wildcard match: `*` any run, `?` one character, case-insensitive. */
function wildcard(pattern: string, name: string): boolean {
  const re = pattern.toLowerCase().replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(name);
}

/** Whether an entry's host field names `name` (from knownHostName). */
export function hostMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (!salt || !hash) return false;
    const want = Buffer.from(hash, 'base64');
    const got = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
    return want.length === got.length && timingSafeEqual(want, got);
  }
  let matched = false;
  for (const p of hosts.split(',')) {
    if (!p) continue;
    if (p.startsWith('!')) {
      if (wildcard(p.slice(1), name)) return false;
    } else if (wildcard(p, name)) matched = true;
  }
  return matched;
}

/** The key type a public key blob names (its first SSH string). */
export function keyType(key: Buffer): string {
  if (key.length < 4) return '';
  const n = key.readUInt32BE(0);
  return n > 0 && n < 64 && key.length >= 4 + n ? key.subarray(4, 4 + n).toString('latin1') : '';
}

/** OpenSSH's fingerprint: SHA256:base64, no padding. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

export type HostKeyCheck =
  | { status: 'match'; entry: KnownHost }
  | { status: 'unknown' }
  | { status: 'mismatch'; entries: KnownHost[] }
  | { status: 'revoked'; entry: KnownHost };

/** Checks the key a server offers for `name` against known_hosts entries. */
export function checkHostKey(entries: KnownHost[], name: string, key: Buffer): HostKeyCheck {
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', entry: revoked };
  const mine = entries.filter((e) => e.marker === '' && hostMatches(e.hosts, name));
  const match = mine.find((e) => e.key.equals(key));
  if (match) return { status: 'match', entry: match };
  return mine.length ? { status: 'mismatch', entries: mine } : { status: 'unknown' };
}

/** Host key algorithms for the key types known for `name`, to ask the server for those first. */
export function preferredHostKeyAlgorithms(entries: KnownHost[], name: string): string[] {
  const out: string[] = [];
  for (const e of entries) {
    if (e.marker !== '' || !hostMatches(e.hosts, name)) continue;
    const algs = e.type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [e.type];
    for (const a of algs) if (!out.includes(a)) out.push(a);
  }
  return out;
}
