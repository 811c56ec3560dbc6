/**
 * `npm run bench -- --only=lab,sweep`: the lab's own costs (neither runs by default).
 *   lab:   Trainer.run() against the example loop it must not be slower than (bench/tutorial.ts).
 *   sweep: how `torchlet sweep` scales with worker threads. The same sweep (the same tasks, the same outcomes)
 *          runs on 1 and on 2 workers in alternation, several times, each on a fresh pool (start-up included,
 *          as the CLI pays it). The report gives min and median wall times, the speed-up, the machine's cores
 *          and load, the CPU the process got (on a shared machine other processes hold cores, and Linux's
 *          autogroup scheduling shares CPU between sessions, not threads), and a control: threads that only
 *          spin, 1 vs 2, showing how much the machine could give at that moment.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { runTasksOnWorkers } from '../src/lab/sweep-worker.js';
import { type RunOutcome, runTasks, type SweepConfig, sweepTasks } from '../src/lab/sweep.js';
import { fmt, markdownTable, median, type Row } from './harness.js';
import { compareTrainerWithExample, type TrainerOverhead } from './tutorial.js';

export interface SweepBenchResult {
  cores: number;
  cpuModel: string;
  /** 1-minute load average before and after (it counts every runnable process on the machine, ours too). */
  load: [number, number];
  runs: number;
  stepsPerRun: number;
  repeats: number;
  /** Wall seconds of each repeat, start-up included. */
  oneWorker: number[];
  twoWorkers: number[];
  /** The same tasks in this thread (no workers), once. */
  inThread: number;
  /** Per-repeat speed-up t(1) / t(2), paired in time. */
  speedups: number[];
  speedupMedian: number;
  speedupOfMins: number;
  /** Seconds from creating a pool of 1 and 2 workers to the first progress message (start-up + 5 epochs). */
  firstEpoch: { one: number; two: number };
  /** Summed in-worker seconds of the tasks (training + evaluation), median over repeats. */
  taskSeconds: { one: number; two: number };
  /**
   * CPU seconds the whole process used (all threads) per wall second, median over repeats: the cores the sweep
   * actually got. Below 2 with 2 workers means other processes held a core, not that the sweep ran serially.
   */
  coresUsed: { one: number; two: number };
  /** CPU seconds of the whole process, median over repeats: more with 2 workers is work that parallelism added. */
  cpuSeconds: { one: number; two: number };
  /**
   * The machine's ceiling at the time: the same 1-vs-2 comparison for a fixed amount of spinning on an arithmetic
   * loop (no allocation, nothing shared), done by 1 thread, then split between 2, paired with each repeat: 2 where
   * the machine gives two full cores. A sweep speed-up near this one is all the machine had to give; well below it
   * is the sweep's own serial work or contention.
   */
  controlSpeedups: number[];
  controlSpeedupMedian: number;
  /** All outcomes equal (seconds aside) in this thread, on 1 and on 2 workers. */
  sameOutcomes: boolean;
}

/**
 * The sweep timed: `npx torchlet sweep` with its defaults (5 learning rates × 20 seeds, 200 epochs each, evaluated
 * at 20, 50, 100 and 200: 100 runs, 4 million steps), or, with --quick, 2 × 6 runs of 100 epochs. A sweep much
 * shorter than the CLI's measures mostly each worker's start-up (loading and compiling the library, which every
 * worker pays), not how the training runs share the cores.
 */
function benchConfig(quick: boolean): SweepConfig {
  return quick
    ? { lrs: [0.5, 1], epochs: [20, 100], seeds: Array.from({ length: 6 }, (_, i) => i), optimizer: 'adadelta', shuffle: false, batchSize: 1 }
    : {
      lrs: [0.05, 0.1, 0.5, 1, 2], epochs: [20, 50, 100, 200], seeds: Array.from({ length: 20 }, (_, i) => i),
      optimizer: 'adadelta', shuffle: false, batchSize: 1,
    };
}

interface Timed { seconds: number; cpu: number; firstEpoch: number; outcomes: RunOutcome[] }

/** CPU seconds used by every thread of this process so far. */
function processCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function timed(tasks: ReturnType<typeof sweepTasks>, workers: number): Promise<Timed> {
  const cpu0 = processCpu();
  const start = performance.now();
  let firstEpoch = NaN;
  const outcomes = await runTasksOnWorkers(tasks, {
    workers,
    onProgress: () => {
      if (Number.isNaN(firstEpoch)) firstEpoch = (performance.now() - start) / 1000;
    },
  });
  return { seconds: (performance.now() - start) / 1000, cpu: processCpu() - cpu0, firstEpoch, outcomes };
}

// A thread that spins `n` iterations of integer arithmetic and posts its count back.
const SPIN = `const { parentPort, workerData } = require('node:worker_threads');
let acc = 0;
for (let i = 0; i < workerData; i++) acc = (acc + i * 7) % 1000003;
parentPort.postMessage(acc);`;

/** Wall seconds for `threads` threads sharing `n` iterations of spinning (each spins n / threads) at once. */
async function spin(threads: number, n: number): Promise<number> {
  const start = performance.now();
  await Promise.all(Array.from({ length: threads }, () => new Promise<void>((resolve, reject) => {
    const w = new Worker(SPIN, { eval: true, workerData: Math.round(n / threads) });
    w.once('message', () => {
      void w.terminate();
      resolve();
    });
    w.once('error', reject);
  })));
  return (performance.now() - start) / 1000;
}

const strip = (os: readonly RunOutcome[]) => JSON.stringify(os.map((o) => ({ ...o, seconds: 0 })));

export async function runSweepBench(quick: boolean): Promise<SweepBenchResult> {
  const config = benchConfig(quick);
  const tasks = sweepTasks(config);
  const repeats = 3;
  const load0 = loadavg()[0];
  const t0 = performance.now();
  const local = runTasks(tasks);
  const inThread = (performance.now() - t0) / 1000;
  const reference = strip(local);
  const oneWorker: number[] = [], twoWorkers: number[] = [], speedups: number[] = [];
  const first1: number[] = [], first2: number[] = [], task1: number[] = [], task2: number[] = [];
  const cpu1: number[] = [], cpu2: number[] = [], cores1: number[] = [], cores2: number[] = [];
  const controlSpeedups: number[] = [];
  // Half a second of spinning on one thread, a quarter on each of two: long enough to see the sharing of cores,
  // short beside the sweeps. Both do the same work, as 1 and 2 workers do, so the two speed-ups compare.
  let spinN = 1e7;
  const probe = await spin(1, spinN);
  spinN = Math.round((spinN * 0.5) / Math.max(probe, 1e-3));
  let sameOutcomes = true;
  const taskSum = (os: readonly RunOutcome[]) => os.reduce((s, o) => s + o.seconds, 0);
  for (let r = 0; r < repeats; r++) {
    // Alternate which goes first, so that a drift in the machine's load favours neither.
    const order = r % 2 === 0 ? [1, 2] : [2, 1];
    const got = new Map<number, Timed>();
    for (const w of order) got.set(w, await timed(tasks, w));
    const spin1 = await spin(1, spinN);
    controlSpeedups.push(spin1 / (await spin(2, spinN)));
    const one = got.get(1)!, two = got.get(2)!;
    oneWorker.push(one.seconds);
    twoWorkers.push(two.seconds);
    speedups.push(one.seconds / two.seconds);
    first1.push(one.firstEpoch);
    first2.push(two.firstEpoch);
    task1.push(taskSum(one.outcomes));
    task2.push(taskSum(two.outcomes));
    cpu1.push(one.cpu);
    cpu2.push(two.cpu);
    cores1.push(one.cpu / one.seconds);
    cores2.push(two.cpu / two.seconds);
    sameOutcomes &&= strip(one.outcomes) === reference && strip(two.outcomes) === reference;
  }
  return {
    cores: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown', load: [load0, loadavg()[0]],
    runs: tasks.length, stepsPerRun: Math.max(...config.epochs) * 200, repeats,
    oneWorker, twoWorkers, inThread, speedups, speedupMedian: median(speedups),
    speedupOfMins: Math.min(...oneWorker) / Math.min(...twoWorkers),
    firstEpoch: { one: median(first1), two: median(first2) },
    taskSeconds: { one: median(task1), two: median(task2) },
    coresUsed: { one: median(cores1), two: median(cores2) },
    cpuSeconds: { one: median(cpu1), two: median(cpu2) },
    controlSpeedups, controlSpeedupMedian: median(controlSpeedups),
    sameOutcomes,
  };
}

export function printSweepBench(s: SweepBenchResult): void {
  console.log(`## Sweep on worker threads: ${s.runs} runs of ${s.stepsPerRun.toLocaleString('en')} steps, 1 vs 2 workers, ${s.repeats} repeats\n`);
  console.log(`machine: ${s.cores} cores (${s.cpuModel}); 1-min load average ${fmt(s.load[0])} before, ${fmt(s.load[1])} after\n`);
  const rows: Row[] = [
    { run: 'in this thread (no workers), once', 'min s': fmt(s.inThread), 'median s': fmt(s.inThread), 'first progress s': '', 'task s (sum)': '', 'CPU s': '', 'cores used': '' },
    {
      run: '1 worker', 'min s': fmt(Math.min(...s.oneWorker)), 'median s': fmt(median(s.oneWorker)), 'first progress s': fmt(s.firstEpoch.one),
      'task s (sum)': fmt(s.taskSeconds.one), 'CPU s': fmt(s.cpuSeconds.one), 'cores used': fmt(s.coresUsed.one),
    },
    {
      run: '2 workers', 'min s': fmt(Math.min(...s.twoWorkers)), 'median s': fmt(median(s.twoWorkers)), 'first progress s': fmt(s.firstEpoch.two),
      'task s (sum)': fmt(s.taskSeconds.two), 'CPU s': fmt(s.cpuSeconds.two), 'cores used': fmt(s.coresUsed.two),
    },
  ];
  console.log(markdownTable(rows));
  console.log(`\nspeed-up 1 → 2 workers: median of paired repeats ${fmt(s.speedupMedian)}× (each: ${s.speedups.map((x) => fmt(x)).join(', ')}), ` +
    `of the best times ${fmt(s.speedupOfMins)}×; the machine's ceiling meanwhile (threads spinning an arithmetic loop, 1 vs 2): ` +
    `${fmt(s.controlSpeedupMedian)}× (each: ${s.controlSpeedups.map((x) => fmt(x)).join(', ')}); outcomes identical in this thread and on 1 and 2 workers: ${s.sameOutcomes ? 'yes' : 'NO'}\n`);
  console.log('(first progress: from creating the pool to the first progress message, i.e. worker start-up and 5 epochs; ' +
    'task s: wall seconds inside the workers\' runs, summed; CPU s: all threads of the process; cores used: CPU s / wall s, ' +
    'which other processes on the machine hold down)\n');
}

/** The sections bench/run.ts registers under --only=lab and --only=sweep; prints them and returns the results. */
export async function labSections(only: readonly string[], quick: boolean): Promise<{ lab?: TrainerOverhead; sweep?: SweepBenchResult }> {
  const out: { lab?: TrainerOverhead; sweep?: SweepBenchResult } = {};
  if (only.includes('lab')) {
    const o = compareTrainerWithExample(quick ? 10 : 30);
    out.lab = o;
    console.log(`## The lab's loop: new Trainer({seed: 0}).run() against the example loop, ${o.rounds} pairs of ${o.epochs}-epoch runs\n`);
    const quartiles = (xs: readonly number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return `${fmt(s[s.length >> 2])} … ${fmt(s[(3 * s.length) >> 2])}`;
    };
    console.log(markdownTable([
      { run: 'examples/seed-cnn.ts loop', 'CPU µs/step': fmt(o.exampleCpuUs), 'wall µs/step': fmt(o.exampleUs) },
      { run: 'Trainer.run()', 'CPU µs/step': fmt(o.trainerCpuUs), 'wall µs/step': fmt(o.trainerUs) },
      { run: 'Trainer / example (median of pairs)', 'CPU µs/step': fmt(o.cpuRatio), 'wall µs/step': fmt(o.ratio) },
      { run: '… its quartiles', 'CPU µs/step': quartiles(o.cpuRatios), 'wall µs/step': quartiles(o.ratios) },
    ]));
    console.log('');
  }
  if (only.includes('sweep')) {
    out.sweep = await runSweepBench(quick);
    printSweepBench(out.sweep);
  }
  return out;
}
