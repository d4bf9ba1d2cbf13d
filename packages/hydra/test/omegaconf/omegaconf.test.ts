import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import {
  create,
  merge,
  select,
  update,
  toContainer,
  toYaml,
  wrap,
  setStruct,
  setReadonly,
  openDict,
  resolveInPlace,
  missingKeys,
  registerResolver,
  clearResolver,
  loadYaml,
  dumpYaml,
  ConfigKeyError,
  ReadonlyConfigError,
  MissingMandatoryValue,
  InterpolationKeyError,
  InterpolationResolutionError,
  UnsupportedInterpolationType,
  ConfigLoadError,
  OmegaConf,
} from '../../src/index.js';

const obj = (yaml: string) => wrap<any>(create(yaml));

describe('YAML like OmegaConf (YAML 1.1 via PyYAML)', () => {
  test('implicit types', () => {
    const c = toContainer(
      loadYaml(
        'a: yes\nb: off\nc: 1e-3\nd: 1_000\ne: 0x1f\nf: 010\ng: .inf\nh: ~\ni: 2024-01-01\nj: "1"\nk: 1.0\nl:\nm: 12:30\nn: True\n',
      ),
    ) as any;
    assert.deepEqual(c, { a: true, b: false, c: 0.001, d: 1000, e: 31, f: 8, g: Infinity, h: null, i: '2024-01-01', j: '1', k: 1, l: null, m: 750, n: true });
  });
  test('floats stay floats when written back', () => {
    assert.equal(toYaml(create('a: 1.0\nb: 0.0\nc: 1e-5\nd: 1e20\ne: 3\nf: .nan\ng: -.inf\n')), 'a: 1.0\nb: 0.0\nc: 1.0e-05\nd: 1.0e+20\ne: 3\nf: .nan\ng: -.inf\n');
  });
  test('strings are quoted only when needed', () => {
    const y = toYaml(create({ a: 'yes', b: '1', c: '', d: '???', e: '${x.y}/z', f: 'a: b', g: '# c', h: 'epoch_{epoch:03d}', i: 'null', j: ' pad', k: "it's", l: 'val/acc', m: '-', n: '- x', o: 'line1\nline2' }));
    assert.equal(
      y,
      "a: 'yes'\nb: '1'\nc: ''\nd: ???\ne: ${x.y}/z\nf: 'a: b'\ng: '# c'\nh: epoch_{epoch:03d}\ni: 'null'\nj: ' pad'\nk: it's\nl: val/acc\nm: '-'\n'n': '- x'\no: 'line1\n\n  line2'\n",
    );
  });
  test('block layout: nested dicts, indentless lists, lists of dicts, empty containers', () => {
    const y = dumpYaml({ a: { b: [1, { c: 2, d: [3] }], e: {} }, f: [], g: [[1, 2], 3] });
    assert.equal(y, 'a:\n  b:\n  - 1\n  - c: 2\n    d:\n    - 3\n  e: {}\nf: []\ng:\n- - 1\n  - 2\n- 3\n');
  });
  test('anchors, merge keys, duplicate keys', () => {
    assert.deepEqual(toContainer(loadYaml('base: &b {x: 1, y: 2}\nchild:\n  <<: *b\n  y: 3\n')), { base: { x: 1, y: 2 }, child: { x: 1, y: 3 } });
    assert.throws(() => loadYaml('a: 1\na: 2\n', { filename: 'dup.yaml' }), (e: Error) => e instanceof ConfigLoadError && /dup\.yaml/.test(e.message));
    assert.throws(() => loadYaml('a: [1\n'), ConfigLoadError);
    let bomb = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 9; i++) bomb += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
    assert.throws(() => loadYaml(bomb), /aliases expand to more than 200000 nodes/);
  });
});

describe('merge', () => {
  test('dicts merge recursively, lists and values are replaced', () => {
    const m = toContainer(merge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3], e: 2 }, d: 'x' }));
    assert.deepEqual(m, { a: { b: 1, c: [3], e: 2 }, d: 'x' });
  });
  test('??? in the source keeps the destination value', () => {
    assert.deepEqual(toContainer(merge({ a: 1, b: '???' }, { a: '???', b: 2 })), { a: 1, b: 2 });
  });
  test('null replaces a dict and a dict replaces null', () => {
    assert.deepEqual(toContainer(merge({ a: { b: 1 } }, { a: null })), { a: null });
    assert.deepEqual(toContainer(merge({ a: null }, { a: { b: 1 } })), { a: { b: 1 } });
  });
  test('struct mode refuses new keys', () => {
    const base = create({ a: 1 });
    setStruct(base, true);
    assert.throws(() => merge(base, { b: 2 }), (e: Error) => e instanceof ConfigKeyError && /Key 'b' is not in struct/.test(e.message));
    assert.deepEqual(toContainer(merge(base, { a: 2 })), { a: 2 });
  });
  test('interpolations merge as-is and resolve in the result', () => {
    const m = wrap<any>(merge({ x: 1, y: 2 }, { z: '${y}' }));
    assert.equal(m.z, 2);
  });
  test('merging does not change the inputs', () => {
    const a = create({ a: { b: 1 } });
    merge(a, { a: { b: 2 } });
    assert.deepEqual(toContainer(a), { a: { b: 1 } });
  });
});

describe('interpolation', () => {
  test('absolute, relative, nested key, list index, type kept', () => {
    const c = obj('a: {b: 10, c: "${.b}", d: "${..top}", e: "${a.b}"}\ntop: t\nl: [x, {y: 5}]\nli: ${l[1].y}\nli2: ${l.1.y}\nk: b\nnested: ${a.${k}}\n');
    assert.equal(c.a.c, 10);
    assert.equal(c.a.d, 't');
    assert.equal(c.a.e, 10);
    assert.equal(c.li, 5);
    assert.equal(c.li2, 5);
    assert.equal(c.nested, 10);
  });
  test('string concatenation uses Python str()', () => {
    const c = obj('i: 1\nf: 1.0\nb: false\nn: null\ns: "${i}-${f}-${b}-${n}"\n');
    assert.equal(c.s, '1-1.0-False-None');
  });
  test('interpolation to a container returns the container', () => {
    const c = obj('a: {b: 1}\nc: ${a}\n');
    assert.equal(c.c.b, 1);
    assert.deepEqual(toContainer(create('a: {b: 1}\nc: ${a}\n'), { resolve: true }), { a: { b: 1 }, c: { b: 1 } });
  });
  test('escapes', () => {
    const c = obj('a: 1\nb: \\${a}\nc: \\\\${a}\nd: "${a}\\\\"\ne: "x$y"\n');
    assert.equal(c.b, '${a}');
    assert.equal(c.c, '\\1');
    assert.equal(c.d, '1\\');
    assert.equal(c.e, 'x$y');
  });
  test('errors: missing key, missing value, cycles, unknown resolver', () => {
    const c = obj('a: ${nope}\nb: ???\nc: ${b}\nd: ${e}\ne: ${d}\nf: ${nosuch:x}\n');
    assert.throws(() => c.a, (e: Error) => e instanceof InterpolationKeyError && /Interpolation key 'nope' not found/.test(e.message));
    assert.throws(() => c.b, MissingMandatoryValue);
    assert.throws(() => c.c, (e: Error) => e instanceof MissingMandatoryValue && /set 'b'/.test(e.message));
    assert.throws(() => c.d, (e: Error) => e instanceof InterpolationResolutionError && /Recursive interpolation/.test(e.message));
    assert.throws(() => c.f, (e: Error) => e instanceof UnsupportedInterpolationType && /registerResolver\('nosuch'/.test(e.message));
  });
  test('oc.env with and without default, oc.decode, oc.select, oc.dict.keys', () => {
    process.env.COPPER_OC_TEST = '42';
    delete process.env.COPPER_OC_MISSING;
    const c = obj(
      'a: ${oc.env:COPPER_OC_TEST}\nb: ${oc.env:COPPER_OC_MISSING,fallback}\nc: ${oc.env:COPPER_OC_MISSING,null}\nd: ${oc.env:COPPER_OC_MISSING}\ne: ${oc.decode:${a}}\nf: ${oc.decode:"[1, 2]"}\ng: ${oc.select:nope,dflt}\nh: ${oc.select:a}\ndd: {x: 1, y: 2}\nk: ${oc.dict.keys:dd}\n',
    );
    assert.equal(c.a, '42');
    assert.equal(c.b, 'fallback');
    assert.equal(c.c, null);
    assert.throws(() => c.d, /Environment variable 'COPPER_OC_MISSING' not found/);
    assert.equal(c.e, 42);
    assert.deepEqual(toContainer(c.f), [1, 2]);
    assert.equal(c.g, 'dflt');
    assert.equal(c.h, '42');
    assert.deepEqual([...c.k], ['x', 'y']);
  });
  test('custom resolvers get typed arguments; cached resolvers are called once per config', () => {
    let calls = 0;
    registerResolver('test.add', (args) => (args as number[]).reduce((a, b) => a + b, 0));
    registerResolver('test.count', () => ++calls, { useCache: true });
    try {
      const c = obj('a: ${test.add:1,2,3}\nb: ${test.add:${a},0.5}\nc: ${test.count:}\nd: ${test.count:}\ne: "[${test.add: 1 , 2 }]"\n');
      assert.equal(c.a, 6);
      assert.equal(c.b, 6.5);
      assert.equal(c.c, 1);
      assert.equal(c.d, 1);
      assert.equal(c.e, '[3]');
      assert.throws(() => registerResolver('test.add', () => 0), /already registered/);
    } finally {
      clearResolver('test.add');
      clearResolver('test.count');
    }
  });
});

describe('access, struct and read-only', () => {
  test('proxy reads, writes, deletes, iterates', () => {
    const c = obj('a: 1\nl: [1, 2]\nd: {x: 1}\n');
    c.a = 2;
    c.d.y = { z: 1 };
    assert.equal(c.a, 2);
    assert.equal(c.d.y.z, 1);
    assert.deepEqual([...c.l], [1, 2]);
    assert.equal(c.l.length, 2);
    assert.ok(Array.isArray(c.l));
    assert.equal(inspect(c.d), '{ x: 1, y: { z: 1 } }');
    assert.equal(inspect(c.l), '[ 1, 2 ]');
    assert.deepEqual(c.l.map((x: number) => x * 2), [2, 4]);
    assert.deepEqual(Object.keys(c), ['a', 'l', 'd']);
    assert.deepEqual(JSON.parse(JSON.stringify(c)), { a: 2, l: [1, 2], d: { x: 1, y: { z: 1 } } });
    delete c.a;
    assert.equal('a' in c, false);
  });
  test('struct mode: unknown keys fail on read and write; openDict allows adding', () => {
    const n = create('a: {b: 1}\n');
    setStruct(n, true);
    const c = wrap<any>(n);
    assert.throws(() => c.a.zz, (e: Error) => e instanceof ConfigKeyError && /Key 'zz' is not in struct \(full key: a\.zz\)/.test(e.message));
    assert.throws(() => {
      c.a.zz = 1;
    }, ConfigKeyError);
    openDict(n, () => {
      c.a.zz = 1;
    });
    assert.equal(c.a.zz, 1);
  });
  test('read-only configs refuse writes', () => {
    const n = create('a: 1\n');
    setReadonly(n, true);
    assert.throws(() => {
      wrap<any>(n).a = 2;
    }, ReadonlyConfigError);
    assert.throws(() => update(n, 'a', 3), ReadonlyConfigError);
  });
  test('select and update', () => {
    const n = create('a: {b: [1, {c: 2}]}\nm: ???\n');
    assert.equal(select(n, 'a.b[1].c'), 2);
    assert.equal(select(n, 'a.b.1.c'), 2);
    assert.equal(select(n, 'a.nope', { default: 'd' }), 'd');
    assert.equal(select(n, 'm'), '???');
    assert.throws(() => select(n, 'm', { throwOnMissing: true }), MissingMandatoryValue);
    update(n, 'a.x.y', 1);
    update(n, 'a.b[0]', 10);
    update(n, 'a', { z: 1 });
    assert.deepEqual(toContainer(n), { a: { b: [10, { c: 2 }], x: { y: 1 }, z: 1 }, m: '???' });
    assert.deepEqual(missingKeys(n), ['m']);
  });
  test('the OmegaConf namespace returns configs with attribute access', () => {
    const c = OmegaConf.create<any>({ a: 1, b: '${a}' });
    assert.equal(c.b, 1);
    assert.equal(OmegaConf.merge<any>(c, { a: 2 }).b, 2);
    assert.equal(OmegaConf.toYaml(c, { resolve: true }), 'a: 1\nb: 1\n');
  });

  test('resolveInPlace', () => {
    const n = create('a: 1\nb: ${a}\nc: x${a}\n');
    resolveInPlace(n);
    assert.equal(toYaml(n), 'a: 1\nb: 1\nc: x1\n');
  });
});
