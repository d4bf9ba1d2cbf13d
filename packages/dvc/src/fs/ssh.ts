/**
 * SSH remotes over SFTP on `ssh2` (pure JavaScript SSH client). URL: ssh://[user@]host[:port]/abs/path.
 * Options (DVC's): user, port, keyfile, password, passphrase, timeout, allow_agent; ask_password
 * is not supported (no prompts): give password or keyfile. Without either, the SSH agent
 * (SSH_AUTH_SOCK) and the default keys in ~/.ssh are tried. Host keys are not checked against
 * known_hosts (as DVC's default).
 *
 * Writes go to a temporary name beside the target and are renamed over it only when complete
 * (OpenSSH's posix-rename), so a file is never visible half-written under its final name.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client, type ConnectConfig, type SFTPWrapper, type Stats } from 'ssh2';
import type { FileSystem } from './types.js';
import { joinUrl, notFoundError, optBool, optNum, optStr, remoteError, sizeChecked, type RemoteOptions } from './remote-errors.js';

/** SFTP status codes (draft-ietf-secsh-filexfer-02). */
const NO_SUCH_FILE = 2;
const PERMISSION_DENIED = 3;

function sftpCode(e: unknown): number | undefined {
  const c = (e as { code?: unknown })?.code;
  return typeof c === 'number' ? c : undefined;
}

interface Conn {
  client: Client;
  sftp: SFTPWrapper;
  closed: boolean;
}

export class SshFileSystem implements FileSystem {
  readonly protocol = 'ssh';
  readonly url: string;
  readonly root: string;
  private readonly config: ConnectConfig;
  private readonly target: string;
  private readonly poolSize: number;
  private readonly pool: (Promise<Conn> | undefined)[];
  private next = 0;
  private readonly madeDirs = new Set<string>();

  constructor(url: string, options: RemoteOptions = {}) {
    const u = new URL(url);
    if (u.protocol !== 'ssh:') throw remoteError(`not an ssh URL: ${url}`);
    const host = u.hostname;
    if (!host) throw remoteError(`${url}: the URL names no host (ssh://[user@]host[:port]/path)`);
    const user = optStr(options.user) ?? (u.username ? decodeURIComponent(u.username) : undefined) ?? process.env.USER ?? 'root';
    const port = optNum(options.port) ?? (u.port ? Number(u.port) : 22);
    this.root = decodeURIComponent(u.pathname || '/').replace(/\/+$/, '') || '/';
    this.url = `ssh://${user}@${host}${port !== 22 ? `:${port}` : ''}${this.root}`;
    this.target = `${user}@${host}:${port}`;
    this.poolSize = Math.max(1, Math.min(16, optNum(options.max_sessions) ?? 2));
    this.pool = new Array(this.poolSize).fill(undefined);

    const timeout = optNum(options.timeout);
    const config: ConnectConfig = {
      host,
      port,
      username: user,
      readyTimeout: (timeout ?? 20) * 1000,
      keepaliveInterval: 15_000,
    };
    const password = optStr(options.password);
    if (!password && optBool(options.ask_password, false)) {
      throw remoteError(
        `${this.url}: ask_password is not supported (no prompts); store the password with 'dvc remote modify --local <name> password <password>'`,
      );
    }
    const keyfile = optStr(options.keyfile);
    const passphrase = optStr(options.passphrase);
    if (password) config.password = password;
    if (keyfile) {
      try {
        config.privateKey = readFileSync(keyfile.replace(/^~(?=\/)/, homedir()));
      } catch (e) {
        throw remoteError(`${this.url}: cannot read keyfile '${keyfile}': ${(e as Error).message}`);
      }
      if (passphrase) config.passphrase = passphrase;
    }
    if (!password && !keyfile) {
      if (optBool(options.allow_agent, true) && process.env.SSH_AUTH_SOCK) config.agent = process.env.SSH_AUTH_SOCK;
      for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
        const p = posix.join(homedir(), '.ssh', name);
        if (existsSync(p)) {
          try {
            config.privateKey = readFileSync(p);
            if (passphrase) config.passphrase = passphrase;
            break;
          } catch {
            /* unreadable: try the next */
          }
        }
      }
    }
    this.config = config;
  }

  private full(path: string): string {
    return this.root === '/' ? `/${path}` : `${this.root}/${path}`;
  }

  private connect(): Promise<Conn> {
    return new Promise<Conn>((resolve, reject) => {
      const client = new Client();
      let ready = false;
      const conn = { client, closed: false } as Conn;
      client.on('ready', () => {
        ready = true;
        client.sftp((err, sftp) => {
          if (err) {
            client.end();
            reject(remoteError(`${this.url}: cannot start SFTP: ${err.message}`, err));
            return;
          }
          conn.sftp = sftp;
          resolve(conn);
        });
      });
      client.on('error', (err: Error & { level?: string }) => {
        conn.closed = true;
        if (ready) return; // an established connection failing: in-flight calls fail on their own
        if (err.level === 'client-authentication') {
          reject(remoteError(`${this.url}: authentication failed for ${this.target} (check user, password or keyfile)`, err));
        } else {
          reject(remoteError(`${this.url}: cannot connect to ${this.target}: ${err.message}`, err));
        }
      });
      client.on('close', () => {
        conn.closed = true;
      });
      client.connect(this.config);
    });
  }

  /** One of the pooled connections (round robin), reconnecting one that was lost. */
  private async sftp(): Promise<SFTPWrapper> {
    const i = this.next++ % this.poolSize;
    let p = this.pool[i];
    if (p) {
      const c = await p.catch(() => undefined);
      if (!c || c.closed) p = undefined;
    }
    if (!p) {
      p = this.connect();
      this.pool[i] = p;
      p.catch(() => {
        if (this.pool[i] === p) this.pool[i] = undefined;
      });
    }
    return (await p).sftp;
  }

  private fail(e: unknown, path: string, op: string): Error {
    if ((e as Error)?.name === 'RemoteError') return e as Error;
    const code = sftpCode(e);
    if (code === PERMISSION_DENIED) return remoteError(`${joinUrl(this.url, path)}: ${op}: permission denied`, e);
    const err = remoteError(`${joinUrl(this.url, path)}: ${op} failed: ${(e as Error)?.message ?? String(e)}`, e);
    // A connection that dropped under an operation: the next attempt reconnects (retry.ts).
    if (/No response from server|Not connected|Channel open failure|connection lost|ECONNRESET/i.test(String((e as Error)?.message))) {
      (err as { transient?: boolean }).transient = true;
    }
    return err;
  }

  private stat(sftp: SFTPWrapper, p: string): Promise<Stats> {
    return new Promise((resolve, reject) => sftp.stat(p, (err, st) => (err ? reject(err) : resolve(st))));
  }

  async exists(path: string): Promise<boolean> {
    return (await this.size(path)) !== undefined;
  }

  async size(path: string): Promise<number | undefined> {
    try {
      const st = await this.stat(await this.sftp(), this.full(path));
      return st.isDirectory() ? undefined : st.size;
    } catch (e) {
      if (sftpCode(e) === NO_SUCH_FILE) return undefined;
      throw this.fail(e, path, 'stat');
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    const start = prefix.replace(/^\/+|\/+$/g, '');
    const sftp = await this.sftp().catch((e) => {
      throw this.fail(e, prefix, 'list');
    });
    const readdir = (dir: string) =>
      new Promise<{ filename: string; attrs: Stats }[]>((resolve, reject) =>
        sftp.readdir(dir, (err, list) => (err ? reject(err) : resolve(list as { filename: string; attrs: Stats }[]))),
      );
    // Folders are read a few at a time; files are yielded as their folder is read.
    const pending: string[] = [start];
    while (pending.length) {
      const batch = pending.splice(0, 16);
      const results = await Promise.all(
        batch.map(async (rel) => {
          try {
            return { rel, entries: await readdir(rel ? this.full(rel) : this.root) };
          } catch (e) {
            if (sftpCode(e) === NO_SUCH_FILE) return { rel, entries: [] };
            throw this.fail(e, rel, 'list');
          }
        }),
      );
      for (const { rel, entries } of results) {
        for (const ent of entries) {
          if (ent.filename === '.' || ent.filename === '..') continue;
          const child = rel ? `${rel}/${ent.filename}` : ent.filename;
          if (ent.attrs.isDirectory()) pending.push(child);
          else if (ent.attrs.isFile()) yield child;
        }
      }
    }
  }

  async read(path: string): Promise<Readable> {
    const full = this.full(path);
    try {
      const sftp = await this.sftp();
      const handle = await new Promise<Buffer>((resolve, reject) => sftp.open(full, 'r', (err, h) => (err ? reject(err) : resolve(h))));
      return sftp.createReadStream(full, { handle, autoClose: true, highWaterMark: 256 * 1024 });
    } catch (e) {
      if (sftpCode(e) === NO_SUCH_FILE) throw notFoundError(this.url, path);
      throw this.fail(e, path, 'read');
    }
  }

  /** mkdir -p over SFTP (folders made once are remembered). */
  private async mkdirs(sftp: SFTPWrapper, dir: string): Promise<void> {
    if (dir === '/' || dir === '.' || this.madeDirs.has(dir)) return;
    try {
      const st = await this.stat(sftp, dir);
      if (st.isDirectory()) {
        this.madeDirs.add(dir);
        return;
      }
    } catch (e) {
      if (sftpCode(e) !== NO_SUCH_FILE) throw e;
    }
    await this.mkdirs(sftp, posix.dirname(dir));
    await new Promise<void>((resolve, reject) =>
      sftp.mkdir(dir, (err) => {
        if (!err) return resolve();
        // Made meanwhile by a parallel write: fine if it is a folder now.
        this.stat(sftp, dir).then(
          (st) => (st.isDirectory() ? resolve() : reject(err)),
          () => reject(err),
        );
      }),
    );
    this.madeDirs.add(dir);
  }

  async write(path: string, source: Readable, size?: number): Promise<void> {
    const full = this.full(path);
    const tmp = `${full}.${randomBytes(8).toString('hex')}.tmp`;
    let sftp: SFTPWrapper | undefined;
    try {
      sftp = await this.sftp();
      await this.mkdirs(sftp, posix.dirname(full));
      // A source that is not its declared size (a file changed while sent) is never renamed into place.
      const data = size === undefined ? source : sizeChecked(source, size, joinUrl(this.url, path));
      const ws = sftp.createWriteStream(tmp, { flags: 'w', mode: 0o644 });
      const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
      await pipeline(data, ws);
      await closed;
      const s = sftp;
      await new Promise<void>((resolve, reject) => s.ext_openssh_rename(tmp, full, (err) => (err ? reject(err) : resolve())));
    } catch (e) {
      if (sftp) {
        const s = sftp;
        await new Promise<void>((resolve) => s.unlink(tmp, () => resolve()));
      }
      if (!(e as { level?: string }).level && sftpCode(e) === undefined && (e as Error)?.name !== 'RemoteError') {
        // Not an SSH/SFTP error: the source stream broke. Pass it on as it is.
        throw e;
      }
      throw this.fail(e, path, 'write');
    }
  }

  async delete(path: string): Promise<void> {
    try {
      const sftp = await this.sftp();
      await new Promise<void>((resolve, reject) => sftp.unlink(this.full(path), (err) => (err ? reject(err) : resolve())));
    } catch (e) {
      if (sftpCode(e) === NO_SUCH_FILE) return;
      throw this.fail(e, path, 'delete');
    }
  }

  async close(): Promise<void> {
    const conns = this.pool.splice(0);
    await Promise.all(
      conns.map(async (p) => {
        const c = await p?.catch(() => undefined);
        c?.client.end();
      }),
    );
    this.pool.push(...new Array(this.poolSize).fill(undefined));
  }
}
