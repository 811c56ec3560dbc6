import type { TrainConfig } from '../../src/lab/train.js';

/** Short runs covering every path through Trainer.step (single samples, batches, a last batch of one, shuffling, divergence). */
export const TRACE_CONFIGS: Record<string, Partial<TrainConfig>> = {
  tutorial: { seed: 0, epochs: 3, every: 1, snapshotEvery: 2 },
  'seed 5, every 2': { seed: 5, epochs: 3, every: 2, snapshotEvery: 20 },
  'no zero_grad': { seed: 0, epochs: 2, zeroGrad: false },
  shuffled: { seed: 1, epochs: 2, shuffle: true, snapshotEvery: 1 },
  'batch 3, shuffled': { seed: 2, epochs: 2, batchSize: 3, shuffle: true },
  'batch 199 (a last batch of one)': { seed: 3, epochs: 2, batchSize: 199 },
  'batch 200': { seed: 4, epochs: 3, batchSize: 200, optimizer: 'adam', lr: 0.05 },
  sgd: { seed: 6, epochs: 2, optimizer: 'sgd', lr: 0.01 },
  diverges: { seed: 0, epochs: 3, optimizer: 'sgd', lr: 1e300 },
  'diverges in a batch': { seed: 0, epochs: 3, optimizer: 'sgd', lr: 1e300, batchSize: 8 },
};
