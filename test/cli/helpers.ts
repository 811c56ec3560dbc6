import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/errors.js';

export interface Run {
  code: number;
  out: string[];
  err: string[];
  stdout: string;
}

/** Runs the CLI in this process with captured output: `torchlet ...args`. */
export async function cli(...args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (s) => out.push(...s.split('\n')), err: (s) => err.push(...s.split('\n')), isTTY: false };
  const saved = process.exitCode;
  try {
    const code = await main(['node', 'torchlet', ...args], io);
    return { code, out, err, stdout: out.join('\n') };
  } finally {
    process.exitCode = saved;
  }
}
