import { evaluateHeldOut, LEARNED_ACCURACY, type OutcomeFeatures, outcomeFeatures } from './evaluate.js';
import { type OptimizerName, Trainer, TrainingDivergedError } from './train.js';

// Many training runs, judged on the held-out set. A run is one (seed, settings) trained once to its largest
// epoch count and evaluated along the way at every requested count: the model after 50 epochs of a 200-epoch
// run is exactly the model a 50-epoch run ends with (the epochs before are the same), so this is identical to
// separate runs and much cheaper. Pure computation: sweep-worker.ts spreads the runs over worker threads.

/** The training settings a run varies (the rest is the tutorial's procedure). */
export interface RunSettings {
  lr: number;
  optimizer: OptimizerName;
  shuffle: boolean;
  batchSize: number;
}

export const TUTORIAL_SETTINGS: RunSettings = { lr: 0.5, optimizer: 'adadelta', shuffle: false, batchSize: 1 };

export interface RunTask {
  /** The caller's index for the run (results come back in any order). */
  id: number;
  seed: number;
  settings: RunSettings;
  /** Evaluate after each of these many epochs (ascending); training runs to the last one. */
  evalAt: number[];
  /** Also compute the final model's OutcomeFeatures (for the atlas). */
  features?: boolean;
}

export interface Evaluation {
  epochs: number;
  /** Held-out accuracy; NaN after the run diverged. */
  accuracy: number;
  learned: boolean;
}

export interface RunOutcome {
  id: number;
  seed: number;
  settings: RunSettings;
  evaluations: Evaluation[];
  /** Where training produced a non-finite loss or weight, if it did. */
  diverged?: { epoch: number; step: number; message: string };
  features?: OutcomeFeatures;
  /** Final weights, flat (model.0.weight, model.0.bias, model.2.weight, model.2.bias). */
  finalWeights: number[];
  seconds: number;
}

/** Trains one run, evaluating it after each count in task.evalAt; `onEpoch` is told after every epoch. */
export function runTask(task: RunTask, onEpoch?: (epochsDone: number) => void): RunOutcome {
  const start = performance.now();
  const evalAt = [...new Set(task.evalAt)].sort((a, b) => a - b);
  if (evalAt.length === 0 || !evalAt.every((e) => Number.isInteger(e) && e >= 1)) {
    throw new RangeError(`epoch counts must be positive integers, got ${task.evalAt.join(', ')}`);
  }
  const maxEpochs = evalAt[evalAt.length - 1];
  const trainer = new Trainer({
    seed: task.seed, epochs: maxEpochs, lr: task.settings.lr, optimizer: task.settings.optimizer,
    shuffle: task.settings.shuffle, batchSize: task.settings.batchSize, snapshotEvery: maxEpochs + 1, every: maxEpochs + 1,
  });
  const evaluations: Evaluation[] = [];
  let diverged: RunOutcome['diverged'];
  try {
    for (const target of evalAt) {
      while (trainer.epoch < target) {
        trainer.runEpoch();
        onEpoch?.(trainer.epoch);
      }
      const accuracy = evaluateHeldOut(trainer.model).accuracy;
      evaluations.push({ epochs: target, accuracy, learned: accuracy >= LEARNED_ACCURACY });
    }
  } catch (err) {
    if (!(err instanceof TrainingDivergedError)) throw err;
    diverged = { epoch: err.epoch, step: err.step, message: err.message };
    for (const target of evalAt.slice(evaluations.length)) evaluations.push({ epochs: target, accuracy: NaN, learned: false });
    onEpoch?.(maxEpochs);
  }
  const finalWeights = trainer.model.parameters().flatMap((p) => p.toArray());
  return {
    id: task.id, seed: task.seed, settings: task.settings, evaluations, diverged,
    features: task.features && diverged === undefined ? outcomeFeatures(trainer.model) : undefined,
    finalWeights, seconds: (performance.now() - start) / 1000,
  };
}

/** Total epochs a list of tasks trains (for a progress bar). */
export function totalEpochs(tasks: readonly RunTask[]): number {
  return tasks.reduce((s, t) => s + Math.max(...t.evalAt), 0);
}

/** Runs tasks one after another in this thread (the browser's way; the CLI uses worker threads). */
export function runTasks(tasks: readonly RunTask[], onProgress?: (epochsDone: number, total: number) => void): RunOutcome[] {
  const total = totalEpochs(tasks);
  let before = 0;
  return tasks.map((t) => {
    const outcome = runTask(t, (e) => onProgress?.(before + e, total));
    before += Math.max(...t.evalAt);
    return outcome;
  });
}

export interface SweepConfig {
  lrs: number[];
  epochs: number[];
  seeds: number[];
  optimizer: OptimizerName;
  shuffle: boolean;
  batchSize: number;
}

export interface SweepCell {
  lr: number;
  epochs: number;
  /** Runs (seeds) whose held-out accuracy reached LEARNED_ACCURACY. */
  learned: number;
  runs: number;
  fraction: number;
  /** Mean held-out accuracy over the seeds that did not diverge (NaN if all did). */
  meanAccuracy: number;
  diverged: number;
}

export interface SweepResult {
  config: SweepConfig;
  threshold: number;
  cells: SweepCell[];
  runs: RunOutcome[];
}

/** One task per (lr, seed), each evaluated at every epoch count. */
export function sweepTasks(c: SweepConfig): RunTask[] {
  const tasks: RunTask[] = [];
  for (const lr of c.lrs) {
    for (const seed of c.seeds) {
      tasks.push({
        id: tasks.length, seed, evalAt: [...c.epochs],
        settings: { lr, optimizer: c.optimizer, shuffle: c.shuffle, batchSize: c.batchSize },
      });
    }
  }
  return tasks;
}

/** The grid of learned fractions from the runs' outcomes (in any order). */
export function summarizeSweep(c: SweepConfig, outcomes: readonly RunOutcome[]): SweepResult {
  const runs = [...outcomes].sort((a, b) => a.id - b.id);
  const cells: SweepCell[] = [];
  for (const lr of c.lrs) {
    const mine = runs.filter((r) => r.settings.lr === lr);
    for (const epochs of [...new Set(c.epochs)].sort((a, b) => a - b)) {
      const evals = mine.map((r) => r.evaluations.find((e) => e.epochs === epochs)).filter((e): e is Evaluation => e !== undefined);
      const learned = evals.filter((e) => e.learned).length;
      const finite = evals.filter((e) => Number.isFinite(e.accuracy));
      cells.push({
        lr, epochs, learned, runs: evals.length, fraction: evals.length ? learned / evals.length : NaN,
        meanAccuracy: finite.length ? finite.reduce((s, e) => s + e.accuracy, 0) / finite.length : NaN,
        diverged: evals.length - finite.length,
      });
    }
  }
  return { config: c, threshold: LEARNED_ACCURACY, cells, runs };
}

/** The whole sweep in this thread. */
export function runSweep(c: SweepConfig, onProgress?: (epochsDone: number, total: number) => void): SweepResult {
  return summarizeSweep(c, runTasks(sweepTasks(c), onProgress));
}
