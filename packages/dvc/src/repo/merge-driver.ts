/**
 * DVC's git merge driver (`dvc git-hook merge-driver --ancestor %O --our %A --their %B`, set up
 * by `dvc install`; a `.gitattributes` line `*.dvc merge=dvc` routes `.dvc` files to it): a
 * three-way merge of two versions of a `.dvc` file that tracks one folder, as DVC's
 * Stage.merge / Output.merge / dvc_data's tree merge do (allowed: add, remove, change).
 *
 * Each side's changes to the folder's file list (relative to the ancestor's) are applied to the
 * ancestor in both orders; where the two results differ the merge fails, naming those paths. The
 * merged `.dir` manifest goes into the cache and `our` file (git's %A) gets its md5, size and
 * nfiles; everything else in that file stays as written.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DvcError } from '../errors.js';
import { DvcFile, isLegacyOut, type DvcOut } from '../formats/dvcfile.js';
import { Y } from '../formats/dvcyaml.js';
import { writeFileAtomic } from '../fs/local.js';
import { LocalObjectStore } from '../odb/local.js';
import { hashManifest, sortEntries, type TreeEntry } from '../tree/manifest.js';
import type { Repo } from './repo.js';

/** A merge DVC cannot do on its own (DVC's MergeError; the CLI exits 255, as DVC). */
export class MergeError extends DvcError {
  override readonly exitCode: number = 255;
}

interface Side {
  /** Undefined for git's empty ancestor (the file was added on both branches). */
  file?: DvcFile;
  outs: DvcOut[];
  /** Top-level keys other than `outs` / `md5` / `frozen` (a stage that is not a plain `dvc add`). */
  extra: string[];
}

function load(repo: Repo, path: string): Side {
  const text = readFileSync(path, 'utf8');
  // git passes an empty ancestor when both branches added the file
  if (text.trim() === '') return { outs: [], extra: [] };
  // the temporary files git names sit in the repository root, as the `.dvc` file's folder
  const file = DvcFile.parse(repo.root, join(repo.root, 'merge.dvc'), text, path);
  const data = Y().parse(text) as Record<string, unknown> | null;
  const extra = Object.keys(data ?? {}).filter((k) => k === 'deps' || k === 'cmd');
  return { file, outs: file.outs, extra };
}

/** Stage._check_can_merge */
function checkStage(s: Side, ancestorOut?: DvcOut): void {
  if (s.extra.length || s.outs.length > 1) throw new MergeError("unable to auto-merge DVC files that weren't created by `dvc add`");
  if (ancestorOut && !s.outs.length) throw new MergeError('unable to auto-merge DVC files with deleted outputs');
}

/** Output._check_can_merge: same path and options, hashed the same way, a folder. */
function checkOut(self: DvcOut, o: DvcOut): void {
  const opts = (x: DvcOut) => JSON.stringify([x.path, x.cache, x.push, x.remote ?? null]);
  if (opts(self) !== opts(o) || isLegacyOut(self) !== isLegacyOut(o)) throw new MergeError('unable to auto-merge outputs with different options');
  if (!o.isDir) throw new MergeError('unable to auto-merge outputs that are not directories');
}

type Listing = Map<string, string>;

function listing(store: LocalObjectStore, oid: string): Listing {
  const entries = store.readManifest(oid);
  if (!entries) throw new MergeError(`unable to auto-merge: the folder listing '${oid}' is not in the cache`);
  return new Map(entries.map((e) => [e.relpath, e.md5]));
}

type Change = { op: 'add' | 'change'; path: string; value: string } | { op: 'remove'; path: string };

/** dictdiffer.diff(ancestor, side), each change checked against `allowed`. */
function diff(a: Listing, b: Listing): Change[] {
  const out: Change[] = [];
  for (const [k, v] of a) {
    if (!b.has(k)) out.push({ op: 'remove', path: k });
    else if (b.get(k) !== v) out.push({ op: 'change', path: k, value: b.get(k)! });
  }
  for (const [k, v] of b) if (!a.has(k)) out.push({ op: 'add', path: k, value: v });
  return out;
}

/** dictdiffer.patch: applies changes in order; removing what is not there is DVC's "both deleted". */
function patch(changes: Change[], base: Listing): Listing {
  const r = new Map(base);
  for (const c of changes) {
    if (c.op === 'remove') {
      if (!r.has(c.path)) throw new MergeError(`unable to auto-merge the following paths:\nboth deleted: ('${c.path.split('/').join("', '")}',)`);
      r.delete(c.path);
    } else r.set(c.path, c.value);
  }
  return r;
}

/** dvc_data.hashfile.tree._merge */
export function mergeListings(ancestor: Listing, our: Listing, their: Listing): Listing {
  const ourDiff = diff(ancestor, our);
  if (!ourDiff.length) return new Map(their);
  const theirDiff = diff(ancestor, their);
  if (!theirDiff.length) return new Map(our);
  const a = patch([...ourDiff, ...theirDiff], ancestor);
  const b = patch([...theirDiff, ...ourDiff], ancestor);
  const bad = [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k));
  if (bad.length) throw new MergeError('unable to auto-merge the following paths:\n' + bad.join('\n'));
  return a;
}

export interface MergeResult {
  /** The merged folder's hash (undefined when `our` was simply replaced or left as it was). */
  oid?: string;
}

/**
 * Merges `their` into `our` (rewritten in place) over `ancestor`, the three paths git gives its
 * merge driver. Throws MergeError when DVC would not merge them.
 */
export function mergeDvcFiles(repo: Repo, paths: { ancestor: string; our: string; their: string }): MergeResult {
  const ancestor = load(repo, paths.ancestor);
  const our = load(repo, paths.our);
  const their = load(repo, paths.their);
  if (!their.outs.length) return {};
  if (!our.file || !our.outs.length) {
    // DVC takes their outputs as they are
    writeFileAtomic(paths.our, readFileSync(paths.their));
    return {};
  }
  checkStage(ancestor);
  const ancestorOut = ancestor.outs[0];
  checkStage(our, ancestorOut);
  checkStage(their, ancestorOut);
  const self = our.outs[0]!;
  const other = their.outs[0]!;
  if (ancestorOut) checkOut(self, ancestorOut);
  checkOut(self, self);
  checkOut(self, other);
  const legacy = isLegacyOut(self);
  const store = new LocalObjectStore(repo.cacheDir, legacy ? { hashName: 'md5-dos2unix' } : {});
  const base: Listing = ancestorOut?.md5 ? listing(store, ancestorOut.md5) : new Map();
  const merged = mergeListings(base, listing(store, self.md5!), listing(store, other.md5!));
  const entries: TreeEntry[] = sortEntries([...merged].map(([relpath, md5]) => ({ relpath, md5 })));
  const { oid, text } = hashManifest(entries);
  store.addBytes(oid, text);
  // dvc_data's du: the objects' sizes in the cache (unknown when one is missing)
  let size: number | undefined = 0;
  for (const e of entries) {
    try {
      size += statSync(store.path(e.md5)).size;
    } catch {
      size = undefined;
      break;
    }
  }
  our.file.setOutHash(0, { md5: oid, size: size ?? 0, nfiles: entries.length }, { legacy });
  let out = our.file.toString();
  if (size === undefined) out = out.replace(/^( *)size: 0\n/m, '');
  writeFileAtomic(paths.our, out);
  return { oid };
}
