// The optimisers resolve each parameter once (its checked gradient, storages and state record) and re-check that
// by identity every step. Each test changes one thing the resolution depends on between steps and compares with
// a twin: a fresh optimiser over copies of the parameters, given the same state through loadStateDict, which has
// nothing cached. A stale cache would step with the old value and the bits would differ.
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import { Tensor } from '../../src/index.js';
import type { Optimizer } from '../../src/optim/index.js';

const { Adadelta, SGD, Adam, RMSprop } = torch.optim;

type AnyOptimizer = Optimizer<object>;
type Make = (params: Tensor[]) => AnyOptimizer;

const MAKERS: Array<[string, Make]> = [
  ['Adadelta', (ps) => new Adadelta(ps, { lr: 0.5 }) as unknown as AnyOptimizer],
  ['SGD', (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9 }) as unknown as AnyOptimizer],
  ['Adam', (ps) => new Adam(ps, { lr: 0.01 }) as unknown as AnyOptimizer],
  ['RMSprop', (ps) => new RMSprop(ps, { lr: 0.01, momentum: 0.5, centered: true }) as unknown as AnyOptimizer],
];

const gen = new torch.Generator(11);

/** The tutorial's four parameters, with gradients. */
function tutorialParams(): Tensor[] {
  const ps = [[1, 1, 2, 2], [1], [1, 1, 2, 2], [1]].map((s) => torch.rand(s, { generator: gen }).requiresGrad_());
  for (const p of ps) p.grad = torch.rand([...p.shape], { generator: gen }).sub(0.5);
  return ps;
}

function copyOf(p: Tensor): Tensor {
  const q = p.detach().clone().requiresGrad_();
  if (p.grad !== null) q.grad = p.grad.clone();
  return q;
}

/**
 * A fresh optimiser over copies of `params` (grouped as `opt` groups them), with `opt`'s state and options:
 * nothing cached. Returns the copies in the order of `params`.
 */
function twin(make: Make, opt: AnyOptimizer, params: Tensor[]): [AnyOptimizer, Tensor[]] {
  const copies = params.map(copyOf);
  const copyOfParam = (p: Tensor) => copies[params.indexOf(p)];
  const groups = opt.paramGroups.map((g) => g.params.map(copyOfParam));
  const fresh = make(groups[0]);
  for (const g of groups.slice(1)) fresh.addParamGroup({ params: g });
  fresh.loadStateDict(opt.stateDict());
  return [fresh, copies];
}

function bits(ts: Tensor[]): number[][] {
  return ts.map((t) => Array.from(t.values()));
}

/** Gives every parameter a new gradient value, written into the existing .grad storage (as backward does). */
function regrad(ps: Tensor[]): void {
  for (const p of ps) {
    const g = p.grad as Tensor;
    for (let i = 0; i < g.data.length; i++) g.data[i] = Math.sin(g.data[i] * 7 + i) * 0.4;
  }
}

function squareAvg(opt: AnyOptimizer, p: Tensor): Tensor {
  return (opt.state.get(p) as unknown as { squareAvg: Tensor }).squareAvg;
}

for (const [name, make] of MAKERS) {
  describe(`${name}: cached parameter slots follow every change`, () => {
    it('an option changed between steps takes effect at the next step', () => {
      const ps = tutorialParams();
      const opt = make(ps);
      opt.step();
      opt.step();
      const group = opt.paramGroups[0] as unknown as { lr: number };
      group.lr = group.lr * 0.3;
      const [fresh, copies] = twin(make, opt, ps);
      const before = bits(ps);
      opt.step();
      fresh.step();
      expect(bits(ps)).toEqual(bits(copies));
      expect(bits(ps)).not.toEqual(before);
    });

    it('a parameter whose .grad became null is skipped; a new gradient tensor is then checked and used', () => {
      const ps = tutorialParams();
      const opt = make(ps);
      opt.step();
      const old = ps[2].grad as Tensor;
      ps[2].grad = null;
      const kept = ps[2].toArray();
      opt.step();
      expect(ps[2].toArray()).toEqual(kept);
      ps[2].grad = torch.tensor([[[[0.3, -0.2], [0.1, 0.25]]]]);
      old.data.fill(100); // the old gradient's storage must play no part any more
      const [fresh, copies] = twin(make, opt, ps);
      opt.step();
      fresh.step();
      expect(bits(ps)).toEqual(bits(copies));
      opt.zeroGrad();
      expect((ps[2].grad as Tensor).toArray()).toEqual([0, 0, 0, 0]);
      expect(Array.from(old.data)).toEqual([100, 100, 100, 100]);
    });

    it('a replacing gradient of the wrong shape or dtype fails as on the first step', () => {
      const ps = tutorialParams();
      const opt = make(ps);
      opt.step();
      ps[0].grad = torch.zeros([3]);
      expect(() => opt.step()).toThrow(`${name}: the gradient must be a dense tensor of the parameter's shape [1, 1, 2, 2], got shape [3]`);
      ps[0].grad = torch.zeros([1, 1, 2, 2], { dtype: 'float64' });
      expect(() => opt.step()).toThrow(`${name}: a float64 gradient for a float32 parameter`);
      ps[0].grad = new Tensor(new Float32Array(8), [1, 1, 2, 2], [8, 8, 4, 2]); // right shape, not dense
      expect(() => opt.step()).toThrow(`${name}: the gradient must be a dense tensor`);
    });

    it('after loadStateDict the loaded buffers are the ones updated, with the loaded options', () => {
      const ps = tutorialParams();
      const opt = make(ps);
      opt.step();
      const other = make(ps.map(copyOf));
      other.step();
      other.step();
      const saved = other.stateDict();
      saved.param_groups[0].lr = 0.02;
      const oldRecord = opt.state.get(ps[0]);
      opt.loadStateDict(saved);
      const record = opt.state.get(ps[0]);
      expect(record === oldRecord).toBe(false);
      const [fresh, copies] = twin(make, opt, ps);
      const liveBefore = Object.values(record ?? {}).filter((v): v is Tensor => v instanceof Tensor).map((t) => Array.from(t.values()));
      regrad(ps);
      regrad(copies);
      opt.step();
      fresh.step();
      expect(bits(ps)).toEqual(bits(copies));
      expect(opt.state.get(ps[0])).toBe(record); // the loaded record itself was stepped
      const liveAfter = Object.values(record ?? {}).filter((v): v is Tensor => v instanceof Tensor).map((t) => Array.from(t.values()));
      expect(liveAfter).not.toEqual(liveBefore);
      const oldTensors = Object.values(oldRecord ?? {}).filter((v): v is Tensor => v instanceof Tensor);
      const oldValues = oldTensors.map((t) => Array.from(t.values()));
      opt.step();
      expect(oldTensors.map((t) => Array.from(t.values()))).toEqual(oldValues); // the replaced buffers are left alone
    });

    it('state deleted from, or replaced in, the state map is created afresh', () => {
      const ps = tutorialParams();
      const opt = make(ps);
      opt.step();
      opt.step();
      opt.state.delete(ps[1]);
      const [fresh, copies] = twin(make, opt, ps);
      opt.step();
      fresh.step();
      expect(bits(ps)).toEqual(bits(copies));
      expect(opt.state.has(ps[1])).toBe(true);

      // a plain Map assigned by hand (not the optimiser's own) is read afresh at every step
      const plain = new Map(opt.state);
      plain.delete(ps[3]);
      opt.state = plain;
      const [fresh2, copies2] = twin(make, opt, ps);
      opt.step();
      fresh2.step();
      expect(bits(ps)).toEqual(bits(copies2));
      expect(plain.has(ps[3])).toBe(true);
      plain.delete(ps[0]);
      const [fresh3, copies3] = twin(make, opt, ps);
      opt.step();
      fresh3.step();
      expect(bits(ps)).toEqual(bits(copies3));
    });

    it('parameters added by addParamGroup or pushed into a group are stepped', () => {
      const ps = tutorialParams();
      const opt = make(ps.slice(0, 2));
      opt.step();
      opt.addParamGroup({ params: [ps[2]] });
      opt.paramGroups[0].params.push(ps[3]);
      const [fresh, copies] = twin(make, opt, ps);
      const before = bits(ps);
      opt.step();
      fresh.step();
      expect(bits(ps)).toEqual(bits(copies));
      expect(ps[2].toArray()).not.toEqual(before[2]);
      expect(ps[3].toArray()).not.toEqual(before[3]);
    });
  });
}

describe('Adadelta slots', () => {
  it('a group mixing float32 and float64 parameters steps each as its own optimiser would', () => {
    const a32 = torch.tensor([0.5, -0.25, 2], { requiresGrad: true });
    const a64 = torch.tensor([0.125, 3], { dtype: 'float64', requiresGrad: true });
    const b32 = a32.detach().clone().requiresGrad_();
    const b64 = a64.detach().clone().requiresGrad_();
    const mixed = new Adadelta([a64, a32], { lr: 0.5 });
    const only32 = new Adadelta([b32], { lr: 0.5 });
    const only64 = new Adadelta([b64], { lr: 0.5 });
    for (let i = 0; i < 3; i++) {
      for (const [p, q] of [[a32, b32], [a64, b64]]) {
        const g = torch.tensor(q.toArray().map((v, j) => Math.sin(v * 3 + j + i)), { dtype: q.dtype });
        p.grad = g;
        q.grad = g.clone();
      }
      mixed.step();
      only32.step();
      only64.step();
    }
    expect(a32.toArray()).toEqual(b32.toArray());
    expect(a64.toArray()).toEqual(b64.toArray());
    expect(mixed.paramState(a64)?.step).toBe(3);
    expect(mixed.paramState(a32)?.step).toBe(3);
  });

  it('a bad gradient fails the step before any parameter or step count changes', () => {
    const ps = tutorialParams();
    const opt = new Adadelta(ps, { lr: 0.5 });
    opt.step();
    const before = bits(ps);
    ps[3].grad = torch.zeros([2]);
    expect(() => opt.step()).toThrow('Adadelta: the gradient must be a dense tensor');
    expect(bits(ps)).toEqual(before);
    expect(ps.map((p) => opt.paramState(p)?.step)).toEqual([1, 1, 1, 1]);
  });

  it("state tensors read before and after a step are the live buffers (the lab's dissection)", () => {
    const ps = tutorialParams();
    const opt = new Adadelta(ps, { lr: 0.5 });
    opt.step();
    const sq = opt.paramState(ps[0])?.squareAvg as Tensor;
    const before = sq.toArray();
    regrad(ps);
    opt.step();
    expect(opt.paramState(ps[0])?.squareAvg).toBe(sq);
    expect(sq.toArray()).not.toEqual(before);
  });

  it('a duplicated parameter is stepped twice with one state record, as PyTorch does', () => {
    const p = torch.tensor([0.5, -0.25]).requiresGrad_();
    p.grad = torch.tensor([0.1, -0.3]);
    const warn = console.warn;
    console.warn = () => {};
    let opt: InstanceType<typeof Adadelta>;
    try {
      opt = new Adadelta([p, p], { lr: 0.5 });
    } finally {
      console.warn = warn;
    }
    opt.step();
    expect(opt.paramState(p)?.step).toBe(2);
    const q = torch.tensor([0.5, -0.25]).requiresGrad_();
    q.grad = torch.tensor([0.1, -0.3]);
    const single = new Adadelta([q], { lr: 0.5 });
    single.step();
    single.step();
    expect(p.toArray()).toEqual(q.toArray());
  });

  it('zeroGrad({setToNone}) then a fresh gradient from backward: the new gradient is used and zeroed', () => {
    const p = torch.tensor([0.5, -1.5, 2.0, 0.0], { requiresGrad: true });
    const q = p.detach().clone().requiresGrad_();
    const loss = (t: Tensor) => t.sub(1).pow(2).mul(torch.tensor([1, 2, 3, 4])).sum();
    const a = new Adadelta([p], { lr: 0.5 });
    const b = new Adadelta([q], { lr: 0.5 });
    for (let i = 0; i < 3; i++) {
      a.zeroGrad({ setToNone: true });
      b.zeroGrad();
      loss(p).backward();
      loss(q).backward();
      a.step();
      b.step();
    }
    expect(p.toArray()).toEqual(q.toArray());
    const g = p.grad as Tensor;
    a.zeroGrad();
    expect(g.toArray()).toEqual([0, 0, 0, 0]);
  });

  it('storage re-homed by Module.to() is the storage stepped and zeroed', () => {
    const net = new torch.nn.Linear(2, 1);
    const opt = new Adadelta(net.parameters(), { lr: 0.5 });
    const x = torch.tensor([[0.5, -1]]);
    net.forward(x).sum().backward();
    opt.step();
    net.to('float64');
    const w = net.weight;
    const oldGrad = (w.grad as Tensor).data;
    opt.zeroGrad();
    expect(Array.from((w.grad as Tensor).data)).toEqual([0, 0]);
    expect(oldGrad).toBe((w.grad as Tensor).data);
    net.forward(x.to('float64')).sum().backward();
    const before = w.toArray();
    opt.step();
    expect(w.data).toBeInstanceOf(Float64Array);
    expect(w.toArray()).not.toEqual(before);
    expect(squareAvg(opt as unknown as AnyOptimizer, w).toArray().every((v) => v > 0)).toBe(true);
  });
});
