import type { Weights } from '../../src/lab/model.js';
import type { CurvePoint, TrainConfig } from '../../src/lab/train.js';
import { poolSize, WorkerPool } from './pool.js';

// The jobs the lab workers run, and the page's one shared pool of them.

export type LabJob =
  | { kind: 'train'; config: TrainConfig };

export interface TrainJobResult { curve: CurvePoint[]; predictions: number[]; final: Weights; init: Weights; seconds: number }
export interface TrainJobProgress { epoch: number; curve: CurvePoint[] }

let pool: WorkerPool<LabJob> | null = null;

/** The pool, started on first use (the page does not spawn workers for experiments nobody runs). */
export function labPool(): WorkerPool<LabJob> {
  pool ??= new WorkerPool<LabJob>(poolSize(), () => new Worker(new URL('./lab-worker.ts', import.meta.url), { type: 'module', name: 'lab' }));
  return pool;
}
