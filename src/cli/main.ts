import { Command, CommanderError } from 'commander';
import { ablateCommand } from './commands/ablate.js';
import { atlasCommand } from './commands/atlas.js';
import { autogradCommand } from './commands/autograd.js';
import { explainCommand } from './commands/explain.js';
import { gradCommand } from './commands/grad.js';
import { predictCommand } from './commands/predict.js';
import { sweepCommand } from './commands/sweep.js';
import { trainCommand } from './commands/train.js';
import { type Io, processIo, UsageError } from './errors.js';

/** Commander's messages, with its '(Did you mean …?)' hint kept on the error's line. */
function oneLineError(s: string): string {
  return s.replace(/\n$/, '').replace(/\n(?=\(Did you mean)/g, ' ');
}

export function buildProgram(io: Io = processIo): Command {
  const program = new Command('torchlet')
    .description('A tiny CNN, trained and taken apart with PyTorch-faithful numbers.')
    .version('0.1.0')
    .showHelpAfterError(false)
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(oneLineError(s)),
    })
    .exitOverride();
  program.addCommand(trainCommand(io));
  program.addCommand(autogradCommand(io));
  program.addCommand(predictCommand(io));
  program.addCommand(explainCommand(io));
  program.addCommand(gradCommand(io));
  program.addCommand(ablateCommand(io));
  program.addCommand(sweepCommand(io));
  program.addCommand(atlasCommand(io));
  for (const c of program.commands) c.exitOverride().configureOutput({
    writeOut: (s) => io.out(s.replace(/\n$/, '')),
    writeErr: (s) => io.err(oneLineError(s)),
  });
  return program;
}

/** Known failures (bad input, bad files) print one line and exit 2; anything else is a bug and keeps its stack. */
function isUserFacing(err: unknown): err is Error {
  return err instanceof Error && (err instanceof UsageError || [
    'MatrixFormatError', 'StateDictFormatError', 'StateDictFileError', 'TrainingDivergedError', 'RangeError',
  ].includes(err.name) || (err as NodeJS.ErrnoException).code !== undefined);
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const program = buildProgram(io);
  process.exitCode = 0;
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its message; help and version exit 0
      return err.exitCode === 0 ? 0 : 2;
    }
    if (isUserFacing(err)) {
      io.err(`torchlet: ${err.message}`);
      return 2;
    }
    throw err;
  }
}
