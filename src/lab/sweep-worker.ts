import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { type RunOutcome, type RunTask, runTask, totalEpochs } from './sweep.js';

// Node only: runs sweep/atlas tasks on worker threads. Each worker imports the lab once and then trains task
// after task from a shared queue (one message per task, progress every few epochs), so start-up is paid once
// per worker, not per run. This file is both sides: loaded in a worker (with workerData.torchletRuns set) it
// serves tasks; the main thread calls runTasksOnWorkers. A worker loads this file's own bundle,
// dist/cli/sweep-worker.js (scripts/build.mjs builds it beside the CLI): the CLI's bundle would also do, but
// it imports vega, vega-lite and resvg, a second or more of start-up per worker before the first step, which
// is serial time that 1 and 2 workers pay alike. From TypeScript sources (tests, tsx) it loads this file
// through tsx.

type ToWorker = { type: 'task'; task: RunTask } | { type: 'stop' };
type FromWorker =
  | { type: 'progress'; id: number; epochs: number }
  | { type: 'result'; outcome: RunOutcome }
  | { type: 'error'; id: number; message: string };

const MARK = 'torchletRuns';
/** A worker reports progress every this many epochs of a task, and at its end. */
const PROGRESS_EVERY = 5;

if (!isMainThread && parentPort !== null && (workerData as Record<string, unknown> | null)?.[MARK] === true) {
  const port = parentPort;
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'stop') {
      port.close();
      return;
    }
    const { task } = msg;
    try {
      let last = 0;
      const end = Math.max(...task.evalAt);
      const outcome = runTask(task, (e) => {
        if (e - last >= PROGRESS_EVERY || e === end) {
          port.postMessage({ type: 'progress', id: task.id, epochs: e } satisfies FromWorker);
          last = e;
        }
      });
      port.postMessage({ type: 'result', outcome } satisfies FromWorker);
    } catch (err) {
      port.postMessage({ type: 'error', id: task.id, message: err instanceof Error ? err.message : String(err) } satisfies FromWorker);
    }
  });
}

export function defaultWorkerCount(): number {
  return availableParallelism();
}

/** The worker's bundle, named here so that a larger bundle containing this file can find it. */
const WORKER_BUNDLE = 'sweep-worker.js';

/**
 * The script a worker runs: this file when it is a file of its own (sources, or the worker bundle), else the
 * worker bundle in dist/cli/ (this file is then inside dist/cli/main.js or dist/bench/run.js), else — a build
 * without it — the bundle this file is in, which serves tasks too but loads the whole CLI.
 */
export function workerScript(): URL {
  const here = new URL(import.meta.url);
  if (here.pathname.endsWith('.ts') || here.pathname.endsWith(`/${WORKER_BUNDLE}`)) return here;
  const bundle = new URL(`../cli/${WORKER_BUNDLE}`, here);
  return existsSync(fileURLToPath(bundle)) ? bundle : here;
}

function spawn(): Worker {
  const url = workerScript();
  const data = { [MARK]: true };
  if (url.pathname.endsWith('.ts')) {
    // Running from sources (vitest, tsx): let tsx compile this file inside the worker.
    const href = JSON.stringify(url.href);
    const tsx = JSON.stringify(tsxApi());
    return new Worker(`import(${tsx}).then((m) => m.tsImport(${href}, ${href}))`, { eval: true, workerData: data });
  }
  return new Worker(url, { workerData: data });
}

/** tsx's ESM API, resolved from this file (so the worker finds it whatever the current directory). */
function tsxApi(): string {
  try {
    const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
    const exportsField = (createRequire(import.meta.url)('tsx/package.json') as { exports: Record<string, { import: { default: string } }> }).exports;
    return pathToFileURL(join(dirname(pkg), exportsField['./esm/api'].import.default)).href;
  } catch {
    return 'tsx/esm/api';
  }
}

export interface WorkerRunOptions {
  /** Worker threads to use (default: os.availableParallelism(), at most one per task). */
  workers?: number;
  /** Called as epochs complete across all workers. */
  onProgress?: (epochsDone: number, total: number) => void;
}

/**
 * Epochs before the end of a task from which its worker is sent the next one (see runTasksOnWorkers): the
 * progress report that many epochs before the end, or, when the task stops early, its last.
 */
const HANDOFF_EPOCHS = PROGRESS_EVERY;

/** Optimiser steps a task takes: its longest epoch count times the steps in an epoch of 200 samples. */
function stepsOf(task: RunTask): number {
  return Math.max(...task.evalAt) * Math.ceil(200 / task.settings.batchSize);
}

/**
 * Runs every task on a pool of worker threads; the outcomes come back in task order. Tasks go out longest first
 * (so that the short ones fill in at the end rather than one long run finishing alone), and a worker is sent
 * its next task when it reports the last epochs of the current one: the task waits in the worker's queue, so
 * the worker goes on without waiting for this thread, which on a busy machine can take milliseconds to wake.
 */
export async function runTasksOnWorkers(tasks: readonly RunTask[], opts: WorkerRunOptions = {}): Promise<RunOutcome[]> {
  const count = Math.max(1, Math.min(opts.workers ?? defaultWorkerCount(), tasks.length));
  if (tasks.length === 0) return [];
  const total = totalEpochs(tasks);
  const byId = new Map(tasks.map((t) => [t.id, t]));
  // Stable: equal tasks keep the caller's order.
  const queue = tasks.map((t, i) => ({ t, i, steps: stepsOf(t) })).sort((a, b) => b.steps - a.steps || a.i - b.i).map((x) => x.t);
  const done = new Map<number, number>();
  let doneSum = 0;
  const results = new Map<number, RunOutcome>();
  let next = 0;
  const pool: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (err: Error) => {
        if (!failed) {
          failed = true;
          reject(err);
        }
      };
      for (let i = 0; i < count; i++) {
        const w = spawn();
        pool.push(w);
        /** Ids of the tasks sent to this worker and not yet finished, in the order it runs them. */
        const assigned: number[] = [];
        const feed = () => {
          if (failed || next >= queue.length) return;
          const task = queue[next++];
          assigned.push(task.id);
          w.postMessage({ type: 'task', task } satisfies ToWorker);
        };
        w.on('message', (msg: FromWorker) => {
          if (msg.type === 'progress') {
            doneSum += msg.epochs - (done.get(msg.id) ?? 0);
            done.set(msg.id, msg.epochs);
            opts.onProgress?.(doneSum, total);
            const task = byId.get(msg.id);
            if (assigned.length === 1 && task !== undefined && msg.epochs >= Math.max(...task.evalAt) - HANDOFF_EPOCHS) feed();
          } else if (msg.type === 'result') {
            results.set(msg.outcome.id, msg.outcome);
            const k = assigned.indexOf(msg.outcome.id);
            if (k >= 0) assigned.splice(k, 1);
            if (assigned.length === 0) feed();
            if (results.size === tasks.length) resolve();
          } else {
            fail(new Error(`run ${msg.id} failed in a worker: ${msg.message}`));
          }
        });
        w.on('error', (err) => fail(err));
        w.on('exit', (code) => {
          if (code !== 0 && results.size < tasks.length) fail(new Error(`a worker thread exited with code ${code}`));
        });
        feed();
      }
    });
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return tasks.map((t) => results.get(t.id) as RunOutcome);
}
