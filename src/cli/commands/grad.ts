import { Command } from 'commander';
import { adadeltaStateOf, gradientReport } from '../../lab/gradients.js';
import type * as optim from '../../optim/index.js';
import { type Io, UsageError } from '../errors.js';
import { parseChoice, parsePositiveNumber } from '../options.js';
import { gradText } from '../render/grad-text.js';
import { MATRIX_HELP, MODEL_HELP, obtainModel, parseMatrixArgs } from './predict.js';

export interface GradOptions {
  model?: string;
  target: '0' | '1';
  lr: number;
  fresh?: boolean;
}

export async function runGrad(matrixArgs: readonly string[], o: GradOptions, io: Io): Promise<number> {
  if (matrixArgs.length !== 1) {
    throw new UsageError(matrixArgs.length === 0 ? 'grad needs a matrix, e.g. torchlet grad "[[1,2,3],[4,5,6],[7,8,9]]" --target 0' : `grad takes one matrix, got ${matrixArgs.length}`);
  }
  const [matrix] = parseMatrixArgs(matrixArgs);
  const source = await obtainModel(o.model, io);
  const useRunState = source.trainer !== undefined && !o.fresh && source.trainer.config.optimizer === 'adadelta';
  const state = useRunState ? adadeltaStateOf(source.trainer?.optimizer as optim.Adadelta, source.model) : undefined;
  const report = gradientReport(source.model, matrix, o.target === '1' ? 1 : 0, { sgdLr: o.lr, adadeltaLr: o.lr, adadeltaState: state });
  const note = useRunState
    ? 'continuing from the training run\'s optimiser state (square_avg and acc_delta after its last step)'
    : 'from a fresh optimiser (square_avg = acc_delta = 0)';
  for (const line of gradText(report, source.description, note)) io.out(line);
  return 0;
}

export function gradCommand(io: Io): Command {
  return new Command('grad')
    .description("one sample's loss and every parameter's .grad, each checked against a finite difference; what one SGD and one Adadelta step would do")
    .argument('[matrix...]', MATRIX_HELP)
    .requiredOption('--target <0|1>', 'the label: 1 = all elements equal, 0 = random', parseChoice(['0', '1'] as const))
    .option('--lr <x>', 'learning rate of the SGD and Adadelta steps shown', parsePositiveNumber, 0.5)
    .option('--model <file>', MODEL_HELP)
    .option('--fresh', "show Adadelta's step from a fresh optimiser even when the model was trained here", false)
    .allowUnknownOption()
    .action(async (matrices: string[], opts: GradOptions) => {
      process.exitCode = await runGrad(matrices, opts, io);
    });
}
