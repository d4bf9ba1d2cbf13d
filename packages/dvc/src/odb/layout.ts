/**
 * Where DVC 3 keeps an object, relative to a cache or remote root:
 * `files/md5/<first 2 hex>/<other 30 hex>` (manifests keep their `.dir` suffix).
 * Shared by the local cache and every remote. Objects of DVC 2 outputs (`md5-dos2unix`, `.dvc`
 * files without `hash: md5`) stay in DVC 2's layout, `<2 hex>/<30 hex>` right under the root.
 */
import { UnsafePathError } from '../errors.js';
import { OID_RE } from '../hash/md5.js';

export const FILES_PREFIX = 'files/md5';

/** `files/md5/ab/cdef...` for an oid; throws on anything that is not an md5 (optionally .dir). */
export function oidToPath(oid: string): string {
  if (!OID_RE.test(oid)) throw new UnsafePathError(`invalid object id '${oid}'`);
  return `${FILES_PREFIX}/${oid.slice(0, 2)}/${oid.slice(2)}`;
}

/** The oid stored at a root-relative path, or undefined for anything else (temp files, junk). */
export function pathToOid(path: string): string | undefined {
  const m = /(?:^|\/)files\/md5\/([0-9a-f]{2})\/([0-9a-f]{30}(?:\.dir)?)$/.exec(path);
  return m ? m[1]! + m[2]! : undefined;
}

export function isDirOid(oid: string): boolean {
  return oid.endsWith('.dir');
}

/** `ab/cdef...` for an oid in DVC 2's layout (the legacy `md5-dos2unix` objects). */
export function legacyOidToPath(oid: string): string {
  if (!OID_RE.test(oid)) throw new UnsafePathError(`invalid object id '${oid}'`);
  return `${oid.slice(0, 2)}/${oid.slice(2)}`;
}

/** The oid stored at a root-relative path of DVC 2's layout (exactly `<2 hex>/<30 hex>[.dir]`). */
export function legacyPathToOid(path: string): string | undefined {
  const m = /^([0-9a-f]{2})\/([0-9a-f]{30}(?:\.dir)?)$/.exec(path);
  return m ? m[1]! + m[2]! : undefined;
}

/**
 * Where one kind of object lives below a root: DVC 3's (`files/md5/<2>/<30>`, md5) or DVC 2's
 * (`<2>/<30>` at the root, md5-dos2unix). An ObjectDb (db.ts) is a FileSystem plus one of these.
 */
export interface ObjectLayout {
  readonly name: 'v3' | 'v2';
  /** The hash that names the objects. */
  readonly hashName: 'md5' | 'md5-dos2unix';
  /** The folder, relative to the root ('' for the root itself), that holds the 256 prefix folders. */
  readonly base: string;
  /** Root-relative path of an object (throws on anything that is not an oid). */
  path(oid: string): string;
  /** The oid at a root-relative path, or undefined for anything else (temp files, junk). */
  oid(path: string): string | undefined;
}

export const LAYOUT_V3: ObjectLayout = { name: 'v3', hashName: 'md5', base: FILES_PREFIX, path: oidToPath, oid: pathToOid };
export const LAYOUT_V2: ObjectLayout = { name: 'v2', hashName: 'md5-dos2unix', base: '', path: legacyOidToPath, oid: legacyPathToOid };

/** The layout objects named by `hashName` live in. */
export function layoutFor(hashName: 'md5' | 'md5-dos2unix'): ObjectLayout {
  return hashName === 'md5-dos2unix' ? LAYOUT_V2 : LAYOUT_V3;
}
