import cliProgress from 'cli-progress';

export interface Progress {
  update(n: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

/** A progress bar on stderr when it is a terminal; silent otherwise, so piped output and tests stay clean. */
export function createProgress(total: number, opts: { enabled: boolean; stream?: NodeJS.WriteStream; label?: string }): Progress {
  const stream = opts.stream ?? process.stderr;
  if (!opts.enabled || !stream.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar({
    stream,
    format: `${opts.label ?? 'progress'} [{bar}] {value}/{total} | loss_true {lossTrue} | loss_false {lossFalse}`,
    hideCursor: true,
    clearOnComplete: true,
  }, cliProgress.Presets.shades_classic);
  bar.start(total, 0, { lossTrue: '-', lossFalse: '-' });
  let stopped = false;
  return {
    update: (n, payload) => { if (!stopped) bar.update(n, payload); },
    stop: () => {
      if (!stopped) {
        stopped = true;
        bar.stop();
      }
    },
  };
}
