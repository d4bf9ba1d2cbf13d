/**
 * `dvc exp run -S/--set-param`: DVC's override syntax on params files, `[file:]key=value` (set an
 * existing key), `+key=value` (add a new key), `++key=value` (add or set), `~key` / `~key=value`
 * (delete). Values are YAML (`0.1`, `true`, `null`, `[1, 2]`, `'quoted'`). A YAML file is edited
 * in place through the yaml Document API, so its comments, key order and layout are kept; JSON
 * files are rewritten with 4-space indents.
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { DEFAULT_PARAMS_FILE, Y as yamlLib } from '../../formats/dvcyaml.js';
import { writeFileAtomic } from '../../fs/local.js';
import { ExperimentError } from './refs.js';

export interface Override {
  op: 'set' | 'add' | 'force-add' | 'delete';
  key: string;
  /** The value as written (YAML); undefined for a delete without a value. */
  value?: string;
  /** As the user wrote it, for messages. */
  text: string;
}

/** DVC's to_path_overrides: `file:override` (a ':' before the '=') or params.yaml. */
export function groupOverrides(args: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const a of args) {
    const head = a.split('=')[0]!;
    let path = DEFAULT_PARAMS_FILE;
    let ov = a;
    if (head.includes(':')) {
      const i = a.indexOf(':');
      path = a.slice(0, i);
      ov = a.slice(i + 1);
    }
    const list = out.get(path) ?? [];
    list.push(ov);
    out.set(path, list);
  }
  return out;
}

export class InvalidOverrideError extends ExperimentError {}

export function parseOverride(text: string): Override {
  let s = text;
  let op: Override['op'] = 'set';
  if (s.startsWith('++')) {
    op = 'force-add';
    s = s.slice(2);
  } else if (s.startsWith('+')) {
    op = 'add';
    s = s.slice(1);
  } else if (s.startsWith('~')) {
    op = 'delete';
    s = s.slice(1);
  }
  const eq = s.indexOf('=');
  const key = (eq < 0 ? s : s.slice(0, eq)).trim();
  if (!key || !/^[A-Za-z0-9_\-./@$[\]]+$/.test(key) || (eq < 0 && op !== 'delete')) {
    throw new InvalidOverrideError('Invalid `--set-param` value');
  }
  return { op, key, ...(eq >= 0 ? { value: s.slice(eq + 1) } : {}), text };
}

type YamlMod = typeof import('yaml');

function keyPath(key: string): Array<string | number> {
  return key.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/**
 * Applies overrides to one params file (created when missing, as DVC). Throws
 * InvalidOverrideError (DVC: "Invalid `--set-param` value") for a set of a missing key, an add of
 * an existing one, or a value that is not YAML.
 */
export async function applyOverrides(root: string, file: string, overrides: string[]): Promise<void> {
  const Y: YamlMod = yamlLib();
  const abs = join(root, file);
  const text = existsSync(abs) ? readFileSync(abs, 'utf8') : '';
  const isJson = extname(file).toLowerCase() === '.json';
  const doc = isJson ? new Y.Document(text.trim() ? JSON.parse(text) : {}) : Y.parseDocument(text || '{}\n');
  if (doc.errors.length) throw new InvalidOverrideError(`unable to read parameters from '${file}': ${doc.errors[0]!.message}`);
  if (!Y.isMap(doc.contents)) doc.contents = doc.createNode({}) as never;
  for (const raw of overrides) {
    const o = parseOverride(raw);
    const path = keyPath(o.key);
    const has = doc.hasIn(path);
    let node: unknown;
    if (o.value !== undefined) {
      if (o.value.trim() === '') node = doc.createNode('');
      else {
        const vd = Y.parseDocument(o.value);
        if (vd.errors.length) throw new InvalidOverrideError('Invalid `--set-param` value');
        node = vd.contents ?? doc.createNode(null);
        if (Y.isNode(node)) {
          // a value written inline keeps its flow style, without comments from the command line
          (node as { comment?: string | null }).comment = null;
          if (Y.isCollection(node)) node.flow = true;
        }
      }
    }
    if (o.op === 'delete') {
      if (!has) throw new InvalidOverrideError(`Invalid \`--set-param\` value: could not delete from config, '${o.key}' does not exist`);
      if (o.value !== undefined) {
        const cur = doc.getIn(path);
        const want = Y.isNode(node) ? (node as { toJSON(): unknown }).toJSON() : node;
        const curJs = Y.isNode(cur) ? (cur as { toJSON(): unknown }).toJSON() : cur;
        if (JSON.stringify(curJs) !== JSON.stringify(want)) throw new InvalidOverrideError(`Invalid \`--set-param\` value: could not delete from config, the value of '${o.key}' is not ${o.value}`);
      }
      doc.deleteIn(path);
      continue;
    }
    if (o.op === 'set' && !has) throw new InvalidOverrideError(`Invalid \`--set-param\` value: could not override '${o.key}', to append to your config use +${o.key}=${o.value}`);
    if (o.op === 'add' && has) throw new InvalidOverrideError(`Invalid \`--set-param\` value: could not append to config, an item is already at '${o.key}'`);
    setKeepingComments(Y, doc, path, node);
  }
  const out = isJson ? JSON.stringify(doc.toJSON(), null, 4) + '\n' : doc.toString();
  writeFileAtomic(abs, out);
}

/** Sets a value; a replaced scalar keeps the comment written after it. */
function setKeepingComments(Y: YamlMod, doc: import('yaml').Document, path: Array<string | number>, node: unknown): void {
  const old = doc.getIn(path, true);
  if (Y.isScalar(old) && Y.isScalar(node)) {
    node.comment = old.comment;
    node.commentBefore = old.commentBefore;
  }
  doc.setIn(path, node);
}
