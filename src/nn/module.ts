import { noGrad } from '../autograd/grad-mode.js';
import { formatModule, type ModuleReprNode } from '../format/module-repr.js';
import { type DType, allocate } from '../tensor/dtype.js';
import { sameShape, shapeString } from '../tensor/shape.js';
import { type NestedArray, Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/creation.js';
import { Parameter } from './parameter.js';
import { StateDict } from './state-dict.js';

export type StateDictInput = ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor | NestedArray>>;

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/**
 * The base of every layer and model (PyTorch's `nn.Module`). Parameters and child modules are found
 * among the object's own properties in definition order — `model = new Sequential(...)` registers `model`,
 * so the state_dict keys read like PyTorch's — or registered by name with registerParameter/registerModule.
 */
export abstract class Module {
  training = true;
  private readonly registered = new Map<string, Parameter | Module | Tensor | null>();
  private readonly bufferNames = new Set<string>();

  abstract forward(...inputs: Tensor[]): Tensor;

  /** `model(x)` in Python: runs forward. */
  call(...inputs: Tensor[]): Tensor {
    return this.forward(...inputs);
  }

  registerParameter(name: string, param: Parameter | null): void {
    this.registered.set(name, param);
  }

  registerBuffer(name: string, value: Tensor | null): void {
    this.registered.set(name, value);
    this.bufferNames.add(name);
  }

  registerModule(name: string, module: Module | null): void {
    this.registered.set(name, module);
  }

  /** Own parameters, buffers and children in order: explicit registrations first, then properties. */
  private entries(): Array<[string, Parameter | Module | Tensor | null]> {
    const out: Array<[string, Parameter | Module | Tensor | null]> = [...this.registered.entries()];
    for (const [key, value] of Object.entries(this)) {
      if (this.registered.has(key)) continue;
      if (value instanceof Parameter || value instanceof Module) out.push([key, value]);
    }
    return out;
  }

  *namedChildren(): IterableIterator<[string, Module]> {
    for (const [k, v] of this.entries()) if (v instanceof Module) yield [k, v];
  }

  *children(): IterableIterator<Module> {
    for (const [, m] of this.namedChildren()) yield m;
  }

  *namedModules(prefix = ''): IterableIterator<[string, Module]> {
    yield [prefix, this];
    for (const [k, m] of this.namedChildren()) yield* m.namedModules(prefix ? `${prefix}.${k}` : k);
  }

  *modules(): IterableIterator<Module> {
    for (const [, m] of this.namedModules()) yield m;
  }

  *namedParameters(prefix = ''): IterableIterator<[string, Parameter]> {
    const seen = new Set<Tensor>();
    for (const [modPrefix, m] of this.namedModules(prefix)) {
      for (const [k, v] of m.entries()) {
        if (v instanceof Parameter && !seen.has(v)) {
          seen.add(v);
          yield [modPrefix ? `${modPrefix}.${k}` : k, v];
        }
      }
    }
  }

  parameters(): Parameter[] {
    return [...this.namedParameters()].map(([, p]) => p);
  }

  *namedBuffers(prefix = ''): IterableIterator<[string, Tensor]> {
    for (const [modPrefix, m] of this.namedModules(prefix)) {
      for (const name of m.bufferNames) {
        const v = m.registered.get(name);
        if (v instanceof Tensor) yield [modPrefix ? `${modPrefix}.${name}` : name, v];
      }
    }
  }

  buffers(): Tensor[] {
    return [...this.namedBuffers()].map(([, b]) => b);
  }

  /** Number of scalar weights. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.numel(), 0);
  }

  /** Parameters and buffers by dotted name, detached and sharing storage (as PyTorch's state_dict). */
  stateDict(): StateDict {
    const sd = new StateDict();
    for (const [modPrefix, m] of this.namedModules()) {
      for (const [k, v] of m.entries()) {
        if (v instanceof Module || v === null) continue;
        if (v instanceof Parameter || m.bufferNames.has(k)) sd.set(modPrefix ? `${modPrefix}.${k}` : k, v.detach());
      }
    }
    return sd;
  }

  /**
   * Copies values into this module's parameters and buffers. Everything is checked first (keys, shapes,
   * finiteness), so on any error the module is left exactly as it was.
   */
  loadStateDict(input: StateDictInput, options: { strict?: boolean } = {}): LoadResult {
    const strict = options.strict ?? true;
    const own = this.stateDict();
    const given = new Map<string, Tensor>();
    const entries: Array<[string, Tensor | NestedArray]> = input instanceof Map ? [...input.entries()] : Object.entries(input);
    for (const [k, v] of entries) given.set(k, v instanceof Tensor ? v : tensor(v as NestedArray, { dtype: own.get(k)?.dtype }));
    const missingKeys = [...own.keys()].filter((k) => !given.has(k));
    const unexpectedKeys = [...given.keys()].filter((k) => !own.has(k));
    const errors: string[] = [];
    if (strict && unexpectedKeys.length > 0) errors.push(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}. `);
    if (strict && missingKeys.length > 0) errors.push(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(', ')}. `);
    for (const [k, target] of own) {
      const src = given.get(k);
      if (!src) continue;
      if (!sameShape(src.shape, target.shape)) {
        errors.push(`size mismatch for ${k}: copying a param with shape ${shapeString(src.shape)} from checkpoint, the shape in current model is ${shapeString(target.shape)}.`);
        continue;
      }
      const bad = src.values().findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) errors.push(`non-finite value ${src.values()[bad]} in ${k} at flat index ${bad}.`);
    }
    if (errors.length > 0) {
      throw new Error(`Error(s) in loading state_dict for ${this.constructor.name}:\n\t${errors.join('\n\t')}`);
    }
    noGrad(() => {
      for (const [k, target] of own) {
        const src = given.get(k);
        if (src) target.copy_(src);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's `.grad` (zeroed in place by default, as PyTorch 1.13). */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    for (const p of this.parameters()) {
      if (p.grad === null) continue;
      if (options.setToNone) p.grad = null;
      else p.grad.data.fill(0);
    }
  }

  /** Applies `fn` to every submodule and then this one (PyTorch's `apply`). */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  /** Converts parameters and buffers to `dtype` in place (the Parameter objects stay the same). */
  to(dtype: DType): this {
    for (const p of this.parameters()) {
      if (p.dtype === dtype) continue;
      const s = allocate(dtype, p.numel());
      s.set(p.values());
      // Parameters are dense leaves, so swapping the storage is all a dtype change needs.
      (p as { data: Tensor['data'] }).data = s;
      (p as { dtype: DType }).dtype = dtype;
      p.grad = null;
    }
    return this;
  }

  float(): this {
    return this.to('float32');
  }

  double(): this {
    return this.to('float64');
  }

  /** The text inside the parentheses of this module's repr, e.g. `negative_slope=0.01`. */
  extraRepr(): string {
    return '';
  }

  private reprNode(): ModuleReprNode {
    return {
      typeName: this.constructor.name,
      extraRepr: this.extraRepr(),
      children: [...this.namedChildren()].map(([k, m]) => [k, m.reprNode()] as const),
    };
  }

  toString(): string {
    return formatModule(this.reprNode());
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}
