import { Command } from 'commander';
import { explain } from '../../lab/explain.js';
import { type Io, UsageError } from '../errors.js';
import { explainText } from '../render/explain-text.js';
import { MATRIX_HELP, MODEL_HELP, obtainModel, parseMatrixArgs } from './predict.js';

export async function runExplain(matrixArgs: readonly string[], o: { model?: string }, io: Io): Promise<number> {
  if (matrixArgs.length !== 1) {
    throw new UsageError(matrixArgs.length === 0 ? 'explain needs a matrix, e.g. torchlet explain "[[1,2,3],[4,5,6],[7,8,9]]"' : `explain takes one matrix, got ${matrixArgs.length}`);
  }
  const [matrix] = parseMatrixArgs(matrixArgs);
  const source = await obtainModel(o.model, io);
  for (const line of explainText(explain(source.model, matrix), source.description)) io.out(line);
  return 0;
}

export function explainCommand(io: Io): Command {
  return new Command('explain')
    .description('the forward pass by hand: each cell as kernel ⊙ patch + bias, LeakyReLU, the second layer, the sigmoid; then what the weights say')
    .argument('[matrix...]', MATRIX_HELP)
    .option('--model <file>', MODEL_HELP)
    .allowUnknownOption()
    .action(async (matrices: string[], opts: { model?: string }) => {
      process.exitCode = await runExplain(matrices, opts, io);
    });
}
