import { Command } from 'commander';
import { lossCurveSpec } from '../../charts/specs.js';
import { saveStateDict, writeFileAtomic } from '../../io/files.js';
import { TEST_MATRICES } from '../../lab/data.js';
import { OPTIMIZER_NAMES, type OptimizerName, type TrainConfig, type TrainResult, Trainer } from '../../lab/train.js';
import { tensor } from '../../tensor/creation.js';
import { type Io, UsageError } from '../errors.js';

import { parseChoice, parseInteger, parsePositiveNumber, parseSeed } from '../options.js';
import { plotFormat, writePlot } from '../render/plot-file.js';
import { createProgress } from '../render/progress.js';
import { terminalLossChart } from '../render/terminal-chart.js';

export interface TrainOptions {
  seed: number | bigint;
  epochs: number;
  lr: number;
  optimizer: OptimizerName;
  zeroGrad: boolean;
  json?: string;
  plot?: string;
  logScale?: boolean;
  save?: string;
  quiet?: boolean;
  shuffle?: boolean;
  batchSize: number;
  every: number;
}

export function addTrainOptions(cmd: Command): Command {
  return cmd
    .option('--seed <n>', 'manual_seed for the run (0 … 2^64-1)', parseSeed, 0)
    .option('--epochs <n>', 'epochs', parseInteger(1), 200)
    .option('--lr <x>', 'learning rate', parsePositiveNumber, 0.5)
    .option('--optimizer <name>', `optimiser: ${OPTIMIZER_NAMES.join('|')}`, parseChoice(OPTIMIZER_NAMES), 'adadelta')
    .option('--no-zero-grad', 'skip optimizer.zeroGrad(): gradients accumulate across steps')
    .option('--shuffle', 'visit the samples in a new random order each epoch (beyond the tutorial)', false)
    .option('--batch-size <n>', 'samples per optimiser step (beyond the tutorial)', parseInteger(1), 1)
    .option('--every <n>', 'record the loss curve every n epochs', parseInteger(1), 5);
}

/** The JSON the CLI writes with --json: the run's config, weights, curve and predictions. */
export function resultJson(result: TrainResult): object {
  const c = result.config;
  return {
    seed: typeof c.seed === 'bigint' ? c.seed.toString() : c.seed,
    epochs: c.epochs,
    lr: c.lr,
    optimizer: c.optimizer,
    zeroGrad: c.zeroGrad,
    shuffle: c.shuffle,
    batchSize: c.batchSize,
    init: result.init,
    final: result.final,
    curve: result.curve,
    predictions: result.predictions,
    testMatrices: TEST_MATRICES,
    snapshots: result.snapshots.map((s) => ({ epoch: s.epoch, weights: s.weights })),
    seconds: result.seconds,
  };
}

export function configFromOptions(o: TrainOptions): Partial<TrainConfig> {
  return {
    seed: o.seed, epochs: o.epochs, lr: o.lr, optimizer: o.optimizer, zeroGrad: o.zeroGrad,
    shuffle: o.shuffle ?? false, batchSize: o.batchSize, every: o.every,
  };
}

export async function runTrain(o: TrainOptions, io: Io): Promise<number> {
  const quiet = o.quiet ?? false;
  const config = configFromOptions(o);
  // Refuse bad output names before spending the training run on them.
  if (o.plot) plotFormat(o.plot);
  if (o.save && !/\.(safetensors|json)$/i.test(o.save)) {
    throw new UsageError(`cannot save weights to '${o.save}': use a name ending in .safetensors or .json`);
  }
  const progress = createProgress(o.epochs, { enabled: !quiet && io.isTTY, label: 'epochs' });
  if (!quiet) {
    io.out(
      `torchlet: Conv2d(1,1,2) → LeakyReLU → Conv2d(1,1,2) → Sigmoid, BCELoss, ${o.optimizer}(lr=${o.lr}), ` +
        `${o.epochs} epochs, seed ${o.seed}${o.zeroGrad ? '' : ', without zero_grad()'}`,
    );
  }
  const trainer = new Trainer(config, (e) => {
    if (e.type === 'epoch') progress.update(e.epoch + 1, { lossTrue: e.lossTrue.toPrecision(3), lossFalse: e.lossFalse.toPrecision(3) });
    if (e.type === 'snapshot' && !quiet) {
      progress.stop();
      io.out(e.text);
    }
  });
  let result: TrainResult;
  try {
    result = trainer.run();
  } finally {
    progress.stop();
  }
  if (!quiet) {
    io.out('');
    io.out(terminalLossChart(result.curve, { color: io.isTTY }));
    io.out('');
  }
  // As the original prints cnn(x) for its four matrices: with the graph, hence grad_fn.
  for (const m of TEST_MATRICES) {
    io.out(result.model.call(tensor([[m.map((row) => [...row])]])).toString());
  }
  if (o.json) await writeFileAtomic(o.json, `${JSON.stringify(resultJson(result), null, 1)}\n`);
  if (o.plot) {
    await writePlot(lossCurveSpec(result.curve, { logScale: o.logScale ?? false, title: `loss_true (blue) and loss_false (red), seed ${o.seed}` }), o.plot);
  }
  if (o.save) await saveStateDict(result.model.stateDict(), o.save);
  if (!quiet) {
    io.out(`\ntrained ${result.config.epochs} epochs in ${result.seconds.toFixed(2)} s` +
      `${o.json ? `; wrote ${o.json}` : ''}${o.plot ? `; plotted ${o.plot}` : ''}${o.save ? `; saved ${o.save}` : ''}`);
  }
  return 0;
}

export function trainCommand(io: Io): Command {
  const cmd = new Command('train').description('run the tutorial: train the CNN and print what the original prints');
  addTrainOptions(cmd)
    .option('--json <file>', 'write the run (config, init and final weights, curve, predictions) as JSON')
    .option('--plot <file>', "draw the tutorial's loss figure (.svg or .png)")
    .option('--log-scale', 'log scale for the plot', false)
    .option('--save <file>', 'save the trained state_dict (.safetensors or .json)')
    .option('--quiet', 'print only the four predictions', false)
    .action(async (opts: TrainOptions) => {
      process.exitCode = await runTrain(opts, io);
    });
  return cmd;
}
