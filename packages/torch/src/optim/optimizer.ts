/**
 * Base of the optimizers: parameter groups, per-parameter state, zeroGrad, and state dicts in
 * PyTorch's layout ({ state: { 0: {...}, ... }, param_groups: [{ lr, ..., params: [0, 1, ...] }] },
 * option names in snake_case) so checkpoints move between copper and Python.
 */
import { native } from '../native.js';
import { scalar } from '../creation.js';
import { keep, Tensor } from '../tensor.js';

export type ParamGroupInput<O> = Partial<O> & { params: Tensor[] };
export type ParamGroup<O> = O & { params: Tensor[]; lr: number; initialLr?: number };
export type StateValue = Tensor | number;
export type OptimizerStateDict = {
  state: Record<string, Record<string, StateValue>>;
  param_groups: Record<string, unknown>[];
};

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

export abstract class Optimizer<O extends { lr: number }> {
  readonly paramGroups: ParamGroup<O>[] = [];
  readonly state = new Map<Tensor, Record<string, StateValue>>();

  constructor(params: Tensor[] | ParamGroupInput<O>[], readonly defaults: O) {
    if (!(defaults.lr >= 0)) throw new RangeError(`Invalid learning rate: ${defaults.lr}`);
    const groups: ParamGroupInput<O>[] =
      params.length > 0 && !(params[0] instanceof Tensor) ? (params as ParamGroupInput<O>[]) : [{ params: params as Tensor[] } as ParamGroupInput<O>];
    if (groups.every((g) => g.params.length === 0)) throw new Error('optimizer got an empty parameter list');
    for (const g of groups) this.addParamGroup(g);
  }

  addParamGroup(g: ParamGroupInput<O>): void {
    const seen = new Set(this.paramGroups.flatMap((x) => x.params));
    for (const p of g.params) if (seen.has(p)) throw new Error('some parameters appear in more than one parameter group');
    this.paramGroups.push({ ...this.defaults, ...g, params: [...g.params] } as ParamGroup<O>);
  }

  /** Sets the gradients of all optimized parameters to null (PyTorch's set_to_none=True). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) if (native.hasGrad(p.handle)) native.setGrad(p.handle, null);
  }

  /** One update from the current gradients. */
  abstract step(): void;

  /**
   * The parameters of a group that have a gradient, each with its gradient (negated when the group
   * maximizes). Call `release()` when done: it frees the gradient handles made here.
   */
  protected gradients(g: { params: Tensor[]; maximize?: boolean }): { items: [Tensor, Tensor][]; release: () => void } {
    const temps: Tensor[] = [];
    const items: [Tensor, Tensor][] = [];
    for (const p of g.params) {
      const gh = native.grad(p.handle);
      if (gh === null) continue;
      let grad = new Tensor(gh);
      temps.push(grad);
      if (g.maximize) {
        grad = grad.neg();
        temps.push(grad);
      }
      items.push([p, grad]);
    }
    return { items, release: () => temps.forEach((t) => t.dispose()) };
  }

  /** Keeps an optimizer state tensor alive across tidy() scopes. */
  protected stateTensor(t: Tensor): Tensor {
    return keep(t);
  }

  stateDict(): OptimizerStateDict {
    const ids = new Map<Tensor, number>();
    let n = 0;
    const param_groups = this.paramGroups.map((g) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params' && k !== 'initialLr') out[snake(k)] = v;
      if (g.initialLr !== undefined) out.initial_lr = g.initialLr;
      out.params = g.params.map((p) => {
        ids.set(p, n);
        return n++;
      });
      return out;
    });
    const state: Record<string, Record<string, StateValue>> = {};
    for (const [p, s] of this.state) {
      const id = ids.get(p);
      if (id === undefined) continue;
      const o: Record<string, StateValue> = {};
      for (const [k, v] of Object.entries(s)) o[snake(k)] = k === 'step' && typeof v === 'number' ? scalar(v, { dtype: 'float32' }) : v;
      state[String(id)] = o;
    }
    return { state, param_groups };
  }

  /** Restores options and state saved by stateDict() here or by torch.optim in Python. */
  loadStateDict(sd: OptimizerStateDict): void {
    if (!sd || !Array.isArray(sd.param_groups) || typeof sd.state !== 'object') throw new Error('loadStateDict: not an optimizer state dict');
    if (sd.param_groups.length !== this.paramGroups.length) throw new Error('loadStateDict: loaded state dict has a different number of parameter groups');
    const byId = new Map<number, Tensor>();
    sd.param_groups.forEach((sg, i) => {
      const g = this.paramGroups[i]!;
      const ids = sg.params as number[];
      if (!Array.isArray(ids) || ids.length !== g.params.length) {
        throw new Error("loadStateDict: loaded state dict contains a parameter group that doesn't match the size of optimizer's group");
      }
      ids.forEach((id, j) => byId.set(Number(id), g.params[j]!));
      for (const [k, v] of Object.entries(sg)) {
        if (k === 'params') continue;
        if (k === 'initial_lr') g.initialLr = Number(v);
        else (g as Record<string, unknown>)[camel(k)] = v;
      }
    });
    for (const s of this.state.values()) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
    for (const [id, s] of Object.entries(sd.state)) {
      const p = byId.get(Number(id));
      if (!p) continue;
      const o: Record<string, StateValue> = {};
      for (const [k, v] of Object.entries(s)) {
        if (k === 'step') o.step = v instanceof Tensor ? v.item() : Number(v);
        else if (v instanceof Tensor) {
          const c = v.to(p.dtype);
          o[camel(k)] = this.stateTensor(c === v ? v.clone() : c);
        } else o[camel(k)] = v;
      }
      this.state.set(p, o);
    }
  }
}
