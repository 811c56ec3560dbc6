import { Command } from 'commander';
import { loadStateDictFile } from '../../io/files.js';
import { MatrixFormatError, parseMatrix, TEST_MATRICES } from '../../lab/data.js';
import { type Matrix, modelFromStateDict, predictMatrices } from '../../lab/evaluate.js';
import type { CNN } from '../../lab/model.js';
import { Trainer } from '../../lab/train.js';
import { type Io, UsageError } from '../errors.js';
import { matrixText, num, verdictText } from '../render/lab-format.js';
import { formatTable } from '../render/table.js';

export const MATRIX_HELP =
  'a 3×3 matrix: JSON "[[1,2,3],[4,5,6],[7,8,9]]" or 9 comma-separated numbers "1,2,3,4,5,6,7,8,9"';

export const MODEL_HELP =
  'a state_dict saved by `torchlet train --save` (.safetensors or .json); default: train the tutorial\'s model (seed 0) first';

/** Where the model came from, for the first line of a command's output. */
export interface ModelSource {
  model: CNN;
  /** The Trainer, when the model was trained here (its optimiser holds the run's state). */
  trainer?: Trainer;
  description: string;
}

/** Loads --model FILE, or trains the tutorial's default model (seed 0) and says so. */
export async function obtainModel(file: string | undefined, io: Io): Promise<ModelSource> {
  if (file !== undefined) {
    const sd = await loadStateDictFile(file);
    return { model: modelFromStateDict(sd, file), description: `the model in ${file}` };
  }
  const trainer = new Trainer({ seed: 0 });
  const result = trainer.run();
  const c = result.config;
  io.out(`no --model given: trained the tutorial's model first (seed ${c.seed}, Adadelta lr ${c.lr}, ${c.epochs} epochs, ${result.seconds.toFixed(1)} s)`);
  return { model: trainer.model, trainer, description: "the tutorial's model trained with seed 0" };
}

/**
 * The matrices among the command's arguments. Commander passes unknown options through (so that a matrix may
 * start with a minus sign, "-1,2,3,…"); anything starting with '-' that is not a number is an unknown option.
 */
export function parseMatrixArgs(args: readonly string[]): Matrix[] {
  return args.map((a, i) => {
    if (/^-/.test(a) && !/^-[\d.]/.test(a)) throw new UsageError(`unknown option '${a}'`);
    try {
      return parseMatrix(a);
    } catch (err) {
      if (err instanceof MatrixFormatError) {
        throw new UsageError(args.length > 1 ? `matrix ${i + 1}: ${err.message}` : err.message);
      }
      throw err;
    }
  });
}

export async function runPredict(matrixArgs: readonly string[], o: { model?: string }, io: Io): Promise<number> {
  const matrices = matrixArgs.length ? parseMatrixArgs(matrixArgs) : TEST_MATRICES.map((m) => m.map((r) => [...r]));
  const source = await obtainModel(o.model, io);
  const predictions = predictMatrices(source.model, matrices);
  io.out(`predictions of ${source.description}${matrixArgs.length ? '' : " for the tutorial's four matrices"}:`);
  io.out(formatTable(
    ['matrix', 'probability', 'verdict'],
    predictions.map((p) => [matrixText(p.matrix), num(p.probability), verdictText(p.verdict)]),
    { align: ['l', 'r', 'l'] },
  ));
  io.out('probability: the network\'s output, its confidence that all nine elements are equal; verdict: true when it is above 0.5.');
  return 0;
}

export function predictCommand(io: Io): Command {
  return new Command('predict')
    .description("the trained network's probability and verdict for each matrix (default: the tutorial's four)")
    .argument('[matrix...]', MATRIX_HELP)
    .option('--model <file>', MODEL_HELP)
    .allowUnknownOption()
    .addHelpText('after', '\nA matrix that starts with a minus sign may be given as it is: torchlet predict -1,-1,-1,-1,-1,-1,-1,-1,-1')
    .action(async (matrices: string[], opts: { model?: string }) => {
      process.exitCode = await runPredict(matrices, opts, io);
    });
}
