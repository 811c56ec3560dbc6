/** The tutorial runs whose every number the parity guard pins: seeds 0 and 1, and seed 0 without zero_grad. */
import { Trainer } from '../../src/lab/train.js';

export interface TutorialGolden {
  seed: number;
  zeroGrad: boolean;
  firstLosses: number[];
  final: number[];
  curve: number[];
  predictions: number[];
}

export const GOLDEN_RUNS = [
  { seed: 0, zeroGrad: true },
  { seed: 1, zeroGrad: true },
  { seed: 0, zeroGrad: false },
] as const;

export function tutorialRun(seed: number, zeroGrad: boolean): TutorialGolden {
  const firstSteps = new Trainer({ seed, zeroGrad, epochs: 1 });
  const firstLosses = [firstSteps.step(), firstSteps.step(), firstSteps.step()];
  const result = new Trainer({ seed, zeroGrad }).run();
  return {
    seed, zeroGrad, firstLosses,
    final: Object.values(result.final).flat(),
    curve: result.curve.flatMap((p) => [p.lossTrue, p.lossFalse]),
    predictions: result.predictions,
  };
}

export function tutorialGolden(): TutorialGolden[] {
  return GOLDEN_RUNS.map((r) => tutorialRun(r.seed, r.zeroGrad));
}
