import { noGrad } from '../autograd/grad-mode.js';
import type { Storage } from '../tensor/dtype.js';
import { allocate } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';

/** Per-parameter state: buffers as storages of the parameter's dtype, counters as numbers. */
export type ParamState = Record<string, Storage | number>;

export type ParamGroup<O> = O & { params: Tensor[] };

export type ParamsArg<O> = Iterable<Tensor> | Array<{ params: Iterable<Tensor> } & Partial<O>>;

/** Options as PyTorch spells them in state_dict and repr (snake_case). */
type PyValue = number | boolean | string | null | number[];

/**
 * The base of every optimiser (PyTorch's `torch.optim.Optimizer`): parameter groups with their options,
 * per-parameter state, zeroGrad and stateDict. Subclasses implement `updateGroup`, a tight loop over raw
 * storages: the tutorial runs 40,000 steps and the optimiser must not allocate per step.
 */
export abstract class Optimizer<O extends object> {
  readonly paramGroups: Array<ParamGroup<O>> = [];
  readonly state = new Map<Tensor, ParamState>();
  protected abstract readonly pyName: string;

  constructor(params: ParamsArg<O>, readonly defaults: O) {
    const list = [...(params as Iterable<Tensor | ({ params: Iterable<Tensor> } & Partial<O>)>)];
    if (list.length === 0) throw new RangeError('optimizer got an empty parameter list');
    if (list[0] instanceof Tensor) this.addParamGroup({ params: list as Tensor[] } as unknown as { params: Iterable<Tensor> } & Partial<O>);
    else for (const g of list as Array<{ params: Iterable<Tensor> } & Partial<O>>) this.addParamGroup(g);
  }

  addParamGroup(group: { params: Iterable<Tensor> } & Partial<O>): void {
    const params = [...group.params];
    for (const p of params) {
      if (!(p instanceof Tensor)) throw new TypeError('optimizer can only optimize Tensors');
      if (!p.isLeaf) throw new Error("can't optimize a non-leaf Tensor");
      for (const g of this.paramGroups) {
        if (g.params.includes(p)) throw new Error('some parameters appear in more than one parameter group');
      }
    }
    const full = { ...this.defaults, ...group, params } as ParamGroup<O>;
    this.validate(full);
    this.paramGroups.push(full);
  }

  protected abstract validate(group: O): void;

  /** Clears `.grad`: zeroed in place by default (PyTorch 1.13), or set to null with setToNone. */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    const toNone = options.setToNone ?? false;
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        const grad = p.grad;
        if (grad === null) continue;
        if (toNone) p.grad = null;
        else {
          grad.gradFn = null;
          grad.requiresGrad = false;
          grad.data.fill(0);
        }
      }
    }
  }

  /** One update of every parameter that has a gradient. With a closure, re-evaluates the loss first. */
  step(closure?: () => Tensor): Tensor | undefined {
    let loss: Tensor | undefined;
    if (closure) loss = closure();
    noGrad(() => {
      for (const g of this.paramGroups) this.updateGroup(g);
    });
    return loss;
  }

  protected abstract updateGroup(group: ParamGroup<O>): void;

  /** The parameter's state, created on first use; checks once that the parameter is a dense leaf. */
  protected stateFor(p: Tensor, init: (n: number) => ParamState): ParamState {
    let s = this.state.get(p);
    if (s === undefined) {
      if (!p.isDense || p.offset !== 0 || p.data.length !== p.numel()) {
        throw new Error('optimizer: parameters must be dense tensors that own their storage');
      }
      s = init(p.numel());
      this.state.set(p, s);
    }
    return s;
  }

  protected buffer(p: Tensor): Storage {
    return allocate(p.dtype, p.numel());
  }

  /** Options in PyTorch's spelling, for stateDict and repr. */
  protected abstract pyOptions(group: O): Record<string, PyValue>;

  /** PyTorch's optimizer state_dict: `{state: {index: {...}}, param_groups: [{..., params: [indices]}]}`. */
  stateDict(): { state: Record<number, Record<string, number | number[]>>; param_groups: Array<Record<string, PyValue>> } {
    const state: Record<number, Record<string, number | number[]>> = {};
    const groups: Array<Record<string, PyValue>> = [];
    let index = 0;
    for (const g of this.paramGroups) {
      const ids: number[] = [];
      for (const p of g.params) {
        const s = this.state.get(p);
        if (s) {
          const entry: Record<string, number | number[]> = {};
          for (const [k, v] of Object.entries(s)) entry[snake(k)] = typeof v === 'number' ? v : Array.from(v);
          state[index] = entry;
        }
        ids.push(index++);
      }
      groups.push({ ...this.pyOptions(g), params: ids });
    }
    return { state, param_groups: groups };
  }

  /** Restores state saved by stateDict() into an optimiser over the same parameters in the same order. */
  loadStateDict(sd: ReturnType<Optimizer<O>['stateDict']>): void {
    if (!sd || !Array.isArray(sd.param_groups)) throw new Error('loadStateDict: expected {state, param_groups}');
    if (sd.param_groups.length !== this.paramGroups.length) {
      throw new Error('loaded state dict has a different number of parameter groups');
    }
    const params: Tensor[] = [];
    sd.param_groups.forEach((g, i) => {
      const ids = g.params;
      if (!Array.isArray(ids) || ids.length !== this.paramGroups[i].params.length) {
        throw new Error("loaded state dict contains a parameter group that doesn't match the size of optimizer's group");
      }
      params.push(...this.paramGroups[i].params);
    });
    const restored = new Map<Tensor, ParamState>();
    for (const [key, entry] of Object.entries(sd.state ?? {})) {
      const p = params[Number(key)];
      if (p === undefined) throw new Error(`loadStateDict: state for unknown parameter index ${key}`);
      const s: ParamState = {};
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v === 'number') s[camel(k)] = v;
        else {
          if (!Array.isArray(v) || v.length !== p.numel()) throw new Error(`loadStateDict: state '${k}' of parameter ${key} has the wrong size`);
          const buf = this.buffer(p);
          buf.set(v);
          s[camel(k)] = buf;
        }
      }
      restored.set(p, s);
    }
    this.state.clear();
    for (const [p, s] of restored) this.state.set(p, s);
  }

  toString(): string {
    const lines = [`${this.pyName} (`];
    this.paramGroups.forEach((g, i) => {
      lines.push(`Parameter Group ${i}`);
      const opts = this.pyOptions(g);
      for (const k of Object.keys(opts).sort()) lines.push(`    ${k}: ${pyRepr(opts[k])}`);
    });
    lines.push(')');
    return lines.join('\n');
  }
}

function snake(k: string): string {
  return k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function camel(k: string): string {
  return k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

function pyRepr(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Array.isArray(v)) return `(${v.map((x) => pyNum(x)).join(', ')})`;
  if (typeof v === 'number') return pyNum(v);
  return v;
}

function pyNum(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return String(x);
  const s = String(x);
  return s.replace(/e-(\d)$/, 'e-0$1').replace(/e\+?(\d\d+)$/, 'e+$1').replace(/e-(\d\d+)$/, 'e-$1');
}
