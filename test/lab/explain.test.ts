import { describe, expect, it } from 'vitest';
import { TEST_MATRICES } from '../../src/lab/data.js';
import { constantResponse, explain } from '../../src/lab/explain.js';
import { predictMatrices } from '../../src/lab/evaluate.js';
import { CNN, weightsOf } from '../../src/lab/model.js';
import { manualSeed } from '../../src/random/generator.js';
import { Trainer } from '../../src/lab/train.js';
import { authorModel, pytorchModel } from './helpers.js';

const MATRICES = [
  ...TEST_MATRICES.map((m) => m.map((r) => [...r])),
  [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
  [[-7, -7, -7], [-7, -7, -7], [-7, -7, -7]],
  [[0, 0, 0], [0, 0, 0], [0, 0, 0]],
  [[-30, 40, -10], [25, -45, 5], [35, -15, 20]],
  [[0.1, -0.2, 0.3], [1e-3, 4, -5], [6, 7, 8.5]],
];

function models(): Array<[string, CNN]> {
  manualSeed(3);
  const untrained = new CNN();
  const short = new Trainer({ seed: 0, epochs: 3 }).run().model;
  return [['untrained', untrained], ['3 epochs', short], ['PyTorch seed 0', pytorchModel(0)], ['PyTorch seed 1', pytorchModel(1)], ['author', authorModel()]];
}

/** |a − b| within float32 rounding of a sum whose terms have total size `scale`. */
function expectF32(a: number, b: number, scale: number): void {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(4e-7 * Math.max(scale, Math.abs(b)) + 1e-30);
}

describe('explain: the hand calculation equals the forward pass', () => {
  for (const [name, model] of models()) {
    it(`${name}: every cell, the activations, z and p match the model's float32 forward`, () => {
      for (const m of MATRICES) {
        const e = explain(model, m);
        e.firstLayer.forEach((c, i) => {
          const scale = c.terms.reduce((s, t) => s + Math.abs(t.product), Math.abs(c.bias));
          expectF32(c.value, e.forward.firstLayer[i], scale);
          expectF32(c.activated, e.forward.activated[i], scale);
          // the written-out sum is the cell: Σ products + bias
          expect(c.terms.reduce((s, t) => s + t.weight * t.input, 0) + c.bias).toBeCloseTo(c.value, 12);
          expect(c.levelPart + c.variationPart + c.bias).toBeCloseTo(c.value, 9);
        });
        const scale2 = e.secondLayer.terms.reduce((s, t) => s + Math.abs(t.product), Math.abs(e.secondLayer.bias));
        expectF32(e.logit, e.forward.logit, scale2 * 4);
        // p = sigmoid(z): relative error follows z's absolute error (dp/p = (1-p) dz)
        expect(Math.abs(e.probability - e.forward.probability)).toBeLessThanOrEqual(2e-6 * scale2 * e.forward.probability + 1e-7);
        expect(e.verdict).toBe(predictMatrices(model, [m])[0].verdict);
      }
    });
  }
});

describe('explain: the reading is computed from the weights', () => {
  it("the author's weights read as the tutorial reads them", () => {
    const model = authorModel();
    const w = weightsOf(model);
    const random = explain(model, [[10, -43, 7], [49, 50, -51], [39, -59, 71]]);
    const r = random.reading;
    expect(r.kernel1Sum).toBeCloseTo(w['model.0.weight'].reduce((a, b) => a + b), 12);
    expect(Math.abs(r.kernel1Sum) / r.kernel1AbsSum).toBeLessThan(0.01);
    expect(r.kernel2Signs).toEqual(['-', '-', '-', '-']);
    expect(r.bias2).toBeCloseTo(6.7611, 4);
    expect(r.decider).toBe('kernel');
    expect(random.verdict).toBe(false);
    const constant = explain(model, [[11.11, 11.11, 11.11], [11.11, 11.11, 11.11], [11.11, 11.11, 11.11]]);
    // the first layer all but cancels a constant input, so b2 alone sets the verdict
    expect(['bias', 'both']).toContain(constant.reading.decider);
    expect(Math.abs(constant.reading.kernelTerm)).toBeLessThan(0.01 * Math.abs(constant.reading.bias2));
    expect(constant.verdict).toBe(true);
  });

  it('the constant response is the chain for a constant input', () => {
    for (const [, model] of models()) {
      for (const c of [-50, -3, 0, 11.11, 49]) {
        const e = explain(model, [[c, c, c], [c, c, c], [c, c, c]]);
        const k = constantResponse(e.weights, c, e.negativeSlope);
        for (const cell of e.firstLayer) expect(cell.value).toBeCloseTo(k.firstLayer, 9);
        expect(e.logit).toBeCloseTo(k.logit, 8);
        for (const cell of e.firstLayer) expect(cell.variationPart).toBe(0);
      }
    }
  });

  it('the decider and the largest term are consistent with z', () => {
    for (const [, model] of models()) {
      for (const m of MATRICES) {
        const { reading: r, logit } = explain(model, m);
        expect(r.kernelTerm + r.bias2).toBeCloseTo(logit, 9);
        if (r.decider === 'kernel') expect(Math.sign(logit)).toBe(Math.sign(r.kernelTerm));
        if (r.decider === 'bias') expect(Math.sign(logit)).toBe(Math.sign(r.bias2));
        const terms = [...explain(model, m).secondLayer.terms.map((t) => Math.abs(t.product)), Math.abs(r.bias2)];
        expect(Math.abs(r.largestTerm.value)).toBe(Math.max(...terms));
      }
    }
  });
});
