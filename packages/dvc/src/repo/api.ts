/**
 * Read tracked data of any repository at any git revision without a checkout (what Python DVC's
 * `dvc.api.open` / `dvc.api.read` give):
 *
 *   import { openFile, readFile } from '@copper/dvc';
 *   const text = await readFile('data/labels.csv', { repo: 'https://github.com/org/registry', rev: 'v2', encoding: 'utf8' });
 *   const stream = await openFile('models/model.pt', { repo: '../registry' });  // a Readable
 *   for await (const chunk of stream) ...
 *
 * `repo` is a local path (default: the current folder), a `file://` URL, or any URL git can clone;
 * `rev` any git revision (default: a local repository's working tree, else HEAD). The bytes come
 * from the repository's cache when it is local and has them, else they stream straight from its
 * remote (`remote` / `remoteConfig` to choose another), or from git for git-tracked files.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { DvcError } from '../errors.js';
import { oidToPath } from '../odb/layout.js';
import { SourcePathError, SourceRepo, type SourceOptions } from './source.js';

export interface OpenFileOptions extends SourceOptions {
  /** The repository: a local path (default: the current folder) or a git URL. */
  repo?: string;
}

/** The path is a folder: open and read take files. */
export class IsADirectoryError extends DvcError {}

/** A stream of the file's bytes; the temporary clone (if any) is removed when it ends or fails. */
export async function openFile(path: string, opts: OpenFileOptions = {}): Promise<Readable> {
  const src = await SourceRepo.open(opts.repo ?? process.cwd(), opts);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    void src.close();
  };
  try {
    const node = await src.resolve(path);
    if (node.kind === 'missing') throw new SourcePathError(path, src.absPath(node.rel));
    if (node.kind === 'dir') throw new IsADirectoryError(`'${path}' is a folder in '${src.url}'`);
    const f = node.file;
    let stream: Readable;
    if (!f.oid) stream = Readable.from([src.readGitFile(f.rel)]);
    else {
      const cached = src.cachedPath(f.oid);
      if (cached) stream = createReadStream(cached);
      else {
        const rc = src.remote();
        const { openRemoteFs } = await import('./data-sync.js');
        const fs = await openRemoteFs(rc);
        try {
          stream = await fs.read(oidToPath(f.oid));
        } catch (e) {
          await fs.close();
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new DvcError(`'${path}' is not in the remote '${rc.name}' of '${src.url}'`);
          throw e;
        }
        const closeFs = () => void fs.close();
        stream.once('close', closeFs);
      }
    }
    stream.once('close', close);
    stream.once('error', close);
    return stream;
  } catch (e) {
    close();
    throw e;
  }
}

/** The whole file: a Buffer, or a string with `encoding`. */
export async function readFile(path: string, opts: OpenFileOptions & { encoding: BufferEncoding }): Promise<string>;
export async function readFile(path: string, opts?: OpenFileOptions): Promise<Buffer>;
export async function readFile(path: string, opts: OpenFileOptions & { encoding?: BufferEncoding } = {}): Promise<Buffer | string> {
  const chunks: Buffer[] = [];
  for await (const c of await openFile(path, opts)) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  const buf = Buffer.concat(chunks);
  return opts.encoding ? buf.toString(opts.encoding) : buf;
}
