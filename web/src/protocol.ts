import type { CurvePoint, TrainConfig } from '../../src/lab/train.js';
import type { Weights } from '../../src/lab/model.js';

// Messages between the page and the training worker. Everything is structured-cloneable plain data.

export type ToTrainer =
  | { type: 'reset'; config: TrainConfig }
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'step' }
  | { type: 'epoch' }
  /** Look at one input with the current weights (forward pass, and later gradients and optimiser state). */
  | { type: 'inspect'; id: number; matrix: number[][]; target: 0 | 1 };

export interface Inspection {
  type: 'inspection';
  run: number;
  id: number;
  /** cnn(x) with the current weights. */
  output: number;
  /** Steps taken when this was computed. */
  steps: number;
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
