// The tutorial under manualSeed(seed), against PyTorch 1.13's full runs (seed 0 learns, seed 1 does not,
// and seed 0 without zero_grad()).
import { describe, expect, it } from 'vitest';
import { Trainer } from '../../src/lab/train.js';
import { TEST_MATRICES } from '../../src/lab/data.js';
import { PARAMETER_KEYS } from '../../src/lab/model.js';
import { expectClose, type FixtureTensor, loadFixture } from './fixture-utils.js';

interface SeedRun {
  seed: number;
  zero_grad: boolean;
  init: Record<string, FixtureTensor>;
  false_set_first_3: number[][];
  false_set_sum: number;
  first_steps: Array<{ loss: number; state_dict: Record<string, number[]> }>;
  curve: Array<{ epoch: number; loss_true: number; loss_false: number }>;
  snapshots: Array<{ epoch: number; state_dict: Record<string, number[]>; repr: string }>;
  test_inputs: number[][][];
  test_predictions: number[];
  final_state_dict: Record<string, FixtureTensor>;
}

const pyKey = (k: string) => k.replace(/^model\./, '');

for (const file of ['seed_run_0.json', 'seed_run_1.json', 'seed_run_0_no_zero_grad.json']) {
  const run = loadFixture<SeedRun>(file);
  describe(`${file}: seed ${run.seed}${run.zero_grad ? '' : ' without zero_grad'}`, () => {
    it('draws the initial weights and the false set bit for bit', () => {
      const t = new Trainer({ seed: run.seed, zeroGrad: run.zero_grad, epochs: 1 });
      for (const k of PARAMETER_KEYS) expect(t.init[k]).toEqual(run.init[pyKey(k)].data);
      run.false_set_first_3.forEach((m, i) => expect(t.falseSet.get(i).toArray()).toEqual(m));
      expect(t.falseSet.sum().item()).toBeCloseTo(run.false_set_sum, 6);
    });

    it('takes the first three steps within 1e-6', () => {
      const t = new Trainer({ seed: run.seed, zeroGrad: run.zero_grad, epochs: 1 });
      run.first_steps.forEach((s) => {
        const loss = t.step();
        expect(Math.abs(loss - s.loss)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(s.loss)));
        const sd = t.model.stateDict();
        for (const k of PARAMETER_KEYS) expectClose(sd.get(k)!.toArray(), s.state_dict[pyKey(k)], 1e-6, 1e-7, k);
      });
    });

    it('matches every 20-epoch snapshot, the curve, the final state_dict and the predictions within 1e-3', () => {
      const result = new Trainer({ seed: run.seed, zeroGrad: run.zero_grad, every: 1 }).run();
      expect(result.snapshots.map((s) => s.epoch)).toEqual(run.snapshots.map((s) => s.epoch));
      result.snapshots.forEach((s, i) => {
        for (const k of PARAMETER_KEYS) {
          const want = run.snapshots[i].state_dict[pyKey(k)];
          // Without zero_grad the weights grow to thousands: "within 1e-3" is then relative to their size.
          expectClose(s.weights[k], want, run.zero_grad ? 0 : 1e-3, 1e-3, `epoch ${s.epoch} ${k}`);
        }
      });
      // What the CLI prints every 20 epochs is PyTorch's text, character for character (PyTorch's model was a
      // bare Sequential, so its keys lack the tutorial class's 'model.' prefix).
      result.snapshots.forEach((s, i) => expect(s.text).toBe(run.snapshots[i].repr.replace(/\('([02])\./g, "('model.$1.")));
      expect(result.curve).toHaveLength(run.curve.length);
      result.curve.forEach((p, i) => {
        expect(Math.abs(p.lossTrue - run.curve[i].loss_true)).toBeLessThanOrEqual(1e-3);
        expect(Math.abs(p.lossFalse - run.curve[i].loss_false)).toBeLessThanOrEqual(1e-3);
      });
      for (const k of PARAMETER_KEYS) {
        expectClose(result.final[k], run.final_state_dict[pyKey(k)].data, run.zero_grad ? 0 : 1e-3, 1e-3, `final ${k}`);
      }
      expect(TEST_MATRICES).toEqual(run.test_inputs);
      expectClose(result.predictions, run.test_predictions, 0, 1e-3, 'predictions');
    });
  });
}
