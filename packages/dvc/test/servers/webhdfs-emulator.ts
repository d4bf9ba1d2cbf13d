/**
 * A small emulator of the documented WebHDFS REST API (Hadoop 3 "WebHDFS REST API" page), backed by
 * a local folder: no HDFS server installs on this machine, so the WebHDFS client is tested against
 * this. It is an emulator, not HDFS: the tests that use it say so in their names.
 *
 * Namenode port: GETFILESTATUS, LISTSTATUS, MKDIRS, RENAME, DELETE, and CREATE / OPEN answered with
 * `307 Temporary Redirect` to the datanode port, which takes (PUT, 201 Created) or serves (GET) the
 * bytes. Like HDFS, a file being written is visible under its name, RENAME refuses an existing
 * destination or a missing destination folder (answers {"boolean": false}), and errors are
 * `{"RemoteException": {exception, javaClassName, message}}` with 404/403/400 statuses.
 * When `user` is set, requests without that `user.name` get 401 (like simple auth with a
 * required user) -- a way to test credentials.
 *
 * Run alone: `node --import tsx test/servers/webhdfs-emulator.ts [--root DIR] [--port N] [--user NAME]`
 * (prints one JSON line with the ports, stops on SIGTERM).
 */
import http from 'node:http';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';

export interface WebhdfsEmulator {
  /** webhdfs://127.0.0.1:<namenode port> */
  url: string;
  namenodePort: number;
  datanodePort: number;
  root: string;
  /** Requests seen, as "METHOD op path", for tests that check the protocol was followed. */
  log: string[];
  /** Make the next `n` requests on the namenode fail with 503 (transient error injection). */
  failNext(n: number): void;
  close(): Promise<void>;
}

function remoteException(res: http.ServerResponse, status: number, exception: string, message: string): void {
  const body = JSON.stringify({
    RemoteException: { exception, javaClassName: `org.apache.hadoop.${exception}`, message },
  });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function json(res: http.ServerResponse, status: number, obj: unknown): void {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export async function startWebhdfsEmulator(opts: { root: string; port?: number; user?: string }): Promise<WebhdfsEmulator> {
  const root = resolve(opts.root);
  await fsp.mkdir(root, { recursive: true });
  const log: string[] = [];
  let failures = 0;

  /** Maps an HDFS absolute path to the local folder; refuses anything that would leave it. */
  function local(hdfsPath: string): string | undefined {
    const parts = hdfsPath.split('/').filter((s) => s !== '' && s !== '.');
    if (parts.some((s) => s === '..')) return undefined;
    return join(root, ...parts);
  }

  function parse(req: http.IncomingMessage): { path: string; q: URLSearchParams } | undefined {
    const u = new URL(req.url ?? '/', 'http://x');
    if (!u.pathname.startsWith('/webhdfs/v1')) return undefined;
    return { path: decodeURIComponent(u.pathname.slice('/webhdfs/v1'.length)) || '/', q: u.searchParams };
  }

  function status(name: string, st: import('node:fs').Stats) {
    return {
      accessTime: Math.floor(st.atimeMs),
      blockSize: 134217728,
      childrenNum: 0,
      fileId: st.ino,
      group: 'supergroup',
      length: st.isFile() ? st.size : 0,
      modificationTime: Math.floor(st.mtimeMs),
      owner: 'hdfs',
      pathSuffix: name,
      permission: st.isFile() ? '644' : '755',
      replication: st.isFile() ? 1 : 0,
      storagePolicy: 0,
      type: st.isFile() ? 'FILE' : 'DIRECTORY',
    };
  }

  const datanode = http.createServer((req, res) => {
    void (async () => {
      const p = parse(req);
      const file = p && local(p.path);
      if (!p || !file) return remoteException(res, 400, 'IllegalArgumentException', 'bad path');
      const op = p.q.get('op');
      log.push(`DN ${req.method} ${op} ${p.path}`);
      if (req.method === 'PUT' && op === 'CREATE') {
        await fsp.mkdir(dirname(file), { recursive: true });
        // Like HDFS: the file is visible under its name while it is written.
        await pipeline(req, createWriteStream(file, { flags: p.q.get('overwrite') === 'true' ? 'w' : 'wx' }));
        res.writeHead(201, { location: `hdfs://127.0.0.1${p.path}`, 'content-length': 0 });
        return res.end();
      }
      if (req.method === 'GET' && op === 'OPEN') {
        const st = await fsp.stat(file).catch(() => undefined);
        if (!st?.isFile()) return remoteException(res, 404, 'FileNotFoundException', `File does not exist: ${p.path}`);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': st.size });
        return pipeline(createReadStream(file), res);
      }
      return remoteException(res, 400, 'IllegalArgumentException', `Invalid operation ${op} on datanode`);
    })().catch((err: Error) => {
      if (!res.headersSent) remoteException(res, 500, 'IOException', err.message);
      else res.destroy();
    });
  });

  const namenode = http.createServer((req, res) => {
    void (async () => {
      const p = parse(req);
      if (!p) return remoteException(res, 404, 'FileNotFoundException', 'not a WebHDFS path');
      const op = (p.q.get('op') ?? '').toUpperCase();
      log.push(`NN ${req.method} ${op} ${p.path}`);
      if (failures > 0) {
        failures--;
        req.resume();
        return remoteException(res, 503, 'RetriableException', 'namenode is busy (injected)');
      }
      if (opts.user && p.q.get('user.name') !== opts.user) {
        req.resume();
        return remoteException(res, 401, 'SecurityException', 'Failed to obtain user group information');
      }
      const file = local(p.path);
      if (!file) return remoteException(res, 400, 'IllegalArgumentException', `Invalid path name ${p.path}`);
      const st = await fsp.stat(file).catch(() => undefined);
      const dnBase = `http://127.0.0.1:${(datanode.address() as AddressInfo).port}`;
      switch (`${req.method} ${op}`) {
        case 'GET GETFILESTATUS':
          if (!st) return remoteException(res, 404, 'FileNotFoundException', `File does not exist: ${p.path}`);
          return json(res, 200, { FileStatus: status('', st) });
        case 'GET LISTSTATUS': {
          if (!st) return remoteException(res, 404, 'FileNotFoundException', `File ${p.path} does not exist.`);
          if (st.isFile()) return json(res, 200, { FileStatuses: { FileStatus: [status('', st)] } });
          const names = (await fsp.readdir(file)).sort();
          const out = [];
          for (const n of names) out.push(status(n, await fsp.stat(join(file, n))));
          return json(res, 200, { FileStatuses: { FileStatus: out } });
        }
        case 'PUT MKDIRS':
          if (st?.isFile()) return remoteException(res, 400, 'FileAlreadyExistsException', `Parent path is not a directory: ${p.path}`);
          await fsp.mkdir(file, { recursive: true });
          return json(res, 200, { boolean: true });
        case 'PUT CREATE':
        case 'GET OPEN': {
          req.resume();
          if (op === 'OPEN' && !st?.isFile()) return remoteException(res, 404, 'FileNotFoundException', `File does not exist: ${p.path}`);
          if (op === 'CREATE' && st?.isDirectory()) return remoteException(res, 400, 'FileAlreadyExistsException', `${p.path} is a directory`);
          if (op === 'CREATE' && st && p.q.get('overwrite') !== 'true') {
            return remoteException(res, 403, 'FileAlreadyExistsException', `${p.path} already exists`);
          }
          const q = new URLSearchParams(p.q);
          q.set('namenoderpcaddress', '127.0.0.1:8020');
          const loc = `${dnBase}/webhdfs/v1${p.path.split('/').map(encodeURIComponent).join('/')}?${q.toString()}`;
          res.writeHead(307, { location: loc, 'content-length': 0 });
          return res.end();
        }
        case 'PUT RENAME': {
          const dest = p.q.get('destination');
          const to = dest ? local(dest) : undefined;
          if (!to || !dest?.startsWith('/')) return remoteException(res, 400, 'IllegalArgumentException', 'Invalid destination');
          const toSt = await fsp.stat(to).catch(() => undefined);
          const parentSt = await fsp.stat(dirname(to)).catch(() => undefined);
          if (!st || toSt || !parentSt?.isDirectory()) return json(res, 200, { boolean: false });
          await fsp.rename(file, to);
          return json(res, 200, { boolean: true });
        }
        case 'DELETE DELETE': {
          if (!st) return json(res, 200, { boolean: false });
          if (st.isDirectory()) {
            const empty = (await fsp.readdir(file)).length === 0;
            if (!empty && p.q.get('recursive') !== 'true') {
              return remoteException(res, 403, 'PathIsNotEmptyDirectoryException', `${p.path} is non empty`);
            }
            await fsp.rm(file, { recursive: true });
          } else await fsp.unlink(file);
          return json(res, 200, { boolean: true });
        }
        default:
          req.resume();
          return remoteException(res, 400, 'IllegalArgumentException', `Invalid value for webhdfs parameter "op": ${op}`);
      }
    })().catch((err: Error) => {
      if (!res.headersSent) remoteException(res, 500, 'IOException', err.message);
      else res.destroy();
    });
  });

  const listen = (s: http.Server, port: number) =>
    new Promise<number>((ok, ko) => {
      s.once('error', ko);
      s.listen(port, '127.0.0.1', () => ok((s.address() as AddressInfo).port));
    });
  const namenodePort = await listen(namenode, opts.port ?? 0);
  const datanodePort = await listen(datanode, 0);
  const close = (s: http.Server) =>
    new Promise<void>((ok) => {
      s.closeAllConnections();
      s.close(() => ok());
    });
  return {
    url: `webhdfs://127.0.0.1:${namenodePort}`,
    namenodePort,
    datanodePort,
    root,
    log,
    failNext(n: number) {
      failures = n;
    },
    async close() {
      await Promise.all([close(namenode), close(datanode)]);
    },
  };
}

if (process.argv[1] && import.meta.url === new URL(`file://${resolve(process.argv[1])}`).href) {
  const args = process.argv.slice(2);
  const get = (k: string) => {
    const i = args.indexOf(k);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const o: { root: string; port: number; user?: string } = { root: get('--root') ?? '/tmp/copper-test-servers/webhdfs', port: Number(get('--port') ?? 0) };
  const user = get('--user');
  if (user) o.user = user;
  const emu = await startWebhdfsEmulator(o);
  process.stdout.write(JSON.stringify({ url: emu.url, namenodePort: emu.namenodePort, datanodePort: emu.datanodePort, root: emu.root, pid: process.pid }) + '\n');
  const stop = () => void emu.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
