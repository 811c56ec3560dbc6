/**
 * Benchmark 1: the tutorial's 200 epochs (40,000 single-sample steps) through the public API, written exactly as
 * examples/seed-cnn.ts writes them (the `for … of` over the float64 sets, `.to('float32')`, `cnn.call`,
 * `cnnLoss.call`, `backward`, `cnnOpt.step`), against the hand-written float64 floor of the same network in the
 * same run. Printing and the plot are left out; the state_dict text the example prints every 20 epochs is still
 * built, so the work is the example's.
 */
import * as torch from '../src/index.js';
import { Trainer } from '../src/lab/train.js';
import { trainHandWritten } from './baseline/hand-written.js';
import { median } from './harness.js';

class CNN extends torch.nn.Module {
  model = new torch.nn.Sequential(
    new torch.nn.Conv2d(1, 1, 2),
    new torch.nn.LeakyReLU(),
    new torch.nn.Conv2d(1, 1, 2),
    new torch.nn.Sigmoid(),
  );

  forward(x: torch.Tensor): torch.Tensor {
    return this.model.call(x);
  }
}

/** What one run of the example leaves behind, to check that a timed run computed the right thing. */
export interface TutorialRun {
  steps: number;
  /** Seconds spent in the training loop (the setup is not timed). */
  seconds: number;
  /** Final parameters in state_dict order (w1, b1, w2, b2), flattened. */
  final: number[];
  points: Array<{ epoch: number; lossTrue: number; lossFalse: number }>;
  stateDictText: string;
}

/** The model and data of the example, built under `manualSeed(seed)` in the example's order. */
export function setUpTutorial(seed: number) {
  torch.manualSeed(BigInt(seed));
  const cnn = new CNN();
  const trainBase = torch.ones([1, 1, 3, 3], { dtype: 'float64' });
  let trainSetTrue = torch.tensor(Array.from({ length: 100 }, (_, k) => trainBase.mul(k - 50).tolist()), { dtype: 'float64' });
  let trainSetFalse = torch.rand([100, 1, 1, 3, 3]).mul(100).sub(50);
  trainSetTrue = trainSetTrue.to('float64');
  trainSetFalse = trainSetFalse.to('float64');
  return { cnn, trainSetTrue, trainSetFalse };
}

/** The example's training loop (examples/seed-cnn.ts) for `epoch` epochs. */
export function runTutorial(seed = 0, epoch = 200, setup = setUpTutorial(seed)): TutorialRun {
  const { cnn, trainSetTrue, trainSetFalse } = setup;
  const trainTargetTrue = torch.ones([1, 1, 1, 1]);
  const trainTargetFalse = torch.zeros([1, 1, 1, 1]);
  const cnnLoss = new torch.nn.BCELoss();
  const cnnOpt = new torch.optim.Adadelta(cnn.parameters(), { lr: 0.5 });
  const points: Array<{ epoch: number; lossTrue: number; lossFalse: number }> = [];
  let lossTrue = torch.zeros([]);
  let lossFalse = torch.zeros([]);
  let stateDictText = '';
  let steps = 0;
  const start = performance.now();
  for (let i = 0; i < epoch; i++) {
    for (const trainSampleTrue of trainSetTrue) {
      cnnOpt.zeroGrad();
      const cnnOutputTrue = cnn.call(trainSampleTrue.to('float32'));
      lossTrue = cnnLoss.call(cnnOutputTrue, trainTargetTrue);
      lossTrue.backward();
      cnnOpt.step();
      steps++;
    }
    for (const trainSampleFalse of trainSetFalse) {
      cnnOpt.zeroGrad();
      const cnnOutputFalse = cnn.call(trainSampleFalse.to('float32'));
      lossFalse = cnnLoss.call(cnnOutputFalse, trainTargetFalse);
      lossFalse.backward();
      cnnOpt.step();
      steps++;
    }
    if (i % 5 === 0) {
      points.push({ epoch: i, lossTrue: lossTrue.detach().item(), lossFalse: lossFalse.detach().item() });
    }
    if (i % 20 === 0) stateDictText = String(cnn.stateDict());
  }
  const seconds = (performance.now() - start) / 1000;
  const final = cnn.parameters().flatMap((p) => p.toArray());
  return { steps, seconds, final, points, stateDictText };
}

/** The hand-written floor's inputs for the same seed: the initial weights and the false set, as float64. */
export function floorInputs(seed: number): { init: number[]; falseSet: Float64Array } {
  const { cnn, trainSetFalse } = setUpTutorial(seed);
  return { init: cnn.parameters().flatMap((p) => p.toArray()), falseSet: Float64Array.from(trainSetFalse.toArray()) };
}

/** Runs the floor for `epochs` epochs; returns the number of steps. */
export function runFloor(init: readonly number[], falseSet: Float64Array, epochs = 200): { steps: number; seconds: number; params: Float64Array } {
  const start = performance.now();
  const r = trainHandWritten(init, falseSet, epochs);
  return { steps: epochs * 200, seconds: (performance.now() - start) / 1000, params: r.params };
}

/** `new Trainer({seed}).run()` (src/lab/train.ts): the same steps through the lab's loop (run() times itself). */
export function runTrainer(seed = 0, epochs = 200): { steps: number; seconds: number; final: number[] } {
  const result = new Trainer({ seed, epochs }).run();
  return { steps: epochs * 200, seconds: result.seconds, final: Object.values(result.final).flat() };
}

export interface TrainerOverhead {
  rounds: number;
  epochs: number;
  /** Medians over the rounds, µs per step: wall clock, and CPU time of the process (see below). */
  exampleUs: number;
  trainerUs: number;
  exampleCpuUs: number;
  trainerCpuUs: number;
  /** Medians over the rounds of trainer / example, each pair run back to back in alternating order. */
  ratio: number;
  cpuRatio: number;
  ratios: number[];
  cpuRatios: number[];
}

/** CPU seconds this process has used (all its threads: here the main thread and V8's GC helpers). */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * The lab's own cost per step: the example loop and `new Trainer({seed: 0}).run()` back to back, `rounds` times,
 * alternating which goes first (so that a drift in the machine's load favours neither), each timed from after
 * its set-up. CPU time is the figure to read on a shared machine: wall time also counts the slices the
 * scheduler gives other processes, which hit short runs unevenly.
 */
export function compareTrainerWithExample(rounds: number, epochs = 50, warmup = 3): TrainerOverhead {
  const wall: Record<'e' | 't', number[]> = { e: [], t: [] };
  const cpu: Record<'e' | 't', number[]> = { e: [], t: [] };
  const us = (seconds: number) => (seconds * 1e6) / (epochs * 200);
  const example = () => {
    const setup = setUpTutorial(0);
    const c0 = cpuSeconds();
    const r = runTutorial(0, epochs, setup);
    return [us(r.seconds), us(cpuSeconds() - c0)];
  };
  const trainer = () => {
    const t = new Trainer({ seed: 0, epochs });
    const c0 = cpuSeconds();
    const r = t.run();
    return [us(r.seconds), us(cpuSeconds() - c0)];
  };
  for (let r = 0; r < warmup + rounds; r++) {
    const [e, t] = r % 2 === 0 ? [example(), trainer()] : [trainer(), example()].reverse();
    if (r < warmup) continue;
    wall.e.push(e[0]);
    wall.t.push(t[0]);
    cpu.e.push(e[1]);
    cpu.t.push(t[1]);
  }
  const ratios = wall.t.map((t, i) => t / wall.e[i]);
  const cpuRatios = cpu.t.map((t, i) => t / cpu.e[i]);
  return {
    rounds, epochs, exampleUs: median(wall.e), trainerUs: median(wall.t), exampleCpuUs: median(cpu.e), trainerCpuUs: median(cpu.t),
    ratio: median(ratios), cpuRatio: median(cpuRatios), ratios, cpuRatios,
  };
}
