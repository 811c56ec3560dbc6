// Adadelta's per-group plan (src/optim/adadelta-plan.ts) is reused while nothing it was made from changed. Each
// case changes one such thing between steps and runs the same steps twice: on the kernel (through the plan) and
// with the kernel off (the JavaScript loop); every number must be the same, compared with Object.is. The changes
// are made so that a plan missing one would step with an old tensor or storage whose values differ, and the
// kernel's counter shows that the last step after the change did run on it.
import { afterEach, describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import { Tensor } from '../../src/index.js';
import { adadeltaSimd, adadeltaSimdCounts } from '../../src/optim/adadelta-simd.js';
import { adadeltaShortcut } from '../../src/optim/adadelta.js';
import type { AdadeltaState } from '../../src/optim/index.js';

const { Adadelta } = torch.optim;
type Opt = InstanceType<typeof Adadelta>;

afterEach(() => {
  adadeltaSimd.enabled = true;
  adadeltaSimd.maxBytes = 64 << 20;
  adadeltaShortcut.enabled = true;
});

const values = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(seed * 3.1 + i * 1.7) * 0.5);

/** The tutorial's parameter shapes (4, 1, 4, 1 elements), float32, with gradients. */
function params(): Tensor[] {
  return [[1, 1, 2, 2], [1], [1, 1, 2, 2], [1]].map((shape, k) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const p = torch.tensor(values(n, k + 1)).reshape(shape).detach().requiresGrad_();
    p.grad = torch.tensor(values(n, k + 10)).reshape(shape);
    return p;
  });
}

/** New gradient values written into the current `.grad` storages, as backward does. */
function regrad(ps: Tensor[], t: number): void {
  for (const [k, p] of ps.entries()) {
    const g = p.grad;
    if (g === null) continue;
    for (let i = 0; i < g.numel(); i++) g.data[g.offset + i] = Math.sin(t * 0.7 + k + i * 1.3) * 0.3;
  }
}

function state(opt: Opt, p: Tensor): AdadeltaState {
  return opt.paramState(p) as AdadeltaState;
}

/** Everything a run leaves behind, as numbers; and the kernel's parameter updates in each step. */
interface Outcome {
  numbers: number[];
  stepped: number[];
}

/**
 * Eight steps of the tutorial's parameters; `change(ps, opt, t)` runs before step t (after the gradients are
 * rewritten) and may return further tensors whose values belong to the outcome.
 */
function run(change: (ps: Tensor[], opt: Opt, t: number) => Tensor[] | void): Outcome {
  const ps = params();
  const opt = new Adadelta(ps, { lr: 0.5 });
  const extra: Tensor[] = [];
  const stepped: number[] = [];
  for (let t = 0; t < 8; t++) {
    regrad(ps, t);
    extra.push(...(change(ps, opt, t) ?? []));
    const before = adadeltaSimdCounts.stepped;
    opt.step();
    stepped.push(adadeltaSimdCounts.stepped - before);
  }
  const numbers: number[] = [];
  for (const p of [...new Set([...opt.paramGroups.flatMap((g) => g.params), ...ps])]) {
    numbers.push(...p.values());
    const s = opt.paramState(p);
    if (s !== undefined) numbers.push(s.step, ...s.squareAvg.values(), ...s.accDelta.values());
  }
  for (const x of extra) numbers.push(...x.values());
  return { numbers, stepped };
}

/**
 * Runs `change` on the kernel and off it, and on the kernel without Adadelta.step's shortcut (see there); the numbers
 * must agree bit for bit (Object.is: -0 and NaN too) with a run that has neither. By default the kernel must have
 * stepped 4 parameters at the last step; `stepped` gives the count for every step. Returns how many steps took the
 * shortcut in the first run.
 */
function expectSame(change: (ps: Tensor[], opt: Opt, t: number) => Tensor[] | void, stepped?: number[]): number {
  const taken = adadeltaShortcut.taken;
  const on = run(change);
  const shortcuts = adadeltaShortcut.taken - taken;
  adadeltaSimd.enabled = false;
  const off = run(change);
  adadeltaShortcut.enabled = false;
  const plain = run(change);
  adadeltaSimd.enabled = true;
  const onPlain = run(change);
  adadeltaShortcut.enabled = true;
  for (const other of [on, off, onPlain]) {
    expect(other.numbers.length).toBe(plain.numbers.length);
    const differing = other.numbers.flatMap((v, i) => (Object.is(v, plain.numbers[i]) ? [] : [[i, v, plain.numbers[i]]]));
    expect(differing).toEqual([]);
  }
  expect(onPlain.stepped).toEqual(on.stepped);
  if (stepped === undefined) expect(on.stepped[7]).toBe(4);
  else expect(on.stepped).toEqual(stepped);
  return shortcuts;
}

describe('the Adadelta plan notices every change between steps', () => {
  it('nothing changed: the plan is reused, step after step (all but the first through the shortcut)', () => {
    expect(expectSame(() => undefined)).toBe(7);
  });

  it('a gradient tensor replaced', () => {
    expectSame((ps, _opt, t) => {
      if (t === 3) ps[0].grad = torch.tensor(values(4, 50)).reshape([1, 1, 2, 2]);
    });
  });

  it('a gradient storage replaced (the old one keeps other values)', () => {
    expectSame((ps, _opt, t) => {
      const g = ps[2].grad as Tensor;
      if (t === 3) g.data = Float32Array.from(values(4, 51));
    });
  });

  it('a gradient set to null (the parameter is skipped), then a new one', () => {
    expectSame((ps, _opt, t) => {
      if (t === 3) ps[1].grad = null;
      if (t === 5) ps[1].grad = torch.tensor([0.125]);
    }, [4, 4, 4, 3, 3, 4, 4, 4]);
  });

  it('a state tensor, or a state storage, replaced', () => {
    expectSame((ps, opt, t) => {
      if (t === 2) state(opt, ps[0]).squareAvg = torch.tensor(values(4, 52).map(Math.abs)).reshape([1, 1, 2, 2]);
      if (t === 4) state(opt, ps[2]).accDelta.data = Float32Array.from(values(4, 53).map(Math.abs));
    });
  });

  it('parameters and state written in place (their values are copied in at every step)', () => {
    expectSame((ps, opt, t) => {
      if (t === 3) ps[0].data[1] += 0.25;
      if (t === 4) state(opt, ps[3]).squareAvg.data[0] = 0.75;
      if (t === 5) state(opt, ps[2]).accDelta.data[3] = 0.5;
    });
  });

  it('a parameter storage re-homed (the old storage keeps its values)', () => {
    expectSame((ps, _opt, t) => {
      if (t === 3) ps[2].data = Float32Array.from(ps[2].data);
    });
  });

  it('loadStateDict, and a state record replaced or deleted in the state map', () => {
    expectSame((ps, opt, t) => {
      if (t === 2) {
        const saved = opt.stateDict();
        saved.state[0].square_avg = torch.tensor(values(4, 54).map(Math.abs)).reshape([1, 1, 2, 2]);
        saved.param_groups[0].lr = 0.25;
        opt.loadStateDict(saved);
      }
      if (t === 4) opt.state.set(ps[1], { step: 7, squareAvg: torch.tensor([0.5]), accDelta: torch.tensor([0.25]) });
      if (t === 5) opt.state.delete(ps[3]);
    });
  });

  it('the state map replaced by a plain Map', () => {
    expectSame((_ps, opt, t) => {
      if (t === 3) opt.state = new Map(opt.state);
    });
  });

  it('every option changed between steps', () => {
    expectSame((_ps, opt, t) => {
      const group = opt.paramGroups[0];
      if (t === 2) group.lr = 0.3;
      if (t === 3) group.rho = 0.75;
      if (t === 4) group.eps = 1e-4;
      if (t === 5) group.weightDecay = 0.01;
      if (t === 6) group.maximize = true;
    });
  });

  it('a parameter replaced in, or pushed onto, the group; a group added', () => {
    const spare = () => {
      const q = torch.tensor(values(3, 55)).requiresGrad_();
      q.grad = torch.tensor(values(3, 56));
      return q;
    };
    expectSame((ps, opt, t) => {
      if (t === 2) opt.paramGroups[0].params[1] = ps[1] = spare();
      if (t === 3) opt.paramGroups[0].params.push(spare());
      if (t === 4) opt.addParamGroup({ params: [spare()], lr: 0.2 });
    }, [4, 4, 4, 5, 6, 6, 6, 6]);
  });

  it('the kernel switched off and on, or its size limit changed, between steps', () => {
    expectSame((_ps, _opt, t) => {
      if (t === 2) adadeltaSimd.enabled = false;
      if (t === 3) adadeltaSimd.enabled = true;
      if (t === 4) adadeltaSimd.maxBytes = 16 * 8; // 10 elements: the JavaScript loop
      if (t === 6) adadeltaSimd.maxBytes = 64 << 20;
    }, [4, 4, 0, 4, 0, 0, 4, 4]);
  });

  it('a network moved to float64 and back (Module.to() re-homes parameter and gradient storages)', () => {
    const once = () => {
      const net = new torch.nn.Sequential(new torch.nn.Conv2d(1, 1, 2), new torch.nn.LeakyReLU(), new torch.nn.Conv2d(1, 1, 2));
      net.parameters().forEach((p, k) => p.data.set(values(p.numel(), k + 20)));
      const opt = new Adadelta(net.parameters(), { lr: 0.5 });
      const x = torch.tensor(values(9, 30)).reshape([1, 1, 3, 3]);
      const stepped: number[] = [];
      for (let t = 0; t < 8; t++) {
        if (t === 3) net.to('float64');
        if (t === 5) net.to('float32');
        opt.zeroGrad();
        net.call(t >= 3 && t < 5 ? x.to('float64') : x).sum().backward();
        const before = adadeltaSimdCounts.stepped;
        opt.step();
        stepped.push(adadeltaSimdCounts.stepped - before);
      }
      const numbers = net.parameters().flatMap((p) => {
        const s = opt.paramState(p) as AdadeltaState;
        return [...p.values(), s.step, ...s.squareAvg.values(), ...s.accDelta.values()];
      });
      return { numbers, stepped };
    };
    const on = once();
    adadeltaSimd.enabled = false;
    const off = once();
    expect(on.numbers.every((v, i) => Object.is(v, off.numbers[i]))).toBe(true);
    expect(on.stepped).toEqual([4, 4, 4, 0, 0, 4, 4, 4]); // float64: the JavaScript loop
  });

  it('a bad gradient throws (the plan is dropped); the old gradient put back steps as before', () => {
    expectSame((ps, opt, t) => {
      if (t !== 3) return;
      const good = ps[2].grad;
      ps[2].grad = torch.zeros([3]);
      expect(() => opt.step()).toThrow("Adadelta: the gradient must be a dense tensor of the parameter's shape");
      ps[2].grad = torch.zeros([1, 1, 2, 2], { dtype: 'float64' });
      expect(() => opt.step()).toThrow('Adadelta: a float64 gradient for a float32 parameter');
      ps[2].grad = good;
    });
  });

  it('a failed step leaves no plan behind: a gradient it rebound, put back, is the one a flagged redo reads', () => {
    // ps[0]'s gradient holds NaN, so the kernel flags it at every step and the JavaScript loop redoes it from the
    // slot's checked gradient. The failed step rebinds that slot to `other` before ps[1]'s gradient throws.
    expectSame((ps, opt, t) => {
      if (t === 0) ps[0].grad = torch.tensor([0.25, NaN, -0.5, 0.125]).reshape([1, 1, 2, 2]);
      if (t !== 3) return;
      const [first, second] = [ps[0].grad, ps[1].grad];
      ps[0].grad = torch.tensor([0.5, 0.5, 0.5, 0.5]).reshape([1, 1, 2, 2]);
      ps[1].grad = torch.zeros([2]);
      expect(() => opt.step()).toThrow("Adadelta: the gradient must be a dense tensor of the parameter's shape");
      [ps[0].grad, ps[1].grad] = [first, second];
    }, [3, 3, 3, 3, 3, 3, 3, 3]);
  });
});
