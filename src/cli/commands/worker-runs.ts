import { runTasksOnWorkers } from '../../lab/sweep-worker.js';
import type { RunOutcome, RunTask } from '../../lab/sweep.js';
import { createRunProgress } from '../render/run-progress.js';

/**
 * Training runs on worker threads, with a progress bar of their epochs on a terminal (sweep and atlas): the
 * outcomes, in task order, and the wall seconds they took.
 */
export async function runOnWorkersWithProgress(
  tasks: readonly RunTask[], workers: number, progressOptions: { enabled: boolean; label: string },
): Promise<{ outcomes: RunOutcome[]; seconds: number }> {
  // each run trains to its last evaluation point
  const progress = createRunProgress(tasks.reduce((s, t) => s + Math.max(...t.evalAt), 0), progressOptions);
  const start = performance.now();
  try {
    const outcomes = await runTasksOnWorkers(tasks, { workers, onProgress: (done) => progress.update(done) });
    return { outcomes, seconds: (performance.now() - start) / 1000 };
  } finally {
    progress.stop();
  }
}
