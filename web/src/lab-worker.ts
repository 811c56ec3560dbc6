/// <reference lib="webworker" />
import { ablateZeroGrad } from '../../src/lab/ablate.js';
import { runTask } from '../../src/lab/sweep.js';
import type { LabJob } from './lab-jobs.js';

// A worker of the lab pool: runs one job at a time with the library's lab code and posts its result, and
// progress at most every PROGRESS_MS.

const PROGRESS_MS = 100;
const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = (e: MessageEvent<{ id: number; job: LabJob }>) => {
  const { id, job } = e.data;
  let last = performance.now();
  const progress = (payload: object) => {
    const now = performance.now();
    if (now - last < PROGRESS_MS) return;
    last = now;
    scope.postMessage({ id, kind: 'progress', payload });
  };
  try {
    let payload: unknown;
    switch (job.kind) {
      case 'run':
        payload = runTask(job.task, (epochs) => progress({ epochs }));
        break;
      case 'ablate':
        payload = ablateZeroGrad({ ...job.options, onEpoch: (run, epochs) => progress({ run, epochs }) });
        break;
    }
    scope.postMessage({ id, kind: 'result', payload });
  } catch (err) {
    scope.postMessage({ id, kind: 'error', payload: err instanceof Error ? err.message : String(err) });
  }
};
