/**
 * The bounds of PyTorch's default Conv2d/Linear initialisation (`reset_parameters` in torch.nn, 1.13), as the
 * doubles Python computes; the weight is then drawn with `uniform_(-bound, bound)` and the bias likewise.
 */

function checkFanIn(fanIn: number, allowZero: boolean): void {
  if (!Number.isSafeInteger(fanIn) || fanIn < (allowZero ? 0 : 1)) {
    throw new RangeError(`fanIn must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${String(fanIn)}`);
  }
}

/**
 * `kaiming_uniform_(w, a)`: gain = sqrt(2 / (1 + a^2)) (leaky_relu), bound = sqrt(3) * (gain / sqrt(fanIn)).
 * The operations follow torch.nn.init's order exactly, since reordering them changes the last bit of the
 * bound and with it float32 weights. A zero fan-in is refused: PyTorch skips initialising empty weights.
 */
export function kaimingUniformBound(fanIn: number, a: number = Math.sqrt(5)): number {
  checkFanIn(fanIn, false);
  if (!Number.isFinite(a)) throw new RangeError(`negative slope a must be finite, got ${a}`);
  // torch.nn.init writes negative_slope ** 2; glibc's pow(a, 2) is the correctly rounded square, i.e. a * a.
  const gain = Math.sqrt(2 / (1 + a * a));
  const std = gain / Math.sqrt(fanIn);
  return Math.sqrt(3) * std;
}

/** The bias bound of Conv2d/Linear: 1 / sqrt(fanIn), or 0 when the weight has no inputs. */
export function biasBound(fanIn: number): number {
  checkFanIn(fanIn, true);
  return fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
}
