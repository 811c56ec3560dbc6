// Property tests of every differentiable op: in float64, on random shapes (broadcasting pairs, non-contiguous
// inputs made by transpose/permute/expand) and values, the gradient backward() gives for
// sum(op(x) * r) (r random) must match central finite differences (h = 1e-6, 1e-5 relative + 1e-7 absolute).
// Values are kept away from kinks (0 for abs/relu, clamp bounds, ties in max_pool2d) and domain edges.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { finiteDifferenceCheck } from '../helpers/index.js';

const RUNS = 20;

// ---------------------------------------------------------------- value and layout helpers

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind = 'any' | 'positive' | 'nonzero' | 'unit' | 'distinct' | 'clampSafe';

/** n values of a kind: any ∈ [−2, 2]; positive ∈ [0.3, 3]; nonzero |v| ∈ [0.2, 2]; unit ∈ [0.05, 0.95]; distinct: spaced 0.1 apart. */
function values(n: number, seed: number, kind: Kind = 'any'): number[] {
  const u = rng(seed);
  if (kind === 'distinct') {
    const order = Array.from({ length: n }, (_, i) => i).sort(() => u() - 0.5);
    return order.map((k) => (k - n / 2) * 0.1 + 0.01 * u());
  }
  return Array.from({ length: n }, () => {
    const v = u();
    switch (kind) {
      case 'positive': return 0.3 + 2.7 * v;
      case 'nonzero': return (u() < 0.5 ? -1 : 1) * (0.2 + 1.8 * v);
      case 'unit': return 0.05 + 0.9 * v;
      case 'clampSafe': {
        // away from the clamp bounds −0.5 and 0.7 used below
        const bands = [[-2, -0.6], [-0.4, 0.6], [0.8, 2]];
        const [lo, hi] = bands[Math.floor(u() * 3)];
        return lo + (hi - lo) * v;
      }
      default: return -2 + 4 * v;
    }
  });
}

function numel(shape: readonly number[]): number {
  return shape.reduce((p, q) => p * q, 1);
}

/** A float64 leaf that requires grad. */
function leaf(shape: readonly number[], seed: number, kind: Kind = 'any'): Tensor {
  return torch.tensor(Float64Array.from(values(numel(shape), seed, kind)), { dtype: 'float64' }).reshape([...shape]).detach().requiresGrad_(true);
}

type Layout = 'contiguous' | 'transposed' | 'permuted' | 'expanded';

/**
 * A leaf and how to turn it into the op's input of `shape`: as is; stored transposed (the op sees a
 * transpose: non-contiguous); stored with its dims rotated (a permute); or with size-1 dims that expand
 * (stride 0) to `shape`.
 */
function input(shape: readonly number[], seed: number, kind: Kind, layout: Layout): { leaf: Tensor; view: (t: Tensor) => Tensor } {
  const n = shape.length;
  if (layout === 'transposed' && n >= 2) {
    const stored = [...shape];
    [stored[n - 1], stored[n - 2]] = [stored[n - 2], stored[n - 1]];
    return { leaf: leaf(stored, seed, kind), view: (t) => t.transpose(-1, -2) };
  }
  if (layout === 'permuted' && n >= 3) {
    // stored as [d1, d2, …, d0]; permute([n-1, 0, 1, …]) brings it back
    const stored = [...shape.slice(1), shape[0]];
    const perm = [n - 1, ...Array.from({ length: n - 1 }, (_, i) => i)];
    return { leaf: leaf(stored, seed, kind), view: (t) => t.permute(perm) };
  }
  if (layout === 'expanded' && shape.some((d) => d > 1)) {
    const stored = shape.map((d, i) => (i % 2 === 0 ? 1 : d));
    return { leaf: leaf(stored, seed, kind), view: (t) => t.expand([...shape]) };
  }
  return { leaf: leaf(shape, seed, kind), view: (t) => t };
}

/** Checks d/dx sum(f(x…) · r) against finite differences, r random of f's output shape. */
function gradcheck(what: string, f: (...xs: Tensor[]) => Tensor, leaves: Tensor[], seed: number): void {
  const shape = torch.noGrad(() => f(...leaves)).shape;
  const r = torch.tensor(Float64Array.from(values(numel(shape), seed ^ 0x5bd1e995)), { dtype: 'float64' }).reshape([...shape]);
  const comparisons = finiteDifferenceCheck((...xs) => torch.sum(torch.mul(f(...xs), r)), leaves, { what });
  expect(comparisons.length).toBeGreaterThan(0);
}

const shapeArb = (minRank = 1, maxRank = 3, maxDim = 4) => fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });
const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const layoutArb = fc.constantFrom<Layout>('contiguous', 'transposed', 'permuted', 'expanded');

function property<T>(name: string, arb: fc.Arbitrary<T>, body: (v: T) => void, numRuns = RUNS): void {
  it(name, () => {
    fc.assert(fc.property(arb, (v) => { body(v); }), { numRuns, seed: 20260329 });
  });
}

// ---------------------------------------------------------------- elementwise

describe('gradcheck: unary elementwise ops on any layout', () => {
  const unary: Array<[string, Kind, (x: Tensor) => Tensor]> = [
    ['neg', 'any', (x) => torch.neg(x)],
    ['exp', 'any', (x) => torch.exp(x)],
    ['log', 'positive', (x) => torch.log(x)],
    ['sqrt', 'positive', (x) => torch.sqrt(x)],
    ['abs', 'nonzero', (x) => torch.abs(x)],
    ['clamp(-0.5, 0.7)', 'clampSafe', (x) => torch.clamp(x, -0.5, 0.7)],
    ['clamp(min only)', 'clampSafe', (x) => x.clamp(-0.5)],
    ['sigmoid', 'any', (x) => torch.sigmoid(x)],
    ['tanh', 'any', (x) => x.tanh()],
    ['relu', 'nonzero', (x) => torch.relu(x)],
    ['leakyRelu(0.1)', 'nonzero', (x) => torch.leakyRelu(x, 0.1)],
    ['pow(x, 2)', 'any', (x) => torch.pow(x, 2)],
    ['pow(x, 3)', 'any', (x) => x.pow(3)],
    ['pow(x, 0.5)', 'positive', (x) => x.pow(0.5)],
    ['pow(x, -1)', 'positive', (x) => x.pow(-1)],
    ['pow(x, -2)', 'positive', (x) => x.pow(-2)],
    ['pow(x, 1.7)', 'positive', (x) => x.pow(1.7)],
    ['clone', 'any', (x) => x.clone()],
    ['to(float64) of float64', 'any', (x) => x.to('float64')],
  ];
  for (const [name, kind, op] of unary) {
    property(name, fc.record({ shape: shapeArb(), seed: seedArb, layout: layoutArb }), ({ shape, seed, layout }) => {
      const x = input(shape, seed, kind, layout);
      gradcheck(name, (t) => op(x.view(t)), [x.leaf], seed);
    });
  }

  it('to(float32) sends the gradient back cast to float64', () => {
    const x = leaf([2, 3], 7);
    const y = x.to('float32');
    expect(y.gradFn?.name).toBe('ToCopyBackward0');
    const g = torch.tensor([[1.5, -2, 0.25], [3, 4, -0.125]]);
    y.backward(g);
    expect(x.grad!.dtype).toBe('float64');
    expect(x.grad!.toArray()).toEqual(g.toArray());
  });

  for (const [name, op] of [['softmax', torch.softmax], ['logSoftmax', torch.logSoftmax]] as const) {
    property(`${name} along every dim`, fc.record({ shape: shapeArb(1, 3), seed: seedArb, layout: layoutArb, d: fc.nat() }), ({ shape, seed, layout, d }) => {
      const x = input(shape, seed, 'any', layout);
      const dim = (d % shape.length) - (d % 2 === 0 ? 0 : shape.length);
      gradcheck(`${name}(dim ${dim})`, (t) => op(x.view(t), dim), [x.leaf], seed);
    });
  }
});

/** A shape and a second shape that broadcasts against it (dims dropped from the left or set to 1). */
const broadcastPairArb = fc.record({
  shape: shapeArb(1, 3),
  drop: fc.integer({ min: 0, max: 2 }),
  ones: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
  swap: fc.boolean(),
}).map(({ shape, drop, ones, swap }) => {
  const other = shape.slice(Math.min(drop, shape.length - 1)).map((d, i) => (ones[i] ? 1 : d));
  return swap ? [other, shape] : [shape, other];
});

describe('gradcheck: binary ops with broadcasting and non-contiguous operands', () => {
  const binary: Array<[string, Kind, Kind, (a: Tensor, b: Tensor) => Tensor]> = [
    ['add', 'any', 'any', (a, b) => torch.add(a, b)],
    ['add alpha', 'any', 'any', (a, b) => a.add(b, -2.5)],
    ['sub', 'any', 'any', (a, b) => torch.sub(a, b)],
    ['sub alpha', 'any', 'any', (a, b) => a.sub(b, 0.5)],
    ['rsub', 'any', 'any', (a, b) => torch.rsub(a, b)],
    ['mul', 'any', 'any', (a, b) => torch.mul(a, b)],
    ['div', 'any', 'nonzero', (a, b) => torch.div(a, b)],
    ['pow (tensor exponent)', 'positive', 'any', (a, b) => torch.pow(a, b)],
  ];
  for (const [name, ka, kb, op] of binary) {
    property(name, fc.record({ shapes: broadcastPairArb, seed: seedArb, layout: layoutArb }), ({ shapes: [sa, sb], seed, layout }) => {
      const a = input(sa, seed, ka, layout);
      const b = input(sb, seed + 1, kb, 'contiguous');
      gradcheck(`${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`, (x, y) => op(a.view(x), b.view(y)), [a.leaf, b.leaf], seed);
    });
  }
  const scalar: Array<[string, Kind, (a: Tensor) => Tensor]> = [
    ['add scalar', 'any', (a) => a.add(1.25)],
    ['sub scalar', 'any', (a) => a.sub(-0.75)],
    ['rsub scalar', 'any', (a) => a.rsub(3)],
    ['mul scalar', 'any', (a) => a.mul(-1.5)],
    ['div scalar', 'any', (a) => a.div(0.8)],
  ];
  for (const [name, kind, op] of scalar) {
    property(name, fc.record({ shape: shapeArb(), seed: seedArb, layout: layoutArb }), ({ shape, seed, layout }) => {
      const a = input(shape, seed, kind, layout);
      gradcheck(name, (x) => op(a.view(x)), [a.leaf], seed);
    });
  }
});

// ---------------------------------------------------------------- reductions and views

describe('gradcheck: reductions', () => {
  property('sum / mean of all elements', fc.record({ shape: shapeArb(), seed: seedArb, layout: layoutArb, mean: fc.boolean() }), ({ shape, seed, layout, mean }) => {
    const x = input(shape, seed, 'any', layout);
    gradcheck(mean ? 'mean()' : 'sum()', (t) => (mean ? torch.mean(x.view(t)) : torch.sum(x.view(t))), [x.leaf], seed);
  });
  property('sum / mean over dims, keepdim or not', fc.record({
    shape: shapeArb(1, 4), seed: seedArb, layout: layoutArb, mean: fc.boolean(), keepdim: fc.boolean(), pick: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), negative: fc.boolean(),
  }), ({ shape, seed, layout, mean, keepdim, pick, negative }) => {
    const dims = shape.map((_, i) => i).filter((i) => pick[i]);
    if (dims.length === 0) dims.push(0);
    const arg = dims.length === 1 ? (negative ? dims[0] - shape.length : dims[0]) : dims;
    const x = input(shape, seed, 'any', layout);
    gradcheck(`${mean ? 'mean' : 'sum'}(${JSON.stringify(arg)}, ${keepdim})`, (t) => (mean ? x.view(t).mean(arg, keepdim) : x.view(t).sum(arg, keepdim)), [x.leaf], seed);
  });
});

describe('gradcheck: views', () => {
  property('view / reshape / flatten', fc.record({ shape: shapeArb(2, 3), seed: seedArb, layout: layoutArb, start: fc.nat(), which: fc.constantFrom('view', 'reshape', 'flatten') }), ({ shape, seed, layout, start, which }) => {
    // view needs a viewable layout: a contiguous leaf
    const x = input(shape, seed, 'any', which === 'view' ? 'contiguous' : layout);
    const n = numel(shape);
    const s = start % shape.length;
    const f = which === 'view' ? (t: Tensor) => x.view(t).view([n])
      : which === 'reshape' ? (t: Tensor) => x.view(t).reshape([-1, shape[shape.length - 1]])
        : (t: Tensor) => x.view(t).flatten(s);
    gradcheck(which, f, [x.leaf], seed);
  });
  property('squeeze / unsqueeze', fc.record({ shape: shapeArb(1, 3), seed: seedArb, d: fc.nat(), all: fc.boolean() }), ({ shape, seed, d, all }) => {
    const withOnes = [1, ...shape.flatMap((s) => [s, 1])];
    const x = input(withOnes, seed, 'any', 'contiguous');
    const dim = d % withOnes.length;
    gradcheck('squeeze', (t) => (all ? x.view(t).squeeze() : x.view(t).squeeze(dim)), [x.leaf], seed);
    const y = input(shape, seed, 'any', 'contiguous');
    gradcheck('unsqueeze', (t) => y.view(t).unsqueeze(d % (shape.length + 1)), [y.leaf], seed);
  });
  property('permute / transpose', fc.record({ shape: shapeArb(2, 4), seed: seedArb, layout: layoutArb, d0: fc.nat(), d1: fc.nat() }), ({ shape, seed, layout, d0, d1 }) => {
    const x = input(shape, seed, 'any', layout);
    const perm = shape.map((_, i) => i).reverse();
    gradcheck('permute', (t) => x.view(t).permute(perm), [x.leaf], seed);
    gradcheck('transpose', (t) => x.view(t).transpose(d0 % shape.length, -1 - (d1 % shape.length)), [x.leaf], seed);
  });
  property('expand', fc.record({ shape: shapeArb(1, 3), seed: seedArb, lead: fc.integer({ min: 0, max: 2 }) }), ({ shape, seed, lead }) => {
    const small = shape.map((d, i) => (i % 2 === 1 ? 1 : d));
    const x = input(small, seed, 'any', 'contiguous');
    gradcheck('expand', (t) => x.view(t).expand([...Array<number>(lead).fill(2), ...shape]), [x.leaf], seed);
  });
  property('select', fc.record({ shape: shapeArb(1, 3), seed: seedArb, layout: layoutArb, d: fc.nat(), i: fc.nat() }), ({ shape, seed, layout, d, i }) => {
    const x = input(shape, seed, 'any', layout);
    const dim = d % shape.length;
    const index = (i % shape[dim]) - (i % 2 === 0 ? 0 : shape[dim]);
    gradcheck('select', (t) => x.view(t).select(dim, index), [x.leaf], seed);
  });
});

// ---------------------------------------------------------------- conv, pool, matmul, linear, losses

const convArb = fc.record({
  N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 3 }), CO: fc.integer({ min: 1, max: 3 }),
  H: fc.integer({ min: 3, max: 6 }), W: fc.integer({ min: 3, max: 6 }),
  KH: fc.integer({ min: 1, max: 3 }), KW: fc.integer({ min: 1, max: 3 }),
  stride: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
  padding: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 1 })),
  dilation: fc.constantFrom<[number, number]>([1, 1], [1, 1], [2, 1], [2, 2]),
  bias: fc.boolean(), unbatched: fc.boolean(), transposedInput: fc.boolean(), seed: seedArb,
});

describe('gradcheck: conv2d, max_pool2d', () => {
  property('conv2d with stride, padding, dilation, bias, unbatched and non-contiguous input', convArb, (c) => {
    const shape = c.unbatched ? [c.C, c.H, c.W] : [c.N, c.C, c.H, c.W];
    const x = input(shape, c.seed, 'any', c.transposedInput ? 'transposed' : 'contiguous');
    const w = leaf([c.CO, c.C, c.KH, c.KW], c.seed + 1);
    const b = c.bias ? leaf([c.CO], c.seed + 2) : null;
    const leaves = b ? [x.leaf, w, b] : [x.leaf, w];
    gradcheck(`conv2d ${JSON.stringify(c)}`, (t, wt, bt) => torch.conv2d(x.view(t), wt, bt ?? null, { stride: c.stride, padding: c.padding, dilation: c.dilation }), leaves, c.seed);
  }, 16);

  property('max_pool2d with stride and padding (distinct values: no ties)', fc.record({
    N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 2 }), H: fc.integer({ min: 2, max: 6 }), W: fc.integer({ min: 2, max: 6 }),
    k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 3 }), p: fc.integer({ min: 0, max: 1 }), unbatched: fc.boolean(), seed: seedArb,
  }), (c) => {
    const k = Math.min(c.k, c.H, c.W);
    const p = Math.min(c.p, Math.floor(k / 2));
    const shape = c.unbatched ? [c.C, c.H, c.W] : [c.N, c.C, c.H, c.W];
    const x = input(shape, c.seed, 'distinct', 'contiguous');
    gradcheck('max_pool2d', (t) => torch.maxPool2d(x.view(t), k, c.s, p), [x.leaf], c.seed);
  });
});

/** Operand shapes for every rank combination matmul dispatches on (batch dims may broadcast). */
const matmulShapes = fc.record({
  ra: fc.integer({ min: 1, max: 4 }), rb: fc.integer({ min: 1, max: 4 }),
  n: fc.integer({ min: 1, max: 3 }), k: fc.integer({ min: 1, max: 4 }), m: fc.integer({ min: 1, max: 3 }),
  batch: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 2 }),
  oneA: fc.boolean(), oneB: fc.boolean(),
}).map(({ ra, rb, n, k, m, batch, oneA, oneB }) => {
  // batch dims align from the right, so each operand takes the last rank−2 of the shared ones
  const bat = (rank: number, one: boolean) => batch.slice(batch.length - Math.max(0, rank - 2)).map((d, i) => (one && i === 0 ? 1 : d));
  const sa = ra === 1 ? [k] : [...bat(ra, oneA), n, k];
  const sb = rb === 1 ? [k] : [...bat(rb, oneB), k, m];
  return [sa, sb];
});

describe('gradcheck: matmul, mm, linear', () => {
  property('matmul over every rank combination, with broadcast batches and transposed operands', fc.record({ shapes: matmulShapes, seed: seedArb, ta: fc.boolean(), tb: fc.boolean() }), ({ shapes: [sa, sb], seed, ta, tb }) => {
    const a = input(sa, seed, 'any', ta ? 'transposed' : 'contiguous');
    const b = input(sb, seed + 1, 'any', tb ? 'transposed' : 'contiguous');
    gradcheck(`matmul ${JSON.stringify(sa)} @ ${JSON.stringify(sb)}`, (x, y) => torch.matmul(a.view(x), b.view(y)), [a.leaf, b.leaf], seed);
  }, 60);

  it('matmul covers the permuted 3-D @ 2-D case PyTorch runs as a batched product', () => {
    const a = leaf([2, 4, 3], 11);
    const b = leaf([4, 2], 12);
    gradcheck('permuted @ 2-D', (x, y) => torch.matmul(x.permute(0, 2, 1), y), [a, b], 13);
    gradcheck('2-D @ permuted', (x, y) => torch.matmul(y.t(), x.permute(0, 2, 1).transpose(1, 2)), [a, b], 14);
  });

  property('mm', fc.record({ n: fc.integer({ min: 1, max: 4 }), k: fc.integer({ min: 1, max: 4 }), m: fc.integer({ min: 1, max: 4 }), seed: seedArb, ta: fc.boolean(), tb: fc.boolean() }), ({ n, k, m, seed, ta, tb }) => {
    const a = input([n, k], seed, 'any', ta ? 'transposed' : 'contiguous');
    const b = input([k, m], seed + 1, 'any', tb ? 'transposed' : 'contiguous');
    gradcheck('mm', (x, y) => a.view(x).mm(b.view(y)), [a.leaf, b.leaf], seed);
  });

  property('linear for 1-D to 4-D inputs, with and without bias, contiguous or not', fc.record({
    lead: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }), inF: fc.integer({ min: 1, max: 4 }), outF: fc.integer({ min: 1, max: 3 }),
    bias: fc.boolean(), transposed: fc.boolean(), seed: seedArb,
  }), ({ lead, inF, outF, bias, transposed, seed }) => {
    const shape = [...lead, inF];
    const x = input(shape, seed, 'any', transposed ? 'transposed' : 'contiguous');
    const w = leaf([outF, inF], seed + 1);
    const b = bias ? leaf([outF], seed + 2) : null;
    gradcheck('linear', (t, wt, bt) => torch.linear(x.view(t), wt, bt ?? null), b ? [x.leaf, w, b] : [x.leaf, w], seed);
  }, 20);
});

describe('gradcheck: losses', () => {
  const reductionArb = fc.constantFrom<'mean' | 'sum' | 'none'>('mean', 'sum', 'none');
  property('binaryCrossEntropy, with weight and a target that requires grad', fc.record({ shape: shapeArb(), seed: seedArb, reduction: reductionArb, weighted: fc.boolean() }), ({ shape, seed, reduction, weighted }) => {
    const p = leaf(shape, seed, 'unit');
    const t = leaf(shape, seed + 1, 'unit');
    const weight = weighted ? torch.tensor(Float64Array.from(values(shape[shape.length - 1], seed + 2, 'positive')), { dtype: 'float64' }) : null;
    gradcheck('bce', (x, y) => torch.binaryCrossEntropy(x, y, { reduction, weight }), [p, t], seed);
  });
  property('mseLoss, target requiring grad too', fc.record({ shape: shapeArb(), seed: seedArb, reduction: reductionArb, layout: layoutArb }), ({ shape, seed, reduction, layout }) => {
    const p = input(shape, seed, 'any', layout);
    const t = leaf(shape, seed + 1);
    gradcheck('mse', (x, y) => torch.mseLoss(p.view(x), y, { reduction }), [p.leaf, t], seed);
  });
  const classArb = fc.record({ N: fc.integer({ min: 1, max: 20 }), C: fc.integer({ min: 1, max: 5 }), seed: seedArb, reduction: reductionArb, weighted: fc.boolean(), unbatched: fc.boolean() });
  function targetsFor(N: number, C: number, seed: number): number[] {
    const u = rng(seed);
    return Array.from({ length: N }, () => Math.floor(u() * C));
  }
  property('nllLoss (batched and unbatched, class weights)', classArb, ({ N, C, seed, reduction, weighted, unbatched }) => {
    const x = leaf(unbatched ? [C] : [N, C], seed);
    const t = targetsFor(unbatched ? 1 : N, C, seed + 1);
    const target = unbatched ? torch.tensor(t[0]) : torch.tensor(t);
    const weight = weighted ? torch.tensor(Float64Array.from(values(C, seed + 2, 'positive')), { dtype: 'float64' }) : null;
    gradcheck('nll', (l) => torch.nllLoss(l, target, { reduction, weight }), [x], seed);
  });
  property('crossEntropy', classArb, ({ N, C, seed, reduction, unbatched }) => {
    const x = leaf(unbatched ? [C] : [N, C], seed);
    const t = targetsFor(unbatched ? 1 : N, C, seed + 1);
    gradcheck('cross_entropy', (l) => torch.crossEntropy(l, unbatched ? torch.tensor(t[0]) : t, { reduction }), [x], seed);
  });
});

// ---------------------------------------------------------------- float32 kernels against float64

describe('float32 conv2d kernels (oneDNN order, im2col path) agree with the float64 kernels', () => {
  property('forward and all three gradients within float32 accuracy', fc.record({
    N: fc.integer({ min: 2, max: 3 }), C: fc.integer({ min: 1, max: 20 }), CO: fc.integer({ min: 1, max: 20 }),
    H: fc.integer({ min: 4, max: 12 }), K: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 2 }),
    padding: fc.integer({ min: 0, max: 1 }), dilation: fc.integer({ min: 1, max: 2 }), seed: seedArb,
  }), (c) => {
    const xs = values(c.N * c.C * c.H * c.H, c.seed);
    const ws = values(c.CO * c.C * c.K * c.K, c.seed + 1);
    const bs = values(c.CO, c.seed + 2);
    const run = (dtype: 'float32' | 'float64') => {
      const x = torch.tensor(Float64Array.from(xs), { dtype }).reshape([c.N, c.C, c.H, c.H]).detach().requiresGrad_(true);
      const w = torch.tensor(Float64Array.from(ws), { dtype }).reshape([c.CO, c.C, c.K, c.K]).detach().requiresGrad_(true);
      const b = torch.tensor(Float64Array.from(bs), { dtype, requiresGrad: true });
      const y = torch.conv2d(x, w, b, { stride: c.stride, padding: c.padding, dilation: c.dilation });
      const g = torch.tensor(Float64Array.from(values(y.numel(), c.seed + 3)), { dtype }).reshape([...y.shape]);
      y.backward(g);
      return [y, x.grad!, w.grad!, b.grad!].map((t) => t.toArray());
    };
    const single = run('float32');
    const double = run('float64');
    single.forEach((got, i) => {
      const want = double[i];
      // float32 sums of up to ~20·9·n terms of size ≤ 4: a few ulps of Σ|terms| ≈ 1e-5·√terms
      const scale = Math.max(1, ...want.map(Math.abs));
      got.forEach((v, j) => expect(Math.abs(v - want[j]), `tensor ${i} element ${j}`).toBeLessThan(2e-5 * scale));
    });
  }, 10);
});
