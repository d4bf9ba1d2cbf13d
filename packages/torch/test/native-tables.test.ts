// The addon's JS <-> C++ interface comes from one list (scripts/native-spec.mjs): the committed
// generated files must be what the generator makes from it now, the built addon must name its op
// codes in the same order as the TypeScript tables, and export exactly the Native functions.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as torch from '../src/index.js';
import { Binary, NATIVE_FUNCTIONS, Reduce, Unary, native } from '../src/native.js';
// @ts-ignore: plain JavaScript build scripts without type declarations
import { generate } from '../scripts/gen-native.mjs';
// @ts-ignore: plain JavaScript build scripts without type declarations
import * as spec from '../scripts/native-spec.mjs';

const PKG = fileURLToPath(new URL('..', import.meta.url));
type Gen = (s?: unknown) => Record<string, string>;

describe('native interface generated from scripts/native-spec.mjs', () => {
  test('the committed src/native.gen.ts and src/native/ops.gen.h are what the generator makes from the spec', () => {
    for (const [rel, text] of Object.entries((generate as Gen)())) {
      assert.equal(readFileSync(PKG + rel, 'utf8'), text, `${rel} is stale: run node scripts/gen-native.mjs`);
    }
  });

  test('the built addon numbers unary, binary and reduce ops as the TypeScript tables do', () => {
    const compiled = native.opTables();
    assert.deepEqual(compiled.unary, Object.keys(Unary));
    assert.deepEqual(compiled.binary, Object.keys(Binary));
    assert.deepEqual(compiled.reduce, Object.keys(Reduce));
    Object.values(Unary).forEach((v, i) => assert.equal(v, i));
  });

  test('the built addon exports exactly the functions of the Native interface', () => {
    const addon = createRequire(import.meta.url)(PKG + 'build/Release/copper_torch.node') as Record<string, unknown>;
    assert.deepEqual(Object.keys(addon).sort(), [...NATIVE_FUNCTIONS].sort());
  });

  test('an op inserted into the list shifts the C++ enum and the TypeScript table together', () => {
    const s = spec as { unary: { js: string; op: string }[] };
    const out = (generate as Gen)({ ...spec, unary: [{ js: 'fooBar', op: 'at::neg(a)' }, ...s.unary] });
    assert.match(out['src/native.gen.ts']!, /fooBar: 0, neg: 1, abs: 2,/);
    assert.match(out['src/native/ops.gen.h']!, /enum Unary : int \{\n {2}U_FOO_BAR, U_NEG, U_ABS,/);
    assert.match(out['src/native/ops.gen.h']!, /case U_FOO_BAR: return at::neg\(a\);/);
    assert.throws(() => (generate as Gen)({ ...spec, unary: [...s.unary, s.unary[0]] }), /'neg' is listed twice/);
  });

  test('codes reach the op they name (spot checks through the Tensor API)', () => {
    const x = torch.tensor([-4, -1, 0, 2, 5]);
    assert.deepEqual(Array.from(torch.F.hardsigmoid(x).toArray() as Float32Array), [0, 1 / 3, 0.5, 5 / 6, 1].map((v) => Math.fround(v)));
    assert.deepEqual(Array.from(torch.F.hardswish(x).toArray() as Float32Array), [-0, -1 / 3, 0, 2 * (5 / 6), 5].map((v) => Math.fround(v)));
    assert.deepEqual(x.abs().tolist(), [4, 1, 0, 2, 5]);
    assert.deepEqual(x.maximum(torch.zeros([5])).tolist(), [0, 0, 0, 2, 5]);
    assert.equal(x.sum().item(), 2);
    assert.equal(x.amax().item(), 5);
  });

  test('an op without an in-place form or a wrong operand kind is an ArgumentError naming the op', () => {
    const t = torch.tensor([1, 2]);
    assert.throws(() => native.unary(t.handle, Unary.erf, true), (e: unknown) => e instanceof torch.ArgumentError && (e as Error).message === 'unary op erf has no in-place form');
    assert.throws(() => native.binary(t.handle, 2, Binary.matmul), (e: unknown) => e instanceof torch.ArgumentError && /binary op matmul does not take this kind of operand/.test((e as Error).message));
    assert.throws(() => native.reduce(t.handle, 99, null, false), (e: unknown) => e instanceof torch.ArgumentError && /unknown reduction 99/.test((e as Error).message));
  });
});
