import cliProgress from 'cli-progress';

export interface Progress {
  /** Moves the bar to `n` (e.g. epochs done); payload keys lossTrue / lossFalse show the current losses. */
  update(n: number, payload?: Record<string, string | number>): void;
  /** Ends the bar (clearing its line); later calls to update or stop do nothing. */
  stop(): void;
}

export interface ProgressOptions {
  /** Where to draw; default process.stderr. Nothing is drawn unless it is a terminal. */
  stream?: NodeJS.WriteStream;
  enabled: boolean;
  /** Shown before the bar; default 'epoch'. */
  label?: string;
}

const SILENT: Progress = { update: () => {}, stop: () => {} };

/** Numbers as at most 4 significant digits (integers as they are), strings unchanged. */
function show(v: string | number): string {
  if (typeof v === 'string') return v;
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}

/**
 * A progress bar on a terminal: `epoch [████░░░░] 40/200 | loss_true 0.1234 | loss_false 0.2345 | eta 3s`.
 * Silent (and writes nothing at all) when disabled or when the stream is not a TTY, so piped output and tests
 * stay clean.
 */
export function createProgress(total: number, opts: ProgressOptions): Progress {
  if (!Number.isInteger(total) || total < 0) throw new RangeError(`total must be a non-negative integer, got ${total}`);
  const stream = opts.stream ?? process.stderr;
  if (!opts.enabled || stream.isTTY !== true) return SILENT;
  const bar = new cliProgress.SingleBar({
    stream,
    format: `${opts.label ?? 'epoch'} [{bar}] {value}/{total} | loss_true {lossTrue} | loss_false {lossFalse} | eta {eta_formatted}`,
    hideCursor: true,
    clearOnComplete: true,
    barsize: 24,
  }, cliProgress.Presets.shades_classic);
  bar.start(total, 0, { lossTrue: '-', lossFalse: '-' });
  let stopped = false;
  return {
    update: (n, payload) => {
      if (stopped) return;
      const shown: Record<string, string> = {};
      for (const [k, v] of Object.entries(payload ?? {})) shown[k] = show(v);
      bar.update(n, shown);
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
