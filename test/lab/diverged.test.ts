// NaN or Inf during training stops with the epoch and step named (issue: "NaN in training").
import { describe, expect, it } from 'vitest';
import { Trainer, TrainingDivergedError } from '../../src/lab/train.js';

describe('training that breaks', () => {
  it('names the epoch and step where a weight became NaN', () => {
    const t = new Trainer({ seed: 0, epochs: 3 });
    for (let i = 0; i < 250; i++) t.step();
    t.model.parameters()[0].data[1] = NaN;
    let caught: unknown;
    try {
      t.run();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TrainingDivergedError);
    const e = caught as TrainingDivergedError;
    expect([e.epoch, e.step]).toEqual([1, 50]);
    expect(e.message).toBe("training diverged at epoch 1, step 50: the model's output is NaN (a weight is no longer finite)");
  });

});
