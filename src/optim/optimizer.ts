import { enableGrad } from '../autograd/grad-mode.js';
import { pyFloat, pyNumber } from '../format/py-format.js';
import { type Storage, allocate } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { zero_ } from '../ops/inplace.js';

/**
 * One entry of an optimiser's per-parameter state: a buffer (a tensor of the parameter's dtype and shape), the
 * step count (a number, or for Adam a 0-d float32 tensor, as in PyTorch 1.13), or `null` (SGD keeps
 * `momentumBuffer: null` when momentum is 0, as PyTorch keeps `None`).
 */
export type StateValue = Tensor | number | null;

/** Per-parameter state, PyTorch's `optimizer.state[p]` with camelCase names (`squareAvg` for `square_avg`). */
export type ParamState = Record<string, StateValue>;

/** A parameter group as the optimiser holds it: the parameters and every option, filled in from the defaults. */
export type ParamGroup<Options> = { params: Tensor[] } & Options;

/** A parameter group as given to the constructor or `addParamGroup`: options left out take the defaults. */
export type ParamGroupInput<Options> = { params: Iterable<Tensor> | Tensor } & Partial<Options>;

/** What an optimiser takes: an iterable of tensors (one group), or a list of parameter groups. */
export type ParamsInput<Options> = Iterable<Tensor> | Iterable<ParamGroupInput<Options>>;

/** A value in a saved parameter group (Python's float, int, bool, None or tuple of floats). */
export type GroupValue = number | boolean | null | string | readonly number[];

/**
 * PyTorch's `optimizer.state_dict()` structure, with PyTorch's (snake_case) key names, so it reads like the
 * saved format: `{state: {0: {step, square_avg, acc_delta}}, param_groups: [{lr, rho, …, params: [0]}]}`.
 */
export interface OptimizerStateDict {
  state: Record<number, Record<string, StateValue>>;
  param_groups: Array<{ [key: string]: GroupValue | number[]; params: number[] }>;
}

/**
 * How one option of a parameter group is spelled and printed by PyTorch 1.13.
 * - `name`: PyTorch's key (snake_case); the torchlet option is its camelCase form.
 * - `kind`: how Python prints the value. JavaScript has one number type, so an integral value prints as a
 *   Python float ('1.0') for options PyTorch declares as floats (lr, eps, …) and as an int ('0') for options whose
 *   PyTorch default is an int (weight_decay=0, momentum=0, dampening=0).
 * - `constant`: an option torchlet does not implement but PyTorch lists (foreach, differentiable, capturable,
 *   fused): always this value in saved groups and the repr, never a torchlet option.
 */
export interface OptionSpec {
  readonly name: string;
  readonly kind: 'float' | 'int' | 'bool' | 'floats' | 'constant';
  readonly constant?: boolean | null;
}

/** The option specs in PyTorch's `defaults` order; `f`/`i`/`b`/`t` build one of each kind, `c` a constant. */
export const spec = {
  f: (name: string): OptionSpec => ({ name, kind: 'float' }),
  i: (name: string): OptionSpec => ({ name, kind: 'int' }),
  b: (name: string): OptionSpec => ({ name, kind: 'bool' }),
  t: (name: string): OptionSpec => ({ name, kind: 'floats' }),
  c: (name: string, constant: boolean | null): OptionSpec => ({ name, kind: 'constant', constant }),
};

export function camelToSnake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function snakeToCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Python's `str(value)` for a parameter-group value of the given kind. */
function pyValue(value: unknown, kind: OptionSpec['kind'] | 'unknown'): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return kind === 'float' || kind === 'floats' ? pyFloat(value) : pyNumber(value);
  if (Array.isArray(value)) {
    const items = value.map((v) => pyValue(v, kind === 'floats' ? 'float' : 'unknown'));
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
  }
  if (typeof value === 'string') return value;
  return String(value);
}

/** Keeps group values that a saved group may hold; anything else is left out of the state dict. */
function isGroupValue(v: unknown): v is GroupValue {
  return v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' ||
    (Array.isArray(v) && v.every((x) => typeof x === 'number'));
}

function copyGroupValue(v: GroupValue): GroupValue {
  return Array.isArray(v) ? [...v] : v;
}

/**
 * The optimiser's `state` map. It counts its writes so that the parameter slots (below), which hold each
 * parameter's state record, can tell with one comparison per step whether the map may have changed.
 */
class StateMap extends Map<Tensor, ParamState> {
  writes = 0;

  override set(key: Tensor, value: ParamState): this {
    this.writes++;
    return super.set(key, value);
  }

  override delete(key: Tensor): boolean {
    this.writes++;
    return super.delete(key);
  }

  override clear(): void {
    this.writes++;
    super.clear();
  }
}

/** Whether `slots` are, in order, the slots of `params` (a params array may be written in place). */
export function slotsFor(slots: readonly Slot[], params: readonly Tensor[]): boolean {
  if (slots.length !== params.length) return false;
  for (let j = 0; j < slots.length; j++) if (slots[j].param !== params[j]) return false;
  return true;
}

/** The write count of a state map; NaN (equal to nothing) for a plain Map a user assigned, which never caches. */
export function writesOf(map: Map<Tensor, ParamState>): number {
  return map instanceof StateMap ? map.writes : NaN;
}

const NO_STORAGE = new Float32Array(0);

/**
 * What a step needs of one parameter, resolved once instead of looked up per parameter per step (a Map lookup
 * for the state and a WeakMap lookup for the checked gradient cost more than the update of a 4-element weight).
 * Subclasses read the fields; the base class keeps them true:
 * - `grad`, `w`, `g`, `wo`, `go`, `n`, `f32` describe the gradient tensor last checked against the parameter
 *   and both storages. `bound()` compares the live `p.grad`, `g.data` and `p.data` with them every step, so a
 *   replaced gradient, or storage re-homed by Module.to(), is checked again before use.
 * - `state` is the parameter's record in `state`, or null before its first step; it is refreshed whenever the
 *   state map was replaced or written to by anyone but the optimiser's own state creation.
 */
export class Slot {
  readonly param: Tensor;
  grad: Tensor | null = null;
  w: Storage = NO_STORAGE;
  g: Storage = NO_STORAGE;
  wo = 0;
  go = 0;
  n = 0;
  f32 = true;
  state: ParamState | null = null;

  constructor(param: Tensor) {
    this.param = param;
  }

  /** Whether the parameter's gradient, its storage and the parameter's storage are the ones last checked. */
  isCurrent(): boolean {
    const p = this.param;
    const g = p.grad;
    return g !== null && g === this.grad && g.data === this.g && p.data === this.w;
  }
}

/** The slots of one parameter group, valid while the group, its params array and the state epoch are unchanged. */
interface GroupSlots {
  group: object;
  params: Tensor[];
  epoch: number;
  slots: Slot[];
}

/** Marks an option with no default: every parameter group must give it (PyTorch's `required`, SGD's lr). */
export const REQUIRED: unique symbol = Symbol('required parameter');

function typeName(x: unknown): string {
  if (x === null) return 'None';
  if (typeof x === 'number') return Number.isInteger(x) ? 'int' : 'float';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return typeof x;
}

/**
 * Base class of every optimiser, as PyTorch's `torch.optim.Optimizer`: parameter groups, lazily created
 * per-parameter state, `zeroGrad`, `step`, `stateDict`/`loadStateDict` and PyTorch's repr.
 *
 * `state` is readable for teaching (e.g. Adadelta's `squareAvg`/`accDelta` before and after a step); the buffers
 * are the live tensors the update writes in place. Change state only through `loadStateDict`.
 *
 * Subclasses implement `updateGroup`, a loop over the raw storages written as PyTorch 1.13's single-tensor
 * implementation computes it (no tensor ops, no allocation after a parameter's first step), `optionSpecs`,
 * PyTorch's option names in its `defaults` order, and `adoptState`, which checks loaded state.
 *
 * Numbers: float32 parameters get PyTorch's float32 results bit for bit (as its AVX2 CPU kernels compute them:
 * rounded after every kernel, fused multiply-adds where the kernel is one), float64 parameters likewise in double.
 */
export abstract class Optimizer<Options extends object> {
  /** Options used where a parameter group does not give its own. */
  readonly defaults: Options;
  /** The parameter groups; change an option (`paramGroups[0].lr = 0.1`) to take effect from the next step. */
  paramGroups: Array<ParamGroup<Options>> = [];
  /** Per-parameter state, created at a parameter's first step with a gradient. */
  state: Map<Tensor, ParamState> = new StateMap();
  /** Saved-dict key order per group (the keys a group was given first, as a Python dict keeps them). */
  private readonly keyOrder = new WeakMap<object, string[]>();
  /** Slots per parameter group, by the group's index. */
  private groupSlots: Array<GroupSlots | undefined> = [];
  /** The state map and its write count as the slots last saw them; `epoch` counts the changes seen. */
  private seenState: Map<Tensor, ParamState> | null = null;
  private seenWrites = NaN;
  private epoch = 0;

  constructor(params: ParamsInput<Options>, defaults: Options) {
    this.defaults = defaults;
    if (params instanceof Tensor) {
      throw new TypeError(
        'params argument given to the optimizer should be an iterable of Tensors or dicts, but got ' +
          (params.dtype === 'float32' ? 'torch.FloatTensor' : 'torch.DoubleTensor'),
      );
    }
    const list: Array<Tensor | ParamGroupInput<Options>> = [...(params as Iterable<Tensor | ParamGroupInput<Options>>)];
    if (list.length === 0) throw new Error('optimizer got an empty parameter list');
    if (isGroupInput(list[0])) for (const g of list as Array<ParamGroupInput<Options>>) this.addParamGroup(g);
    else this.addParamGroup({ params: list as Tensor[] } as { params: Tensor[] } & Partial<Options>);
  }

  /** PyTorch's option names and print kinds, in PyTorch's `defaults` order. */
  protected abstract optionSpecs(): readonly OptionSpec[];

  /**
   * Updates every parameter of one group that has a gradient. `slots` are the group's parameters in order (the
   * same array from step to step until the group, its params or the state map change); a subclass skips those
   * where `bound(slot)` is false and gets the state from `slot.state ?? this.createState(…)`. `index` is the
   * group's place in paramGroups, for a subclass that keeps its own per-group data.
   */
  protected abstract updateGroup(group: ParamGroup<Options>, slots: readonly Slot[], index: number): void;

  /**
   * Brings loaded state to this optimiser's form (Adam keeps `step` as a tensor, Adadelta as a number); throws
   * on state it cannot use. Called by `loadStateDict` with the parameter the state belongs to.
   */
  protected abstract adoptState(param: Tensor, state: ParamState): void;

  /**
   * One optimisation step over every parameter with a gradient (parameters whose `.grad` is null are skipped).
   * `closure`, if given, re-evaluates the loss (run with grad enabled) before the update; its value is returned.
   */
  step(closure?: () => Tensor): Tensor | undefined {
    const loss = closure === undefined ? undefined : enableGrad(closure);
    const groups = this.paramGroups;
    for (let i = 0; i < groups.length; i++) this.updateGroup(groups[i], this.slotsOf(i), i);
    return loss;
  }

  /**
   * Clears the gradients of every parameter. PyTorch 1.13's default zeroes the existing `.grad` in place
   * (detached from any graph); `setToNone: true` sets `.grad = null` instead, so the next step skips any
   * parameter that gets no new gradient.
   */
  zeroGrad(options?: { setToNone?: boolean }): void {
    const setToNone = options?.setToNone ?? false;
    const groups = this.paramGroups;
    // straight over the parameters: zeroing needs none of the slots' checks (see slotsOf), only each .grad's extent
    for (let k = 0; k < groups.length; k++) {
      const params = groups[k].params;
      for (let j = 0; j < params.length; j++) {
        const p = params[j];
        const g = p.grad;
        if (g === null) continue;
        if (setToNone) {
          p.grad = null;
          continue;
        }
        if (g.gradFn !== null) g.gradFn = null;
        if (g.requiresGrad) g.requiresGrad = false;
        if (g.isDense) {
          const d = g.data;
          for (let i = g.offset, end = g.offset + g.numel(); i < end; i++) d[i] = 0;
        } else {
          zero_(g);
        }
      }
    }
  }

  /** Adds a parameter group (e.g. layers unfrozen while fine-tuning); options it leaves out take the defaults. */
  addParamGroup(group: ParamGroupInput<Options>): void {
    if (typeof group !== 'object' || group === null || group instanceof Tensor) {
      throw new TypeError('param group must be a dict');
    }
    const raw = group.params;
    let params: Tensor[];
    if (raw instanceof Tensor) params = [raw];
    else if (raw instanceof Set) {
      throw new TypeError(
        'optimizer parameters need to be organized in ordered collections, but the ordering of tensors in sets will ' +
          'change between runs. Please use a list instead.',
      );
    } else params = [...raw];
    for (const p of params) {
      if (!(p instanceof Tensor)) {
        throw new TypeError(`optimizer can only optimize Tensors, but one of the params is ${typeName(p)}`);
      }
      if (!(p.isLeaf || p.retainsGrad)) throw new Error("can't optimize a non-leaf Tensor");
    }
    // an option given as undefined counts as not given (JavaScript's spelling of a left-out keyword)
    const given = Object.keys(group).filter((k) => k !== 'params' && (group as Record<string, unknown>)[k] !== undefined);
    const filled: Record<string, unknown> = { params };
    for (const k of given) filled[k] = (group as Record<string, unknown>)[k];
    for (const [name, value] of Object.entries(this.defaults)) {
      if (name in filled) continue;
      if (value === REQUIRED) {
        throw new Error(`parameter group didn't specify a value of required optimization parameter ${camelToSnake(name)}`);
      }
      filled[name] = Array.isArray(value) ? [...(value as unknown[])] : value;
    }
    if (new Set(params).size !== params.length) {
      console.warn(
        'optimizer contains a parameter group with duplicate parameters; in future, this will cause an error; ' +
          'see github.com/pytorch/pytorch/issues/40967 for more information',
      );
    }
    const existing = new Set<Tensor>();
    for (const g of this.paramGroups) for (const p of g.params) existing.add(p);
    if (params.some((p) => existing.has(p))) throw new Error('some parameters appear in more than one parameter group');
    const result = filled as ParamGroup<Options>;
    this.keyOrder.set(result, given.map(camelToSnake));
    this.paramGroups.push(result);
  }

  /**
   * PyTorch's `state_dict()`: parameters become their index (counted across groups in order), keys are PyTorch's
   * snake_case names. As in PyTorch, the state tensors are the live buffers, not copies.
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    let next = 0;
    const paramGroups = this.paramGroups.map((group) => {
      const packed: Record<string, GroupValue | number[]> = {};
      for (const name of this.savedKeyOrder(group)) {
        const value = this.savedGroupValue(group, name);
        if (value !== undefined) packed[name] = value;
      }
      const ids: number[] = [];
      for (const p of group.params) {
        if (!index.has(p)) index.set(p, next + ids.length);
        ids.push(index.get(p) as number);
      }
      next += ids.length;
      packed.params = ids;
      return packed as OptimizerStateDict['param_groups'][number];
    });
    const state: OptimizerStateDict['state'] = {};
    for (const [p, s] of this.state) {
      const id = index.get(p);
      if (id === undefined) continue;
      const out: Record<string, StateValue> = {};
      for (const [k, v] of Object.entries(s)) out[camelToSnake(k)] = v;
      state[id] = out;
    }
    return { state, param_groups: paramGroups };
  }

  /**
   * PyTorch's `load_state_dict()`: checks the group and parameter counts, copies the state (tensors cast to each
   * parameter's dtype, `step` left as it is) and takes the groups' options from the saved dict.
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    const saved = stateDict.param_groups;
    if (!Array.isArray(saved) || saved.length !== this.paramGroups.length) {
      throw new Error('loaded state dict has a different number of parameter groups');
    }
    for (let i = 0; i < saved.length; i++) {
      if (saved[i].params.length !== this.paramGroups[i].params.length) {
        throw new Error("loaded state dict contains a parameter group that doesn't match the size of optimizer's group");
      }
    }
    const idMap = new Map<number, Tensor>();
    saved.forEach((g, i) => g.params.forEach((id, j) => idMap.set(id, this.paramGroups[i].params[j])));

    const state = new StateMap();
    for (const [key, value] of Object.entries(stateDict.state)) {
      const param = idMap.get(Number(key));
      if (param === undefined) continue; // PyTorch keeps such entries under their old key; they belong to no parameter
      const s: ParamState = {};
      for (const [k, v] of Object.entries(value)) s[snakeToCamel(k)] = copyStateValue(param, k, v);
      this.adoptState(param, s);
      state.set(param, s);
    }

    const groups = saved.map((g, i) => {
      const specs = new Map(this.optionSpecs().map((s) => [s.name, s]));
      const group: Record<string, unknown> = { params: this.paramGroups[i].params };
      const order: string[] = [];
      for (const [k, v] of Object.entries(g)) {
        if (k === 'params') continue;
        order.push(k);
        if (specs.get(k)?.kind === 'constant') continue;
        if (isGroupValue(v)) group[snakeToCamel(k)] = copyGroupValue(v);
      }
      for (const [name, value] of Object.entries(this.defaults)) {
        if (!(name in group) && value !== REQUIRED) group[name] = Array.isArray(value) ? [...(value as unknown[])] : value;
      }
      const result = group as ParamGroup<Options>;
      this.keyOrder.set(result, order);
      return result;
    });
    this.state = state;
    this.paramGroups = groups;
  }

  /** PyTorch's repr: each group's options (not its params), sorted by name, printed as Python prints them. */
  toString(): string {
    let s = `${this.constructor.name} (`;
    this.paramGroups.forEach((group, i) => {
      s += `\nParameter Group ${i}\n`;
      const names = this.savedKeyOrder(group).filter((k) => this.savedGroupValue(group, k) !== undefined).sort();
      for (const name of names) {
        const kind = this.optionSpecs().find((o) => o.name === name)?.kind ?? 'unknown';
        s += `    ${name}: ${pyValue(this.savedGroupValue(group, name), kind)}\n`;
      }
    });
    return s + ')';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /**
   * The slots of parameter group `index`, rebuilt when the group, its params array or one of its entries was
   * replaced, and given fresh state records when the state map changed (see Slot).
   */
  private slotsOf(index: number): Slot[] {
    const group = this.paramGroups[index];
    const params = group.params;
    const map = this.state;
    const writes = writesOf(map);
    if (map !== this.seenState || writes !== this.seenWrites) {
      this.seenState = map;
      this.seenWrites = writes;
      this.epoch++;
    }
    const cached = this.groupSlots[index];
    if (cached !== undefined && cached.group === group && cached.params === params && cached.epoch === this.epoch &&
        slotsFor(cached.slots, params)) {
      return cached.slots;
    }
    // Slots of parameters still in place keep their checked gradient; every slot re-reads its state.
    const old = cached?.slots ?? [];
    const slots = params.map((p, j) => (j < old.length && old[j].param === p ? old[j] : new Slot(p)));
    for (const slot of slots) slot.state = map.get(slot.param) ?? null;
    this.groupSlots[index] = { group, params, epoch: this.epoch, slots };
    return slots;
  }

  /**
   * Whether the slot's parameter has a gradient to step with. A gradient tensor, or storage, the slot has not
   * seen is checked first: dense, with the parameter's dtype and size.
   */
  protected bound(slot: Slot): boolean {
    if (slot.isCurrent()) return true;
    const p = slot.param;
    const g = p.grad;
    if (g === null) return false;
    this.bind(slot, p, g);
    return true;
  }

  private bind(slot: Slot, param: Tensor, g: Tensor): void {
    if (g.dtype !== param.dtype) {
      throw new Error(`${this.constructor.name}: a ${g.dtype} gradient for a ${param.dtype} parameter`);
    }
    if (g.numel() !== param.numel() || !g.isDense) {
      throw new Error(
        `${this.constructor.name}: the gradient must be a dense tensor of the parameter's shape ` +
          `[${param.shape.join(', ')}], got shape [${g.shape.join(', ')}]`,
      );
    }
    slot.grad = g;
    slot.w = param.data;
    slot.g = g.data;
    slot.wo = param.offset;
    slot.go = g.offset;
    slot.n = param.numel();
    slot.f32 = param.dtype === 'float32';
  }

  /**
   * The state record of the slot's parameter at its first step (made by `init`, or one already in `state`).
   * Creating it checks once that the parameter is a dense float tensor the update loops can walk.
   */
  protected createState(slot: Slot, init: (param: Tensor) => ParamState): ParamState {
    const param = slot.param;
    const map = this.state;
    let s = map.get(param);
    if (s === undefined) {
      if (!param.isDense) {
        throw new Error(`${this.constructor.name}: parameters must be dense (contiguous) tensors; got strides [${param.strides.join(', ')}]`);
      }
      s = init(param);
      const inSync = map === this.seenState && writesOf(map) === this.seenWrites;
      map.set(param, s);
      // this write is known to every slot it concerns (this one, below): no reason to refresh the others
      if (inSync) this.seenWrites = writesOf(map);
    }
    slot.state = s;
    return s;
  }

  /** Keys of a saved group in PyTorch's order: keys the group was given first, then the defaults' order. */
  private savedKeyOrder(group: ParamGroup<Options>): string[] {
    const first = this.keyOrder.get(group) ?? [];
    const keys = [...first];
    const seen = new Set(first);
    for (const s of this.optionSpecs()) if (!seen.has(s.name)) { keys.push(s.name); seen.add(s.name); }
    for (const k of Object.keys(group)) {
      const name = camelToSnake(k);
      if (k !== 'params' && !seen.has(name)) { keys.push(name); seen.add(name); }
    }
    return keys;
  }

  private savedGroupValue(group: ParamGroup<Options>, name: string): GroupValue | undefined {
    const specItem = this.optionSpecs().find((s) => s.name === name);
    if (specItem?.kind === 'constant') return specItem.constant ?? null;
    const v = (group as Record<string, unknown>)[snakeToCamel(name)];
    return isGroupValue(v) ? copyGroupValue(v) : undefined;
  }
}

function isGroupInput<Options>(x: unknown): x is ParamGroupInput<Options> {
  return typeof x === 'object' && x !== null && !(x instanceof Tensor) && 'params' in x;
}

/** Deep copy of one loaded state value; tensors other than `step` take the parameter's dtype (as PyTorch casts them). */
function copyStateValue(param: Tensor, key: string, v: StateValue): StateValue {
  if (v === null || typeof v === 'number') return v;
  if (!(v instanceof Tensor)) {
    throw new TypeError(`loadStateDict: state '${key}' must be a Tensor, a number or null, got ${typeName(v)}`);
  }
  const dtype = key === 'step' ? v.dtype : param.dtype;
  const data = allocate(dtype, v.numel());
  data.set(v.values());
  return new Tensor(data, [...v.shape]);
}

/** Zeros of `param`'s dtype and shape: a fresh state buffer. */
export function zerosLikeParam(param: Tensor): Tensor {
  return new Tensor(allocate(param.dtype, param.numel()), [...param.shape]);
}

/** Checks that a loaded state buffer can serve `param` (same shape); used by `adoptState`. */
export function checkBuffer(opt: string, param: Tensor, state: ParamState, key: string): Tensor {
  const v = state[key];
  if (!(v instanceof Tensor)) throw new Error(`${opt}: loaded state has no tensor '${camelToSnake(key)}'`);
  if (v.numel() !== param.numel() || v.shape.length !== param.shape.length || v.shape.some((d, i) => d !== param.shape[i])) {
    throw new Error(
      `${opt}: loaded state '${camelToSnake(key)}' has shape [${v.shape.join(', ')}], the parameter has [${param.shape.join(', ')}]`,
    );
  }
  return v;
}

/** The step count as a number (newer PyTorch saves it as a tensor). */
export function stepNumber(v: StateValue): number {
  if (typeof v === 'number') return v;
  if (v instanceof Tensor && v.numel() === 1) return v.item();
  throw new Error("loaded state has no 'step'");
}
