/**
 * Benchmark 4: memory. A child process (started with --expose-gc and a young generation large enough that a
 * measuring window sees no scavenge) runs the tutorial's steps through the public API and reports
 *   - the heap after a full GC at 1,000 steps and at 40,000 steps: a graph kept alive by accident, a cache that
 *     grows per step, or optimiser state that is never freed shows up as growth;
 *   - the bytes allocated per step (the young generation's growth over windows of steps with no GC in them).
 */
import { spawnSync } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import * as torch from '../src/index.js';
import { setUpTutorial } from './tutorial.js';

/** Steps after which the heap is measured (after a full GC). */
export const CHECKPOINTS = [1000, 2000, 5000, 10_000, 20_000, 40_000] as const;

/** Steps run before the checkpoints count (see memoryChild). */
const WARM_UP_STEPS = 20_000;

export interface MemoryResult {
  /** heapUsed after a full GC, by step count. */
  heap: Record<number, number>;
  heapAt1k: number;
  heapAt40k: number;
  /** (heapAt40k - heapAt1k) / 39,000 steps, in bytes. */
  growthPerStep: number;
  /** Least-squares slope of the heap over all checkpoints, bytes per step. */
  slope: number;
  /** Bytes allocated by one step (median over the clean windows). */
  allocatedPerStep: number;
  windows: number;
}

/** One tutorial step per call, as the example does it, on the k-th sample of the 200 (true set, then false set). */
function tutorialStepper(seed: number): () => number {
  const { cnn, trainSetTrue, trainSetFalse } = setUpTutorial(seed);
  const targetTrue = torch.ones([1, 1, 1, 1]);
  const targetFalse = torch.zeros([1, 1, 1, 1]);
  const lossFn = new torch.nn.BCELoss();
  const opt = new torch.optim.Adadelta(cnn.parameters(), { lr: 0.5 });
  let k = 0;
  return () => {
    const idx = k++ % 200;
    const sample = idx < 100 ? trainSetTrue.get(idx) : trainSetFalse.get(idx - 100);
    opt.zeroGrad();
    const out = cnn.call(sample.to('float32'));
    const loss = lossFn.call(out, idx < 100 ? targetTrue : targetFalse);
    loss.backward();
    opt.step();
    return loss.item();
  };
}

function fullGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the memory benchmark needs node --expose-gc');
  gc();
  gc();
}

function newSpaceUsed(): number {
  const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
  return s ? s.space_used_size : NaN;
}

/** The child's work; prints one JSON line. */
export async function memoryChild(): Promise<void> {
  let gcs = 0;
  const obs = new PerformanceObserver((list) => { gcs += list.getEntries().length; });
  obs.observe({ entryTypes: ['gc'] });
  let sink = 0;
  // Warm-up steps of the same training first, so that compiling the step's functions (code, feedback) happens
  // before the first checkpoint and is not mistaken for growth per step; the checkpoints count the steps after
  // them. (Warmed up for 5,000 steps on another model, the first full collection freed that model and V8 threw
  // away the code that embedded its objects: recompiled after the first checkpoint, it put 130-170 KiB between
  // the heap at 1,000 steps and the heap at 40,000, while 10,000 to 40,000 stayed within 15 KiB.)
  const step = tutorialStepper(0);
  for (let i = 0; i < WARM_UP_STEPS; i++) sink += step();
  // heap after a full GC at checkpoints up to 40,000 steps
  const heap: Record<number, number> = {};
  let done = 0;
  for (const at of CHECKPOINTS) {
    while (done < at) { sink += step(); done++; }
    fullGc();
    heap[at] = process.memoryUsage().heapUsed;
  }
  // then windows of 500 steps right after a full GC: the young generation holds exactly what they allocated
  const perStep: number[] = [];
  for (let w = 0; w < 20; w++) {
    fullGc();
    await new Promise((r) => setTimeout(r, 5));
    const before = gcs;
    const used0 = newSpaceUsed();
    for (let i = 0; i < 500; i++) sink += step();
    const used1 = newSpaceUsed();
    await new Promise((r) => setTimeout(r, 5));
    if (gcs === before && used1 > used0) perStep.push((used1 - used0) / 500);
  }
  obs.disconnect();
  perStep.sort((a, b) => a - b);
  // least-squares slope of heap against steps over the checkpoints
  const xs = CHECKPOINTS.map(Number);
  const ys = CHECKPOINTS.map((at) => heap[at]);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => { sxy += (x - mx) * (ys[i] - my); sxx += (x - mx) ** 2; });
  const result: MemoryResult = {
    heap, heapAt1k: heap[1000], heapAt40k: heap[40_000], growthPerStep: (heap[40_000] - heap[1000]) / 39_000, slope: sxy / sxx,
    allocatedPerStep: perStep.length > 0 ? perStep[perStep.length >> 1] : NaN, windows: perStep.length,
  };
  process.stdout.write(`${JSON.stringify({ ...result, sink: Number.isFinite(sink) })}\n`);
}

/** Runs the child (this same script with --memory-child) and returns what it measured. */
export function runMemory(script: string): MemoryResult {
  const r = spawnSync(process.execPath, ['--expose-gc', '--max-semi-space-size=64', '--min-semi-space-size=64', script, '--memory-child'], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`memory child failed: ${r.stderr || r.stdout}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as MemoryResult;
}
