import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseOverride,
  plainValue,
  ChoiceSweep,
  RangeSweep,
  IntervalSweep,
  Glob,
  QuotedString,
  FloatValue,
  OverrideParseError,
  HydraError,
  type ParsedElement,
} from '../../src/index.js';

const val = (s: string) => plainValue(parseOverride(`key=${s}`).value() as ParsedElement);

describe('override keys', () => {
  test('change, add, force add, delete', () => {
    const cases: Array<[string, string, string, string | null]> = [
      ['key=value', 'change', 'key', null],
      ['+key=value', 'add', 'key', null],
      ['++key=value', 'force_add', 'key', null],
      ['~key', 'delete', 'key', null],
      ['~key=1', 'delete', 'key', null],
      ['a.b.c=1', 'change', 'a.b.c', null],
      ['list.0.x=1', 'change', 'list.0.x', null],
      ['db@src=mysql', 'change', 'db', 'src'],
      ['hydra/launcher=basic', 'change', 'hydra/launcher', null],
      ['+group/sub@pkg.x=opt', 'add', 'group/sub', 'pkg.x'],
      ['db@=mysql', 'change', 'db', ''],
      ['$db=1', 'change', '$db', null],
    ];
    for (const [line, type, key, pkg] of cases) {
      const o = parseOverride(line);
      assert.equal(o.type, type, line);
      assert.equal(o.keyOrGroup, key, line);
      assert.equal(o.pkg, pkg, line);
      assert.equal(o.inputLine, line);
    }
    assert.equal(parseOverride('~key').value(), undefined);
    assert.equal(parseOverride('~key').valueType, null);
    assert.equal(parseOverride('key=').value(), '');
    assert.equal(parseOverride('+a@b=c').keyElement(), '+a@b');
    assert.equal(parseOverride('hydra.run.dir=x').isHydraOverride(), true);
    assert.equal(parseOverride('hydra/launcher=x').isHydraOverride(), true);
    assert.equal(parseOverride('db=x').isHydraOverride(), false);
  });
});

describe('override values', () => {
  test('primitives: ints, floats, bools, null, strings', () => {
    assert.equal(val('10'), 10);
    assert.equal(val('-10'), -10);
    assert.equal(val('+10'), 10);
    assert.equal(val('1_000'), 1000);
    assert.equal(val('3.14'), 3.14);
    assert.equal(val('1e-3'), 0.001);
    assert.equal(val('-1E3'), -1000);
    assert.equal(val('.5'), 0.5);
    assert.equal(val('inf'), Infinity);
    assert.equal(val('-INF'), -Infinity);
    assert.ok(Number.isNaN(val('nan') as number));
    assert.ok(parseOverride('k=1.0').value() instanceof FloatValue, '1.0 stays a float');
    assert.equal(val('true'), true);
    assert.equal(val('FALSE'), false);
    assert.equal(val('null'), null);
    assert.equal(val('NuLl'), null);
    assert.equal(val('abc'), 'abc');
    assert.equal(val('true_x'), 'true_x');
    assert.equal(val('10abc'), '10abc');
    assert.equal(val('a b  c'), 'a b  c');
    assert.equal(val('  padded  '), 'padded');
    assert.equal(val('/path/to/file.txt'), '/path/to/file.txt');
    assert.equal(val('%Y-%m-%d'), '%Y-%m-%d');
    assert.equal(val('a:b'), 'a:b');
    assert.equal(val('-'), '-');
  });

  test('escapes and quoted strings', () => {
    assert.equal(val('a\\,b'), 'a,b');
    assert.equal(val('a\\ b\\=c'), 'a b=c');
    assert.equal(val('\\[x\\]'), '[x]');
    assert.equal(val("'a,b'"), 'a,b');
    assert.equal(val('"1"'), '1');
    assert.equal(val("'true'"), 'true');
    assert.equal(val('"a\\"b"'), 'a"b');
    assert.equal(val("'it\\'s'"), "it's");
    assert.equal(val("'\\\\'"), '\\');
    assert.equal(val("'abc\\\\'"), 'abc\\');
    assert.equal(val("'${a.b}'"), '${a.b}');
    assert.equal(val("''"), '');
    const q = parseOverride("k='a,b'").rawValue;
    assert.ok(q instanceof QuotedString);
    assert.equal(q.withQuotes(), "'a,b'");
  });

  test('interpolations are kept as strings', () => {
    assert.equal(val('${a.b}'), '${a.b}');
    assert.equal(val('${oc.env:USER,me}'), '${oc.env:USER,me}');
    assert.equal(val('x_${a}_y'), 'x_${a}_y');
  });

  test('lists and dicts', () => {
    assert.deepEqual(val('[]'), []);
    assert.deepEqual(val('[1,2,3]'), [1, 2, 3]);
    assert.deepEqual(val('[a, b , c]'), ['a', 'b', 'c']);
    assert.deepEqual(val('[1,[a,b],{x:1}]'), [1, ['a', 'b'], { x: 1 }]);
    assert.deepEqual(val('{}'), {});
    assert.deepEqual(val('{a:1,b:[1,2],c:{d:null}}'), { a: 1, b: [1, 2], c: { d: null } });
    assert.deepEqual(val("{a: 'x,y', b : 2}"), { a: 'x,y', b: 2 });
  });

  test('value text round trip (as used for job overrides)', () => {
    assert.equal(parseOverride('k=[1,a,{b:2}]').valueString(), '[1,a,{b:2}]');
    assert.equal(parseOverride('k=a\\,b').valueString(), 'a\\,b');
    assert.equal(parseOverride('k=true').valueString(), 'True');
    assert.equal(parseOverride('k=1.0').valueString(), '1.0');
    assert.equal(parseOverride('k=1e-5').valueString(), '1e-05');
    assert.equal(parseOverride('k=null').valueString(), 'null');
    assert.equal(parseOverride('k="x y"').valueString(), '"x y"');
  });
});

describe('sweeps and functions', () => {
  test('simple choice sweep a,b,c', () => {
    const o = parseOverride('key=1,b,[1,2]');
    assert.equal(o.valueType, 'simple_choice_sweep');
    assert.ok(o.isSweep() && o.isChoiceSweep() && o.isDiscreteSweep());
    assert.deepEqual(o.sweepStrings(), ['1', 'b', '[1,2]']);
    assert.deepEqual(parseOverride('k=true,false').sweepStrings(), ['True', 'False']);
  });

  test('choice(), range(), interval(), glob()', () => {
    const c = parseOverride('key=choice(a, b)');
    assert.equal(c.valueType, 'choice_sweep');
    assert.ok(c.value() instanceof ChoiceSweep);
    assert.deepEqual(c.sweepStrings(), ['a', 'b']);
    assert.deepEqual(parseOverride('k=range(1,5)').sweepStrings(), ['1', '2', '3', '4']);
    assert.deepEqual(parseOverride('k=range(5)').sweepStrings(), ['0', '1', '2', '3', '4']);
    assert.deepEqual(parseOverride('k=range(10,0,-3)').sweepStrings(), ['10', '7', '4', '1']);
    assert.deepEqual(parseOverride('k=range(0,1,0.25)').sweepStrings(), ['0.0', '0.25', '0.5', '0.75']);
    assert.deepEqual(parseOverride('k=range(0.1,0.4,0.1)').sweepStrings(), ['0.1', '0.2', '0.3']);
    assert.deepEqual(parseOverride('k=range(start=1,stop=3)').sweepStrings(), ['1', '2']);
    const r = parseOverride('k=range(1,3)');
    assert.equal(r.valueType, 'range_sweep');
    assert.ok(r.value() instanceof RangeSweep);
    const i = parseOverride('k=interval(0, 1)');
    assert.equal(i.valueType, 'interval_sweep');
    assert.ok(i.value() instanceof IntervalSweep);
    assert.deepEqual([(i.value() as IntervalSweep).start, (i.value() as IntervalSweep).end], [0, 1]);
    const g = parseOverride('db=glob(*sql,exclude=my*)');
    assert.equal(g.valueType, 'glob_choice_sweep');
    assert.ok(g.value() instanceof Glob);
    assert.deepEqual(g.sweepStrings(() => ['mysql', 'postgresql', 'sqlite']), ['postgresql']);
    assert.deepEqual(parseOverride('db=glob([m*,s*])').sweepStrings(() => ['mysql', 'postgresql', 'sqlite']), ['mysql', 'sqlite']);
  });

  test('casts', () => {
    assert.equal(val('int(1.9)'), 1);
    assert.equal(val("int('12')"), 12);
    assert.equal(val('float(1)'), 1);
    assert.ok(parseOverride('k=float(1)').value() instanceof FloatValue);
    assert.equal(val('str(10)'), '10');
    assert.equal(val('str(true)'), 'true');
    assert.equal(val('str(1.0)'), '1.0');
    assert.equal(val('bool(0)'), false);
    assert.equal(val('bool(yes)'.replace('yes', "'true'")), true);
    assert.deepEqual(val('int([1.5,2.5])'), [1, 2]);
    assert.deepEqual(val('str({a:1})'), { a: '1' });
    assert.deepEqual(parseOverride('k=str(1,2)').sweepStrings(), ['1', '2']);
    assert.deepEqual(parseOverride('k=int(range(1,3))').sweepStrings(), ['1', '2']);
    assert.deepEqual(parseOverride('k=float(range(1,3))').sweepStrings(), ['1.0', '2.0']);
    assert.throws(() => parseOverride("k=int('abc')"), (e: Error) => e instanceof HydraError && /error evaluating 'int\('abc'\)'/.test(e.message));
    assert.throws(() => parseOverride("k=bool('maybe')"), /Cannot cast 'maybe' to bool/);
  });

  test('sort, shuffle, tag', () => {
    assert.deepEqual(parseOverride('k=sort(3,1,2)').sweepStrings(), ['1', '2', '3']);
    assert.deepEqual(parseOverride('k=sort(3,1,2,reverse=true)').sweepStrings(), ['3', '2', '1']);
    assert.deepEqual(parseOverride('k=sort(choice(b,c,a))').sweepStrings(), ['a', 'b', 'c']);
    assert.deepEqual(parseOverride('k=sort(range(1,4),reverse=true)').sweepStrings(), ['3', '2', '1']);
    assert.deepEqual(val('sort([3,1,2])'), [1, 2, 3]);
    assert.deepEqual(parseOverride('k=shuffle(1,2,3)').sweepStrings().sort(), ['1', '2', '3']);
    const t = parseOverride('k=tag(log,interval(1,10))').value() as IntervalSweep;
    assert.deepEqual([...t.tags], ['log']);
  });
});

describe('parse errors point at the character', () => {
  const err = (line: string) => {
    try {
      parseOverride(line);
    } catch (e) {
      assert.ok(e instanceof OverrideParseError, `${line}: ${String(e)}`);
      return e;
    }
    assert.fail(`expected '${line}' to fail`);
  };
  test('unclosed list', () => {
    const e = err('key=[1,2');
    assert.equal(e.column, 8);
    assert.match(e.message, /^Invalid override 'key=\[1,2': expected ',' or '\]' but found end of input at column 9/);
    assert.equal(e.detail, 'key=[1,2\n        ^');
  });
  test('missing =', () => {
    const e = err('key');
    assert.match(e.message, /expected '=' after the key \(e.g. key=value, or ~key to delete it\)/);
  });
  test('space in the key', () => {
    const e = err('my key=1');
    assert.equal(e.column, 2);
  });
  test('unexpected closing bracket', () => {
    const e = err('key=a]');
    assert.equal(e.column, 5);
    assert.match(e.message, /but found '\]'/);
  });
  test('bad characters and unknown functions', () => {
    assert.equal(err('key=a#b').column, 5);
    assert.match(err('key=nope(1)').message, /unknown function 'nope'/);
    assert.match(err('key=choice(a=1,2)').message, /positional argument follows keyword argument/);
    assert.match(err('key={a:1').message, /expected ',' or '\}'/);
    assert.equal(err('=1').column, 0);
    assert.equal(parseOverride('@pkg=1').pkg, 'pkg');
  });
});
