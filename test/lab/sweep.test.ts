import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { runTasksOnWorkers, workerScript } from '../../src/lab/sweep-worker.js';
import { type RunOutcome, type RunTask, runTask, runTasks, type SweepConfig, summarizeSweep, sweepTasks, TUTORIAL_SETTINGS } from '../../src/lab/sweep.js';
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

  // Tasks of different lengths (the pool sends the longest first and hands a worker its next task before it
  // finishes the current one), one that diverges (it stops early), in an order that is not the pool's.
  const MIXED: RunTask[] = [
    { id: 0, seed: 0, settings: { ...TUTORIAL_SETTINGS, batchSize: 10 }, evalAt: [4] },
    { id: 1, seed: 1, settings: TUTORIAL_SETTINGS, evalAt: [1, 3] },
    { id: 2, seed: 2, settings: { ...TUTORIAL_SETTINGS, optimizer: 'sgd', lr: 1e300 }, evalAt: [12] },
    { id: 3, seed: 3, settings: TUTORIAL_SETTINGS, evalAt: [2] },
    { id: 4, seed: 4, settings: { ...TUTORIAL_SETTINGS, shuffle: true }, evalAt: [7] },
  ];
  const strip = (os: readonly RunOutcome[]) => os.map((o) => ({ ...o, seconds: 0 }));

  it('tasks of mixed lengths: outcomes in task order, as in this thread, and progress adds up to the total', async () => {
    const local = strip(runTasks(MIXED));
    expect(local[2].diverged?.epoch).toBe(0);
    for (const workers of [1, 2]) {
      let last = 0;
      const got = await runTasksOnWorkers(MIXED, { workers, onProgress: (done, total) => {
        expect(total).toBe(4 + 3 + 12 + 2 + 7);
        expect(done).toBeGreaterThanOrEqual(last);
        last = done;
      } });
      expect(strip(got), `${workers} workers`).toEqual(local);
      expect(last).toBe(28);
    }
  });

  it('from sources a worker loads this file; inside a bundle, the worker bundle beside the CLI', async () => {
    expect(fileURLToPath(workerScript())).toBe(fileURLToPath(new URL('../../src/lab/sweep-worker.ts', import.meta.url)));
    // A bundle laid out as dist/ is: dist/cli/sweep-worker.js, and another bundle holding the pool (as the CLI's
    // main.js and the bench's run.js do) in a sibling folder.
    const dir = mkdtempSync(join(tmpdir(), 'torchlet-workers-'));
    try {
      const source = fileURLToPath(new URL('../../src/lab/sweep-worker.ts', import.meta.url));
      const common = { bundle: true, platform: 'node', format: 'esm', logLevel: 'silent' } as const;
      await build({ ...common, entryPoints: [source], outfile: join(dir, 'cli', 'sweep-worker.js') });
      await build({ ...common, stdin: { contents: `export * from ${JSON.stringify(source)};`, resolveDir: dir }, outfile: join(dir, 'host', 'main.js') });
      const host = (await import(pathToFileURL(join(dir, 'host', 'main.js')).href)) as typeof import('../../src/lab/sweep-worker.js');
      expect(fileURLToPath(host.workerScript())).toBe(join(dir, 'cli', 'sweep-worker.js'));
      expect(strip(await host.runTasksOnWorkers(MIXED.slice(0, 2), { workers: 2 }))).toEqual(strip(runTasks(MIXED.slice(0, 2))));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a worker failure is reported, not hung on', async () => {
    await expect(runTasksOnWorkers([{ id: 0, seed: 0, settings: TUTORIAL_SETTINGS, evalAt: [0] }], { workers: 1 }))
      .rejects.toThrow(/epoch counts must be positive integers/);
  });
});
