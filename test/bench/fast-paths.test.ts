// The engine's fast paths (issue 5) must compute exactly what the general paths do: each check runs an op once
// on the layout its fast path takes (dense storage, same shapes, plain dtype names) and once on a layout that
// forces the general path (a strided view, a broadcast gradient), and compares the bits.
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { DType, Tensor } from '../../src/index.js';
import { contiguousStrides } from '../../src/tensor/shape.js';
import { leafGradBuffer } from '../../src/autograd/engine.js';
import { sumAll } from '../../src/ops/linalg.js';

const DTYPES: DType[] = ['float32', 'float64'];

/** The same values as `t`, but as a non-dense view: slot 0 of [..., 2] pairs whose slot 1 holds junk. */
function strided(t: Tensor): Tensor {
  const n = t.numel();
  const data = t.dtype === 'float32' ? new Float32Array(2 * n) : new Float64Array(2 * n);
  const v = t.toArray();
  for (let i = 0; i < n; i++) {
    data[2 * i] = v[i];
    data[2 * i + 1] = 1e30;
  }
  return torch.fromStorage(data, [...t.shape, 2]).select(-1, 0);
}

function bits(t: Tensor | null | undefined): number[] {
  return t ? t.toArray() : [];
}

describe('elementwise fast paths = general paths', () => {
  for (const dtype of DTYPES) {
    const gen = new torch.Generator(7);
    const values = torch.rand([3, 5], { dtype, generator: gen }).mul(16).sub(8);
    const grad = torch.rand([3, 5], { dtype, generator: gen }).sub(0.5);

    const cases: Array<[string, (x: Tensor) => Tensor]> = [
      ['sigmoid', (x) => torch.sigmoid(x)],
      ['leakyRelu', (x) => torch.leakyRelu(x, 0.01)],
      ['leakyRelu 0.3', (x) => torch.leakyRelu(x, 0.3)],
    ];
    for (const [name, op] of cases) {
      it(`${name} (${dtype}): dense vs strided input, dense vs broadcast gradient`, () => {
        const a = values.clone().requiresGrad_();
        const ya = op(a);
        ya.backward(grad);
        // strided input (forward's general path), broadcast gradient (backward's general path)
        const b0 = strided(values).detach().requiresGrad_();
        expect(b0.isDense).toBe(false);
        const yb = op(b0);
        const gradB = grad.reshape([3, 5, 1]).expand([3, 5, 1]).select(2, 0);
        yb.backward(gradB);
        expect(bits(ya)).toEqual(bits(yb));
        expect(bits(a.grad)).toEqual(bits(b0.grad));
        // a gradient that is an expanded scalar takes mapBinary's broadcast path
        const c = values.clone().requiresGrad_();
        const yc = op(c);
        yc.backward(torch.full([1], 0.25, { dtype }).expand([3, 5]));
        const d = values.clone().requiresGrad_();
        op(d).backward(torch.full([3, 5], 0.25, { dtype }));
        expect(bits(c.grad)).toEqual(bits(d.grad));
      });
    }
  }
});

describe('conv2d adding parameter gradients straight into .grad = the engine adding them', () => {
  for (const dtype of DTYPES) {
    for (const [xs, ws] of [[[1, 1, 3, 3], [1, 1, 2, 2]], [[2, 3, 5, 4], [1, 3, 2, 3]], [[1, 2, 4, 4], [3, 2, 3, 3]]]) {
      it(`${dtype} input ${xs.join('×')} weight ${ws.join('×')}`, () => {
        const gen = new torch.Generator(11);
        const x = torch.rand(xs, { dtype, generator: gen }).sub(0.5);
        const w0 = torch.rand(ws, { dtype, generator: gen }).sub(0.5);
        const b0 = torch.rand([ws[0]], { dtype, generator: gen });
        const start = torch.rand(ws, { dtype, generator: gen });
        const startB = torch.rand([ws[0]], { dtype, generator: gen });
        const run = (dense: boolean): number[] => {
          const w = w0.clone().detach().requiresGrad_();
          const b = b0.clone().detach().requiresGrad_();
          // a dense .grad takes the direct path; a strided one (same values) makes the engine add
          w.grad = dense ? start.clone() : strided(start);
          b.grad = dense ? startB.clone() : strided(startB);
          for (let k = 0; k < 3; k++) {
            if (!dense) {
              w.grad = strided(w.grad!);
              b.grad = strided(b.grad!);
            }
            const y = torch.nn.functional.conv2d(x, w, b);
            y.backward(torch.fullLike(y, 0.75 - k));
          }
          return [...bits(w.grad), ...bits(b.grad)];
        };
        expect(run(true)).toEqual(run(false));
      });
    }
  }

  it('outside backward() no buffer is handed out, and a second operand slot on the same tensor is never direct', () => {
    const w = torch.ones([1, 1, 2, 2], { requiresGrad: true });
    w.grad = torch.zeros([1, 1, 2, 2]);
    expect(leafGradBuffer(w)).toBeNull();
    // the same tensor as input and weight: both gradients go through the engine, in slot order
    const y = torch.nn.functional.conv2d(w, w);
    y.backward(torch.ones([1, 1, 1, 1]));
    expect(w.grad!.toArray()).toEqual([2, 2, 2, 2]);
  });
});

describe('sumAll for short runs = ATen\'s row_sum', () => {
  // ATen's row_sum/cascade_sum for runs shorter than 16 per lane (a copy of linalg's general code path)
  function lane(v: ArrayLike<number>, base: number, stride: number, size: number, r: (x: number) => number): number {
    let a0 = 0;
    for (let i = 0, p = base; i < size; i++, p += stride) a0 = r(a0 + v[p]);
    return r(r(r(a0 + 0) + 0) + 0);
  }
  function rowSum(v: ArrayLike<number>, n: number, r: (x: number) => number): number {
    const k = Math.floor(n / 4);
    let p0 = lane(v, 0, 4, k, r);
    const p1 = lane(v, 1, 4, k, r);
    const p2 = lane(v, 2, 4, k, r);
    const p3 = lane(v, 3, 4, k, r);
    for (let i = k * 4; i < n; i++) p0 = r(p0 + v[i]);
    return r(r(r(p0 + p1) + p2) + p3);
  }
  for (const dtype of DTYPES) {
    it(`${dtype}, 1 to 7 elements, with -0, ties and cancellations`, () => {
      const r = dtype === 'float32' ? Math.fround : (x: number) => x;
      const gen = new torch.Generator(3);
      for (let n = 1; n < 8; n++) {
        for (let k = 0; k < 200; k++) {
          const v = torch.rand([n], { dtype, generator: gen }).sub(0.5).mul(k % 2 === 0 ? 1 : 1e8).data;
          if (k % 7 === 0) v[0] = -0;
          if (k % 11 === 0 && n > 1) v[1] = -v[0];
          const want = dtype === 'float64' && n >= 4 ? null : r(0 + rowSum(v, n, r));
          if (want !== null) expect(Object.is(sumAll(v, n), want)).toBe(true);
        }
      }
    });
  }
});

describe('views and iteration', () => {
  it('iterating a tensor gives get(i) for each i, lazily, and a 0-d tensor refuses', () => {
    const t = torch.arange(12).view(3, 2, 2);
    const rows = [...t];
    expect(rows).toHaveLength(3);
    rows.forEach((r, i) => {
      expect(r.shape).toEqual([2, 2]);
      expect(r.toArray()).toEqual(t.get(i).toArray());
      expect(r.strides).toEqual([2, 1]);
      expect(r.offset).toBe(4 * i);
    });
    const it0 = torch.tensor(3)[Symbol.iterator]();
    expect(() => it0.next()).toThrow('iteration over a 0-d tensor');
    const iter = t[Symbol.iterator]();
    expect(iter[Symbol.iterator]()).toBe(iter);
    expect(iter.next().done).toBe(false);
    iter.next();
    iter.next();
    expect(iter.next()).toEqual({ value: undefined, done: true });
  });

  it('select on every dim of a permuted tensor matches the values, and its gradient lands in place', () => {
    const x = torch.arange(24, undefined, 1, { dtype: 'float64' }).view(2, 3, 4).permute(2, 0, 1);
    const v = x.tolist() as number[][][];
    for (let d = -3; d < 3; d++) {
      const size = x.shape[(d + 3) % 3];
      for (let i = -size; i < size; i++) {
        const s = x.select(d, i);
        const k = (i + size) % size;
        const dd = (d + 3) % 3;
        const want = dd === 0 ? v[k] : dd === 1 ? v.map((a) => a[k]) : v.map((a) => a.map((b) => b[k]));
        expect(s.tolist()).toEqual(want);
      }
    }
    const leaf = torch.zeros([2, 3], { dtype: 'float64', requiresGrad: true });
    leaf.select(1, -1).mul(torch.tensor([2, 5], { dtype: 'float64' })).sum().backward();
    expect(leaf.grad!.tolist()).toEqual([[0, 0, 2], [0, 0, 5]]);
    expect(() => torch.zeros([2]).select(0, 2)).toThrow('out of bounds');
  });

  it("to('float32') and to('torch.float32') give the same tensor; a no-op cast returns the input", () => {
    const x = torch.tensor([1.1, 2.2], { dtype: 'float64', requiresGrad: true });
    const a = x.to('float32');
    const b = x.to('torch.float32');
    expect(bits(a)).toEqual(bits(b));
    expect(a.gradFn?.name).toBe('ToCopyBackward0');
    expect(a.to('float32')).toBe(a);
    expect(torch.tensor([1]).to('float32').gradFn).toBeNull();
    a.sum().backward();
    expect(x.grad!.dtype).toBe('float64');
  });

  it('row-major strides are computed on demand; views keep theirs; Module.to re-homes a parameter', () => {
    const t = torch.zeros([2, 3, 4]);
    expect(t.strides).toEqual(contiguousStrides([2, 3, 4]));
    expect(t.isDense).toBe(true);
    const tr = t.transpose(0, 2);
    expect(tr.strides).toEqual([1, 4, 12]);
    expect(tr.isDense).toBe(false);
    expect(tr.isContiguous()).toBe(false);
    const lin = new torch.nn.Linear(3, 2);
    lin.to('float64');
    expect(lin.weight.dtype).toBe('float64');
    expect(lin.weight.strides).toEqual([3, 1]);
    expect(lin.weight.isDense).toBe(true);
  });
});

describe('engine bookkeeping', () => {
  it('sums gradients over shared subgraphs (a diamond and a reused input) in topological order', () => {
    const a = torch.tensor([0.5, -1.5], { dtype: 'float64', requiresGrad: true });
    const h = a.mul(a); // used by two branches
    const left = h.sigmoid();
    const right = h.mul(3);
    const y = left.add(right).add(h).sum();
    y.backward();
    const s = a.toArray().map((v) => 1 / (1 + Math.exp(-v * v)));
    const want = a.toArray().map((v, i) => 2 * v * (s[i] * (1 - s[i]) + 3 + 1));
    a.grad!.toArray().forEach((g, i) => expect(g).toBeCloseTo(want[i], 12));
  });

  it('runs a chain of links, then the rest in topological order from the first node fed by two', () => {
    const a = torch.tensor([0.5, -1.5, 2], { dtype: 'float64', requiresGrad: true });
    const h = a.mul(a);
    const fork = h.sigmoid().add(h.mul(3)); // two nodes feed this add
    const y = fork.mul(2).sigmoid().sum(); // three links above it: sum, sigmoid, mul
    y.backward();
    const want = a.toArray().map((v) => {
      const q = 1 / (1 + Math.exp(-v * v));
      const z = 2 * (q + 3 * v * v);
      const top = 1 / (1 + Math.exp(-z));
      return top * (1 - top) * 2 * (q * (1 - q) + 3) * 2 * v;
    });
    a.grad!.toArray().forEach((g, i) => expect(g).toBeCloseTo(want[i], 12));
  });

  it('leaves nothing pending when a backward function throws below a fork', () => {
    const a = torch.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const h = a.mul(2);
    let fail = true;
    const bad = torch.zeros([2], { dtype: 'float64' });
    bad.requiresGrad = true;
    bad.gradFn = new torch.Node('FailingBackward', [h], (g: Tensor) => {
      if (fail) throw new Error('boom');
      return [g];
    });
    const y = bad.add(h).sum();
    expect(() => y.backward(undefined, { retainGraph: true })).toThrow('boom');
    expect(a.grad).toBeNull();
    fail = false;
    y.backward();
    // had a gradient stayed pending from the failed pass, this one would count it twice
    expect(a.grad!.toArray()).toEqual([4, 4]);
  });

  it('walks chains (one input node per node, possibly used twice) like any other graph', () => {
    const a = torch.tensor([0.25, -2], { dtype: 'float64', requiresGrad: true });
    const s = a.sigmoid();
    const y = s.mul(s).mul(3).sum(); // mul's two inputs are the same node: still a chain
    y.backward(undefined, { retainGraph: true });
    const want = a.toArray().map((v) => {
      const q = 1 / (1 + Math.exp(-v));
      return 6 * q * q * (1 - q);
    });
    a.grad!.toArray().forEach((g, i) => expect(g).toBeCloseTo(want[i], 14));
    y.backward(); // the retained chain runs again and accumulates
    a.grad!.toArray().forEach((g, i) => expect(g).toBeCloseTo(2 * want[i], 14));
    expect(() => y.backward()).toThrow('second time');
    // the scalar root's implicit gradient is shared storage: no pass may write into it
    const b = torch.tensor([3], { requiresGrad: true });
    const r = b.mul(1);
    r.retainGrad();
    r.backward();
    r.grad!.data[0] = 99;
    const c = torch.tensor([5], { requiresGrad: true });
    c.mul(2).backward();
    expect(c.grad!.item()).toBe(2);
  });

  it('accumulates into an existing .grad in place, as often as backward runs', () => {
    const w = torch.tensor([1, 2, 3], { requiresGrad: true });
    w.mul(2).sum().backward();
    const buffer = w.grad!;
    w.mul(w).sum().backward();
    expect(w.grad).toBe(buffer);
    expect(w.grad!.toArray()).toEqual([4, 6, 8]);
  });

  it('a node with an input that needs no grad records null for it', () => {
    const a = torch.tensor([1, 2], { requiresGrad: true });
    const b = torch.tensor([3, 4]);
    const y = a.mul(b);
    expect(y.gradFn!.inputs[0]).toBe(a);
    expect(y.gradFn!.inputs[1]).toBeNull();
    expect(y.gradFn!.nextFunctions.map((f) => f.name)).toEqual(['AccumulateGrad', 'None']);
    const z = b.mul(b);
    expect(z.gradFn).toBeNull();
    expect(z.requiresGrad).toBe(false);
  });

  it('a long chain backpropagates without recursion limits', () => {
    const x = torch.tensor([1], { dtype: 'float64', requiresGrad: true });
    let y: Tensor = x;
    for (let i = 0; i < 20_000; i++) y = y.mul(1);
    y.sum().backward();
    expect(x.grad!.item()).toBe(1);
  });
});
