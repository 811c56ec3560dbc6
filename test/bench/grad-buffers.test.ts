// The engine reuses the buffers of intermediate gradients between backward passes (gradTensor in
// src/autograd/engine.ts). A reused buffer must never be one that something still reads: these graphs route one
// gradient to several consumers, keep gradients with retainGrad, and run many passes in a row; every result is
// compared with a fresh computation on a new graph.
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { DType, Tensor } from '../../src/index.js';
import { gradBufferReuse, gradTensor } from '../../src/autograd/engine.js';

const DTYPES: DType[] = ['float32', 'float64'];

/** Leaves with fixed values (so a second graph is an independent recomputation). */
function leaves(dtype: DType, seed: number): Tensor[] {
  const gen = new torch.Generator(seed);
  return [
    torch.rand([1, 1, 3, 3], { dtype, generator: gen }).mul(4).sub(2).requiresGrad_(),
    torch.rand([1, 1, 2, 2], { dtype, generator: gen }).sub(0.5).requiresGrad_(),
    torch.rand([1], { dtype, generator: gen }).sub(0.5).requiresGrad_(),
  ];
}

/** Graphs whose intermediate gradients go through pooled buffers, some of them reaching two consumers. */
const graphs: Array<[string, (x: Tensor, w: Tensor, b: Tensor) => Tensor]> = [
  ['the tutorial chain', (x, w, b) => {
    const h = torch.leakyRelu(torch.conv2d(x, w, b));
    return torch.binaryCrossEntropy(torch.sigmoid(torch.conv2d(h, w, b)), torch.onesLike(torch.conv2d(h, w, b).detach()));
  }],
  ['one sigmoid read twice', (x, w, b) => {
    const s = torch.sigmoid(torch.conv2d(x, w, b));
    return s.mul(s).sum();
  }],
  ['a sum of two branches of one activation', (x, w, b) => {
    const h = torch.leakyRelu(torch.conv2d(x, w, b), 0.2);
    return torch.sigmoid(h).add(h).sum();
  }],
  ['a gradient passed on unchanged (add) into a conv that reads it while it writes one of its size', (x, w, b) => {
    const h = torch.conv2d(x, w, b); // [1, 1, 2, 2]
    const k = torch.conv2d(h, x, null, { padding: 1 }); // [1, 1, 2, 2] again: 9 taps per pixel
    return torch.sigmoid(k.add(1)).sum();
  }],
  ['the same intermediate as both inputs of add', (x, w, b) => {
    const h = torch.sigmoid(torch.conv2d(x, w, b));
    return torch.sigmoid(h.add(h)).sum();
  }],
];

function gradsOf(dtype: DType, build: (x: Tensor, w: Tensor, b: Tensor) => Tensor, passes: number): number[][] {
  const [x, w, b] = leaves(dtype, 3);
  for (let k = 0; k < passes; k++) build(x, w, b).backward();
  return [x, w, b].map((t) => (t.grad as Tensor).toArray());
}

describe('reused gradient buffers give the gradients of fresh ones', () => {
  for (const dtype of DTYPES) {
    for (const [name, build] of graphs) {
      it(`${name} (${dtype}): 5 accumulated passes, other graphs in between, = fresh buffers only`, () => {
        gradBufferReuse.enabled = false;
        let reference: number[][];
        try {
          reference = gradsOf(dtype, build, 5);
        } finally {
          gradBufferReuse.enabled = true;
        }
        // other graphs run first, so the pool holds buffers of every size when these passes take them
        for (const [, other] of graphs) gradsOf(dtype, other, 2);
        expect(gradsOf(dtype, build, 5)).toEqual(reference);
        expect(reference.flat().every(Number.isFinite)).toBe(true);
      });
    }
  }

  it('a retained gradient keeps its values when later passes reuse the buffer it came from', () => {
    const [x, w, b] = leaves('float32', 5);
    const h = torch.leakyRelu(torch.conv2d(x, w, b));
    h.retainGrad();
    torch.sigmoid(torch.conv2d(h, w, b)).sum().backward();
    const kept = (h.grad as Tensor).toArray();
    for (let k = 0; k < 20; k++) {
      const [x2, w2, b2] = leaves('float32', 6 + k);
      torch.sigmoid(torch.conv2d(torch.leakyRelu(torch.conv2d(x2, w2, b2)), w2, b2)).sum().backward();
    }
    expect((h.grad as Tensor).toArray()).toEqual(kept);
  });

  it('a buffer returned for two inputs is read by both consumers intact', () => {
    const run = (): number[][] => {
      const [x, w] = leaves('float64', 9);
      // two consumers that read their gradient while writing one of its size (9 taps per pixel)
      const a = torch.conv2d(w, x, null, { padding: 1 }); // [1, 1, 2, 2]
      const b = torch.conv2d(w, x, null, { padding: 1 });
      const fork = torch.zeros([1, 1, 2, 2], { dtype: 'float64' });
      fork.requiresGrad = true;
      // one gradient buffer from the engine, returned for both inputs
      fork.gradFn = new torch.Node('ForkBackward', [a, b], (g: Tensor) => {
        const t = gradTensor('float64', g.shape, 4);
        for (let i = 0; i < 4; i++) t.data[i] = g.data[i] * (i + 1);
        return [t, t];
      });
      torch.sigmoid(fork).sum().backward();
      return [x, w].map((p) => (p.grad as Tensor).toArray());
    };
    gradBufferReuse.enabled = false;
    let reference: number[][];
    try {
      reference = run();
    } finally {
      gradBufferReuse.enabled = true;
    }
    for (let k = 0; k < 3; k++) expect(run()).toEqual(reference);
  });

  it('hands out fresh, unmanaged buffers outside backward()', () => {
    const t = gradTensor('float32', [2, 2], 4);
    expect(t.recyclable).toBe(false);
    expect(t.shape).toEqual([2, 2]);
    expect(t.data).toBeInstanceOf(Float32Array);
  });

  it('a Node built by hand keeps the gradient it is given (its buffer is not reused)', () => {
    const x = torch.tensor([0.25, -1.5], { requiresGrad: true });
    const seen: Tensor[] = [];
    const copies: number[][] = [];
    for (let k = 0; k < 3; k++) {
      // mid = x through a hand-made node that keeps its incoming gradient (a pooled buffer from sigmoid's backward)
      const mid = torch.tensor([0.5 * k, -0.25]);
      mid.requiresGrad = true;
      mid.gradFn = new torch.Node('KeepBackward', [x], (g: Tensor) => {
        seen.push(g);
        copies.push(g.toArray());
        return [g.mul(1)];
      });
      torch.sigmoid(mid).sum().backward();
    }
    // unrelated passes that take pooled buffers of the same size
    for (let k = 0; k < 5; k++) torch.sigmoid(torch.sigmoid(torch.tensor([1, 2 + k], { requiresGrad: true }))).sum().backward();
    expect(seen.map((g) => g.toArray())).toEqual(copies);
    expect(new Set(seen.map((g) => g.data)).size).toBe(3);
  });
});
