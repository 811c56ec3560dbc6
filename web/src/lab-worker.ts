/// <reference lib="webworker" />
import { Trainer, type TrainConfig } from '../../src/lab/train.js';
import type { LabJob, TrainJobResult } from './lab-jobs.js';

// A worker of the pool: runs one batch job at a time with the library's lab code and posts its result
// (and, for long jobs, progress every PROGRESS_MS).

const PROGRESS_MS = 100;
const scope = self as unknown as DedicatedWorkerGlobalScope;

function trainJob(id: number, config: TrainConfig): TrainJobResult {
  let last = performance.now();
  const trainer = new Trainer(config, (e) => {
    if (e.type !== 'epoch' || !e.recorded) return;
    const now = performance.now();
    if (now - last < PROGRESS_MS) return;
    last = now;
    scope.postMessage({ id, kind: 'progress', payload: { epoch: e.epoch, curve: trainer.curve.slice() } });
  });
  const r = trainer.run();
  return { curve: r.curve, predictions: r.predictions, final: r.final, init: r.init, seconds: r.seconds };
}

scope.onmessage = (e: MessageEvent<{ id: number; job: LabJob }>) => {
  const { id, job } = e.data;
  try {
    let payload: unknown;
    switch (job.kind) {
      case 'train':
        payload = trainJob(id, job.config);
        break;
    }
    scope.postMessage({ id, kind: 'result', payload });
  } catch (err) {
    scope.postMessage({ id, kind: 'error', payload: err instanceof Error ? err.message : String(err) });
  }
};
