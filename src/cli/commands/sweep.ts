import { Command, InvalidArgumentError, Option } from 'commander';
import { heatmapSpec } from '../../charts/specs.js';
import { writeFileAtomic } from '../../io/files.js';
import { defaultWorkerCount } from '../../lab/sweep-worker.js';
import { type SweepConfig, type SweepResult, summarizeSweep, sweepTasks } from '../../lab/sweep.js';
import { OPTIMIZER_NAMES, type OptimizerName } from '../../lab/train.js';
import type { Io } from '../errors.js';
import { parseChoice, parseInteger, parseIntegerList, parseNumberList } from '../options.js';
import { optimizerTitle, pct, plural } from '../render/lab-format.js';
import { checkOutputFile } from '../render/output-files.js';
import { writePlot } from '../render/plot-file.js';
import { formatTable } from '../render/table.js';
import { HELD_OUT_HELP } from './ablate.js';
import { runOnWorkersWithProgress } from './worker-runs.js';

export interface SweepOptions {
  lr: number[];
  epochs: number[];
  seeds: number[];
  optimizer: OptimizerName;
  shuffle: boolean;
  batchSize: number;
  json?: string;
  plot?: string;
  workers?: number;
  quiet?: boolean;
}

/** Epoch counts: integers ≥ 1, ranges allowed. */
export function parseEpochList(value: string): number[] {
  const list = parseIntegerList(value);
  const bad = list.find((e) => e < 1);
  if (bad !== undefined) throw new InvalidArgumentError(`epoch counts must be at least 1, got ${bad}.`);
  return [...new Set(list)].sort((a, b) => a - b);
}

export function sweepJson(r: SweepResult, extra: { seconds: number; workers: number }): object {
  return {
    about: 'torchlet sweep: for each learning rate × epoch count, the fraction of seeds whose model reaches the held-out accuracy threshold. ' +
      'Each (lr, seed) is trained once to the largest epoch count and evaluated after each requested count.',
    heldOut: HELD_OUT_HELP,
    config: r.config,
    threshold: r.threshold,
    cells: r.cells,
    runs: r.runs.map((o) => ({ seed: o.seed, lr: o.settings.lr, evaluations: o.evaluations, diverged: o.diverged ?? null })),
    seconds: extra.seconds,
    workers: extra.workers,
  };
}

export async function runSweepCommand(o: SweepOptions, io: Io): Promise<number> {
  if (o.json) checkOutputFile(o.json, 'json');
  if (o.plot) checkOutputFile(o.plot, 'plot');
  const config: SweepConfig = {
    lrs: [...new Set(o.lr)], epochs: o.epochs, seeds: [...new Set(o.seeds)], optimizer: o.optimizer, shuffle: o.shuffle, batchSize: o.batchSize,
  };
  const tasks = sweepTasks(config);
  const workers = Math.min(o.workers ?? defaultWorkerCount(), tasks.length);
  const quiet = o.quiet ?? false;
  if (!quiet) {
    io.out(`sweep: ${optimizerTitle(o.optimizer)}, lr ∈ {${config.lrs.join(', ')}} × epochs ∈ {${config.epochs.join(', ')}}, ` +
      `${plural(config.seeds.length, 'seed', 'seeds')}${o.shuffle ? ', shuffled' : ''}${o.batchSize > 1 ? `, batch size ${o.batchSize}` : ''}: ` +
      `${plural(tasks.length, 'training run', 'training runs')} of ${Math.max(...config.epochs)} epochs on ${plural(workers, 'worker thread', 'worker threads')}`);
  }
  const { outcomes, seconds } = await runOnWorkersWithProgress(tasks, workers, { enabled: io.isTTY && !quiet, label: 'sweep' });
  const result = summarizeSweep(config, outcomes);
  const header = ['lr \\ epochs', ...config.epochs.map(String)];
  const rows = config.lrs.map((lr) => [String(lr), ...config.epochs.map((e) => {
    const c = result.cells.find((x) => x.lr === lr && x.epochs === e);
    return c ? `${c.learned}/${c.runs} ${pct(c.fraction, 0).padStart(4)}${c.diverged ? ` (${c.diverged} diverged)` : ''}` : '';
  })]);
  io.out('');
  io.out(`fraction of seeds reaching held-out accuracy ≥ ${result.threshold}:`);
  io.out(formatTable(header, rows, { align: header.map((_, i) => (i === 0 ? 'l' : 'r')) }));
  const best = [...result.cells].sort((a, b) => b.fraction - a.fraction || a.epochs - b.epochs)[0];
  if (best) io.out(`best: lr ${best.lr} with ${best.epochs} epochs, ${best.learned}/${best.runs} seeds learn (mean held-out accuracy ${pct(best.meanAccuracy)}).`);
  io.out(`${plural(tasks.length, 'run', 'runs')} in ${seconds.toFixed(1)} s on ${plural(workers, 'worker', 'workers')}.`);
  if (o.json) {
    await writeFileAtomic(o.json, `${JSON.stringify(sweepJson(result, { seconds, workers }), null, 1)}\n`);
    io.out(`wrote ${o.json}`);
  }
  if (o.plot) {
    await writePlot(heatmapSpec(result.cells.map((c) => ({ row: String(c.lr), col: String(c.epochs), value: c.fraction })), {
      rowTitle: 'learning rate', colTitle: 'epochs', valueTitle: `learned (accuracy ≥ ${result.threshold})`,
      title: `${optimizerTitle(o.optimizer)}${o.shuffle ? ', shuffled' : ''}: how often training learns (${config.seeds.length} seeds per cell)`,
      domain: [0, 1],
    }), o.plot);
    io.out(`plotted ${o.plot}`);
  }
  return 0;
}

export function sweepCommand(io: Io): Command {
  return new Command('sweep')
    .description('for each learning rate × epoch count, the fraction of seeds whose model learns (held-out accuracy ≥ 0.9), on all cores')
    .addOption(new Option('--lr <list>', 'learning rates, comma-separated').argParser(parseNumberList).default([0.05, 0.1, 0.5, 1, 2], '0.05,0.1,0.5,1,2'))
    .addOption(new Option('--epochs <list>', 'epoch counts, comma-separated (each run trains to the largest and is evaluated at every one)')
      .argParser(parseEpochList).default([20, 50, 100, 200], '20,50,100,200'))
    .addOption(new Option('--seeds <list>', 'seeds: 0..19, or 0,3,5, or 0..4,10').argParser(parseIntegerList).default(Array.from({ length: 20 }, (_, i) => i), '0..19'))
    .option('--optimizer <name>', `optimiser: ${OPTIMIZER_NAMES.join('|')}`, parseChoice(OPTIMIZER_NAMES), 'adadelta')
    .option('--shuffle', 'visit the samples in a new random order each epoch', false)
    .option('--batch-size <n>', 'samples per optimiser step', parseInteger(1), 1)
    .option('--workers <n>', `worker threads (default: all cores, here ${defaultWorkerCount()})`, parseInteger(1))
    .option('--json <file>', 'write the grid and every run\'s held-out accuracies as JSON')
    .option('--plot <file>', 'draw the grid as a heatmap (.svg or .png)')
    .option('--quiet', 'print only the table', false)
    .addHelpText('after', `\n${HELD_OUT_HELP}`)
    .action(async (opts: SweepOptions) => {
      process.exitCode = await runSweepCommand(opts, io);
    });
}
