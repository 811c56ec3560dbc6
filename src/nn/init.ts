/**
 * `torch.nn.init` in camelCase. Every initialiser fills its tensor in place without recording a graph and
 * returns it. Random ones draw from the default generator (or the one given) in memory order, so after
 * `manualSeed(s)` the same calls in the same order give PyTorch's exact bits.
 */
import { noGrad } from '../autograd/grad-mode.js';
import { copy_, fill_ } from '../ops/inplace.js';
import { defaultGenerator, type Generator } from '../random/generator.js';
import { allocate } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { biasBound, kaimingUniformBound } from './init-bounds.js';

export { biasBound, kaimingUniformBound };

/**
 * Runs `fill` on the tensor's elements: directly on its storage when the tensor is one dense run of it (the
 * usual case: a freshly made weight), otherwise on a row-major scratch buffer that is then copied in.
 */
function fillInPlace(t: Tensor, fill: (buf: Float32Array | Float64Array) => void): Tensor {
  const n = t.numel();
  if (t.isDense) {
    fill(t.data.subarray(t.offset, t.offset + n));
    return t;
  }
  const scratch = allocate(t.dtype, n);
  fill(scratch);
  noGrad(() => copy_(t, new Tensor(scratch, t.shape.slice())));
  return t;
}

/** U(a, b): PyTorch's `uniform_`, bit for bit. */
export function uniform_(t: Tensor, a = 0, b = 1, generator: Generator = defaultGenerator): Tensor {
  return fillInPlace(t, (buf) => generator.fillUniform(buf, a, b));
}

/** N(mean, std²): PyTorch's `normal_`, bit for bit (including its blocked path for 16+ elements). */
export function normal_(t: Tensor, mean = 0, std = 1, generator: Generator = defaultGenerator): Tensor {
  return fillInPlace(t, (buf) => generator.fillNormal(buf, mean, std));
}

export function constant_(t: Tensor, value: number): Tensor {
  return noGrad(() => fill_(t, value));
}

export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

/**
 * (fan_in, fan_out) of a weight [out, in, *kernel]: (in · k, out · k) with k the kernel's element count, as
 * PyTorch's `_calculate_fan_in_and_fan_out`.
 */
export function calculateFanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.shape.length < 2) {
    throw new RangeError('Fan in and fan out can not be computed for tensor with fewer than 2 dimensions');
  }
  let receptive = 1;
  for (const s of t.shape.slice(2)) receptive *= s;
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

export type Nonlinearity =
  | 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/** PyTorch's `calculate_gain`, with its arithmetic (the last bit of a bound depends on it). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5.0 / 3;
    case 'relu':
      return Math.sqrt(2.0);
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (!Number.isFinite(slope)) throw new RangeError(`negative_slope ${slope} not a valid number`);
      // Python's slope ** 2 is the correctly rounded square, i.e. slope * slope.
      return Math.sqrt(2.0 / (1 + slope * slope));
    }
    case 'selu':
      return 3.0 / 4;
    default:
      throw new RangeError(`Unsupported nonlinearity ${String(nonlinearity)}`);
  }
}

export interface KaimingOptions {
  /** The negative slope of the rectifier after this layer (only used with 'leaky_relu'); default 0. */
  a?: number;
  mode?: 'fan_in' | 'fan_out';
  nonlinearity?: Nonlinearity;
  generator?: Generator;
}

function kaimingStd(t: Tensor, options: KaimingOptions): number {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const mode = options.mode ?? 'fan_in';
  if (mode !== 'fan_in' && mode !== 'fan_out') throw new RangeError(`Mode ${String(mode)} not supported, please use one of fan_in, fan_out`);
  const fan = mode === 'fan_in' ? fanIn : fanOut;
  const gain = calculateGain(options.nonlinearity ?? 'leaky_relu', options.a ?? 0);
  return gain / Math.sqrt(fan);
}

/**
 * `kaiming_uniform_`: U(±√3 · gain/√fan). A zero-element tensor is left alone, as PyTorch does (with a warning).
 * With `a = √5` (the layers' default init) the bound equals `kaimingUniformBound(fanIn)`.
 */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  if (t.numel() === 0) return t;
  const bound = Math.sqrt(3.0) * kaimingStd(t, options);
  return uniform_(t, -bound, bound, options.generator);
}

/** `kaiming_normal_`: N(0, (gain/√fan)²). */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  if (t.numel() === 0) return t;
  return normal_(t, 0, kaimingStd(t, options), options.generator);
}

/** `xavier_uniform_`: U(±√3 · gain · √(2/(fan_in + fan_out))), in PyTorch's order of operations. */
export function xavierUniform_(t: Tensor, gain = 1.0, generator?: Generator): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const std = gain * Math.sqrt(2.0 / (fanIn + fanOut));
  const a = Math.sqrt(3.0) * std;
  return uniform_(t, -a, a, generator);
}

/** `xavier_normal_`: N(0, (gain · √(2/(fan_in + fan_out)))²). */
export function xavierNormal_(t: Tensor, gain = 1.0, generator?: Generator): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2.0 / (fanIn + fanOut)), generator);
}

/**
 * `_ConvNd.reset_parameters` of PyTorch 1.13: `kaiming_uniform_(weight, a=√5)`, then, only when fan_in is not
 * zero, `uniform_(bias, ±1/√fan_in)`. The bound comes from kaimingUniformBound, which reproduces torch's double
 * arithmetic step by step.
 */
export function initConvDefault(weight: Tensor, bias: Tensor | null, generator?: Generator): void {
  const { fanIn } = calculateFanInAndFanOut(weight);
  if (weight.numel() > 0) {
    const bound = kaimingUniformBound(fanIn);
    uniform_(weight, -bound, bound, generator);
  }
  if (bias !== null && fanIn !== 0) {
    const b = biasBound(fanIn);
    uniform_(bias, -b, b, generator);
  }
}

/**
 * `Linear.reset_parameters` of PyTorch 1.13: like Conv's, except that the bias is always drawn (with bound 0
 * when fan_in is 0), which consumes random numbers even then.
 */
export function initLinearDefault(weight: Tensor, bias: Tensor | null, generator?: Generator): void {
  const { fanIn } = calculateFanInAndFanOut(weight);
  if (weight.numel() > 0) {
    const bound = kaimingUniformBound(fanIn);
    uniform_(weight, -bound, bound, generator);
  }
  if (bias !== null) {
    const b = biasBound(fanIn);
    uniform_(bias, -b, b, generator);
  }
}
