import cliProgress from 'cli-progress';

// A progress bar for many training epochs (ablate, sweep, atlas): "runs [████░░░░] 1200/4000 epochs | eta 3s".
// Draws only on a terminal (stderr by default), so piped output and tests stay clean.

export interface RunProgress {
  update(done: number): void;
  stop(): void;
}

export function createRunProgress(total: number, opts: { enabled: boolean; label: string; stream?: NodeJS.WriteStream }): RunProgress {
  const stream = opts.stream ?? process.stderr;
  if (!opts.enabled || stream.isTTY !== true || total <= 0) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar({
    stream,
    format: `${opts.label} [{bar}] {value}/{total} epochs | {percentage}% | eta {eta_formatted}`,
    hideCursor: true,
    clearOnComplete: true,
    barsize: 24,
    etaBuffer: 50,
  }, cliProgress.Presets.shades_classic);
  bar.start(total, 0);
  let stopped = false;
  return {
    update: (done) => {
      if (!stopped) bar.update(Math.min(done, total));
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
