import { noGrad } from '../autograd/grad-mode.js';
import { defaultGenerator, type Generator } from '../random/generator.js';
import type { Tensor } from '../tensor/tensor.js';
import { biasBound, kaimingUniformBound } from './init-bounds.js';

export { biasBound, kaimingUniformBound };

// Initialisers fill a tensor in place, drawing from the default generator in memory order, so that after
// manualSeed(s) the same layers built in the same order get PyTorch's exact bits.

function denseTarget(t: Tensor, op: string): Float32Array | Float64Array {
  if (!t.isDense || t.offset !== 0 || t.data.length !== t.numel()) throw new Error(`${op}: needs a dense tensor`);
  return t.data;
}

export function uniform_(t: Tensor, a = 0, b = 1, generator: Generator = defaultGenerator): Tensor {
  noGrad(() => generator.fillUniform(denseTarget(t, 'uniform_'), a, b));
  return t;
}

export function normal_(t: Tensor, mean = 0, std = 1, generator: Generator = defaultGenerator): Tensor {
  noGrad(() => generator.fillNormal(denseTarget(t, 'normal_'), mean, std));
  return t;
}

export function constant_(t: Tensor, value: number): Tensor {
  denseTarget(t, 'constant_').fill(value);
  return t;
}

export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

/** (fan_in, fan_out) of a weight: [out, in, *kernel] → (in·k, out·k), as PyTorch computes them. */
export function calculateFanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.shape.length < 2) {
    throw new RangeError('Fan in and fan out can not be computed for tensor with fewer than 2 dimensions');
  }
  const receptive = t.shape.slice(2).reduce((p, q) => p * q, 1);
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

export type Nonlinearity = 'leaky_relu' | 'relu' | 'linear' | 'sigmoid' | 'tanh';

export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.sqrt(2);
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
  }
}

/** `kaiming_uniform_`: U(±gain·√(3/fan)). With PyTorch's defaults for layers (a = √5) this is their init. */
export function kaimingUniform_(
  t: Tensor,
  options: { a?: number; mode?: 'fan_in' | 'fan_out'; nonlinearity?: Nonlinearity; generator?: Generator } = {},
): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const fan = options.mode === 'fan_out' ? fanOut : fanIn;
  const nonlinearity = options.nonlinearity ?? 'leaky_relu';
  const bound = nonlinearity === 'leaky_relu'
    ? kaimingUniformBound(fan, options.a ?? 0)
    : Math.sqrt(3) * (calculateGain(nonlinearity) / Math.sqrt(fan));
  return uniform_(t, -bound, bound, options.generator);
}

/** `xavier_uniform_`: U(±gain·√(6/(fan_in+fan_out))). */
export function xavierUniform_(t: Tensor, gain = 1, generator?: Generator): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -a, a, generator);
}

/** PyTorch's default init of Conv2d/Linear: weight U(±kaiming bound with a=√5), then bias U(±1/√fan_in). */
export function defaultLayerInit(weight: Tensor, bias: Tensor | null, generator?: Generator): void {
  const { fanIn } = calculateFanInAndFanOut(weight);
  kaimingUniform_(weight, { a: Math.sqrt(5), generator });
  if (bias !== null) {
    const b = biasBound(fanIn);
    uniform_(bias, -b, b, generator);
  }
}
