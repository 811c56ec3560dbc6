import type { CurvePoint, TrainConfig } from '../../src/lab/train.js';
import type { Weights } from '../../src/lab/model.js';
import type { FromTrainer, Inspection, Snapshot, ToTrainer } from './protocol.js';
import type { Settings } from './settings.js';
import { toTrainConfig } from './settings.js';

/** How often the gradient report is refreshed while training runs (it is computed between training slices). */
const GRADIENT_MS = 500;

/** What the page knows about the current run, merged from the worker's batched messages. */
export interface RunState {
  run: number;
  config: TrainConfig | null;
  /** Row-major 100×9 values of each training set (the random one depends on the seed). */
  trueSet: number[];
  falseSet: number[];
  init: Weights | null;
  weights: Weights | null;
  curve: CurvePoint[];
  snapshots: Snapshot[];
  epoch: number;
  position: number;
  steps: number;
  lossTrue: number;
  lossFalse: number;
  lastLoss: number;
  predictions: number[];
  running: boolean;
  done: boolean;
  trainMs: number;
  wallMs: number;
  error: string | null;
  /** Bumped on every merged message, so panels can skip work when nothing changed. */
  version: number;
}

export function emptyState(): RunState {
  return {
    run: 0, config: null, trueSet: [], falseSet: [], init: null, weights: null, curve: [], snapshots: [],
    epoch: 0, position: 0, steps: 0, lossTrue: NaN, lossFalse: NaN, lastLoss: NaN, predictions: [],
    running: false, done: false, trainMs: 0, wallMs: 0, error: null, version: 0,
  };
}

/** Owns the training worker; calls `changed` after merging each message (the page renders on the next frame). */
export class TrainClient {
  readonly state: RunState = emptyState();
  private readonly worker: Worker;
  private expectedRun = 0;
  private inspectId = 0;
  private inspectPending = false;
  private inspectWanted: { matrix: number[][]; target: 0 | 1; gradients: boolean } | null = null;
  private inspectedAt = { version: -1, key: '', gradients: false };
  /** The newest inspection of the input panel's matrix, and the newest one with gradients. */
  inspection: Inspection | null = null;
  gradientInspection: Inspection | null = null;

  constructor(private readonly changed: (s: RunState) => void) {
    this.worker = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module', name: 'trainer' });
    this.worker.onmessage = (e: MessageEvent<FromTrainer>) => this.merge(e.data);
    this.worker.onerror = (e) => {
      this.state.error = `the training worker failed: ${e.message}`;
      this.state.running = false;
      this.bump();
    };
  }

  private send(msg: ToTrainer): void {
    this.worker.postMessage(msg);
  }

  reset(settings: Settings): void {
    this.expectedRun++;
    this.inspection = null;
    this.gradientInspection = null;
    Object.assign(this.state, emptyState(), { run: this.state.run, version: this.state.version });
    this.send({ type: 'reset', config: toTrainConfig(settings) });
    this.bump();
  }

  start(): void { this.send({ type: 'start' }); this.state.running = true; this.bump(); }
  pause(): void { this.send({ type: 'pause' }); }
  step(): void { this.send({ type: 'step' }); }
  epoch(): void { this.send({ type: 'epoch' }); }

  /**
   * Asks the worker about `matrix` with the current weights. One request is in flight at a time; the latest
   * wish wins, and the same question is not asked again until the weights change. The gradient report (finite
   * differences: a few hundred forward passes) is asked for at most every GRADIENT_MS while training runs.
   */
  inspect(matrix: number[][], target: 0 | 1): void {
    const now = performance.now();
    const gradients = !this.state.running || now - this.lastGradients >= GRADIENT_MS;
    const key = JSON.stringify([matrix, target]);
    const last = this.inspectedAt;
    if (last.key === key && last.version === this.weightsVersion && (last.gradients || !gradients)) return;
    this.inspectWanted = { matrix, target, gradients };
    this.pumpInspect();
  }

  private weightsVersion = 0;
  private lastGradients = -Infinity;

  private pumpInspect(): void {
    if (this.inspectPending || !this.inspectWanted) return;
    const { matrix, target, gradients } = this.inspectWanted;
    this.inspectWanted = null;
    this.inspectPending = true;
    if (gradients) this.lastGradients = performance.now();
    this.inspectedAt = { version: this.weightsVersion, key: JSON.stringify([matrix, target]), gradients };
    this.send({ type: 'inspect', id: ++this.inspectId, matrix, target, gradients });
  }

  private merge(msg: FromTrainer): void {
    if (msg.type === 'inspection') {
      this.inspectPending = false;
      if (msg.run === this.expectedRun) {
        this.inspection = msg;
        if (msg.gradients || msg.error) this.gradientInspection = msg;
      }
      this.pumpInspect();
      this.bump();
      return;
    }
    const s = this.state;
    // Messages of an earlier reset may still be in flight.
    if (msg.run !== this.expectedRun) return;
    switch (msg.type) {
      case 'init':
        s.run = msg.run;
        s.config = msg.config;
        s.trueSet = msg.trueSet;
        s.falseSet = msg.falseSet;
        s.init = msg.weights;
        s.weights = msg.weights;
        this.weightsVersion++;
        break;
      case 'progress':
        s.epoch = msg.epoch;
        s.position = msg.position;
        s.steps = msg.steps;
        s.lossTrue = msg.lossTrue;
        s.lossFalse = msg.lossFalse;
        s.lastLoss = msg.lastLoss;
        s.weights = msg.weights;
        this.weightsVersion++;
        s.curve = s.curve.concat(msg.curve);
        s.snapshots = s.snapshots.concat(msg.snapshots);
        s.predictions = msg.predictions;
        s.running = msg.running;
        s.done = msg.done;
        s.trainMs = msg.trainMs;
        s.wallMs = msg.wallMs;
        break;
      case 'error':
        s.error = msg.message;
        s.running = false;
        break;
    }
    this.bump();
  }

  private bump(): void {
    this.state.version++;
    this.changed(this.state);
  }
}
