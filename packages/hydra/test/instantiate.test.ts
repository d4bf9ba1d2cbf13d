import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { create, wrap, instantiate, instantiateAsync, registerTarget, InstantiationError, UnexpectedKeywordError } from '../src/index.js';

const baseDir = fileURLToPath(new URL('./fixtures/targets', import.meta.url));

class Net {
  constructor(public opts: { layers: number; act: unknown; name?: string }) {}
}
class Trainer {
  constructor(
    public model: unknown,
    public opts: { epochs: number },
  ) {}
}
function sgd(opts: { params: unknown; lr: number; momentum?: number }) {
  return { optimizer: 'sgd', ...opts };
}
class Relu {}

describe('instantiate', () => {
  before(() => {
    registerTarget('test.Net', Net);
    registerTarget('test.Trainer', Trainer);
    registerTarget('test.sgd', sgd);
    registerTarget('test.Relu', Relu);
  });

  test('classes get new, keyword arguments come as one object, nested targets are built first', () => {
    const cfg = wrap<any>(create({ model: { _target_: 'test.Net', layers: 3, act: { _target_: 'test.Relu' }, name: '${name}' }, name: 'n1' }));
    const net = instantiate<Net>(cfg.model);
    assert.ok(net instanceof Net);
    assert.equal(net.opts.layers, 3);
    assert.ok(net.opts.act instanceof Relu);
    assert.equal(net.opts.name, 'n1', 'interpolations resolve against the whole config');
  });

  test('_args_ are positional; extra kwargs override the config', () => {
    const t = instantiate<Trainer>({ _target_: 'test.Trainer', _args_: [{ _target_: 'test.Relu' }], epochs: 1 }, { epochs: 5 });
    assert.ok(t.model instanceof Relu);
    assert.equal(t.opts.epochs, 5);
  });

  test('_partial_ returns a function that takes the rest of the arguments', () => {
    const make = instantiate<(o: object) => ReturnType<typeof sgd>>({ _target_: 'test.sgd', _partial_: true, lr: 0.1 });
    assert.equal(typeof make, 'function');
    assert.deepEqual(make({ params: [1, 2] }), { optimizer: 'sgd', lr: 0.1, params: [1, 2] });
    assert.deepEqual(make({ params: [], lr: 0.5 }), { optimizer: 'sgd', lr: 0.5, params: [] });
  });

  test('_recursive_: false passes nested configs as plain data', () => {
    const net = instantiate<Net>({ _target_: 'test.Net', _recursive_: false, layers: 1, act: { _target_: 'test.Relu' } });
    assert.deepEqual(net.opts.act, { _target_: 'test.Relu' });
  });

  test('lists and dicts without _target_ are instantiated item by item', () => {
    const out = instantiate<any>({ a: { _target_: 'test.Relu' }, b: [{ _target_: 'test.Relu' }, 2] });
    assert.ok(out.a instanceof Relu);
    assert.ok(out.b[0] instanceof Relu);
    assert.equal(out.b[1], 2);
  });

  test('module#export targets: ES modules with instantiateAsync, CommonJS also synchronously', async () => {
    const lin = await instantiateAsync<any>({ _target_: './models.mjs#Linear', in_features: 4, out_features: 2 }, {}, { baseDir });
    assert.deepEqual([lin.constructor.name, lin.inFeatures, lin.outFeatures], ['Linear', 4, 2]);
    const opt = await instantiateAsync<any>({ _target_: './models.mjs#adam', _args_: [[1]], lr: 0.01 }, {}, { baseDir });
    assert.deepEqual(opt, { kind: 'adam', params: [1], lr: 0.01 });
    assert.deepEqual(await instantiateAsync({ _target_: './models.mjs#nested.make', x: 7 }, {}, { baseDir }), { made: 7 });
    assert.deepEqual(instantiate({ _target_: './helpers.cjs#pair', _args_: [1, 2] }, {}, { baseDir }), [1, 2]);
  });

  test('clear errors for unknown targets, missing values and failing constructors', () => {
    assert.throws(() => instantiate({ _target_: 'nope.Thing' }), (e: Error) => e instanceof InstantiationError && /Error locating target 'nope.Thing': register it with registerTarget/.test(e.message));
    assert.throws(() => instantiate({ _target_: 'test.sgd', lr: '???' }), /Missing mandatory value: lr/);
    registerTarget('test.fails', () => {
      throw new Error('bad lr');
    });
    assert.throws(() => instantiate({ _target_: 'test.fails' }), /Error in call to target 'test.fails': Error: bad lr/);
  });

  test('a target that declares its keys refuses others, as Python raises TypeError for an unexpected keyword', () => {
    class Data {
      constructor(public o: { batch_size?: number; data_dir?: string; image_size?: number }) {}
    }
    registerTarget('test.Data', Data, { isClass: true, keys: ['data_dir', 'image_size', 'batch_size'] });
    registerTarget('test.opt', (params: unknown, o: { lr: number }) => ({ params, ...o }), { keys: ['lr', 'momentum'] });
    const cfg = wrap(create({ data: { _target_: 'test.Data', batchsize: 64 }, model: { net: { _target_: 'test.Data', batch_size: 1 }, optimizer: { _target_: 'test.opt', _partial_: true, lr: 1, foo: 2 } } }));
    assert.throws(
      () => instantiate((cfg as any).data),
      (e: Error) =>
        e instanceof UnexpectedKeywordError &&
        e.key === 'batchsize' &&
        e.fullKey === 'data.batchsize' &&
        e.target === 'test.Data' &&
        e.accepted[0] === 'batch_size' &&
        e.message === "Error in call to target 'test.Data': TypeError: got an unexpected keyword argument 'batchsize' (data.batchsize); it takes: batch_size, image_size, data_dir",
    );
    // _partial_: checked when the config is instantiated, before the call
    assert.throws(() => instantiate((cfg as any).model), (e: Error) => e instanceof UnexpectedKeywordError && e.fullKey === 'model.optimizer.foo' && e.accepted[0] === 'lr');
    // and keyword arguments given to the partial later
    const part = instantiate<(p: unknown, kw?: object) => unknown>({ _target_: 'test.opt', _partial_: true, lr: 1 });
    assert.deepEqual(part([1], { momentum: 0.9 }), { params: [1], lr: 1, momentum: 0.9 });
    assert.throws(() => part([1], { momentun: 0.9 }), /unexpected keyword argument 'momentun'; it takes: momentum, lr/);
    assert.deepEqual((instantiate({ _target_: 'test.Data', batch_size: 2 }) as Data).o, { batch_size: 2 });
  });
});
