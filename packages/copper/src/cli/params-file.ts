/**
 * `--params-file FILE[:key1,key2]` of copper_train and copper_eval: the leaves of a YAML file
 * (DVC's params.yaml) become Hydra overrides placed before the command line's, so a DVC pipeline
 * drives the run from params.yaml (`dvc exp run -S model.optimizer.lr=0.01` changes the file, the
 * stage runs `copper_train --params-file params.yaml:model,trainer`). The file's keys are the
 * config's own (`model.optimizer.lr`); `:keys` picks top-level keys as DVC's `vars` does. Every
 * key must exist in the config, as a plain override on the command line.
 */
import { readFileSync } from 'node:fs';
import { DictNode, FloatValue, ListNode, ValueNode, loadYaml, type Node } from '@copper/hydra';
import { CopperError } from '../utils/errors.js';

export const PARAMS_FILE_FLAG = '--params-file';

/** Removes `--params-file X` / `--params-file=X` from argv; returns the rest and the spec. */
export function takeParamsFile(argv: string[]): { argv: string[]; spec: string | null } {
  const rest: string[] = [];
  let spec: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === PARAMS_FILE_FLAG) {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('-')) throw new CopperError(`${PARAMS_FILE_FLAG} needs a file: ${PARAMS_FILE_FLAG} params.yaml[:key1,key2]`);
      if (spec !== null) throw new CopperError(`${PARAMS_FILE_FLAG} is given twice`);
      spec = v;
      i++;
    } else if (a.startsWith(`${PARAMS_FILE_FLAG}=`)) {
      if (spec !== null) throw new CopperError(`${PARAMS_FILE_FLAG} is given twice`);
      spec = a.slice(PARAMS_FILE_FLAG.length + 1);
    } else rest.push(a);
  }
  return { argv: rest, spec };
}

/** A Hydra override value for a loaded node (strings quoted, lists and dicts as literals). */
function literal(n: Node): string {
  if (n instanceof ListNode) return `[${n.items.map(literal).join(',')}]`;
  if (n instanceof DictNode) return `{${n.keys().map((k) => `${k}:${literal(n.get(k)!)}`).join(',')}}`;
  const v = (n as ValueNode).value as unknown;
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return (n as ValueNode).isFloat || !Number.isInteger(v) ? new FloatValue(v).toString() : String(v);
  return `'${String(v).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** `key=value` overrides for every leaf (a list is one leaf; an empty mapping is `key={}`). */
function leaves(n: Node, prefix: string, out: string[]): void {
  if (n instanceof DictNode && (n.keys().length || !prefix)) {
    for (const k of n.keys()) {
      if (!/^[A-Za-z_][\w-]*$/.test(k)) throw new CopperError(`key '${prefix ? `${prefix}.` : ''}${k}' cannot be a config override (letters, digits, '_' and '-' only)`);
      leaves(n.get(k)!, prefix ? `${prefix}.${k}` : k, out);
    }
  } else out.push(`${prefix}=${literal(n)}`);
}

/** The overrides `--params-file FILE[:keys]` stands for, and the keys it sets. */
export function paramsFileOverrides(spec: string): { file: string; overrides: string[]; keys: Set<string> } {
  const colon = spec.lastIndexOf(':');
  const [file, picked] = colon > 0 && !spec.slice(colon + 1).includes('/') ? [spec.slice(0, colon), spec.slice(colon + 1).split(',').map((k) => k.trim()).filter(Boolean)] : [spec, null];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CopperError(`${PARAMS_FILE_FLAG}: cannot read ${file}${code === 'ENOENT' ? ': no such file' : code ? ` (${code})` : ''}`);
  }
  let root: Node;
  try {
    root = loadYaml(text, { filename: file });
  } catch (e) {
    throw new CopperError(`${PARAMS_FILE_FLAG}: ${(e as Error).message}`);
  }
  if (!(root instanceof DictNode)) throw new CopperError(`${PARAMS_FILE_FLAG}: ${file} must hold a mapping of config keys`);
  let top = root;
  if (picked) {
    top = new DictNode();
    for (const k of picked) {
      const n = root.get(k);
      if (!n) throw new CopperError(`${PARAMS_FILE_FLAG}: ${file} has no key '${k}' (it has: ${root.keys().join(', ')})`);
      top.set(k, n.clone());
    }
  }
  const overrides: string[] = [];
  leaves(top, '', overrides);
  return { file, overrides, keys: new Set(overrides.map((o) => o.slice(0, o.indexOf('=')))) };
}
