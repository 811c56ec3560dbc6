import * as nn from '../nn/index.js';
import * as optim from '../optim/index.js';
import { manualSeed, defaultGenerator } from '../random/generator.js';
import { noGrad } from '../autograd/grad-mode.js';
import { ones, tensor, zeros } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { makeFalseSet, makeTrueSet, TEST_MATRICES } from './data.js';
import { CNN, type Weights, weightsOf } from './model.js';

export type OptimizerName = 'adadelta' | 'sgd' | 'adam';
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['adadelta', 'sgd', 'adam'];

export interface TrainConfig {
  seed: number | bigint;
  epochs: number;
  lr: number;
  optimizer: OptimizerName;
  /** false reproduces the tutorial's "comment out zero_grad()" experiment. */
  zeroGrad: boolean;
  /** Record loss_true/loss_false every this many epochs (the tutorial plots every 5th). */
  every: number;
  /** Snapshot the state_dict every this many epochs (the tutorial prints every 20th). */
  snapshotEvery: number;
  /** Beyond the tutorial: visit the 200 samples in a fresh random order each epoch. */
  shuffle: boolean;
  /** Beyond the tutorial: samples per optimiser step (1 is the tutorial's per-sample step). */
  batchSize: number;
}

export const TUTORIAL_CONFIG: TrainConfig = {
  seed: 0, epochs: 200, lr: 0.5, optimizer: 'adadelta', zeroGrad: true, every: 5, snapshotEvery: 20, shuffle: false, batchSize: 1,
};

export interface CurvePoint { epoch: number; lossTrue: number; lossFalse: number }

/** One training sample: its class and its row of trueSet or falseSet as the model's float32 input. */
interface Sample {
  readonly target: 0 | 1;
  /**
   * `set.get(row).to('float32')`, made once: the tutorial casts each sample on every visit, but the cast is
   * deterministic and the model only reads its input, so every step sees the same numbers either way.
   */
  readonly input: Tensor;
}

export type TrainEvent =
  | { type: 'init'; weights: Weights; model: CNN }
  | { type: 'step'; epoch: number; step: number; target: 0 | 1; loss: number }
  | { type: 'epoch'; epoch: number; lossTrue: number; lossFalse: number; recorded: boolean }
  | { type: 'snapshot'; epoch: number; weights: Weights; text: string }
  | { type: 'done'; result: TrainResult };

export interface TrainResult {
  config: TrainConfig;
  init: Weights;
  final: Weights;
  curve: CurvePoint[];
  snapshots: Array<{ epoch: number; weights: Weights; text: string }>;
  predictions: number[];
  model: CNN;
  seconds: number;
}

/** Training produced a non-finite loss or weight; says where, so the run can be reproduced. */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
  constructor(readonly epoch: number, readonly step: number, what: string) {
    super(`training diverged at epoch ${epoch}, step ${step}: ${what}`);
  }
}

export function makeOptimizer(name: OptimizerName, params: Iterable<Tensor>, lr: number): optim.Optimizer<object> {
  switch (name) {
    case 'adadelta': return new optim.Adadelta(params, { lr });
    case 'sgd': return new optim.SGD(params, { lr });
    case 'adam': return new optim.Adam(params, { lr });
  }
}

export function validateConfig(c: TrainConfig): void {
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  };
  positiveInt('epochs', c.epochs);
  positiveInt('every', c.every);
  positiveInt('snapshotEvery', c.snapshotEvery);
  positiveInt('batchSize', c.batchSize);
  if (!Number.isFinite(c.lr) || c.lr <= 0) throw new RangeError(`lr must be a positive number, got ${c.lr}`);
  if (!OPTIMIZER_NAMES.includes(c.optimizer)) throw new RangeError(`unknown optimizer '${c.optimizer}' (use ${OPTIMIZER_NAMES.join(', ')})`);
}

/**
 * The tutorial's training, one sample (or batch) at a time, so a caller can run it to the end, epoch by
 * epoch, or step by step (the playground's "one step" button). Random draws happen in the original's order:
 * the model first (conv1 weight, bias, conv2 weight, bias), then the false set.
 */
export class Trainer {
  readonly config: TrainConfig;
  readonly model: CNN;
  readonly optimizer: optim.Optimizer<object>;
  readonly trueSet: Tensor;
  readonly falseSet: Tensor;
  readonly lossFn = new nn.BCELoss();
  readonly init: Weights;
  readonly curve: CurvePoint[] = [];
  readonly snapshots: Array<{ epoch: number; weights: Weights; text: string }> = [];
  epoch = 0;
  /** Position within the epoch's sample order. */
  position = 0;
  lossTrue = NaN;
  lossFalse = NaN;
  /** The 200 samples in the tutorial's order (true set, then false set); `order` is this or a shuffle of it. */
  private readonly samples: readonly Sample[];
  private order: readonly Sample[] = [];
  /** The model's parameters (fixed for its life), checked for finiteness after each epoch. */
  private readonly params: readonly Tensor[];
  private readonly targetTrue = ones([1, 1, 1, 1]);
  private readonly targetFalse = zeros([1, 1, 1, 1]);
  private readonly listener: ((e: TrainEvent) => void) | undefined;
  private readonly wantSteps: boolean;
  private stepsTaken = 0;

  constructor(config: Partial<TrainConfig> = {}, listener?: (e: TrainEvent) => void, options: { stepEvents?: boolean } = {}) {
    this.config = { ...TUTORIAL_CONFIG, ...config };
    validateConfig(this.config);
    this.listener = listener;
    this.wantSteps = options.stepEvents ?? false;
    manualSeed(this.config.seed);
    this.model = new CNN();
    this.trueSet = makeTrueSet();
    this.falseSet = makeFalseSet();
    this.params = this.model.parameters();
    this.optimizer = makeOptimizer(this.config.optimizer, this.params, this.config.lr);
    this.init = weightsOf(this.model);
    this.samples = [...samplesOf(this.trueSet, 1), ...samplesOf(this.falseSet, 0)];
    this.orderEpoch();
    this.listener?.({ type: 'init', weights: this.init, model: this.model });
  }

  get done(): boolean {
    return this.epoch >= this.config.epochs;
  }

  get totalSteps(): number {
    return this.stepsTaken;
  }

  private orderEpoch(): void {
    if (this.config.shuffle) {
      const perm = defaultGenerator.randperm(this.samples.length);
      this.order = perm.map((k) => this.samples[k]);
    } else {
      this.order = this.samples;
    }
  }

  /** One optimiser step on the next sample (or batch); returns its loss. */
  step(): number {
    if (this.done) throw new Error('training is finished');
    const size = this.config.batchSize;
    const order = this.order;
    let loss: number;
    let taken: number;
    // The tutorial's case (and any batch that ends up holding one sample) needs no batch array.
    if (size === 1 || this.position + 1 === order.length) {
      loss = this.stepOne(order[this.position]);
      taken = 1;
    } else {
      const batch = order.slice(this.position, this.position + size);
      loss = this.stepBatch(batch);
      taken = batch.length;
    }
    this.position += taken;
    if (this.position >= order.length) this.finishEpoch();
    return loss;
  }

  private stepOne(sample: Sample): number {
    if (this.config.zeroGrad) this.optimizer.zeroGrad();
    const output = this.model.call(sample.input);
    this.checkOutput(output);
    const loss = this.lossFn.call(output, sample.target === 1 ? this.targetTrue : this.targetFalse);
    loss.backward();
    this.optimizer.step();
    const value = loss.item();
    this.afterStep(value, sample.target);
    return value;
  }

  private stepBatch(batch: readonly Sample[]): number {
    const inputs = new Float32Array(batch.length * 9);
    const targets = new Float32Array(batch.length);
    batch.forEach((s, i) => {
      inputs.set(s.input.values(), i * 9);
      targets[i] = s.target;
    });
    if (this.config.zeroGrad) this.optimizer.zeroGrad();
    const output = this.model.call(tensor(inputs).view([batch.length, 1, 3, 3]));
    this.checkOutput(output);
    const loss = this.lossFn.call(output, tensor(targets).view([batch.length, 1, 1, 1]));
    loss.backward();
    this.optimizer.step();
    // Per-class losses of this batch, for the tutorial's two curves.
    const out = output.toArray();
    let sumT = 0, nT = 0, sumF = 0, nF = 0;
    batch.forEach((s, i) => {
      const p = Math.fround(out[i]);
      const l = s.target === 1 ? -Math.max(Math.log(p), -100) : -Math.max(Math.log(1 - p), -100);
      if (s.target === 1) { sumT += l; nT++; } else { sumF += l; nF++; }
    });
    const value = loss.item();
    if (nT > 0) this.lossTrue = sumT / nT;
    if (nF > 0) this.lossFalse = sumF / nF;
    this.afterStep(value, nT > 0 && nF === 0 ? 1 : 0, true);
    return value;
  }

  /** A NaN output would otherwise surface as BCELoss's range error; say where training broke instead. */
  private checkOutput(output: Tensor): void {
    const d = output.data;
    for (let i = 0; i < d.length; i++) {
      if (Number.isNaN(d[i])) throw new TrainingDivergedError(this.epoch, this.position, `the model's output is ${d[i]} (a weight is no longer finite)`);
    }
  }

  private afterStep(value: number, target: 0 | 1, batched = false): void {
    this.stepsTaken++;
    if (!Number.isFinite(value)) throw new TrainingDivergedError(this.epoch, this.position, `the loss is ${value}`);
    if (!batched) {
      if (target === 1) this.lossTrue = value;
      else this.lossFalse = value;
    }
    if (this.wantSteps) this.listener?.({ type: 'step', epoch: this.epoch, step: this.position, target, loss: value });
  }

  private finishEpoch(): void {
    for (const p of this.params) {
      const v = p.data;
      for (let i = 0; i < v.length; i++) {
        if (!Number.isFinite(v[i])) throw new TrainingDivergedError(this.epoch, this.position, 'a weight is not finite');
      }
    }
    const epoch = this.epoch;
    const recorded = epoch % this.config.every === 0;
    if (recorded) this.curve.push({ epoch, lossTrue: this.lossTrue, lossFalse: this.lossFalse });
    this.listener?.({ type: 'epoch', epoch, lossTrue: this.lossTrue, lossFalse: this.lossFalse, recorded });
    if (epoch % this.config.snapshotEvery === 0) {
      const snap = { epoch, weights: weightsOf(this.model), text: this.model.stateDict().toString() };
      this.snapshots.push(snap);
      this.listener?.({ type: 'snapshot', ...snap });
    }
    this.epoch++;
    this.position = 0;
    if (!this.done && this.config.shuffle) this.orderEpoch();
  }

  /** Runs the rest of the current epoch. */
  runEpoch(): void {
    const epoch = this.epoch;
    while (!this.done && this.epoch === epoch) this.step();
  }

  /** Trains to the end and returns the result (emitting 'done'). */
  run(): TrainResult {
    const start = performance.now();
    while (!this.done) this.runEpoch();
    const result = this.result((performance.now() - start) / 1000);
    this.listener?.({ type: 'done', result });
    return result;
  }

  result(seconds = 0): TrainResult {
    return {
      config: this.config, init: this.init, final: weightsOf(this.model), curve: this.curve, snapshots: this.snapshots,
      predictions: predict(this.model, TEST_MATRICES), model: this.model, seconds,
    };
  }
}

/** Each row of a [n,1,1,3,3] set as a sample of class `target`, cast to float32 as the tutorial casts it. */
function samplesOf(set: Tensor, target: 0 | 1): Sample[] {
  return Array.from({ length: set.shape[0] }, (_, row) => ({ target, input: set.get(row).to('float32') }));
}

/** The model's output for each 3×3 matrix (float32 input, no graph). */
export function predict(model: nn.Module, matrices: ReadonlyArray<ReadonlyArray<ReadonlyArray<number>>>): number[] {
  return noGrad(() => matrices.map((m) => model.call(tensor([[m.map((row) => [...row])]])).item()));
}

/** Runs the tutorial with `config` and returns the result. */
export function train(config: Partial<TrainConfig> = {}, listener?: (e: TrainEvent) => void): TrainResult {
  return new Trainer(config, listener).run();
}
