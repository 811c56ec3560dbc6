/**
 * The tutorial's network written out by hand on Float64Array: forward, BCE, hand-derived gradients and
 * Adadelta, with no tensors and no graph. It is the floor a general engine is measured against: the same
 * arithmetic, none of the bookkeeping.
 *
 * Parameters in one Float64Array of 10: w1 (4, row-major 2×2), b1, w2 (4), b2 — the state_dict's order.
 */
export interface HandWrittenRun {
  params: Float64Array;
  lossTrue: number;
  lossFalse: number;
}

const W1 = 0;
const B1 = 4;
const W2 = 5;
const B2 = 9;

export class HandWrittenCNN {
  readonly params: Float64Array;
  private readonly grad = new Float64Array(10);
  private readonly squareAvg = new Float64Array(10);
  private readonly accDelta = new Float64Array(10);
  private readonly h = new Float64Array(4);
  private readonly a = new Float64Array(4);

  constructor(initial: ArrayLike<number>, private readonly lr = 0.5, private readonly rho = 0.9, private readonly eps = 1e-6) {
    this.params = Float64Array.from(initial);
  }

  forward(x: ArrayLike<number>, offset = 0): number {
    const p = this.params;
    let z = p[B2];
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        const k = offset + i * 3 + j;
        const h = p[B1] + p[W1] * x[k] + p[W1 + 1] * x[k + 1] + p[W1 + 2] * x[k + 3] + p[W1 + 3] * x[k + 4];
        const a = h > 0 ? h : 0.01 * h;
        this.h[i * 2 + j] = h;
        this.a[i * 2 + j] = a;
        z += p[W2 + i * 2 + j] * a;
      }
    }
    return 1 / (1 + Math.exp(-z));
  }

  /** One zero_grad → forward → BCE → backward → Adadelta step on the sample at `x[offset..offset+9)`. */
  step(x: ArrayLike<number>, offset: number, target: number, zeroGrad = true): number {
    const p = this.params;
    const g = this.grad;
    if (zeroGrad) g.fill(0);
    const y = this.forward(x, offset);
    const loss = -(target * Math.max(Math.log(y), -100) + (1 - target) * Math.max(Math.log(1 - y), -100));
    // dL/dz for sigmoid followed by BCE, written as PyTorch's two backward formulas compose
    const dy = (y - target) / Math.max((1 - y) * y, 1e-12);
    const dz = dy * (1 - y) * y;
    g[B2] += dz;
    for (let k = 0; k < 4; k++) {
      g[W2 + k] += dz * this.a[k];
      const dh = dz * p[W2 + k] * (this.h[k] > 0 ? 1 : 0.01);
      g[B1] += dh;
      const base = offset + (k >> 1) * 3 + (k & 1);
      g[W1] += dh * x[base];
      g[W1 + 1] += dh * x[base + 1];
      g[W1 + 2] += dh * x[base + 3];
      g[W1 + 3] += dh * x[base + 4];
    }
    const { rho, eps, lr } = this;
    for (let k = 0; k < 10; k++) {
      const gk = g[k];
      const sq = rho * this.squareAvg[k] + (1 - rho) * gk * gk;
      this.squareAvg[k] = sq;
      const delta = (Math.sqrt(this.accDelta[k] + eps) / Math.sqrt(sq + eps)) * gk;
      this.accDelta[k] = rho * this.accDelta[k] + (1 - rho) * delta * delta;
      p[k] -= lr * delta;
    }
    return loss;
  }
}

/**
 * The tutorial's 200 epochs: the 100 constant samples (target 1), then the 100 random ones (target 0), per epoch.
 * `falseSet` holds 900 numbers (100 matrices of 9, row-major).
 */
export function trainHandWritten(initial: ArrayLike<number>, falseSet: ArrayLike<number>, epochs = 200, lr = 0.5): HandWrittenRun {
  const net = new HandWrittenCNN(initial, lr);
  const trueSet = new Float64Array(900);
  for (let v = 0; v < 100; v++) trueSet.fill(v - 50, v * 9, v * 9 + 9);
  let lossTrue = NaN;
  let lossFalse = NaN;
  for (let e = 0; e < epochs; e++) {
    for (let s = 0; s < 100; s++) lossTrue = net.step(trueSet, s * 9, 1);
    for (let s = 0; s < 100; s++) lossFalse = net.step(falseSet, s * 9, 0);
  }
  return { params: net.params, lossTrue, lossFalse };
}
