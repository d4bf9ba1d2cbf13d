/**
 * nn.Module: a tree of layers with parameters and buffers, like torch.nn.Module.
 *
 * Submodules and Parameters assigned to properties are found automatically (in assignment order,
 * under the property's name), as PyTorch's __setattr__ does; `registerParameter`,
 * `registerBuffer` and `registerModule` name them explicitly (state dict keys use those names,
 * e.g. BatchNorm's `running_mean`). Call a module with `m.forward(x)` (or `m.call(x)`).
 */
import { ShapeError, StateDictError } from '../errors.js';
import { native } from '../native.js';
import { keep, noGrad, Tensor, tidy, type MemoryFormat } from '../tensor.js';

/** A tensor that is a module's learnable parameter: requires grad and survives tidy(). */
export class Parameter extends Tensor {
  /** Takes over the data of `t` (detached); `t` itself stays valid. */
  constructor(t: Tensor, requiresGrad = true) {
    super(native.detach(t.handle));
    keep(this);
    if (requiresGrad) native.setRequiresGrad(this.handle, true);
  }
}

export type StateDict = Record<string, Tensor>;

export abstract class Module {
  training = true;
  private readonly _params = new Map<string, Parameter | null>();
  private readonly _buffers = new Map<string, Tensor | null>();
  private readonly _nonPersistent = new Set<string>();
  private readonly _modules = new Map<string, Module>();

  /** The computation; subclasses implement it. */
  abstract forward(...args: any[]): any;

  /** Same as forward (PyTorch's module(x)). */
  call(...args: any[]): any {
    return this.forward(...args);
  }

  registerParameter<T extends Parameter | null>(name: string, p: T): T {
    this._params.set(name, p);
    return p;
  }
  /** A buffer is state that is saved but not trained (running stats); persistent ones go into stateDict(). */
  registerBuffer<T extends Tensor | null>(name: string, t: T, persistent = true): T {
    if (t) keep(t);
    this._buffers.set(name, t);
    if (!persistent) this._nonPersistent.add(name);
    return t;
  }
  registerModule<T extends Module>(name: string, m: T): T {
    this._modules.set(name, m);
    return m;
  }

  /** Replaces a registered buffer (e.g. after loading), disposing the old one. */
  protected setBuffer(name: string, t: Tensor): void {
    const old = this._buffers.get(name);
    keep(t);
    this._buffers.set(name, t);
    if (old && old !== t) old.dispose();
  }
  protected getBuffer(name: string): Tensor | null {
    return this._buffers.get(name) ?? null;
  }

  private discovered(): { params: [string, Parameter][]; modules: [string, Module][] } {
    const params: [string, Parameter][] = [];
    const modules: [string, Module][] = [];
    const seenP = new Set<unknown>(this._params.values());
    const seenM = new Set<unknown>(this._modules.values());
    for (const [k, v] of Object.entries(this)) {
      if (k.startsWith('_')) continue;
      if (v instanceof Parameter && !seenP.has(v)) params.push([k, v]);
      else if (v instanceof Module && !seenM.has(v)) modules.push([k, v]);
      else if (Array.isArray(v) && v.length > 0 && v.every((x) => x instanceof Module) && !seenM.has(v)) {
        v.forEach((m, i) => {
          if (!seenM.has(m)) modules.push([`${k}.${i}`, m as Module]);
        });
      }
    }
    return { params, modules };
  }

  /** Direct parameters, registered first then discovered. */
  private ownParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [k, v] of this._params) if (v) out.push([k, v]);
    return out.concat(this.discovered().params);
  }

  namedChildren(): [string, Module][] {
    return [...this._modules.entries()].concat(this.discovered().modules);
  }
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [k, m] of this.namedChildren()) out.push(...m.namedModules(prefix ? `${prefix}.${k}` : k));
    return out;
  }
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }
  namedParameters(prefix = '', recurse = true): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    const add = (name: string, p: Parameter) => {
      if (!seen.has(p)) {
        seen.add(p);
        out.push([name, p]);
      }
    };
    for (const [k, p] of this.ownParameters()) add(prefix ? `${prefix}.${k}` : k, p);
    if (recurse) for (const [k, m] of this.namedChildren()) for (const [n, p] of m.namedParameters(prefix ? `${prefix}.${k}` : k)) add(n, p);
    return out;
  }
  parameters(recurse = true): Parameter[] {
    return this.namedParameters('', recurse).map(([, p]) => p);
  }
  namedBuffers(prefix = '', recurse = true): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [k, b] of this._buffers) if (b) out.push([prefix ? `${prefix}.${k}` : k, b]);
    if (recurse) for (const [k, m] of this.namedChildren()) out.push(...m.namedBuffers(prefix ? `${prefix}.${k}` : k));
    return out;
  }
  buffers(recurse = true): Tensor[] {
    return this.namedBuffers('', recurse).map(([, b]) => b);
  }
  /** Total number of parameter elements. */
  numParameters(): number {
    return this.parameters().reduce((a, p) => a + p.numel(), 0);
  }

  train(mode = true): this {
    this.training = mode;
    for (const m of this.children()) m.train(mode);
    return this;
  }
  eval(): this {
    return this.train(false);
  }
  /** Sets every parameter's gradient to null (PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const p of this.parameters()) if (native.hasGrad(p.handle)) p.grad = null;
  }
  requiresGrad_(on = true): this {
    for (const p of this.parameters()) p.requiresGrad = on;
    return this;
  }
  apply(fn: (m: Module) => void): this {
    for (const m of this.children()) m.apply(fn);
    fn(this);
    return this;
  }

  /**
   * Parameters and persistent buffers by dotted name (detached tensors sharing memory with the
   * model), in the same names and order as PyTorch's state_dict().
   */
  stateDict(prefix = ''): StateDict {
    const out: StateDict = {};
    for (const [k, p] of this.ownParameters()) out[prefix + k] = p.detach();
    for (const [k, b] of this._buffers) if (b && !this._nonPersistent.has(k)) out[prefix + k] = b.detach();
    for (const [k, m] of this.namedChildren()) Object.assign(out, m.stateDict(`${prefix}${k}.`));
    return out;
  }

  /**
   * Copies values from a state dict into the parameters and buffers (shapes must match). With
   * strict (default), missing or unexpected keys are an error listing them.
   */
  loadStateDict(sd: StateDict, strict = true): { missingKeys: string[]; unexpectedKeys: string[] } {
    const own = new Map<string, { target: Tensor; owner: Module; name: string; buffer: boolean }>();
    const walk = (m: Module, prefix: string) => {
      for (const [k, p] of m.ownParameters()) own.set(prefix + k, { target: p, owner: m, name: k, buffer: false });
      for (const [k, b] of m._buffers) if (b && !m._nonPersistent.has(k)) own.set(prefix + k, { target: b, owner: m, name: k, buffer: true });
      for (const [k, c] of m.namedChildren()) walk(c, `${prefix}${k}.`);
    };
    walk(this, '');
    const missingKeys = [...own.keys()].filter((k) => !(k in sd));
    const unexpectedKeys = Object.keys(sd).filter((k) => !own.has(k));
    if (strict && (missingKeys.length || unexpectedKeys.length)) {
      const parts: string[] = [];
      if (missingKeys.length) parts.push(`missing keys: ${missingKeys.join(', ')}`);
      if (unexpectedKeys.length) parts.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
      throw new StateDictError(`loadStateDict: ${parts.join('; ')}`, missingKeys, unexpectedKeys);
    }
    for (const [k, { target }] of own) {
      const src = sd[k];
      if (!src) continue;
      const a = target.shape;
      const b = src.shape;
      if (a.length !== b.length || a.some((x, i) => x !== b[i])) {
        throw new ShapeError(`loadStateDict: size mismatch for ${k}: checkpoint has [${b.join(', ')}], the model [${a.join(', ')}]`);
      }
    }
    noGrad(() =>
      tidy(() => {
        for (const [k, { target }] of own) {
          const src = sd[k];
          if (src) target.copy_(src);
        }
      }),
    );
    return { missingKeys, unexpectedKeys };
  }

  /** Converts floating parameters and buffers to another dtype in place. */
  to(dtype: 'float32' | 'float64'): this {
    noGrad(() => {
      for (const t of [...this.parameters(), ...this.buffers()]) {
        if (!t.isFloatingPoint) continue;
        const c = t.to(dtype);
        native.setData(t.handle, c.handle);
        c.dispose();
      }
    });
    return this;
  }

  /** Moves parameters and buffers to a device in place ('cpu', 'cuda', 'cuda:1'). */
  toDevice(device: string): this {
    noGrad(() => {
      for (const t of [...this.parameters(), ...this.buffers()]) {
        const c = t.toDevice(device);
        native.setData(t.handle, c.handle);
        c.dispose();
      }
    });
    return this;
  }

  /**
   * Lays out 4-D parameters and buffers in a memory format in place, like PyTorch's
   * model.to(memory_format=torch.channels_last); feed inputs with x.contiguous('channelsLast').
   */
  toMemoryFormat(format: MemoryFormat): this {
    const rank = format === 'channelsLast3d' ? 5 : 4;
    noGrad(() => {
      for (const t of [...this.parameters(), ...this.buffers()]) {
        if (t.ndim !== rank && format !== 'contiguous') continue;
        const c = t.contiguous(format);
        native.setData(t.handle, c.handle);
        c.dispose();
      }
    });
    return this;
  }

  /** A short tree view like PyTorch's repr. */
  toString(): string {
    const kids = this.namedChildren();
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (!kids.length) return `${head})`;
    const body = kids.map(([k, m]) => `  (${k}): ${m.toString().split('\n').join('\n  ')}`).join('\n');
    return `${head}\n${body}\n)`;
  }
  extraRepr(): string {
    return '';
  }
}
