import type { Generator } from '../random/generator.js';
import { formatTuple, pyFloat } from '../format/module-repr.js';
import type { DType } from '../tensor/dtype.js';
import { zeros } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { conv2d } from '../ops/conv.js';
import { linear } from '../ops/linalg.js';
import { maxPool2d } from '../ops/pool.js';
import { flatten } from '../ops/view.js';
import { leakyRelu, relu, sigmoid, tanh } from '../ops/activation.js';
import { defaultLayerInit } from './init.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

type Pair = number | readonly [number, number];
const toPair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** Modules applied in order; children are named '0', '1', … as in PyTorch. */
export class Sequential extends Module {
  private readonly layers: Module[] = [];

  constructor(...modules: Module[]) {
    super();
    modules.forEach((m) => this.append(m));
  }

  append(module: Module): this {
    this.registerModule(String(this.layers.length), module);
    this.layers.push(module);
    return this;
  }

  at(index: number): Module {
    const i = index < 0 ? index + this.layers.length : index;
    if (i < 0 || i >= this.layers.length) throw new RangeError(`Sequential: index ${index} is out of range`);
    return this.layers[i];
  }

  get length(): number {
    return this.layers.length;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.layers[Symbol.iterator]();
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const layer of this.layers) y = layer.call(y);
    return y;
  }
}

export interface LayerOptions {
  bias?: boolean;
  dtype?: DType;
  generator?: Generator;
}

/** `nn.Conv2d(in, out, kernel)`: weight [out, in, kh, kw], PyTorch's default init. */
export class Conv2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  weight: Parameter;
  bias: Parameter | null;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    options: LayerOptions & { stride?: Pair; padding?: Pair } = {},
  ) {
    super();
    this.kernelSize = toPair(kernelSize);
    this.stride = toPair(options.stride ?? 1);
    this.padding = toPair(options.padding ?? 0);
    const dtype = options.dtype ?? 'float32';
    this.weight = new Parameter(zeros([outChannels, inChannels, ...this.kernelSize], { dtype }));
    this.bias = options.bias === false ? null : new Parameter(zeros([outChannels], { dtype }));
    if (this.bias === null) this.registerParameter('bias', null);
    this.resetParameters(options.generator);
  }

  resetParameters(generator?: Generator): void {
    defaultLayerInit(this.weight, this.bias, generator);
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding });
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${formatTuple(this.kernelSize)}, stride=${formatTuple(this.stride)}`;
    if (this.padding[0] !== 0 || this.padding[1] !== 0) s += `, padding=${formatTuple(this.padding)}`;
    if (this.bias === null) s += ', bias=False';
    return s;
  }
}

/** `nn.Linear(in, out)`: y = x·Wᵀ + b. */
export class Linear extends Module {
  weight: Parameter;
  bias: Parameter | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, options: LayerOptions = {}) {
    super();
    const dtype = options.dtype ?? 'float32';
    this.weight = new Parameter(zeros([outFeatures, inFeatures], { dtype }));
    this.bias = options.bias === false ? null : new Parameter(zeros([outFeatures], { dtype }));
    if (this.bias === null) this.registerParameter('bias', null);
    this.resetParameters(options.generator);
  }

  resetParameters(generator?: Generator): void {
    defaultLayerInit(this.weight, this.bias, generator);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'}`;
  }
}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }

  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }

  override extraRepr(): string {
    return `negative_slope=${pyFloat(this.negativeSlope)}`;
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

export class MaxPool2d extends Module {
  readonly stride: number;

  constructor(readonly kernelSize: number, stride?: number, readonly padding = 0) {
    super();
    this.stride = stride ?? kernelSize;
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.stride, this.padding);
  }

  override extraRepr(): string {
    return `kernel_size=${this.kernelSize}, stride=${this.stride}, padding=${this.padding}, dilation=1, ceil_mode=False`;
  }
}

export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}
