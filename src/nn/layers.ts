import type { Generator } from '../random/generator.js';
import { formatTuple, pyFloat } from '../format/module-repr.js';
import type { DType } from '../tensor/dtype.js';
import { zeros } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { conv2d } from '../ops/conv.js';
import {
  CHAIN_CONV, CHAIN_LEAKY, CHAIN_SIGMOID, ChainStage, fusedChain, fusedChainAgain, fusedChainSnapshot,
} from '../ops/fused-chain.js';
import { linear } from '../ops/linalg.js';
import { maxPool2d } from '../ops/pool.js';
import { flatten } from '../ops/view.js';
import { leakyRelu, logSoftmax, relu, sigmoid, softmax, tanh } from '../ops/activation.js';
import { initConvDefault, initLinearDefault } from './init.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

/** A size given once for both spatial dims, or as (height, width). */
export type Pair = number | readonly [number, number];

/**
 * A layer's pair, frozen as PyTorch's tuple is immutable (`conv.stride[0] = 2` throws a TypeError): it changes only
 * by being replaced, which a fused chain notices by identity instead of comparing values on every call.
 */
function toPair(v: Pair, what: string, min: number): readonly [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((x) => Number.isInteger(x) && x >= min)) {
    throw new RangeError(`${what} must be ${min > 0 ? 'positive' : 'non-negative'} integers, got ${String(v)}`);
  }
  return Object.freeze(p);
}

function checkCount(v: number, what: string): void {
  if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${what} must be a positive integer, got ${v}`);
}

/**
 * Modules applied in order (PyTorch's nn.Sequential); children are named '0', '1', … or, given a Map, by its
 * keys. `forward` feeds each module's output to the next.
 */
export class Sequential extends Module {
  static readonly typeName = 'Sequential';

  // The children's names in order. The modules themselves are read from the registered properties each time, so
  // `registerModule('1', other)` (PyTorch's `seq[1] = other`) takes effect, and a module appearing twice runs twice.
  readonly #names: string[] = [];
  // The modules forward() last found under #names: one identity test per layer per call instead of a keyed
  // property read plus a type check (a training step runs forward tens of thousands of times).
  #lastSeen: Module[] = [];
  // #names as property keys, array-index names as numbers: a numeric key skips the string-to-index conversion
  readonly #keys: Array<string | number> = [];
  // the layers as the stages of a fused chain (src/ops/fused-chain.ts), refilled by a call that finds a layer
  // changed; one array per Sequential
  readonly #stages: ChainStage[] = [];
  // what the chain's program was last checked against (fusedChainSnapshot), while the layers fuse: each call
  // compares the layers with it, reading only, and the stages are filled and checked anew only on a difference
  #snapshot: readonly ChainStage[] | null = null;

  constructor(...modules: Module[] | [ReadonlyMap<string, Module>]) {
    super();
    const first = modules[0];
    if (modules.length === 1 && first instanceof Map) {
      for (const [name, m] of first as ReadonlyMap<string, Module>) this.#add(name, m);
    } else {
      for (const m of modules as Module[]) this.append(m);
    }
  }

  #add(name: string, module: Module): void {
    if (!(module instanceof Module)) throw new TypeError(`Sequential: ${String(module)} is not a Module subclass`);
    this.registerModule(name, module);
    this.#names.push(name);
    this.#keys.push(/^(0|[1-9]\d{0,8})$/.test(name) ? Number(name) : name);
  }

  #layer(name: string): Module {
    const m = (this as unknown as Record<string, unknown>)[name];
    if (!(m instanceof Module)) throw new TypeError(`Sequential: layer '${name}' is not a Module`);
    return m;
  }

  /** Adds a module at the end, named by its position. */
  append(module: Module): this {
    this.#add(String(this.#names.length), module);
    return this;
  }

  /** `seq[i]` in Python; negative indices count from the end. */
  at(index: number): Module {
    const n = this.#names.length;
    if (!Number.isInteger(index) || index < -n || index >= n) throw new RangeError(`index ${index} is out of range`);
    return this.#layer(this.#names[index < 0 ? index + n : index]);
  }

  get length(): number {
    return this.#names.length;
  }

  [Symbol.iterator](): IterableIterator<Module> {
    return this.#names.map((name) => this.#layer(name))[Symbol.iterator]();
  }

  /**
   * Module.call, as Sequential's own: V8 keeps what it learns about a call site per function, and Module.call's
   * `this.forward` meets every kind of module (too many for it to dispatch directly); here it meets one.
   */
  override call(input: Tensor): Tensor {
    return this.forward(input);
  }

  forward(input: Tensor): Tensor {
    const snapshot = this.#snapshot;
    if (snapshot !== null) {
      const y = this.#fusedAgain(input, snapshot);
      if (y !== null) return y;
    }
    return this.#forwardLayers(input);
  }

  /**
   * The chain run as last time, if every layer is still the one last seen and still is its stage: the same kind,
   * parameters, options and forward. Each layer of the snapshot was made by that same layer's chainStage(), so its
   * kind says its class. The comparisons are written out here rather than asked of each layer: a method called on
   * three classes from one place would be inlined three times over, and what V8 inlines into this call (up to a
   * budget of bytecode) is better spent on the chain's own output tensor and node.
   */
  #fusedAgain(input: Tensor, snapshot: readonly ChainStage[]): Tensor | null {
    const keys = this.#keys;
    const seen = this.#lastSeen;
    const bag = this as unknown as Record<string | number, unknown>;
    if (keys.length !== snapshot.length) return null;
    for (let i = 0; i < keys.length; i++) {
      const m = bag[keys[i]] as Module;
      if (m !== seen[i] || m.call !== MODULE_CALL) return null;
      const s = snapshot[i];
      const kind = s.kind;
      if (kind === CHAIN_CONV) {
        const c = m as Conv2d;
        const o = s.options;
        if (c.forward !== CONV2D_FORWARD || s.weight !== c.weight || s.bias !== c.bias || o === null || o.stride !== c.stride ||
            o.padding !== c.padding) return null;
      } else if (kind === CHAIN_LEAKY) {
        if (m.forward !== LEAKY_RELU_FORWARD || s.negativeSlope !== (m as LeakyReLU).negativeSlope) return null;
      } else if (kind !== CHAIN_SIGMOID || m.forward !== SIGMOID_FORWARD) {
        return null;
      }
    }
    return fusedChainAgain(input, this.#stages, snapshot);
  }

  #forwardLayers(input: Tensor): Tensor {
    const keys = this.#keys;
    const seen = this.#lastSeen;
    const bag = this as unknown as Record<string | number, unknown>;
    const stages = this.#stages;
    this.#snapshot = null;
    let fusable = keys.length > 1;
    for (let i = 0; i < keys.length; i++) {
      let m = bag[keys[i]];
      if (m !== seen[i]) seen[i] = m = this.#layer(this.#names[i]);
      if (fusable) {
        const stage = (m as Module).call === MODULE_CALL ? (m as Module).chainStage() : null;
        if (stage === null) fusable = false;
        else stages[i] = stage;
      }
    }
    if (fusable) {
      if (stages.length !== keys.length) stages.length = keys.length;
      const y = fusedChain(input, stages);
      if (y !== null) {
        this.#snapshot = fusedChainSnapshot(stages);
        return y;
      }
    }
    let y = input;
    for (let i = 0; i < keys.length; i++) y = seen[i].call(y);
    return y;
  }

}

export interface LayerOptions {
  /** Add a learnable bias (default true). */
  bias?: boolean;
  dtype?: DType;
  /** Where the initial weights are drawn from (default: the default generator, i.e. after manualSeed). */
  generator?: Generator;
}

export interface Conv2dLayerOptions extends LayerOptions {
  stride?: Pair;
  padding?: Pair;
}

/** Module.call as Module defines it: a layer that overrides it is not run as a chain stage. */
const MODULE_CALL = Module.prototype.call;

/** A stage's weight before chainStage() first fills it in. */
const ABSENT_WEIGHT = zeros([0]);

/**
 * 2-D convolution (PyTorch's nn.Conv2d): weight [out, in, kh, kw], bias [out], initialised as PyTorch does —
 * so `manualSeed(s)` then the same layers in the same order give PyTorch's exact initial weights.
 */
export class Conv2d extends Module {
  static readonly typeName = 'Conv2d';

  readonly kernelSize: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  weight: Parameter;
  bias: Parameter | null;
  // made once: forward runs every step (it holds the stride and padding arrays themselves, so it sees their values)
  #options: { stride: readonly [number, number]; padding: readonly [number, number] };
  readonly #stage: ChainStage;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    options: Conv2dLayerOptions = {},
  ) {
    super();
    checkCount(inChannels, 'in_channels');
    checkCount(outChannels, 'out_channels');
    this.kernelSize = toPair(kernelSize, 'kernel_size', 1);
    this.stride = toPair(options.stride ?? 1, 'stride', 1);
    this.padding = toPair(options.padding ?? 0, 'padding', 0);
    this.#options = Object.freeze({ stride: this.stride, padding: this.padding });
    this.#stage = ChainStage.conv2d(ABSENT_WEIGHT, null, this.#options); // filled by chainStage()
    const dtype = options.dtype ?? 'float32';
    this.weight = new Parameter(zeros([outChannels, inChannels, ...this.kernelSize], { dtype }));
    this.bias = options.bias === false ? null : new Parameter(zeros([outChannels], { dtype }));
    if (this.bias === null) this.registerParameter('bias', null);
    this.resetParameters(options.generator);
  }

  /** The functional options, made again only if `stride` or `padding` was given a new pair. */
  #currentOptions(): { stride: readonly [number, number]; padding: readonly [number, number] } {
    const o = this.#options;
    if (o.stride === this.stride && o.padding === this.padding) return o;
    return (this.#options = Object.freeze({ stride: this.stride, padding: this.padding }));
  }

  override chainStage(): ChainStage | null {
    if (this.forward !== CONV2D_FORWARD) return null;
    const stage = this.#stage;
    stage.weight = this.weight;
    stage.bias = this.bias;
    stage.options = this.#currentOptions();
    return stage;
  }

  /** PyTorch's default init: weight ~ U(±kaiming bound, a = √5), then bias ~ U(±1/√fan_in). */
  resetParameters(generator?: Generator): void {
    initConvDefault(this.weight, this.bias, generator);
  }

  forward(input: Tensor): Tensor {
    return conv2d(input, this.weight, this.bias, this.#currentOptions());
  }

  /** As PyTorch's _ConvNd.extra_repr: padding and bias appear only when not the default. */
  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${formatTuple(this.kernelSize)}, stride=${formatTuple(this.stride)}`;
    if (this.padding[0] !== 0 || this.padding[1] !== 0) s += `, padding=${formatTuple(this.padding)}`;
    if (this.bias === null) s += ', bias=False';
    return s;
  }
}
// A layer's own forward, read once: a chain stage is fused only while forward is not replaced (reading it through
// `Class.prototype` in chainStage() costs a generic property load on every training step).
const CONV2D_FORWARD = Conv2d.prototype.forward;

/** Fully connected layer (PyTorch's nn.Linear): y = x·Wᵀ + b with W [out, in], PyTorch's default init. */
export class Linear extends Module {
  static readonly typeName = 'Linear';

  weight: Parameter;
  bias: Parameter | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, options: LayerOptions = {}) {
    super();
    if (!Number.isInteger(inFeatures) || inFeatures < 0) throw new RangeError(`in_features must be a non-negative integer, got ${inFeatures}`);
    if (!Number.isInteger(outFeatures) || outFeatures < 0) throw new RangeError(`out_features must be a non-negative integer, got ${outFeatures}`);
    const dtype = options.dtype ?? 'float32';
    this.weight = new Parameter(zeros([outFeatures, inFeatures], { dtype }));
    this.bias = options.bias === false ? null : new Parameter(zeros([outFeatures], { dtype }));
    if (this.bias === null) this.registerParameter('bias', null);
    this.resetParameters(options.generator);
  }

  /** PyTorch's default init: weight ~ U(±kaiming bound, a = √5), then bias ~ U(±1/√fan_in). */
  resetParameters(generator?: Generator): void {
    initLinearDefault(this.weight, this.bias, generator);
  }

  forward(input: Tensor): Tensor {
    return linear(input, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'}`;
  }
}

/** x for x > 0, else negativeSlope · x. */
export class LeakyReLU extends Module {
  static readonly typeName = 'LeakyReLU';
  readonly #stage: ChainStage;

  constructor(readonly negativeSlope = 0.01) {
    super();
    this.#stage = ChainStage.leakyRelu(negativeSlope);
  }

  override chainStage(): ChainStage | null {
    if (this.forward !== LEAKY_RELU_FORWARD) return null;
    this.#stage.negativeSlope = this.negativeSlope;
    return this.#stage;
  }

  forward(input: Tensor): Tensor {
    return leakyRelu(input, this.negativeSlope);
  }

  override extraRepr(): string {
    return `negative_slope=${pyFloat(this.negativeSlope)}`;
  }
}
const LEAKY_RELU_FORWARD = LeakyReLU.prototype.forward;

export class ReLU extends Module {
  static readonly typeName = 'ReLU';

  forward(input: Tensor): Tensor {
    return relu(input);
  }
}

const SIGMOID_STAGE = ChainStage.sigmoid();

export class Sigmoid extends Module {
  static readonly typeName = 'Sigmoid';

  override chainStage(): ChainStage | null {
    return this.forward === SIGMOID_FORWARD ? SIGMOID_STAGE : null;
  }

  forward(input: Tensor): Tensor {
    return sigmoid(input);
  }
}
const SIGMOID_FORWARD = Sigmoid.prototype.forward;

export class Tanh extends Module {
  static readonly typeName = 'Tanh';

  forward(input: Tensor): Tensor {
    return tanh(input);
  }
}

/** Softmax along `dim` (PyTorch's nn.Softmax). */
export class Softmax extends Module {
  static readonly typeName = 'Softmax';

  constructor(readonly dim: number) {
    super();
  }

  forward(input: Tensor): Tensor {
    return softmax(input, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** log(softmax) along `dim` (PyTorch's nn.LogSoftmax). */
export class LogSoftmax extends Module {
  static readonly typeName = 'LogSoftmax';

  constructor(readonly dim: number) {
    super();
  }

  forward(input: Tensor): Tensor {
    return logSoftmax(input, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** Returns its input unchanged (a placeholder layer). */
export class Identity extends Module {
  static readonly typeName = 'Identity';

  forward(input: Tensor): Tensor {
    return input;
  }
}

/** 2-D max pooling (PyTorch's nn.MaxPool2d); the stride defaults to the kernel size. */
export class MaxPool2d extends Module {
  static readonly typeName = 'MaxPool2d';

  readonly stride: number;

  constructor(readonly kernelSize: number, stride: number | null = null, readonly padding = 0) {
    super();
    checkCount(kernelSize, 'kernel_size');
    this.stride = stride ?? kernelSize;
    checkCount(this.stride, 'stride');
    if (!Number.isInteger(padding) || padding < 0) throw new RangeError(`padding must be a non-negative integer, got ${padding}`);
  }

  forward(input: Tensor): Tensor {
    return maxPool2d(input, this.kernelSize, this.stride, this.padding);
  }

  override extraRepr(): string {
    return `kernel_size=${this.kernelSize}, stride=${this.stride}, padding=${this.padding}, dilation=1, ceil_mode=False`;
  }
}

/** Flattens dims startDim..endDim into one (by default everything but the batch dim). */
export class Flatten extends Module {
  static readonly typeName = 'Flatten';

  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }

  forward(input: Tensor): Tensor {
    return flatten(input, this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}
