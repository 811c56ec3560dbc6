/// <reference lib="webworker" />
import { predict, Trainer } from '../../src/lab/train.js';
import { PARAMETER_KEYS, weightsOf } from '../../src/lab/model.js';
import { explain } from '../../src/lab/explain.js';
import { adadeltaStateOf, gradientReport } from '../../src/lab/gradients.js';
import { Adadelta } from '../../src/optim/adadelta.js';
import { defaultGenerator } from '../../src/random/generator.js';
import { camelToSnake } from '../../src/optim/optimizer.js';
import { TEST_MATRICES } from '../../src/lab/data.js';
import type { FromTrainer, Inspection, OptimizerStateView, Progress, ToTrainer } from './protocol.js';
import { SLICE_MS, type TrainClock, type TrainLimit, trainFor as trainLoop } from './train-loop.js';

// The training worker: one Trainer, driven by the page's buttons. While running it trains in slices of
// SLICE_MS, posts one progress message per slice (never one per step) and yields so that a Pause is seen.

const scope = self as unknown as DedicatedWorkerGlobalScope;
let trainer: Trainer | null = null;
let run = 0;
let running = false;
let sentCurve = 0;
let sentSnapshots = 0;
/** Time inside the training loop and the last step's loss (see train-loop.ts). */
const clock: TrainClock = { trainMs: 0, lastLoss: NaN };
let wallStart = 0;
let wallMs = 0;

// A zero-delay yield (setTimeout is clamped to 4 ms once nested).
const channel = new MessageChannel();
channel.port1.onmessage = () => slice();
const yieldThen = () => channel.port2.postMessage(null);

function post(msg: FromTrainer): void {
  scope.postMessage(msg);
}

function fail(e: unknown): void {
  running = false;
  post({ type: 'error', run, message: e instanceof Error ? e.message : String(e) });
}

function progress(): void {
  if (!trainer) return;
  const t = trainer;
  const msg: Progress = {
    type: 'progress', run, epoch: t.epoch, position: t.position, steps: t.totalSteps,
    lossTrue: t.lossTrue, lossFalse: t.lossFalse, lastLoss: clock.lastLoss,
    weights: weightsOf(t.model),
    curve: t.curve.slice(sentCurve), snapshots: t.snapshots.slice(sentSnapshots),
    predictions: predict(t.model, TEST_MATRICES),
    running, done: t.done, trainMs: clock.trainMs, wallMs,
  };
  sentCurve = t.curve.length;
  sentSnapshots = t.snapshots.length;
  post(msg);
}

/** Trains until the budget (ms), the step count or the epoch boundary is reached, accounting the time. */
function trainFor(limit: TrainLimit): void {
  if (trainer) trainLoop(trainer, limit, clock);
}

function slice(): void {
  if (!running || !trainer) return;
  try {
    trainFor({ ms: SLICE_MS });
  } catch (e) {
    fail(e);
    progress();
    return;
  }
  if (trainer.done) running = false;
  wallMs = performance.now() - wallStart;
  progress();
  if (running) yieldThen();
}

scope.onmessage = (e: MessageEvent<ToTrainer>) => {
  const msg = e.data;
  try {
    switch (msg.type) {
      case 'reset': {
        running = false;
        run++;
        sentCurve = 0;
        sentSnapshots = 0;
        clock.trainMs = 0;
        clock.lastLoss = NaN;
        wallMs = 0;
        wallStart = 0;
        trainer = new Trainer(msg.config);
        post({
          type: 'init', run, config: trainer.config, weights: trainer.init,
          trueSet: Array.from(trainer.trueSet.values()), falseSet: Array.from(trainer.falseSet.values()),
        });
        progress();
        break;
      }
      case 'start':
        if (!trainer || trainer.done || running) return;
        running = true;
        wallStart = performance.now() - wallMs;
        slice();
        break;
      case 'pause':
        running = false;
        progress();
        break;
      case 'step':
        if (!trainer || trainer.done || running) return;
        trainFor({ steps: 1 });
        progress();
        break;
      case 'inspect': {
        // The lab's gradientReport builds model copies with new CNN(), which draws from the default generator;
        // the run's own draws (the shuffled order of the next epochs) must not see that.
        const rng = defaultGenerator.getState();
        try {
          post(inspect(msg.id, msg.matrix, msg.target, msg.gradients));
        } finally {
          defaultGenerator.setState(rng);
        }
        break;
      }
      case 'epoch':
        if (!trainer || trainer.done || running) return;
        trainFor({ epochEnd: true });
        progress();
        break;
    }
  } catch (err) {
    fail(err);
    progress();
  }
};

/** The input panel's questions: the forward pass by hand, and (when asked) the gradients and optimiser state. */
function inspect(id: number, matrix: number[][], target: 0 | 1, withGradients: boolean): Inspection {
  const base: Inspection = { type: 'inspection', run, id, steps: trainer?.totalSteps ?? 0, output: NaN };
  try {
    if (!trainer) throw new Error('no model yet');
    const t = trainer;
    const explanation = explain(t.model, matrix);
    const out: Inspection = { ...base, output: explanation.forward.probability, explanation };
    if (withGradients) {
      const adadelta = t.optimizer instanceof Adadelta ? t.optimizer : null;
      out.gradients = gradientReport(t.model, matrix, target, {
        sgdLr: t.config.lr, adadeltaLr: t.config.lr,
        ...(adadelta ? { adadeltaState: adadeltaStateOf(adadelta, t.model) } : {}),
      });
      out.optimizer = optimizerState();
      out.accumulating = !t.config.zeroGrad && t.totalSteps > 0;
    }
    return out;
  } catch (err) {
    return { ...base, error: err instanceof Error ? err.message : String(err) };
  }
}

function optimizerState(): OptimizerStateView {
  const t = trainer!;
  const named = new Map(t.model.namedParameters());
  const params = PARAMETER_KEYS.map((key) => {
    const p = named.get(key);
    const state = p ? t.optimizer.state.get(p) : undefined;
    const entries = Object.entries(state ?? {}).map(([name, v]) => ({
      name: camelToSnake(name),
      values: v === null ? [] : typeof v === 'number' ? [v] : v.toArray(),
    }));
    return { key, entries };
  });
  return { repr: t.optimizer.toString(), params };
}
