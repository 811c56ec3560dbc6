// Models for the lab tests: PyTorch's own trained weights from the fixtures, and short torchlet runs.
import { loadFixture, type FixtureTensor } from '../helpers/index.js';
import { tensor } from '../../src/tensor/creation.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { modelFromStateDict } from '../../src/lab/evaluate.js';
import type { CNN } from '../../src/lab/model.js';

interface SeedRun {
  final_state_dict: Record<string, FixtureTensor>;
  test_inputs: number[][][];
  test_predictions: number[];
}

export function seedRun(name: string): SeedRun {
  return loadFixture<SeedRun>(name);
}

export function stateDictOf(weights: Record<string, FixtureTensor>): Map<string, Tensor> {
  // generate.py saved a bare Sequential ('0.weight'); the tutorial's module holds it as 'model'.
  return new Map(Object.entries(weights).map(([k, t]) => [k.startsWith('model.') ? k : `model.${k}`, tensor(Float32Array.from(t.data)).reshape(t.shape)]));
}

/** The model PyTorch 1.13 ends with after the tutorial's 200 epochs under manual_seed(seed). */
export function pytorchModel(seed: 0 | 1): CNN {
  return modelFromStateDict(stateDictOf(seedRun(`seed_run_${seed}.json`).final_state_dict));
}

/** The tutorial author's final weights, as printed in the tutorial. */
export function authorModel(): CNN {
  return modelFromStateDict(new Map([
    ['model.0.weight', tensor([[[[-0.4180, 0.8206], [0.5418, -0.9463]]]])],
    ['model.0.bias', tensor([0.0090])],
    ['model.2.weight', tensor([[[[-1.0951, -0.4438], [-0.7047, -0.8174]]]])],
    ['model.2.bias', tensor([6.7611])],
  ]));
}
