import { noGrad } from '../autograd/grad-mode.js';
import { formatModule, type ModuleReprNode } from '../format/module-repr.js';
import type { ChainStage } from '../ops/fused-chain.js';
import { copy_, zero_ } from '../ops/inplace.js';
import { type DType, allocate, parseDType } from '../tensor/dtype.js';
import { contiguousStrides, numelOf, sameShape, shapeString } from '../tensor/shape.js';
import { type NestedArray, Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/creation.js';
import { Parameter } from './parameter.js';
import { StateDict } from './state-dict.js';

/**
 * What loadStateDict accepts: a Map (a StateDict) or a plain object. Plain values may be nested arrays in the
 * parameter's shape or, for convenience, a flat array in memory order with exactly the parameter's element count
 * (the form `Tensor.toArray()` and JSON checkpoints give).
 */
export type StateDictInput = ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor | NestedArray>>;

/** PyTorch's `_IncompatibleKeys`: what a non-strict load skipped. */
export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export interface StateDictOptions {
  /** Prepended to every key (PyTorch's `prefix`). */
  prefix?: string;
  /** Keep the Parameters themselves instead of detached tensors (PyTorch's `keep_vars`). */
  keepVars?: boolean;
}

type SlotKind = 'parameter' | 'buffer' | 'module';
type SlotValue = Parameter | Module | Tensor | null;

/** Reads and writes own properties by name; Module keeps its parameters, buffers and children there. */
type PropertyBag = Record<string, unknown>;

function checkSlotName(name: string, kind: SlotKind): void {
  if (typeof name !== 'string') throw new TypeError(`${kind} name should be a string. Got ${typeof name}`);
  if (name === '') throw new KeyError(`${kind} name can't be empty string ""`);
  if (name.includes('.')) throw new KeyError(`${kind} name can't contain ".", got: ${name}`);
}

/** PyTorch raises KeyError for bad registration names; JavaScript has no such class, so name one. */
class KeyError extends Error {
  override name = 'KeyError';
}

function isSlotValue(v: unknown): boolean {
  return v === null || v === undefined || v instanceof Tensor || v instanceof Module;
}

/**
 * The base of every layer and model (PyTorch's `nn.Module`).
 *
 * JavaScript cannot intercept `this.x = …` the way Python's `__setattr__` does, so registration is found
 * lazily: every own enumerable property holding a Parameter or a Module counts, in property definition order
 * (`model = new Sequential(…)` gives the keys `model.0.weight`, … as in PyTorch). `registerParameter`,
 * `registerBuffer` and `registerModule` register explicitly (needed for buffers, for `null` parameters such as
 * a missing bias, and for names like Sequential's '0', '1'); they store the value as a property of the same
 * name, so reassigning that property later replaces the registered value as it would in PyTorch.
 * Explicit registrations come before discovered properties in every listing.
 */
export abstract class Module {
  /** Set by train()/eval(); layers whose behaviour differs between the two read it. */
  training = true;
  // Private (#) fields are not properties, so discovery never sees them.
  readonly #kinds = new Map<string, SlotKind>();
  readonly #nonPersistent = new Set<string>();

  /** The computation; subclasses narrow the parameter list, e.g. `forward(x: Tensor)`. */
  abstract forward(...inputs: Tensor[]): Tensor;

  /** `model(x)` in Python (JavaScript objects cannot be called): runs forward. */
  call(...inputs: Tensor[]): Tensor {
    // one input is the common case: a spread call would go through the generic iteration path every step
    return inputs.length === 1 ? this.forward(inputs[0]) : this.forward(...inputs);
  }

  /**
   * @internal This layer as one stage of a fused chain (src/ops/fused-chain.ts: a Sequential of such layers may run
   * as one graph node), or null when it is not one. Layers that are return it only while their own `forward` runs.
   */
  chainStage(): ChainStage | null {
    return null;
  }

  /** Registers a parameter under `name` (`null` records an absent one, like a Conv2d without bias). */
  registerParameter(name: string, param: Parameter | null): void {
    if (param !== null && !(param instanceof Parameter)) {
      throw new TypeError(`cannot assign '${describe(param)}' object to parameter '${name}' (torch.nn.Parameter or None required)`);
    }
    this.#claim(name, 'parameter', param);
  }

  /**
   * Registers a tensor that is state but not a parameter (e.g. running statistics). A non-persistent buffer
   * is left out of stateDict(), as with PyTorch's `persistent=False`.
   */
  registerBuffer(name: string, value: Tensor | null, options: { persistent?: boolean } = {}): void {
    if (value !== null && !(value instanceof Tensor)) {
      throw new TypeError(`cannot assign '${describe(value)}' object to buffer '${name}' (torch Tensor or None required)`);
    }
    this.#claim(name, 'buffer', value);
    if (options.persistent === false) this.#nonPersistent.add(name);
    else this.#nonPersistent.delete(name);
  }

  registerModule(name: string, module: Module | null): void {
    if (module !== null && !(module instanceof Module)) {
      throw new TypeError(`${describe(module)} is not a Module subclass`);
    }
    this.#claim(name, 'module', module);
  }

  /** PyTorch's add_module. */
  addModule(name: string, module: Module | null): void {
    this.registerModule(name, module);
  }

  #claim(name: string, kind: SlotKind, value: SlotValue): void {
    checkSlotName(name, kind);
    const bag = this as unknown as PropertyBag;
    const previous = this.#kinds.get(name);
    if (previous !== undefined && previous !== kind) {
      throw new KeyError(`attribute '${name}' is already registered as a ${previous}`);
    }
    // A field declared in the class (`bias: Parameter | null`) may be claimed; a method or other state may not.
    if (previous === undefined && name in this) {
      const current = bag[name];
      const discovered = current instanceof Parameter ? 'parameter' : current instanceof Module ? 'module' : null;
      if (!Object.hasOwn(this, name) || !isSlotValue(current) || (discovered !== null && discovered !== kind)) {
        throw new KeyError(`attribute '${name}' already exists`);
      }
    }
    Object.defineProperty(this, name, { value, writable: true, enumerable: true, configurable: true });
    this.#kinds.set(name, kind);
  }

  /**
   * This module's own slots of one kind, in order (explicit registrations, then discovered properties). Built as
   * plain arrays with index loops: parameters() may run once per training step, so this stays cheap.
   */
  #own(kind: SlotKind): Array<[string, SlotValue]> {
    const bag = this as unknown as PropertyBag;
    const out: Array<[string, SlotValue]> = [];
    for (const [name, k] of this.#kinds) {
      if (k !== kind) continue;
      const v = bag[name];
      if (!isSlotValue(v) || (kind === 'parameter' && v instanceof Tensor && !(v instanceof Parameter)) ||
          (kind === 'module' && v instanceof Tensor) || (kind !== 'module' && v instanceof Module)) {
        throw new TypeError(`${this.getName()}.${name} is registered as a ${kind} but now holds '${describe(v)}'`);
      }
      out.push([name, (v ?? null) as SlotValue]);
    }
    if (kind === 'buffer') return out; // buffers are never discovered: any tensor property would count otherwise
    const keys = Object.keys(this);
    for (let i = 0; i < keys.length; i++) {
      const v = bag[keys[i]];
      if (kind === 'parameter' ? v instanceof Parameter : v instanceof Module) {
        if (!this.#kinds.has(keys[i])) out.push([keys[i], v as SlotValue]);
      }
    }
    return out;
  }

  /** Pre-order walk with PyTorch's memo: each module once, under the first name it is reached by. */
  #collectModules(prefix: string, memo: Set<Module>, out: Array<[string, Module]>): void {
    if (memo.has(this)) return;
    memo.add(this);
    out.push([prefix, this]);
    const own = this.#own('module');
    for (let i = 0; i < own.length; i++) {
      const m = own[i][1];
      if (m instanceof Module) m.#collectModules(prefix ? `${prefix}.${own[i][0]}` : own[i][0], memo, out);
    }
  }

  #modulesFor(prefix: string, recurse: boolean): Array<[string, Module]> {
    if (!recurse) return [[prefix, this]];
    const out: Array<[string, Module]> = [];
    this.#collectModules(prefix, new Set(), out);
    return out;
  }

  /** Direct children by name, each once. */
  namedChildren(): IterableIterator<[string, Module]> {
    const seen = new Set<Module>();
    const out: Array<[string, Module]> = [];
    for (const [name, m] of this.#own('module')) {
      if (m instanceof Module && !seen.has(m)) {
        seen.add(m);
        out.push([name, m]);
      }
    }
    return out[Symbol.iterator]();
  }

  children(): IterableIterator<Module> {
    return [...this.namedChildren()].map(([, m]) => m)[Symbol.iterator]();
  }

  /** Every module in the tree, this one first, each once (PyTorch's named_modules). */
  namedModules(prefix = ''): IterableIterator<[string, Module]> {
    return this.#modulesFor(prefix, true)[Symbol.iterator]();
  }

  modules(): IterableIterator<Module> {
    return this.#modulesFor('', true).map(([, m]) => m)[Symbol.iterator]();
  }

  #collectTensors<T extends Tensor>(kind: 'parameter' | 'buffer', prefix: string, recurse: boolean): Array<[string, T]> {
    const seen = new Set<Tensor>();
    const out: Array<[string, T]> = [];
    const mods = this.#modulesFor(prefix, recurse);
    for (let i = 0; i < mods.length; i++) {
      const [modPrefix, m] = mods[i];
      const own = m.#own(kind);
      for (let j = 0; j < own.length; j++) {
        const [name, t] = own[j];
        if (t instanceof Tensor && !seen.has(t)) {
          seen.add(t);
          out.push([modPrefix ? `${modPrefix}.${name}` : name, t as T]);
        }
      }
    }
    return out;
  }

  /** Parameters by dotted name; a parameter shared by two layers is listed once, under its first name. */
  namedParameters(prefix = '', recurse = true): IterableIterator<[string, Parameter]> {
    return this.#collectTensors<Parameter>('parameter', prefix, recurse)[Symbol.iterator]();
  }

  parameters(recurse = true): Parameter[] {
    return this.#collectTensors<Parameter>('parameter', '', recurse).map(([, p]) => p);
  }

  namedBuffers(prefix = '', recurse = true): IterableIterator<[string, Tensor]> {
    return this.#collectTensors<Tensor>('buffer', prefix, recurse)[Symbol.iterator]();
  }

  buffers(recurse = true): Tensor[] {
    return this.#collectTensors<Tensor>('buffer', '', recurse).map(([, b]) => b);
  }

  /** Number of scalar weights (each shared parameter counted once). */
  numParameters(options: { onlyTrainable?: boolean } = {}): number {
    return this.parameters()
      .filter((p) => !options.onlyTrainable || p.requiresGrad)
      .reduce((n, p) => n + p.numel(), 0);
  }

  /**
   * Parameters and persistent buffers by dotted name: per module its parameters, then its buffers, then each
   * child's entries — PyTorch's order. Values are detached tensors sharing storage with the model (writing into
   * them changes the model, as in PyTorch). Unlike named_parameters, a shared module appears under every name.
   */
  stateDict(options: StateDictOptions = {}): StateDict {
    const sd = new StateDict();
    this.#saveTo(sd, options.prefix ?? '', options.keepVars ?? false, new Set());
    return sd;
  }

  #saveTo(sd: StateDict, prefix: string, keepVars: boolean, visiting: Set<Module>): void {
    if (visiting.has(this)) throw new Error(`stateDict: module ${this.getName()} contains itself`);
    visiting.add(this);
    for (const [name, p] of this.#own('parameter')) {
      if (p instanceof Tensor) sd.set(prefix + name, keepVars ? p : p.detach());
    }
    for (const [name, b] of this.#own('buffer')) {
      if (b instanceof Tensor && !this.#nonPersistent.has(name)) sd.set(prefix + name, keepVars ? b : b.detach());
    }
    for (const [name, m] of this.#own('module')) {
      if (m instanceof Module) m.#saveTo(sd, `${prefix}${name}.`, keepVars, visiting);
    }
    visiting.delete(this);
  }

  /**
   * Unexpected keys as PyTorch's `_load_from_state_dict` finds them: walking the modules, a key under a module's
   * prefix whose next name part is neither one of its parameters/buffers nor one of its children.
   */
  #findUnexpected(keys: readonly string[], prefix: string, out: Set<string>, visiting: Set<Module>): void {
    if (visiting.has(this)) return;
    visiting.add(this);
    const local = new Set<string>();
    for (const [name, p] of this.#own('parameter')) if (p !== null) local.add(name);
    for (const [name, b] of this.#own('buffer')) if (b !== null && !this.#nonPersistent.has(name)) local.add(name);
    const children = this.#own('module').filter(([, m]) => m !== null);
    const childNames = new Set(children.map(([name]) => name));
    for (const key of keys) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const first = rest.split('.', 1)[0];
      if (!childNames.has(first) && !local.has(rest)) out.add(key);
    }
    for (const [name, m] of children) {
      if (m instanceof Module) m.#findUnexpected(keys, `${prefix}${name}.`, out, visiting);
    }
    visiting.delete(this);
  }

  /**
   * Copies values into this module's parameters and buffers, in place and without recording a graph, casting
   * to each target's dtype. Everything is checked before anything is written — keys (when strict), shapes and
   * finiteness — so on any error the module is left exactly as it was; the error lists every problem in
   * PyTorch's words ("Error(s) in loading state_dict for CNN:\n\tMissing key(s) in state_dict: …").
   * Size mismatches and non-finite values are errors even when `strict` is false (PyTorch checks sizes always;
   * the finiteness check is torchlet's, so that a corrupt checkpoint cannot silently poison a model).
   */
  loadStateDict(input: StateDictInput, options: { strict?: boolean } = {}): LoadResult {
    if (input === null || typeof input !== 'object') {
      throw new TypeError(`Expected state_dict to be dict-like, got ${describe(input)}.`);
    }
    const strict = options.strict ?? true;
    const own = this.stateDict();
    const entries: Array<[string, unknown]> = input instanceof Map ? [...input.entries()] : Object.entries(input);
    const givenKeys = entries.map(([k]) => k);
    const given = new Map<string, unknown>(entries);

    const missingKeys = [...own.keys()].filter((k) => !given.has(k));
    const unexpectedSet = new Set<string>();
    this.#findUnexpected(givenKeys, '', unexpectedSet, new Set());
    const unexpectedKeys = givenKeys.filter((k) => unexpectedSet.has(k));

    const errors: string[] = [];
    const copies: Array<[Tensor, Tensor]> = [];
    for (const [key, target] of own) {
      if (!given.has(key)) continue;
      const result = toSource(given.get(key), target);
      if (typeof result === 'string') {
        errors.push(`While copying the parameter named "${key}", ${result}`);
        continue;
      }
      if (!sameShape(result.shape, target.shape)) {
        errors.push(
          `size mismatch for ${key}: copying a param with shape ${shapeString(result.shape)} from checkpoint, ` +
            `the shape in current model is ${shapeString(target.shape)}.`,
        );
        continue;
      }
      const values = result.values();
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        errors.push(`non-finite value ${values[bad]} for ${key} at flat index ${bad}: refusing to load it.`);
        continue;
      }
      copies.push([target, result]);
    }
    if (strict) {
      // PyTorch puts these first, missing keys before unexpected ones, ahead of the size mismatches.
      if (unexpectedKeys.length > 0) errors.unshift(`Unexpected key(s) in state_dict: ${quoteKeys(unexpectedKeys)}. `);
      if (missingKeys.length > 0) errors.unshift(`Missing key(s) in state_dict: ${quoteKeys(missingKeys)}. `);
    }
    if (errors.length > 0) {
      throw new Error(`Error(s) in loading state_dict for ${this.getName()}:\n\t${errors.join('\n\t')}`);
    }
    noGrad(() => {
      for (const [target, src] of copies) copy_(target, src);
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Sets training mode on this module and every submodule (PyTorch's train(mode)). */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new TypeError('training mode is expected to be boolean');
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** train(false): the mode for evaluation. */
  eval(): this {
    return this.train(false);
  }

  /** Sets requiresGrad on every parameter (PyTorch's requires_grad_), e.g. to freeze a model. */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad_(requiresGrad);
    return this;
  }

  /**
   * Clears every parameter's `.grad`. By default the gradient is zeroed in place (PyTorch 1.13's default, which
   * the reference numbers use); `setToNone: true` drops it instead (PyTorch 2.x's default).
   */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    for (const p of this.parameters()) {
      const g = p.grad;
      if (g === null) continue;
      if (options.setToNone) {
        p.grad = null;
        continue;
      }
      // As PyTorch: a gradient that is itself part of a graph is cut loose before it is zeroed.
      g.gradFn = null;
      g.requiresGrad = false;
      if (g.isDense) g.data.fill(0, g.offset, g.offset + g.numel());
      else noGrad(() => zero_(g));
    }
  }

  /** Applies `fn` to every submodule (children first) and then to this one (PyTorch's apply). */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  /**
   * Converts every parameter, its gradient and every buffer to `dtype`, in place: as PyTorch's `module.to(dtype)`
   * the Parameter objects stay the same (an optimiser holding them keeps working) and get new storage.
   */
  to(dtype: DType | string): this {
    const target = parseDType(dtype);
    for (const p of this.parameters()) {
      retype(p, target);
      if (p.grad !== null) retype(p.grad, target);
    }
    for (const b of this.buffers()) retype(b, target);
    return this;
  }

  float(): this {
    return this.to('float32');
  }

  double(): this {
    return this.to('float64');
  }

  /**
   * The class name shown in the repr and in load errors (PyTorch's `_get_name`). Built-in layers declare it as
   * an own static `typeName`, because a minifying bundler renames classes and `constructor.name` with them; a
   * user's subclass (which does not declare one) shows its own class name.
   */
  getName(): string {
    const ctor = this.constructor as { name: string; typeName?: unknown };
    return Object.hasOwn(ctor, 'typeName') && typeof ctor.typeName === 'string' ? ctor.typeName : ctor.name;
  }

  /** The text inside the parentheses of this module's repr, e.g. `negative_slope=0.01` (PyTorch's extra_repr). */
  extraRepr(): string {
    return '';
  }

  #reprNode(): ModuleReprNode {
    return {
      typeName: this.getName(),
      extraRepr: this.extraRepr(),
      children: [...this.#own('module')]
        .filter((e): e is [string, Module] => e[1] instanceof Module)
        .map(([name, m]) => [name, m.#reprNode()] as const),
    };
  }

  /** PyTorch's repr: `Sequential(\n  (0): Conv2d(1, 1, kernel_size=(2, 2), stride=(1, 1))\n …)`. */
  toString(): string {
    return formatModule(this.#reprNode());
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

function describe(v: unknown): string {
  if (v === null) return 'None';
  if (typeof v === 'object' && v !== undefined) return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

function quoteKeys(keys: readonly string[]): string {
  return keys.map((k) => `"${k}"`).join(', ');
}

/** Turns a checkpoint value into a tensor, or says why it cannot (the message goes into the load error). */
function toSource(value: unknown, target: Tensor): Tensor | string {
  if (value instanceof Tensor) {
    // PyTorch's backward compatibility: a 0-d parameter accepts a one-element 1-d tensor.
    if (target.shape.length === 0 && value.shape.length === 1 && value.shape[0] === 1) return new Tensor(value.values(), []);
    return value;
  }
  if (typeof value === 'number' || Array.isArray(value)) {
    let t: Tensor;
    try {
      t = tensor(value as NestedArray, { dtype: target.dtype });
    } catch (err) {
      return `expected a Tensor or nested arrays of numbers from checkpoint but could not read them: ${(err as Error).message}`;
    }
    // A flat list in memory order (the JSON form of a weight) is read in the target's shape.
    if (t.shape.length === 1 && target.shape.length !== 1 && t.numel() === numelOf(target.shape)) {
      return new Tensor(t.values(), target.shape.slice());
    }
    return t;
  }
  return `expected torch.Tensor or Tensor-like object from checkpoint but received ${describe(value)}`;
}

/** Gives a tensor new dense storage of `dtype` (same object: it may be a Parameter others hold). */
function retype(t: Tensor, dtype: DType): void {
  if (t.dtype === dtype) return;
  const storage = allocate(dtype, t.numel());
  storage.set(t.values());
  const w = t as unknown as { data: Tensor['data']; dtype: DType; strides: readonly number[]; offset: number; base: Tensor | null };
  w.data = storage;
  w.dtype = dtype;
  w.strides = contiguousStrides(t.shape);
  w.offset = 0;
  w.base = null;
}
