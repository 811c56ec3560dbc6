import type { AblationOptions, ZeroGradAblation } from '../../src/lab/ablate.js';
import type { RunOutcome, RunTask } from '../../src/lab/sweep.js';
import { poolSize, WorkerPool } from './pool.js';

// The jobs the lab workers run (the lab's pure functions: sweep/atlas runs and the zero_grad ablation), and the
// page's one shared pool of workers for them.

export type LabJob =
  /** One sweep/atlas run: the lab's runTask. Progress: { epochs } done. */
  | { kind: 'run'; task: RunTask }
  /** The lab's ablateZeroGrad. Progress: { run, epochs } done. */
  | { kind: 'ablate'; options: Omit<AblationOptions, 'onEpoch'> };

export type LabResult<J extends LabJob> = J extends { kind: 'run' } ? RunOutcome : ZeroGradAblation;
export interface RunProgress { epochs: number }
export interface AblateProgress { run: 0 | 1; epochs: number }

let pool: WorkerPool<LabJob> | null = null;

/** The pool, started on first use (the page does not spawn workers for experiments nobody runs). */
export function labPool(): WorkerPool<LabJob> {
  pool ??= new WorkerPool<LabJob>(poolSize(), () => new Worker(new URL('./lab-worker.ts', import.meta.url), { type: 'module', name: 'lab' }));
  return pool;
}
