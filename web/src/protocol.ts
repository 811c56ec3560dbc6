import type { CurvePoint, TrainConfig } from '../../src/lab/train.js';
import type { Weights } from '../../src/lab/model.js';
import type { Explanation } from '../../src/lab/explain.js';
import type { GradReport } from '../../src/lab/gradients.js';

// Messages between the page and the training worker. Everything is structured-cloneable plain data.

export type ToTrainer =
  | { type: 'reset'; config: TrainConfig }
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'step' }
  | { type: 'epoch' }
  /** Look at one input with the current weights (forward pass, and later gradients and optimiser state). */
  | { type: 'inspect'; id: number; matrix: number[][]; target: 0 | 1; gradients: boolean };

/** The optimiser's per-parameter state as plain numbers, with PyTorch's names (square_avg, exp_avg, …). */
export interface OptimizerStateView {
  /** The optimiser as PyTorch prints it. */
  repr: string;
  params: Array<{ key: string; entries: Array<{ name: string; values: number[] }> }>;
}

export interface Inspection {
  type: 'inspection';
  run: number;
  id: number;
  /** cnn(x) with the current weights (the model's own float32 forward pass). */
  output: number;
  /** Steps taken when this was computed. */
  steps: number;
  /** The lab's hand calculation of the forward pass. */
  explanation?: Explanation;
  /** The lab's gradient report (with finite-difference checks and step previews), when asked for. */
  gradients?: GradReport;
  optimizer?: OptimizerStateView;
  /** Whether the next step will add to .grad rather than replace it (zeroGrad off, after the first step). */
  accumulating?: boolean;
  error?: string;
}

export interface Snapshot { epoch: number; weights: Weights; text: string }

export interface Progress {
  type: 'progress';
  /** Which reset this belongs to; stale messages from an earlier run are dropped. */
  run: number;
  epoch: number;
  /** Position within the epoch (samples visited). */
  position: number;
  steps: number;
  lossTrue: number;
  lossFalse: number;
  /** Loss of the last optimiser step. */
  lastLoss: number;
  weights: Weights;
  /** Curve points and snapshots recorded since the previous message. */
  curve: CurvePoint[];
  snapshots: Snapshot[];
  /** Outputs for the tutorial's four test matrices with the current weights. */
  predictions: number[];
  running: boolean;
  done: boolean;
  /** Milliseconds spent inside the training loop (excludes messaging and idle time). */
  trainMs: number;
  /** Wall-clock milliseconds since the first Start of this run (0 before). */
  wallMs: number;
}

export type FromTrainer =
  | { type: 'init'; run: number; config: TrainConfig; weights: Weights; trueSet: number[]; falseSet: number[] }
  | Progress
  | Inspection
  | { type: 'error'; run: number; message: string };
