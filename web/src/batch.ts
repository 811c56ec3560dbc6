import type { RunOutcome, RunTask } from '../../src/lab/sweep.js';
import { totalEpochs } from '../../src/lab/sweep.js';
import type { RunProgress } from './lab-jobs.js';
import { labPool } from './lab-jobs.js';

export interface BatchStatus {
  epochsDone: number;
  epochsTotal: number;
  runsDone: number;
  runsTotal: number;
  elapsedMs: number;
  errors: string[];
  finished: boolean;
}

/**
 * Many lab runs (sweep or atlas tasks) spread over the lab workers. `update` is called on each message (the
 * caller renders on the next frame); `finish` once with every outcome, unless cancelled.
 */
export class Batch {
  private ids: number[] = [];
  private readonly progress = new Map<number, number>();
  private readonly outcomes: RunOutcome[] = [];
  private readonly started = performance.now();
  private cancelled = false;
  readonly status: BatchStatus;

  constructor(tasks: RunTask[], private readonly update: (s: BatchStatus) => void, private readonly finish: (outcomes: RunOutcome[]) => void) {
    this.status = { epochsDone: 0, epochsTotal: totalEpochs(tasks), runsDone: 0, runsTotal: tasks.length, elapsedMs: 0, errors: [], finished: false };
    const pool = labPool();
    this.ids = tasks.map((task) => pool.submit({ kind: 'run', task }, (msg) => {
      if (this.cancelled) return;
      if (msg.kind === 'progress') {
        this.progress.set(task.id, (msg.payload as RunProgress).epochs);
      } else {
        this.progress.set(task.id, Math.max(...task.evalAt));
        this.status.runsDone++;
        if (msg.kind === 'result') this.outcomes.push(msg.payload as RunOutcome);
        else this.status.errors.push(`seed ${task.seed}: ${String(msg.payload)}`);
      }
      let done = 0;
      for (const e of this.progress.values()) done += e;
      this.status.epochsDone = done;
      this.status.elapsedMs = performance.now() - this.started;
      if (this.status.runsDone === this.status.runsTotal) {
        this.status.finished = true;
        if (this.status.errors.length === 0) this.finish(this.outcomes);
      }
      this.update(this.status);
    }));
    this.update(this.status);
  }

  cancel(): void {
    this.cancelled = true;
    labPool().cancel(this.ids);
  }
}

/** "12 of 40 runs · 35 % · about 20 s left". */
export function describeProgress(s: BatchStatus): string {
  const frac = s.epochsTotal ? s.epochsDone / s.epochsTotal : 0;
  const left = frac > 0.02 && !s.finished ? ` · about ${Math.ceil((s.elapsedMs * (1 - frac)) / frac / 1000)} s left` : '';
  const time = s.finished ? ` in ${(s.elapsedMs / 1000).toFixed(1)} s on ${labPool().size} workers` : '';
  return `${s.runsDone} of ${s.runsTotal} runs · ${Math.round(100 * frac)} %${left}${time}`;
}
