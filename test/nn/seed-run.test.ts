// The tutorial's model against PyTorch's run of it (test/fixtures/seed_run_{0,1}.json): initial weights under
// manual_seed(0)/(1) for both the bare Sequential and the tutorial's CNN class, the false-set draw that follows,
// and the first three training steps (forward, BCELoss, backward, with Adadelta written out by hand here so that
// this test depends on nn alone).
import { describe, expect, it } from 'vitest';
import '../../src/autograd/engine.js';
import '../../src/ops/index.js';
import { BCELoss, Conv2d, LeakyReLU, Module, Sequential, Sigmoid } from '../../src/nn/index.js';
import { manualSeed } from '../../src/random/index.js';
import { full, ones, rand } from '../../src/tensor/creation.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { f32Bits, seedRun } from './fixtures.js';

const tutorialModel = (): Sequential => new Sequential(new Conv2d(1, 1, 2), new LeakyReLU(), new Conv2d(1, 1, 2), new Sigmoid());

/** The tutorial's Python class: `self.model = nn.Sequential(...)`. */
class CNN extends Module {
  model = tutorialModel();

  forward(x: Tensor): Tensor {
    return this.model.call(x);
  }
}

const KEYS = ['0.weight', '0.bias', '2.weight', '2.bias'];

/** Adadelta(lr) on float32 parameters, in PyTorch 1.13's order of float32 roundings (rho 0.9, eps 1e-6). */
class HandAdadelta {
  private readonly sq: Float32Array[];
  private readonly acc: Float32Array[];

  constructor(private readonly params: Tensor[], private readonly lr: number) {
    this.sq = params.map((p) => new Float32Array(p.numel()));
    this.acc = params.map((p) => new Float32Array(p.numel()));
  }

  step(): void {
    const f = Math.fround;
    const rho = 0.9;
    const eps = 1e-6;
    this.params.forEach((p, k) => {
      const g = p.grad!.toArray();
      const sq = this.sq[k];
      const acc = this.acc[k];
      for (let i = 0; i < g.length; i++) {
        sq[i] = f(f((1 - rho) * g[i]) * g[i] + f(sq[i] * rho));
        const std = f(Math.sqrt(f(sq[i] + eps)));
        const d = f(f(f(Math.sqrt(f(acc[i] + eps))) / std) * g[i]);
        acc[i] = f(f((1 - rho) * d) * d + f(acc[i] * rho));
        p.data[p.offset + i] = f(p.data[p.offset + i] - this.lr * d);
      }
    });
  }
}

for (const seed of [0, 1] as const) {
  describe(`seed ${seed}`, () => {
    const run = seedRun(seed);

    it('Sequential init equals PyTorch\'s bit for bit, keys 0.weight … 2.bias', () => {
      manualSeed(seed);
      const model = tutorialModel();
      const sd = model.stateDict();
      expect([...sd.keys()]).toEqual(KEYS);
      for (const k of KEYS) {
        expect(sd.get(k)!.shape).toEqual(run.init[k].shape);
        expect(f32Bits(sd.get(k)!.toArray())).toEqual(f32Bits(run.init[k].data));
      }
    });

    it('the CNN class gives the same weights under model.0.weight … model.2.bias', () => {
      manualSeed(seed);
      const cnn = new CNN();
      const sd = cnn.stateDict();
      expect([...sd.keys()]).toEqual(KEYS.map((k) => `model.${k}`));
      for (const k of KEYS) expect(f32Bits(sd.get(`model.${k}`)!.toArray())).toEqual(f32Bits(run.init[k].data));
    });

    it('the false set drawn after the model matches (rand(100,1,1,3,3)*100-50)', () => {
      manualSeed(seed);
      tutorialModel();
      const falseSet = rand([100, 1, 1, 3, 3]).mul(100).sub(50);
      expect(falseSet.shape).toEqual([100, 1, 1, 3, 3]);
      const values = falseSet.toArray();
      for (let i = 0; i < 3; i++) {
        expect(f32Bits(values.slice(9 * i, 9 * i + 9))).toEqual(f32Bits(run.false_set_first_3[i]));
      }
      const sum = values.reduce((s, v) => s + v, 0);
      expect(Math.abs(sum - run.false_set_sum)).toBeLessThan(1e-9);
    });
  });
}

describe('the first training steps on seed 0', () => {
  const run = seedRun(0);

  it('forward + BCELoss + backward gives the first step\'s loss within 1e-6', () => {
    manualSeed(0);
    const model = tutorialModel();
    const out = model.call(full([1, 1, 3, 3], -50));
    const loss = new BCELoss().call(out, ones([1, 1, 1, 1]));
    expect(loss.shape).toEqual([]);
    expect(loss.gradFn?.name).toBe('BinaryCrossEntropyBackward0');
    expect(Math.abs(loss.item() - run.first_steps[0].loss)).toBeLessThan(1e-6);
    loss.backward();
    for (const p of model.parameters()) {
      expect(p.grad).not.toBeNull();
      expect(p.grad!.shape).toEqual(p.shape);
    }
  });

  it('three zeroGrad/forward/backward/Adadelta steps track PyTorch\'s losses and weights', () => {
    manualSeed(0);
    const model = tutorialModel();
    const lossFn = new BCELoss();
    const opt = new HandAdadelta(model.parameters(), run.lr);
    const target = ones([1, 1, 1, 1]);
    for (let j = 0; j < 3; j++) {
      model.zeroGrad();
      const loss = lossFn.call(model.call(full([1, 1, 3, 3], j - 50)), target);
      loss.backward();
      opt.step();
      const want = run.first_steps[j];
      // The loss is ~5e-6 here, so it is also compared relative to itself.
      expect(Math.abs(loss.item() - want.loss)).toBeLessThan(1e-6);
      expect(Math.abs(loss.item() - want.loss) / want.loss).toBeLessThan(1e-3);
      const sd = model.stateDict();
      for (const k of KEYS) {
        const got = sd.get(k)!.toArray();
        want.state_dict[k].forEach((v, i) => expect(Math.abs(got[i] - v)).toBeLessThan(1e-6));
      }
    }
  });
});
