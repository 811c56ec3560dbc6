import { describe, expect, it } from 'vitest';
import * as nn from '../../src/nn/index.js';
import * as optim from '../../src/optim/index.js';
import { tensor } from '../../src/tensor/creation.js';
import { TEST_MATRICES } from '../../src/lab/data.js';
import { cloneModel, modelFromStateDict } from '../../src/lab/evaluate.js';
import { adadeltaStateOf, gradientReport, type GradReport } from '../../src/lab/gradients.js';
import { CNN, PARAMETER_KEYS } from '../../src/lab/model.js';
import { manualSeed } from '../../src/random/generator.js';
import { Trainer } from '../../src/lab/train.js';
import { pytorchModel } from './helpers.js';

const MATRICES = [
  ...TEST_MATRICES.map((m) => m.map((r) => [...r])),
  [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
  [[-7, -7, -7], [-7, -7, -7], [-7, -7, -7]],
  [[-30, 40, -10], [25, -45, 5], [35, -15, 20]],
  [[0.5, -1.5, 2], [3, -4, 1], [0.25, 2, -3]],
];

function backwardGrads(model: CNN, matrix: number[][], target: 0 | 1): Map<string, number[]> {
  model.zeroGrad();
  const loss = new nn.BCELoss().call(model.call(tensor([[matrix]])), tensor([[[[target]]]]));
  loss.backward();
  return new Map([...model.namedParameters()].map(([k, p]) => [k, (p.grad as NonNullable<typeof p.grad>).toArray()]));
}

function checks(r: GradReport) {
  return r.params.flatMap((p) => p.status);
}

describe('grad: backward() against finite differences', () => {
  manualSeed(11);
  const untrained = new CNN();
  const early = new Trainer({ seed: 0, epochs: 2 }).run().model;
  const cases: Array<[string, CNN]> = [['untrained', untrained], ['2 epochs', early], ['PyTorch seed 1 (a failed run)', pytorchModel(1)]];
  for (const [name, model] of cases) {
    it(`${name}: every element agrees to 1e-4 relative, and .grad is exactly what backward() leaves`, () => {
      let compared = 0;
      for (const m of MATRICES) {
        for (const target of [0, 1] as const) {
          const r = gradientReport(model, m, target);
          if (r.clamped) continue; // saturated outputs: see the next test
          compared++;
          expect(checks(r).every((s) => s === 'agree')).toBe(true);
          expect(r.maxRelativeError).toBeLessThanOrEqual(1e-4);
          const direct = backwardGrads(cloneModel(model), m, target);
          for (const p of r.params) expect(p.grad).toEqual(direct.get(p.key));
        }
      }
      expect(compared).toBeGreaterThan(8);
    });
  }

  it("a saturated output: .grad is the true slope times p·(1−p)/1e-12 (PyTorch's BCE clamp), and the report says so", () => {
    const model = pytorchModel(0);
    const r = gradientReport(model, [[10, -43, 7], [49, 50, -51], [39, -59, 71]], 1); // p ≈ 9e-32
    expect(r.clamped).toBe(true);
    expect(r.clampFactor).toBeLessThan(1e-12);
    expect(checks(r).every((s) => s === 'clamped')).toBe(true);
    for (const p of r.params) {
      p.grad.forEach((g, i) => expect(Math.abs(g - p.numeric[i] * r.clampFactor)).toBeLessThanOrEqual(1e-3 * Math.abs(g) + 1e-44));
    }
  });

  it('a first-layer cell exactly on LeakyReLU\'s kink is reported, not mis-checked', () => {
    const sd = cloneModel(pytorchModel(0)).stateDict();
    sd.set('model.0.bias', tensor([0]));
    const model = modelFromStateDict(sd);
    const r = gradientReport(model, [[0, 0, 0], [0, 0, 0], [0, 0, 0]], 1);
    expect(r.params.find((p) => p.key === 'model.0.bias')?.status).toEqual(['kink']);
  });
});

describe('grad: the step previews are what the optimisers then do', () => {
  it('SGD: param − lr·grad, bit for bit', () => {
    const model = new Trainer({ seed: 2, epochs: 1 }).run().model;
    for (const lr of [0.5, 0.01, 3]) {
      const m = MATRICES[5];
      const r = gradientReport(model, m, 0, { sgdLr: lr });
      const copy = cloneModel(model);
      const opt = new optim.SGD(copy.parameters(), { lr });
      backwardGrads(copy, m, 0);
      opt.step();
      const after = new Map([...copy.namedParameters()].map(([k, p]) => [k, p.toArray()]));
      for (const p of r.params) expect(p.sgd.after).toEqual(after.get(p.key));
    }
  });

  it('Adadelta from a fresh optimiser: weights, square_avg, acc_delta and step, bit for bit', () => {
    const model = new Trainer({ seed: 4, epochs: 1 }).run().model;
    for (const m of MATRICES.slice(2, 6)) {
      const r = gradientReport(model, m, 1, { adadeltaLr: 0.5 });
      const copy = cloneModel(model);
      const opt = new optim.Adadelta(copy.parameters(), { lr: 0.5 });
      backwardGrads(copy, m, 1);
      opt.step();
      const named = new Map(copy.namedParameters());
      for (const p of r.params) {
        const param = named.get(p.key) as NonNullable<ReturnType<typeof named.get>>;
        const s = opt.paramState(param);
        expect(p.adadelta.after).toEqual(param.toArray());
        expect(p.adadelta.squareAvgAfter).toEqual(s?.squareAvg.toArray());
        expect(p.adadelta.accDeltaAfter).toEqual(s?.accDelta.toArray());
        expect(p.adadelta.step).toBe(s?.step);
      }
    }
  });

  it("Adadelta continuing a training run's state: the preview is the run's next step", () => {
    const trainer = new Trainer({ seed: 0, epochs: 3 });
    trainer.run();
    const opt = trainer.optimizer as optim.Adadelta;
    const state = adadeltaStateOf(opt, trainer.model);
    expect(state.step).toBe(600);
    const m = MATRICES[4];
    const r = gradientReport(trainer.model, m, 0, { adadeltaLr: 0.5, adadeltaState: state });
    expect(r.adadeltaStateSource).toBe('given');
    // the run's own optimiser takes that step
    opt.zeroGrad();
    backwardGrads(trainer.model, m, 0);
    opt.step();
    const named = new Map(trainer.model.namedParameters());
    for (const key of PARAMETER_KEYS) {
      const p = r.params.find((x) => x.key === key) as NonNullable<GradReport['params'][number]>;
      const param = named.get(key) as NonNullable<ReturnType<typeof named.get>>;
      expect(p.adadelta.squareAvgBefore).toEqual(state.squareAvg[key]);
      expect(p.adadelta.after).toEqual(param.toArray());
      expect(p.adadelta.squareAvgAfter).toEqual(opt.paramState(param)?.squareAvg.toArray());
      expect(p.adadelta.accDeltaAfter).toEqual(opt.paramState(param)?.accDelta.toArray());
      expect(p.adadelta.step).toBe(601);
    }
  });

  it('the report leaves the model untouched', () => {
    const model = pytorchModel(1);
    const before = [...model.parameters()].map((p) => p.toArray());
    gradientReport(model, MATRICES[0], 1);
    expect([...model.parameters()].map((p) => p.toArray())).toEqual(before);
    expect(model.parameters().every((p) => p.grad === null)).toBe(true);
  });
});
