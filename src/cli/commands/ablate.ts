import { Command } from 'commander';
import { compareCurvesSpec, lineSpec } from '../../charts/specs.js';
import { pyFloat } from '../../format/py-format.js';
import { ablateZeroGrad, type AblationRun, type ZeroGradAblation } from '../../lab/ablate.js';
import { OPTIMIZER_NAMES, type OptimizerName } from '../../lab/train.js';
import { type Io, UsageError } from '../errors.js';
import { parseChoice, parseInteger, parsePositiveNumber, parseSeed } from '../options.js';
import { matrixText, num, optimizerTitle, pct } from '../render/lab-format.js';
import { checkOutputFile } from '../render/output-files.js';
import { writePlot } from '../render/plot-file.js';
import { createRunProgress } from '../render/run-progress.js';
import { formatTable } from '../render/table.js';
import { resample, sparkline } from '../render/terminal-chart.js';

export interface AblateOptions {
  seed: number | bigint;
  epochs: number;
  lr: number;
  optimizer: OptimizerName;
  plot?: string;
  gradPlot?: string;
  logScale?: boolean;
}

export const HELD_OUT_HELP =
  'Held-out data: makeHeldOutSet() — 500 constant matrices (values uniform in [-50, 50)) and 500 random ones ' +
  '(each element uniform in [-50, 50)), drawn from their own generator seeded with 20240601, independent of the ' +
  'training seed; the same 1000 matrices for every run. A run "learns" when its held-out accuracy (output > 0.5 ' +
  'means "all equal") is at least 0.9.';

/** Epochs shown in the gradient table: the first few, then spread out to the last. */
function shownEpochs(n: number): number[] {
  const picks = [0, 1, 2, 5, 10, 20, 50, 100, 150, n - 1].filter((e) => e >= 0 && e < n);
  return [...new Set(picks)];
}

function verdictLines(a: ZeroGradAblation): string[] {
  const w = a.withZeroGrad, wo = a.withoutZeroGrad, v = a.verdict;
  const accW = pct(w.accuracy), accWo = wo.diverged ? `diverged (${wo.diverged.message})` : pct(wo.accuracy);
  const head = {
    needed: `zero_grad() is needed here: with it the run learns (held-out accuracy ${accW}), without it it does not (${accWo}).`,
    both: `both runs learn (${accW} with zero_grad, ${accWo} without): for this seed the accumulated gradient still pointed somewhere useful.`,
    neither: `neither run learns (${accW} with zero_grad, ${accWo} without): this seed fails either way, so zero_grad() is not what decides it.`,
    'without-only': `only the run without zero_grad learns (${accWo}, against ${accW} with it): for this seed the accumulated sum happened to help.`,
  }[v.kind];
  const first = wo.gradNorms[0], last = wo.gradNorms[wo.gradNorms.length - 1];
  const lines = [head];
  if (first && last) {
    lines.push(`Without zero_grad, .grad is the sum of every gradient since the first step: the norm step() used averaged ${num(first.used)} ` +
      `in epoch 0 and ${num(last.used)} in epoch ${last.epoch} (×${num(v.growthWithout, 3)}; with zero_grad ×${num(v.growthWith, 3)}).`);
    lines.push(last.perSample === 0
      ? `By the end each sample's own gradient was exactly 0 (the outputs had saturated), yet every step still moved the weights along the frozen sum: ‖w‖ went from ${num(first.weightNorm)} to ${num(last.weightNorm)}.`
      : `In the last epoch that sum was ${num(v.accumulationRatio, 3)}× the size of the sample's own gradient: steps follow the history, not the sample.`);
  }
  lines.push(`${v.verdictsChanged} of the tutorial's four matrices ${v.verdictsChanged === 1 ? 'gets' : 'get'} a different verdict without zero_grad; held-out accuracy changes by ${v.accuracyDrop >= 0 ? '-' : '+'}${num(Math.abs(v.accuracyDrop) * 100, 3)} points.`);
  return lines;
}

function runColumn(r: AblationRun): string[] {
  return [
    r.diverged ? 'diverged' : pct(r.accuracy),
    r.diverged ? '' : pct(r.accuracyConstant),
    r.diverged ? '' : pct(r.accuracyRandom),
    num(r.curve[r.curve.length - 1]?.lossTrue ?? NaN),
    num(r.curve[r.curve.length - 1]?.lossFalse ?? NaN),
    `${r.seconds.toFixed(2)} s`,
  ];
}

export async function runAblate(what: string, o: AblateOptions, io: Io): Promise<number> {
  if (what !== 'zero-grad') throw new UsageError(`unknown ablation '${what}' (available: zero-grad)`);
  if (o.plot) checkOutputFile(o.plot, 'plot');
  if (o.gradPlot) checkOutputFile(o.gradPlot, 'plot');
  io.out(`ablate zero-grad: seed ${o.seed}, ${optimizerTitle(o.optimizer)}(lr=${pyFloat(o.lr)}), ${o.epochs} epochs, trained twice: with optimizer.zeroGrad() before each backward() and without`);
  const progress = createRunProgress(2 * o.epochs, { enabled: io.isTTY, label: 'ablate' });
  let a: ZeroGradAblation;
  try {
    a = ablateZeroGrad({ seed: o.seed, epochs: o.epochs, lr: o.lr, optimizer: o.optimizer, onEpoch: (run, e) => progress.update(run * o.epochs + e) });
  } finally {
    progress.stop();
  }
  const w = a.withZeroGrad, wo = a.withoutZeroGrad;
  io.out('');
  const cw = runColumn(w), cwo = runColumn(wo);
  io.out(formatTable(['', 'with zero_grad', 'without'], [
    ['held-out accuracy', cw[0], cwo[0]],
    ['  on constant matrices', cw[1], cwo[1]],
    ['  on random matrices', cw[2], cwo[2]],
    ['last loss_true', cw[3], cwo[3]],
    ['last loss_false', cw[4], cwo[4]],
    ['training time', cw[5], cwo[5]],
  ], { align: ['l', 'r', 'r'] }));
  io.out('');
  io.out("the tutorial's four matrices:");
  io.out(formatTable(['matrix', 'with zero_grad', 'without'], w.predictions.map((p, i) => {
    const q = wo.predictions[i];
    return [matrixText(p.matrix), `${num(p.probability)} ${p.verdict}`, `${num(q.probability)} ${q.verdict}`];
  }), { align: ['l', 'r', 'r'] }));
  io.out('');
  io.out('the gradient optimizer.step() used (mean ‖.grad‖ over each epoch\'s steps), and each sample\'s own gradient:');
  const rows = shownEpochs(wo.gradNorms.length).map((e) => {
    const gw = w.gradNorms[e], g = wo.gradNorms[e];
    return [e, num(gw?.used ?? NaN), num(g?.used ?? NaN), num(g?.perSample ?? NaN), num(g?.weightNorm ?? NaN)];
  });
  io.out(formatTable(['epoch', 'with: ‖.grad‖', 'without: ‖.grad‖', "without: ‖sample's ∇‖", 'without: ‖w‖'], rows, { align: ['r', 'r', 'r', 'r', 'r'] }));
  io.out(`  with     ‖.grad‖ per epoch: ${sparkline(resample(w.gradNorms.map((g) => g.used), 60))}`);
  io.out(`  without  ‖.grad‖ per epoch: ${sparkline(resample(wo.gradNorms.map((g) => g.used), 60))}`);
  const firstSteps = Array.from(wo.stepNorms.used.slice(0, 8)).map((x) => num(x, 3));
  io.out(`  without zero_grad the first steps' ‖.grad‖: ${firstSteps.join(', ')}, … (each adds one sample's gradient to the sum)`);
  io.out('');
  for (const line of verdictLines(a)) io.out(line);
  if (o.plot) {
    await writePlot(compareCurvesSpec([
      { label: 'with zero_grad', points: w.curve },
      { label: 'without zero_grad', points: wo.curve },
    ], { title: `loss_true and loss_false with and without zero_grad, seed ${o.seed}`, logScale: o.logScale ?? false }), o.plot);
    io.out(`plotted the losses to ${o.plot}`);
  }
  if (o.gradPlot) {
    await writePlot(lineSpec(gradSeries(a), {
      xTitle: 'epoch', yTitle: 'mean gradient norm per step', logScale: true,
      title: `‖.grad‖ at optimizer.step() (mean per epoch), and without zero_grad each sample's own gradient, seed ${o.seed}`,
    }), o.gradPlot);
    io.out(`plotted the gradient norms to ${o.gradPlot}`);
  }
  return 0;
}

/** Per epoch: the mean ‖.grad‖ step() used with and without zero_grad, and the samples' own gradients without. */
function gradSeries(a: ZeroGradAblation) {
  const at = (runs: AblationRun, pick: (g: AblationRun['gradNorms'][number]) => number) => runs.gradNorms.map((g) => ({ x: g.epoch, y: pick(g) }));
  return [
    { label: 'with zero_grad', values: at(a.withZeroGrad, (g) => g.used) },
    { label: 'without: .grad', values: at(a.withoutZeroGrad, (g) => g.used) },
    { label: 'without: sample', values: at(a.withoutZeroGrad, (g) => g.perSample) },
  ];
}

export function ablateCommand(io: Io): Command {
  return new Command('ablate')
    .description("train with and without a piece of the tutorial's loop and compare (available: zero-grad)")
    .argument('<what>', 'what to take out: zero-grad')
    .option('--seed <n>', 'manual_seed for both runs', parseSeed, 0)
    .option('--epochs <n>', 'epochs', parseInteger(1), 200)
    .option('--lr <x>', 'learning rate', parsePositiveNumber, 0.5)
    .option('--optimizer <name>', `optimiser: ${OPTIMIZER_NAMES.join('|')}`, parseChoice(OPTIMIZER_NAMES), 'adadelta')
    .option('--plot <file>', 'both runs\' loss curves in one chart (.svg or .png)')
    .option('--grad-plot <file>', 'the gradient norm per epoch, both runs (.svg or .png)')
    .option('--log-scale', 'log scale for the loss plot', false)
    .addHelpText('after', `\n${HELD_OUT_HELP}`)
    .action(async (what: string, opts: AblateOptions) => {
      process.exitCode = await runAblate(what, opts, io);
    });
}
