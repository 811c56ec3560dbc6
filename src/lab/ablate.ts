import { TEST_MATRICES } from './data.js';
import { evaluateHeldOut, LEARNED_ACCURACY, predictMatrices, type Prediction } from './evaluate.js';
import type { Weights } from './model.js';
import { weightsOf } from './model.js';
import { type CurvePoint, type OptimizerName, Trainer, TrainingDivergedError } from './train.js';

// The tutorial's invitation: comment out zero_grad() and see whether the loss still converges. Trains the
// same seed twice, with and without optimizer.zeroGrad(), and measures what the optimiser was given.

export interface GradNormPoint {
  epoch: number;
  /** Mean over the epoch's steps of ‖.grad‖ when optimizer.step() ran: the gradient the step used. */
  used: number;
  /** The largest such norm in the epoch. */
  usedMax: number;
  /** Mean over the epoch's steps of ‖∇ of this step's sample alone‖ (what backward() added to .grad). */
  perSample: number;
  /** ‖all weights‖ at the end of the epoch. */
  weightNorm: number;
}

export interface AblationRun {
  zeroGrad: boolean;
  curve: CurvePoint[];
  gradNorms: GradNormPoint[];
  /** Every step's ‖.grad‖ as step() used it, and its sample's own gradient norm, in step order. */
  stepNorms: { used: Float32Array; perSample: Float32Array };
  /** Held-out accuracy (NaN if training diverged). */
  accuracy: number;
  accuracyConstant: number;
  accuracyRandom: number;
  learned: boolean;
  /** The tutorial's four matrices. */
  predictions: Prediction[];
  final: Weights;
  diverged?: { epoch: number; step: number; message: string };
  steps: number;
  seconds: number;
}

export interface AblationVerdict {
  /** ‖.grad‖ the last epoch's steps used, over the first epoch's, without zero_grad (and with, for contrast). */
  growthWithout: number;
  growthWith: number;
  /** Without zero_grad, last epoch: ‖.grad‖ used over the per-sample gradient's norm. */
  accumulationRatio: number;
  /** Held-out accuracy with minus without. */
  accuracyDrop: number;
  /** How many of the tutorial's four matrices get a different verdict. */
  verdictsChanged: number;
  /** 'needed': learns with zero_grad, not without; 'both' / 'neither' learn; 'without-only'. */
  kind: 'needed' | 'both' | 'neither' | 'without-only';
}

export interface ZeroGradAblation {
  seed: number;
  epochs: number;
  lr: number;
  optimizer: OptimizerName;
  withZeroGrad: AblationRun;
  withoutZeroGrad: AblationRun;
  verdict: AblationVerdict;
}

export interface AblationOptions {
  seed?: number | bigint;
  epochs?: number;
  lr?: number;
  optimizer?: OptimizerName;
  every?: number;
  /** Told after each epoch of each run (run 0: with zero_grad, 1: without). */
  onEpoch?: (run: 0 | 1, epochsDone: number) => void;
}

function norm(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] * values[i];
  return Math.sqrt(s);
}

function trainTracked(zeroGrad: boolean, o: Required<Omit<AblationOptions, 'onEpoch'>>, onEpoch?: (e: number) => void): AblationRun {
  const start = performance.now();
  let prev: Float64Array | undefined;
  let sumUsed = 0, maxUsed = 0, sumSample = 0, n = 0;
  const gradNorms: GradNormPoint[] = [];
  const usedSteps: number[] = [];
  const sampleSteps: number[] = [];
  const trainer: Trainer = new Trainer(
    { seed: o.seed, epochs: o.epochs, lr: o.lr, optimizer: o.optimizer, zeroGrad, every: o.every, snapshotEvery: o.epochs + 1 },
    (e) => {
      if (e.type === 'step') {
        // .grad as optimizer.step() just used it (step() reads .grad, it does not clear it).
        const grads = trainer.model.parameters().flatMap((p) => (p.grad === null ? [] : p.grad.toArray()));
        const g = Float64Array.from(grads);
        const used = norm(g);
        let sample = used;
        if (!zeroGrad && prev !== undefined) {
          const d = new Float64Array(g.length);
          for (let i = 0; i < g.length; i++) d[i] = g[i] - prev[i];
          sample = norm(d);
        }
        prev = g;
        usedSteps.push(used);
        sampleSteps.push(sample);
        sumUsed += used;
        sumSample += sample;
        maxUsed = Math.max(maxUsed, used);
        n++;
      } else if (e.type === 'epoch') {
        const weightNorm = norm(trainer.model.parameters().flatMap((p) => p.toArray()));
        gradNorms.push({ epoch: e.epoch, used: sumUsed / n, usedMax: maxUsed, perSample: sumSample / n, weightNorm });
        sumUsed = sumSample = maxUsed = n = 0;
        onEpoch?.(e.epoch + 1);
      }
    },
    { stepEvents: true },
  );
  let diverged: AblationRun['diverged'];
  try {
    trainer.run();
  } catch (err) {
    if (!(err instanceof TrainingDivergedError)) throw err;
    diverged = { epoch: err.epoch, step: err.step, message: err.message };
  }
  const model = trainer.model;
  const held = diverged ? undefined : evaluateHeldOut(model);
  return {
    zeroGrad, curve: trainer.curve, gradNorms, stepNorms: { used: Float32Array.from(usedSteps), perSample: Float32Array.from(sampleSteps) },
    accuracy: held?.accuracy ?? NaN, accuracyConstant: held?.accuracyConstant ?? NaN, accuracyRandom: held?.accuracyRandom ?? NaN,
    learned: (held?.accuracy ?? 0) >= LEARNED_ACCURACY,
    predictions: predictMatrices(model, TEST_MATRICES.map((m) => m.map((r) => [...r]))),
    final: weightsOf(model), diverged, steps: trainer.totalSteps, seconds: (performance.now() - start) / 1000,
  };
}

function growth(r: AblationRun): number {
  const first = r.gradNorms[0];
  const last = r.gradNorms[r.gradNorms.length - 1];
  return first && last ? last.used / first.used : NaN;
}

/** Trains the same seed with and without zeroGrad() and compares what happened. */
export function ablateZeroGrad(opts: AblationOptions = {}): ZeroGradAblation {
  const o = { seed: opts.seed ?? 0, epochs: opts.epochs ?? 200, lr: opts.lr ?? 0.5, optimizer: opts.optimizer ?? 'adadelta', every: opts.every ?? 5 };
  const withZ = trainTracked(true, o, (e) => opts.onEpoch?.(0, e));
  const without = trainTracked(false, o, (e) => opts.onEpoch?.(1, e));
  const last = without.gradNorms[without.gradNorms.length - 1];
  const kind: AblationVerdict['kind'] = withZ.learned
    ? (without.learned ? 'both' : 'needed')
    : (without.learned ? 'without-only' : 'neither');
  return {
    seed: typeof o.seed === 'bigint' ? Number(o.seed) : o.seed, epochs: o.epochs, lr: o.lr, optimizer: o.optimizer,
    withZeroGrad: withZ, withoutZeroGrad: without,
    verdict: {
      growthWithout: growth(without),
      growthWith: growth(withZ),
      accumulationRatio: last ? last.used / last.perSample : NaN,
      accuracyDrop: withZ.accuracy - without.accuracy,
      verdictsChanged: withZ.predictions.filter((p, i) => p.verdict !== without.predictions[i].verdict).length,
      kind,
    },
  };
}
