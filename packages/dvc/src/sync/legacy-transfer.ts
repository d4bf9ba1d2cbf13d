/**
 * Moving DVC 2 ("legacy", md5-dos2unix) objects between the cache and a remote. DVC 3 keeps
 * them in DVC 2's layout on both sides: `.dvc/cache/<2>/<30>` and `<remote>/<2>/<30>`.
 *
 *  - `legacyRemoteFs` shows a remote's DVC 2 area under the paths the transfer layer uses for
 *    DVC 3 objects (`files/md5/<2>/<30>` -> `<2>/<30>`), so `remoteHas`, `listRemote` and
 *    `upload` work on it unchanged;
 *  - `downloadLegacy` fetches objects into the legacy cache, checking each against its
 *    md5-dos2unix name before it gets that name (a temp file beside it until then).
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { chmod, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { tmpPath } from '../fs/local.js';
import type { FileSystem } from '../fs/types.js';
import { Dos2UnixMd5 } from '../hash/md5.js';
import { FILES_PREFIX, legacyPathToOid, oidToPath } from '../odb/layout.js';
import type { LocalObjectStore } from '../odb/local.js';
import { parallel, type TransferOptions, type TransferResult } from './transfer.js';
import type { UsedObject } from './used.js';

const MODERN = FILES_PREFIX + '/';

/** The 256 prefix folders of a layout (`00` .. `ff`). */
const PREFIXES = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * A view of `fs` where `files/md5/<2>/<30>` names the DVC 2 object `<2>/<30>` at the remote's
 * root. Listing `files/md5` lists the 256 prefix folders (never the DVC 3 objects under
 * `files/`, nor anything else at the root). Other paths pass through.
 */
export function legacyRemoteFs(fs: FileSystem): FileSystem {
  const map = (p: string): string => (p.startsWith(MODERN) ? p.slice(MODERN.length) : p);
  return {
    // Not 'local': the transfer layer then goes through these methods, never around them.
    protocol: `${fs.protocol}-legacy`,
    url: fs.url,
    exists: (p) => fs.exists(map(p)),
    size: (p) => fs.size(map(p)),
    read: (p) => fs.read(map(p)),
    write: (p, data, size) => fs.write(map(p), data, size),
    delete: (p) => fs.delete(map(p)),
    close: () => fs.close(),
    async *list(prefix: string): AsyncIterable<string> {
      const p = prefix.replace(/\/+$/, '');
      let folders: string[];
      if (p === FILES_PREFIX) folders = PREFIXES;
      else if (/^files\/md5\/[0-9a-f]{2}$/.test(p)) folders = [p.slice(MODERN.length)];
      else {
        yield* fs.list(prefix);
        return;
      }
      for (const f of folders) {
        for await (const q of fs.list(f)) if (legacyPathToOid(q)) yield MODERN + q;
      }
    },
  };
}

/** Downloads one DVC 2 object from (a legacy view of) a remote into the legacy cache, verified. */
async function downloadOne(store: LocalObjectStore, fs: FileSystem, oid: string): Promise<number> {
  const dest = store.path(oid);
  mkdirSync(dirname(dest), { recursive: true, mode: 0o755 });
  const tmp = tmpPath(dest);
  const h = new Dos2UnixMd5();
  let src: Readable | undefined;
  try {
    src = await fs.read(oidToPath(oid));
    await pipeline(
      src,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const c of chunks) {
          h.update(c);
          yield c;
        }
      },
      createWriteStream(tmp, { flags: 'wx', mode: 0o444 }),
    );
    const md5 = h.digest();
    if (md5 !== oid.slice(0, 32)) {
      throw Object.assign(new Error(`object '${oid}' on the remote is corrupted (its content hashes to ${md5})`), { code: 'ECORRUPT' });
    }
    await chmod(tmp, 0o444);
    await rename(tmp, dest);
    return h.size;
  } catch (e) {
    src?.destroy();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** Downloads DVC 2 objects into the legacy cache (pass only what is missing there). */
export async function downloadLegacy(
  store: LocalObjectStore,
  fs: FileSystem,
  objects: UsedObject[],
  opts: TransferOptions = {},
): Promise<TransferResult> {
  const result: TransferResult = { transferred: [], failed: [], missing: [], bytes: 0 };
  opts.onTotal?.({ files: objects.length });
  await parallel(objects, opts.jobs ?? 16, async (o) => {
    try {
      const size = await downloadOne(store, fs, o.oid);
      result.transferred.push(o);
      result.bytes += size;
      opts.onProgress?.(1, size);
    } catch (error) {
      if ((error as { code?: string })?.code === 'ENOENT') result.missing.push(o);
      result.failed.push({ object: o, error });
    }
  });
  return result;
}
