/**
 * SSH remotes over SFTP on `ssh2` (pure JavaScript SSH client). URL: ssh://[user@]host[:port]/abs/path.
 * Options (DVC's): user, port, keyfile, password, passphrase, timeout, allow_agent, max_sessions; ask_password
 * is not supported (no prompts): give password or keyfile. Without either, the SSH agent
 * (SSH_AUTH_SOCK) and the default keys in ~/.ssh are tried.
 *
 * Host keys are checked against ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts (known-hosts.ts):
 * a key other than the one known for the host is refused with one line; a host no file knows is
 * accepted, as DVC accepts every host (COPPER_SSH_STRICT_HOST_KEY_CHECKING=yes refuses it,
 * COPPER_SSH_KNOWN_HOSTS names other files, or `none` to check nothing).
 *
 * Writes go to a temporary name beside the target and are renamed over it only when complete
 * (OpenSSH's posix-rename), so a file is never visible half-written under its final name. Temp
 * files of killed uploads (`<name>.<16 hex>.tmp`) are never listed; `removeStaleTemps` (dvc gc)
 * deletes the old ones.
 *
 * One SSH connection per remote (one handshake, one login), opened on first use and again after
 * a loss, carries up to `max_sessions` - 2 SFTP channels (DVC's sshfs: `max_sessions`, default
 * 10, sessions on one connection, 2 kept for shell commands; at least one here), opened as jobs
 * find every channel busy; each operation takes the least used. A server that refuses one more
 * (OpenSSH's MaxSessions) while some are open is not an error: the ones it gave are used.
 *
 * Timeouts (timeouts.ts): `timeout` bounds connecting (handshake included); a connection that
 * stops answering (keepalives unanswered for the read timeout) is dropped, and the next attempt
 * reconnects.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { posix } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client, type ConnectConfig, type ServerHostKeyAlgorithm, type SFTPWrapper, type Stats } from 'ssh2';
import { walkSteps, type FileSystem, type ListPage, type ListStep } from './types.js';
import { remoteTimeouts } from './timeouts.js';
import {
  checkHostKey,
  fingerprint,
  hostKeyPolicy,
  keyType,
  knownHostName,
  preferredHostKeyAlgorithms,
  readKnownHosts,
  type HostKeyPolicy,
} from './known-hosts.js';
import { joinUrl, notFoundError, optBool, optNum, optStr, remoteError, sizeChecked, type RemoteOptions } from './remote-errors.js';

/** SFTP status codes (draft-ietf-secsh-filexfer-02). */
/** Host key algorithms ssh2 can verify (asking for any other would make it throw). */
const SSH2_HOST_KEY_ALGORITHMS = new Set([
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
  'ssh-dss',
]);

const NO_SUCH_FILE = 2;
const TMP_RE = /\.[0-9a-f]{16}\.tmp$/;
const PERMISSION_DENIED = 3;

/** An error of an operation whose connection dropped or stopped answering: worth another try. */
function droppedConnection(e: unknown): boolean {
  return /No response from server|Not connected|Channel open failure|connection lost|ECONNRESET|Keepalive timeout|timed out/i.test(
    String((e as Error)?.message),
  );
}

/** SFTP sessions whose connection is gone: a request sent there would never be answered. */
const lost = new WeakSet<SFTPWrapper>();

/** What waits on each session for its end: one pair of listeners per session, however many requests. */
const waiting = new WeakMap<SFTPWrapper, Set<() => void>>();

/**
 * Calls `gone` when the session's connection ends (close or end), until the returned function is
 * called. The session carries one 'close' and one 'end' listener for all of its requests, so any
 * number of requests may be in flight on it (no listener pile-up, no MaxListenersExceededWarning).
 */
function onGone(sftp: SFTPWrapper, gone: () => void): () => void {
  let set = waiting.get(sftp);
  if (!set) {
    const s = new Set<() => void>();
    set = s;
    waiting.set(sftp, s);
    const fire = () => {
      lost.add(sftp);
      const all = [...s];
      s.clear();
      for (const f of all) f();
    };
    sftp.once('close', fire);
    sftp.once('end', fire);
  }
  const mine = set;
  mine.add(gone);
  return () => {
    mine.delete(gone);
  };
}

/**
 * One SFTP request as a promise that settles even when the connection drops meanwhile (ssh2
 * answers the requests pending at that moment, not the ones sent after).
 */
function call<T = void>(sftp: SFTPWrapper, send: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const gone = () => reject(new Error('No response from server (connection lost)'));
    if (lost.has(sftp)) return gone();
    const off = onGone(sftp, gone);
    send((err, value) => {
      off();
      if (err) reject(err);
      else resolve(value as T);
    });
  });
}

/** `p`, or a rejection as soon as the SFTP session's connection is gone. */
function whileAlive<T>(sftp: SFTPWrapper, p: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const gone = () => reject(new Error('No response from server (connection lost)'));
    if (lost.has(sftp)) gone();
    const off = onGone(sftp, gone);
    p.then(
      (v) => {
        off();
        resolve(v);
      },
      (e) => {
        off();
        reject(e);
      },
    );
  });
}

/** Bytes per SFTP read or write request of the pipelined transfers (OpenSSH takes up to 255 KiB). */
const SFTP_CHUNK = 128 * 1024;
/** Read or write requests of one transfer in flight at once (as ssh2's fastGet/fastPut do). */
const SFTP_WINDOW = 8;

/**
 * The file behind `handle` as a stream, read with up to SFTP_WINDOW requests in flight (one round
 * trip per window instead of one per chunk, as ssh2's fastGet does): the size comes from an fstat
 * sent together with the first read, so a file smaller than a chunk takes one read. A short answer
 * before that size is completed before anything after it; a short answer at it is the end; a last
 * chunk that came whole is followed by more reads until an empty answer (a file that grew
 * meanwhile is read to its new end). The handle is closed at the end, on error or when the reader
 * leaves.
 */
function pipelinedRead(sftp: SFTPWrapper, handle: Buffer): Readable {
  const readAt = (pos: number, len: number): Promise<Buffer> => {
    const p = call<Buffer>(sftp, (cb) =>
      sftp.read(handle, Buffer.allocUnsafe(len), 0, len, pos, (err, n, data) => cb(err, err ? undefined : n === len ? data : data.subarray(0, n))),
    );
    p.catch(() => undefined); // awaited in order below; a later one's failure is seen then
    return p;
  };
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      const stat = call<Stats>(sftp, (cb) => sftp.fstat(handle, cb));
      stat.catch(() => undefined);
      const pending: { pos: number; len: number; data: Promise<Buffer> }[] = [{ pos: 0, len: SFTP_CHUNK, data: readAt(0, SFTP_CHUNK) }];
      let next = SFTP_CHUNK;
      const size = (await stat).size;
      while (pending.length) {
        while (pending.length < SFTP_WINDOW && next < size) {
          pending.push({ pos: next, len: SFTP_CHUNK, data: readAt(next, SFTP_CHUNK) });
          next += SFTP_CHUNK;
        }
        const r = pending.shift()!;
        let buf = await r.data;
        let got = buf.length;
        if (got) yield buf;
        // A short answer before the known end: the rest of this chunk first, one request at a time.
        while (got < r.len && r.pos + got < size) {
          buf = await readAt(r.pos + got, r.len - got);
          if (!buf.length) break;
          yield buf;
          got += buf.length;
        }
        // A short answer at (or before) the end: the file ends here (SFTP servers answer short only there).
        if (got < r.len) return;
        // The last chunk came whole: the file may go on (it grew since the fstat); ask on until an empty answer.
        if (!pending.length) {
          pending.push({ pos: r.pos + r.len, len: SFTP_CHUNK, data: readAt(r.pos + r.len, SFTP_CHUNK) });
          next = r.pos + r.len + SFTP_CHUNK;
        }
      }
    } finally {
      sftp.close(handle, () => undefined);
    }
  }
  return Readable.from(chunks(), { objectMode: false, highWaterMark: SFTP_CHUNK });
}

/**
 * A Writable that writes to `handle` with up to SFTP_WINDOW requests in flight (as ssh2's fastPut
 * does), each chunk at its offset; it finishes when every write is answered, and fails with the
 * first write that failed.
 */
function pipelinedWrite(sftp: SFTPWrapper, handle: Buffer): Writable {
  let pos = 0;
  let inflight = 0;
  let failed: Error | undefined;
  let resume: (() => void) | undefined;
  let finished: (() => void) | undefined;
  const answered = (err: Error | null | undefined) => {
    inflight--;
    if (err && !failed) failed = err;
    const r = resume;
    resume = undefined;
    r?.();
    if (inflight === 0) finished?.();
  };
  return new Writable({
    highWaterMark: SFTP_CHUNK,
    write(chunk: Buffer, _enc, cb) {
      if (failed) return cb(failed);
      const at = pos;
      pos += chunk.length;
      inflight++;
      call(sftp, (done) => sftp.write(handle, chunk, 0, chunk.length, at, (err) => done(err))).then(
        () => answered(undefined),
        (e: Error) => answered(e),
      );
      if (inflight < SFTP_WINDOW) cb();
      else resume = () => cb(failed);
    },
    final(cb) {
      if (inflight === 0) return cb(failed);
      finished = () => cb(failed);
    },
  });
}

function sftpCode(e: unknown): number | undefined {
  const c = (e as { code?: unknown })?.code;
  return typeof c === 'number' ? c : undefined;
}

/** One SFTP channel (session) on the connection, and how many operations use it now. */
interface Chan {
  sftp: SFTPWrapper;
  users: number;
}

/** The one SSH connection, and the SFTP channels open on it. */
interface Conn {
  client: Client;
  closed: boolean;
  chans: Chan[];
  /** The channel being opened now (one at a time, as sshfs does), if any. */
  opening?: Promise<void>;
  /** True once the server refused a channel (or one failed to start): no more are asked for. */
  full: boolean;
}

/**
 * Operations on one channel before another is opened (sshfs's soft pool waits for 4; one per
 * channel spreads the jobs over the server's SFTP processes as soon as there are jobs to spread).
 */
const CHANNEL_SHARE = 1;

/** DVC's default `max_sessions` (sshfs's _DEFAULT_MAX_SESSIONS). */
const DEFAULT_MAX_SESSIONS = 10;
/** Sessions sshfs keeps out of `max_sessions` for shell commands (_SHELL_CHANNELS). */
const SHELL_SESSIONS = 2;

/** An operation's hold on one SFTP channel: `release` once its last request is answered. */
interface Lease {
  sftp: SFTPWrapper;
  release(): void;
}

export class SshFileSystem implements FileSystem {
  readonly protocol = 'ssh';
  readonly url: string;
  readonly root: string;
  private readonly config: ConnectConfig;
  private readonly target: string;
  /** How known_hosts lookups name this server: `host` or `[host]:port`. */
  private readonly hostName: string;
  private readonly hostKeys: HostKeyPolicy;
  /**
   * SFTP channels to open at most on the one connection: DVC's `max_sessions` (default 10) less
   * the 2 sessions sshfs keeps for shell commands, so 8 as in DVC; at least 1. Lowered to what
   * the server gave when it refuses one more (OpenSSH's MaxSessions, default 10).
   */
  private maxChannels: number;
  /** The one SSH connection (one handshake, one login), opened on first use and after a loss. */
  private conn: Promise<Conn> | undefined;
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
    this.hostName = knownHostName(host, port);
    this.hostKeys = hostKeyPolicy();
    const sessions = optNum(options.max_sessions) ?? DEFAULT_MAX_SESSIONS;
    if (!Number.isInteger(sessions) || sessions < 1) throw remoteError(`${this.url}: max_sessions must be a whole number of at least 1 (got '${String(options.max_sessions)}')`);
    this.maxChannels = Math.max(1, sessions - SHELL_SESSIONS);

    const t = remoteTimeouts('ssh', options);
    // Three keepalives unanswered within the read timeout: the connection is dropped.
    const keepalive = t.readMs === undefined ? 15_000 : Math.max(100, Math.round(t.readMs / 3));
    const config: ConnectConfig = {
      host,
      port,
      username: user,
      readyTimeout: t.connectMs ?? 0,
      keepaliveInterval: keepalive,
      keepaliveCountMax: 3,
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

  /**
   * The connect options for one connection: the known_hosts entries are read each time (a file
   * fixed meanwhile counts), the server is asked for the key types known for it first, and the
   * key it offers is checked. `refused` receives the one-line reason of a refusal.
   */
  private connectConfig(refused: (why: string) => void): ConnectConfig {
    const files = this.hostKeys.files;
    if (!files) return this.config;
    const entries = readKnownHosts(files);
    const name = this.hostName;
    const preferred = preferredHostKeyAlgorithms(entries, name).filter((a) => SSH2_HOST_KEY_ALGORITHMS.has(a)) as ServerHostKeyAlgorithm[];
    const where = (e: { file: string; line: number }) => `${e.file}:${e.line}`;
    return {
      ...this.config,
      ...(preferred.length ? { algorithms: { ...this.config.algorithms, serverHostKey: { prepend: preferred, append: [], remove: [] } } } : {}),
      hostVerifier: (key: Buffer) => {
        const check = checkHostKey(entries, name, key);
        const offered = `${keyType(key) || 'unknown'} key ${fingerprint(key)}`;
        switch (check.status) {
          case 'match':
            return true;
          case 'unknown':
            if (!this.hostKeys.strict) return true;
            refused(
              `host key verification failed: ${name} is not in ${files.join(' or ')} (it offered the ${offered}); ` +
                `add it with 'ssh-keyscan${name.startsWith('[') ? ` -p ${name.slice(name.lastIndexOf(':') + 1)}` : ''} ${name.replace(/^\[|\]:\d+$/g, '')} >> ~/.ssh/known_hosts' once you have checked that fingerprint`,
            );
            return false;
          case 'revoked':
            refused(`host key verification failed: the ${offered} offered by ${name} is marked @revoked in ${where(check.entry)}`);
            return false;
          case 'mismatch':
            refused(
              `host key verification failed: the ${offered} that ${name} offered is not the one in ${where(check.entries[0]!)} - ` +
                `REMOTE HOST IDENTIFICATION HAS CHANGED (an attack, or a new key: then run ssh-keygen -R '${name}')`,
            );
            return false;
        }
      },
    };
  }

  /**
   * Opens the SSH connection (handshake, host key check, login); it resolves once logged in, with
   * no SFTP channel yet (`lease` opens them).
   */
  private connect(): Promise<Conn> {
    return new Promise<Conn>((resolve, reject) => {
      const client = new Client();
      let ready = false;
      let hostKeyRefused: string | undefined;
      const conn: Conn = { client, closed: false, chans: [], full: false };
      client.on('ready', () => {
        ready = true;
        resolve(conn);
      });
      client.on('error', (err: Error & { level?: string }) => {
        conn.closed = true;
        if (ready) return; // an established connection failing: in-flight calls fail on their own
        if (hostKeyRefused) {
          reject(remoteError(`${this.url}: ${hostKeyRefused}`, err));
        } else if (err.level === 'client-authentication') {
          reject(remoteError(`${this.url}: authentication failed for ${this.target} (check user, password or keyfile)`, err));
        } else {
          const e = remoteError(`${this.url}: cannot connect to ${this.target}: ${err.message}`, err);
          // No handshake in time (a link that accepts and never answers): transient, retried.
          if (err.level === 'client-timeout' || /timed out/i.test(err.message)) Object.assign(e, { code: 'ETIMEDOUT' });
          reject(e);
        }
      });
      client.on('close', () => {
        conn.closed = true;
        // Every channel goes with the connection: requests sent there would never be answered.
        for (const c of conn.chans) lost.add(c.sftp);
        conn.chans = [];
        // Closed before the login completed (a reset mid-handshake): fail, or the caller would wait forever.
        if (!ready) {
          const e = remoteError(`${this.url}: connection to ${this.target} lost before SFTP started`);
          reject(Object.assign(e, { transient: !hostKeyRefused }));
        }
      });
      let config: ConnectConfig;
      try {
        config = this.connectConfig((why) => {
          hostKeyRefused = why;
        });
      } catch (e) {
        reject(remoteError(`${this.url}: cannot connect to ${this.target}: ${(e as Error).message}`, e));
        return;
      }
      client.connect(config);
    });
  }

  /** The one connection, opened again (once, whoever asks) when it was lost or failed to open. */
  private async connection(): Promise<Conn> {
    const p = this.conn;
    if (p) {
      const c = await p.catch(() => undefined);
      if (c && !c.closed) return c;
      if (this.conn !== p) return this.connection();
    }
    const next = this.connect();
    next.catch(() => undefined);
    this.conn = next;
    return next;
  }

  /**
   * Opens one more SFTP channel on `conn`. A server that refuses it (OpenSSH's MaxSessions) while
   * channels are open is not an error: no more are asked for, and `maxChannels` becomes what it
   * gave (as sshfs's pool lowers its max_channels). Without any channel open it is: the
   * connection is closed and the one-line reason given.
   */
  private openChannel(conn: Conn): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const failed = (err: Error & { reason?: unknown }) => {
        if (conn.closed) {
          // The connection went while the channel was being opened: the next try reconnects.
          reject(Object.assign(new Error(`No response from server (connection lost): ${err.message}`), { transient: true }));
        } else if (conn.chans.length) {
          conn.full = true;
          if (typeof err.reason === 'number') this.maxChannels = Math.max(1, conn.chans.length);
          resolve();
        } else {
          conn.client.end();
          reject(remoteError(`${this.url}: cannot start SFTP: ${err.message}`, err));
        }
      };
      try {
        conn.client.sftp((err, sftp) => {
          if (err) return failed(err);
          if (conn.closed) {
            lost.add(sftp);
            return failed(new Error('connection closed'));
          }
          const chan: Chan = { sftp, users: 0 };
          const gone = () => {
            lost.add(sftp);
            const i = conn.chans.indexOf(chan);
            if (i >= 0) conn.chans.splice(i, 1);
          };
          sftp.once('close', gone);
          sftp.once('end', gone);
          conn.chans.push(chan);
          resolve();
        });
      } catch (e) {
        // ssh2 throws 'Not connected' at once when the socket is already gone.
        conn.closed = true;
        failed(e as Error);
      }
    });
  }

  /**
   * An SFTP channel for one operation, held until `release`: the least used channel of the one
   * connection; one more channel is opened (one at a time, up to `maxChannels`) when every open
   * one is busy, so concurrent jobs spread over the channels without waiting for the new one.
   */
  private async lease(): Promise<Lease> {
    const conn = await this.connection();
    for (;;) {
      if (conn.closed) throw Object.assign(new Error('No response from server (connection lost)'), { transient: true });
      let least: Chan | undefined;
      for (const c of conn.chans) if (!least || c.users < least.users) least = c;
      // With no channel left open (they closed), a server that refused one before is asked again.
      const more = !least || (least.users >= CHANNEL_SHARE && !conn.full && conn.chans.length < this.maxChannels);
      if (more && !conn.opening) {
        const opening = this.openChannel(conn).finally(() => {
          if (conn.opening === opening) conn.opening = undefined;
        });
        opening.catch(() => undefined);
        conn.opening = opening;
      }
      if (least) {
        const chan = least;
        chan.users++;
        let held = true;
        return {
          sftp: chan.sftp,
          release: () => {
            if (held) chan.users--;
            held = false;
          },
        };
      }
      // No channel yet: wait for the one being opened (its failure is this operation's).
      await conn.opening;
    }
  }

  /** Runs `fn` on a leased channel, released when it settles. */
  private async withChannel<T>(fn: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    const l = await this.lease();
    try {
      return await fn(l.sftp);
    } finally {
      l.release();
    }
  }

  private fail(e: unknown, path: string, op: string): Error {
    if ((e as Error)?.name === 'RemoteError') return e as Error;
    const code = sftpCode(e);
    if (code === PERMISSION_DENIED) return remoteError(`${joinUrl(this.url, path)}: ${op}: permission denied`, e);
    const err = remoteError(`${joinUrl(this.url, path)}: ${op} failed: ${(e as Error)?.message ?? String(e)}`, e);
    // A connection that dropped under an operation: the next attempt reconnects (retry.ts).
    if (droppedConnection(e)) (err as { transient?: boolean }).transient = true;
    return err;
  }

  private stat(sftp: SFTPWrapper, p: string): Promise<Stats> {
    return call<Stats>(sftp, (cb) => sftp.stat(p, cb));
  }

  async exists(path: string): Promise<boolean> {
    return (await this.size(path)) !== undefined;
  }

  async size(path: string): Promise<number | undefined> {
    try {
      const st = await this.withChannel((sftp) => this.stat(sftp, this.full(path)));
      return st.isDirectory() ? undefined : st.size;
    } catch (e) {
      if (sftpCode(e) === NO_SUCH_FILE) return undefined;
      throw this.fail(e, path, 'stat');
    }
  }

  list(prefix: string): AsyncIterable<string> {
    return walkSteps(prefix, (s) => this.listStep(s), 16);
  }

  /** One folder read: its files, and its subfolders as the next steps. */
  async listStep(step: ListStep): Promise<ListPage> {
    const page: ListPage = { files: [], next: [] };
    for (const { rel, attrs } of await this.folder(step.prefix)) {
      if (attrs.isDirectory()) page.next.push({ prefix: rel });
      else if (attrs.isFile() && !TMP_RE.test(rel)) page.files.push(rel);
    }
    return page;
  }

  private async folder(prefix: string): Promise<Array<{ rel: string; attrs: Stats }>> {
    const rel = prefix.replace(/^\/+|\/+$/g, '');
    let entries: { filename: string; attrs: Stats }[];
    try {
      entries = await this.withChannel((sftp) =>
        call<{ filename: string; attrs: Stats }[]>(sftp, (cb) =>
          sftp.readdir(rel ? this.full(rel) : this.root, (err, list) => cb(err, list as { filename: string; attrs: Stats }[])),
        ),
      );
    } catch (e) {
      if (sftpCode(e) === NO_SUCH_FILE) return [];
      throw this.fail(e, rel, 'list');
    }
    return entries
      .filter((e) => e.filename !== '.' && e.filename !== '..')
      .map((e) => ({ rel: rel ? `${rel}/${e.filename}` : e.filename, attrs: e.attrs }));
  }

  async removeStaleTemps(prefix: string, olderThanMs: number, owned: (finalPath: string) => boolean = () => true): Promise<string[]> {
    const removed: string[] = [];
    const now = Date.now();
    const walk = async (step: ListStep): Promise<ListPage> => {
      const next: ListStep[] = [];
      for (const { rel, attrs } of await this.folder(step.prefix)) {
        if (attrs.isDirectory()) next.push({ prefix: rel });
        else if (attrs.isFile() && TMP_RE.test(rel) && owned(rel.replace(TMP_RE, '')) && now - attrs.mtime * 1000 > olderThanMs) {
          await this.delete(rel);
          removed.push(rel);
        }
      }
      return { files: [], next };
    };
    for await (const f of walkSteps(prefix, walk, 16)) void f;
    return removed;
  }

  async read(path: string): Promise<Readable> {
    const full = this.full(path);
    let lease: Lease | undefined;
    try {
      lease = await this.lease();
      const { sftp } = lease;
      const handle = await call<Buffer>(sftp, (cb) => sftp.open(full, 'r', cb));
      const rs = pipelinedRead(sftp, handle);
      // The channel is held until the stream is done (read to the end, failed or left).
      rs.once('close', lease.release);
      // A connection lost mid-read: the reader (retry.ts) resumes on a new one.
      rs.on('error', () => undefined); // late errors after the reader left (it saw the first one)
      rs.prependListener('error', (err: Error) => {
        if (droppedConnection(err)) Object.assign(err, { transient: true });
      });
      return rs;
    } catch (e) {
      lease?.release();
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
    try {
      await call(sftp, (cb) => sftp.mkdir(dir, cb));
    } catch (err) {
      // Made meanwhile by a parallel write: fine if it is a folder now.
      const st = await this.stat(sftp, dir).catch(() => undefined);
      if (!st?.isDirectory()) throw err;
    }
    this.madeDirs.add(dir);
  }

  async write(path: string, source: Readable, size?: number): Promise<void> {
    const full = this.full(path);
    const tmp = `${full}.${randomBytes(8).toString('hex')}.tmp`;
    let sftp: SFTPWrapper | undefined;
    let lease: Lease | undefined;
    try {
      lease = await this.lease();
      sftp = lease.sftp;
      await this.mkdirs(sftp, posix.dirname(full));
      // A source that is not its declared size (a file changed while sent) is never renamed into place.
      const data = size === undefined ? source : sizeChecked(source, size, joinUrl(this.url, path));
      const s0 = sftp;
      const handle = await call<Buffer>(s0, (cb) => s0.open(tmp, 'w', { mode: 0o644 }, cb));
      try {
        // The writes' own answers never come once the connection is gone: stop waiting then.
        await whileAlive(s0, pipeline(data, pipelinedWrite(s0, handle)));
      } catch (e) {
        s0.close(handle, () => undefined);
        throw e;
      }
      await call(s0, (cb) => s0.close(handle, cb));
      const s = sftp;
      await call(s, (cb) => s.ext_openssh_rename(tmp, full, cb));
    } catch (e) {
      if (sftp) {
        const s = sftp;
        await call(s, (cb) => s.unlink(tmp, cb)).catch(() => undefined);
      }
      if (!(e as { level?: string }).level && sftpCode(e) === undefined && (e as Error)?.name !== 'RemoteError' && !droppedConnection(e)) {
        // Not an SSH/SFTP error: the source stream broke. Pass it on as it is.
        throw e;
      }
      throw this.fail(e, path, 'write');
    } finally {
      lease?.release();
    }
  }

  async delete(path: string): Promise<void> {
    try {
      await this.withChannel((sftp) => call(sftp, (cb) => sftp.unlink(this.full(path), cb)));
    } catch (e) {
      if (sftpCode(e) === NO_SUCH_FILE) return;
      throw this.fail(e, path, 'delete');
    }
  }

  async close(): Promise<void> {
    const p = this.conn;
    this.conn = undefined;
    const c = await p?.catch(() => undefined);
    c?.client.end();
  }
}
