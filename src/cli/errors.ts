/** A problem with what the user typed or gave us: one line on stderr, exit code 2, no stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether stderr is a terminal (progress bars and colour only then). */
  isTTY: boolean;
}

export const processIo: Io = {
  out: (text) => { process.stdout.write(text.endsWith('\n') ? text : `${text}\n`); },
  err: (text) => { process.stderr.write(text.endsWith('\n') ? text : `${text}\n`); },
  isTTY: Boolean(process.stderr.isTTY),
};
