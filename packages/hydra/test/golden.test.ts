// Compares the TypeScript implementation with outputs recorded from real Hydra 1.3.2 and
// OmegaConf 2.2.2 (fixtures/golden/golden.json, made by fixtures/golden/generate.py).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  parseOverride,
  composeNodes,
  toYaml,
  dumpYaml,
  loadYaml,
  toContainer,
  create,
  wrap,
  merge,
  update,
  setStruct,
  registerResolver,
  clearResolver,
  FloatValue,
  DictNode,
  ListNode,
  ValueNode,
  isDictConfig,
  isListConfig,
  Node,
  type ParsedElement,
} from '../src/index.js';

const golden = JSON.parse(readFileSync(new URL('./fixtures/golden/golden.json', import.meta.url), 'utf8'));
const appDir = fileURLToPath(new URL('./fixtures/app', import.meta.url));
const lhtDir = fileURLToPath(new URL('./fixtures/lht/configs', import.meta.url));

const pyRepr = (x: number) => new FloatValue(x).toString();
/** Our parsed values in golden.json's form: floats as {float: repr}. */
function jsonable(v: unknown): unknown {
  if (v instanceof FloatValue) return { float: pyRepr(v.value) };
  if (typeof v === 'number' && !Number.isInteger(v)) return { float: pyRepr(v) };
  if (Array.isArray(v)) return v.map(jsonable);
  if (v && typeof v === 'object' && 'text' in v && 'quote' in v) return (v as { text: string }).text;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonable(x)]));
  return v;
}
/** Node tree in golden.json's form (keeps the int/float distinction). */
function nodeJson(n: Node): unknown {
  if (n instanceof DictNode) return Object.fromEntries([...n.map].map(([k, v]) => [k, nodeJson(v)]));
  if (n instanceof ListNode) return n.items.map(nodeJson);
  const v = (n as ValueNode).value;
  return (n as ValueNode).isFloat ? { float: pyRepr(v as number) } : v;
}
/** golden.json's form back to plain values with FloatValue markers. */
function fromJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromJson);
  if (v && typeof v === 'object') {
    if ('float' in v && Object.keys(v).length === 1) {
      const r = (v as { float: string }).float;
      return new FloatValue(r === 'nan' ? NaN : r === 'inf' ? Infinity : r === '-inf' ? -Infinity : Number(r));
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromJson(x)]));
  }
  return v;
}

/**
 * Deliberate differences from Hydra 1.3.2 (each is Hydra's newer behaviour or a JS limit):
 * - range() over floats steps in decimal (0.1, 0.2, 0.3), as Hydra's main branch does; 1.3.2
 *   accumulated binary floats (0.30000000000000004, and an extra 0.4).
 * - ints beyond 2^53 lose precision (JS numbers).
 * - json_str() exists (added after 1.3.2).
 * - `# @package _group_` means the group's package (Hydra 1.0/1.1 meaning); 1.3.2 made a key
 *   literally named `_group_`.
 * - a sweep whose items are sweeps or globs (`db=glob(*),x`) is refused when parsed; 1.3.2
 *   turned the glob into the text '{include:[*],exclude:[]}'.
 */
const KNOWN = new Set(['k=range(0.1,0.4,0.1)', 'k=123456789012345678', 'k=json_str({a:1})', 'headers ', 'db=glob(*),x']);
const TYPES: Record<string, string> = { change: 'CHANGE', add: 'ADD', force_add: 'FORCE_ADD', delete: 'DEL', extend_list: 'EXTEND_LIST' };

describe('override parser vs Hydra 1.3.2', () => {
  for (const g of golden.overrides) {
    test(g.line, { skip: KNOWN.has(g.line) ? 'known difference' : false }, () => {
      if (g.error) {
        assert.throws(() => parseOverride(g.line), `Hydra: ${g.error}: ${g.message}`);
        return;
      }
      if (g.sweep_error) {
        // Hydra parses it but cannot enumerate it; we refuse it earlier
        assert.throws(() => parseOverride(g.line).sweepStrings(), `Hydra: ${g.sweep_error}`);
        return;
      }
      const o = parseOverride(g.line);
      assert.equal(TYPES[o.type], g.type);
      assert.equal(o.keyOrGroup, g.key);
      assert.equal(o.pkg, g.package);
      assert.equal(o.valueType?.toUpperCase() ?? null, g.value_type);
      if ('value' in g) assert.deepEqual(jsonable(o.value() as ParsedElement), g.value);
      if ('str' in g) assert.equal(o.valueString(), g.str);
      if ('sweep' in g) {
        const got = o.sweepStrings();
        if (/shuffle/.test(g.line)) assert.deepEqual([...got].sort(), [...g.sweep].sort());
        else assert.deepEqual(got, g.sweep);
      }
    });
  }
});

function composeCase(dir: string, g: any) {
  const run = () => {
    const { cfg, choices } = composeNodes({ configDir: dir, configName: g.config, overrides: g.overrides, jobName: 'golden' });
    const task = new DictNode();
    for (const [k, v] of cfg.map) if (k !== 'hydra') task.set(k, v.clone());
    return { yaml: toYaml(task), choices };
  };
  if (g.error) {
    assert.throws(run, `Hydra: ${g.error}: ${g.message}`);
    return;
  }
  const r = run();
  assert.equal(r.yaml, g.yaml);
  assert.deepEqual(Object.entries(r.choices), Object.entries(g.choices));
}

describe('composition vs Hydra 1.3.2 (fixtures/app)', () => {
  for (const g of golden.compose_app) {
    const name = `${g.config} ${g.overrides.join(' ')}`;
    test(name, { skip: KNOWN.has(name) ? 'known difference' : false }, () => composeCase(appDir, g));
  }
});

describe('composition vs Hydra 1.3.2 (packages: _here_, @_global_.x, headers, optional, nested overrides)', () => {
  const pkgDir = fileURLToPath(new URL('./fixtures/pkgs', import.meta.url));
  for (const g of golden.compose_pkgs) test(`${g.config} ${g.overrides.join(' ')}`, () => composeCase(pkgDir, g));
});

describe('composition vs Hydra 1.3.2 (lightning-hydra-template)', () => {
  process.env.PROJECT_ROOT = '/proj';
  for (const g of golden.compose_lht) test(`${g.config} ${g.overrides.join(' ')}`, () => composeCase(lhtDir, g));
});

describe('YAML vs OmegaConf 2.2.2', () => {
  for (const [i, g] of golden.yaml_dump.entries()) {
    test(`to_yaml #${i}`, () => assert.equal(dumpYaml(create(fromJson(g.value))), g.yaml));
  }
  for (const [i, g] of golden.yaml_load.entries()) {
    test(`load #${i}`, () => {
      if (g.error) assert.throws(() => loadYaml(g.text), `OmegaConf: ${g.error}: ${g.message}`);
      else assert.deepEqual(nodeJson(loadYaml(g.text)), g.value);
    });
  }
});

describe('resolver arguments vs OmegaConf 2.2.2', () => {
  // floats are compared as numbers (a JS resolver cannot tell 1000.0 from 1000)
  const num = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(num);
    if (v && typeof v === 'object') {
      if ('float' in v && Object.keys(v).length === 1) {
        const r = (v as { float: string }).float;
        return r === 'nan' ? 'NaN' : r === 'inf' ? 'Infinity' : r === '-inf' ? '-Infinity' : Number(r);
      }
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, num(x)]));
    }
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    return v;
  };
  const dumps = (v: unknown): string =>
    Array.isArray(v) ? `[${v.map(dumps).join(', ')}]` : v && typeof v === 'object' ? `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${dumps(x)}`).join(', ')}}` : JSON.stringify(v);
  before(() => registerResolver('args', (a) => dumps(num(a)), { replace: true }));
  after(() => clearResolver('args'));
  for (const g of golden.resolver_args) {
    test(g.expr, () => {
      const c = wrap<any>(create({ x: 7, y: 'yy', v: g.expr }));
      if (g.error) return assert.throws(() => c.v, `OmegaConf: ${g.error}: ${g.message}`);
      const v = c.v as string;
      if (g.value.startsWith('[')) assert.deepEqual(num(JSON.parse(v)), num(JSON.parse(g.value)));
      else assert.equal(v, g.value);
    });
  }
});

describe('merge and update vs OmegaConf 2.2.2', () => {
  for (const [i, g] of golden.merge.entries()) {
    test(`merge #${i}`, () => {
      const run = () => toYaml(merge(create(fromJson(g.a)), create(fromJson(g.b))));
      if (g.error) assert.throws(run, `OmegaConf: ${g.error}: ${g.message}`);
      else assert.equal(run(), g.yaml);
    });
  }
  for (const g of golden.update.ops) {
    test(`update ${g.key} merge=${g.merge} force=${g.force}`, () => {
      const run = () => {
        const c = create(fromJson(golden.update.base));
        setStruct(c, true);
        update(c, g.key, fromJson(g.value), { merge: g.merge, forceAdd: g.force });
        return toYaml(c);
      };
      if (g.error) assert.throws(run, `OmegaConf: ${g.error}: ${g.message}`);
      else assert.equal(run(), g.yaml);
    });
  }
});

describe('interpolation vs OmegaConf 2.2.2', () => {
  process.env.COPPER_OC_TEST = '42';
  delete process.env.COPPER_OC_MISSING;
  const { source, resolved } = golden.interpolation;
  const cfg = wrap<any>(create(fromJson(source)));
  for (const [k, want] of Object.entries(resolved as Record<string, any>)) {
    test(k, () => {
      if (want && typeof want === 'object' && 'error' in want) {
        assert.throws(() => cfg[k], `OmegaConf: ${want.error}: ${want.message}`);
        return;
      }
      let v = cfg[k];
      if (isDictConfig(v) || isListConfig(v)) v = toContainer(v, { resolve: true });
      if (want && typeof want === 'object' && 'float' in want) assert.equal(v, (fromJson(want) as FloatValue).value);
      else assert.deepEqual(jsonable(v), want);
    });
  }
});
