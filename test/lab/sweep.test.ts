import { describe, expect, it } from 'vitest';
import { runTasksOnWorkers } from '../../src/lab/sweep-worker.js';
import { runTask, runTasks, type SweepConfig, summarizeSweep, sweepTasks, TUTORIAL_SETTINGS } from '../../src/lab/sweep.js';
import { evaluateHeldOut } from '../../src/lab/evaluate.js';
import { Trainer } from '../../src/lab/train.js';

const GRID: SweepConfig = { lrs: [0.5, 2], epochs: [1, 3], seeds: [0, 1, 2], optimizer: 'adadelta', shuffle: false, batchSize: 1 };

describe('sweep', () => {
  it('evaluating along the way equals separate shorter runs', () => {
    const along = runTask({ id: 0, seed: 3, settings: TUTORIAL_SETTINGS, evalAt: [2, 4] });
    const two = new Trainer({ seed: 3, epochs: 2 }).run().model;
    expect(along.evaluations[0].accuracy).toBe(evaluateHeldOut(two).accuracy);
    const four = new Trainer({ seed: 3, epochs: 4 }).run();
    expect(along.evaluations[1].accuracy).toBe(evaluateHeldOut(four.model).accuracy);
    expect(along.finalWeights).toEqual([...four.final['model.0.weight'], ...four.final['model.0.bias'], ...four.final['model.2.weight'], ...four.final['model.2.bias']]);
  });

  it('the same fractions in this thread and on 1 and 2 worker threads', async () => {
    const tasks = sweepTasks(GRID);
    const local = summarizeSweep(GRID, runTasks(tasks));
    let last = 0;
    const one = summarizeSweep(GRID, await runTasksOnWorkers(tasks, { workers: 1 }));
    const two = summarizeSweep(GRID, await runTasksOnWorkers(tasks, { workers: 2, onProgress: (done, total) => {
      expect(done).toBeGreaterThanOrEqual(last);
      expect(total).toBe(6 * 3);
      last = done;
    } }));
    expect(last).toBe(18);
    const strip = (r: typeof local) => ({ cells: r.cells, runs: r.runs.map((o) => ({ ...o, seconds: 0 })) });
    expect(strip(one)).toEqual(strip(local));
    expect(strip(two)).toEqual(strip(local));
    expect(local.cells).toHaveLength(4);
    for (const c of local.cells) {
      expect(c.runs).toBe(3);
      expect(c.fraction).toBe(c.learned / 3);
    }
  });

  it('a worker failure is reported, not hung on', async () => {
    await expect(runTasksOnWorkers([{ id: 0, seed: 0, settings: TUTORIAL_SETTINGS, evalAt: [0] }], { workers: 1 }))
      .rejects.toThrow(/epoch counts must be positive integers/);
  });
});
