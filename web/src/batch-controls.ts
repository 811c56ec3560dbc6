import type { RunOutcome, RunTask } from '../../src/lab/sweep.js';
import { Batch, type BatchStatus, describeProgress } from './batch.js';
import { el, FrameScheduler } from './dom.js';

/** What a panel's Run button starts: the lab tasks, and how their outcomes are summarised once all are in. */
export interface BatchJob<R> {
  tasks: RunTask[];
  summarize(outcomes: RunOutcome[]): R;
}

/**
 * The Run / Cancel buttons, error line and progress bar that the sweep and the atlas panels share, and the
 * batch they drive. `prepare` reads the panel's inputs (throwing to show a message instead of running);
 * `show` draws a finished result. The panel's root gets data-done="1" once a result is drawn.
 */
export function batchControls<R>(root: HTMLElement, prefix: string, runText: string,
  prepare: () => BatchJob<R>, show: (result: R) => void) {
  const run = el('button', { type: 'button', id: `${prefix}-run` }, runText);
  const cancel = el('button', { type: 'button', id: `${prefix}-cancel`, disabled: true }, 'Cancel');
  const error = el('p', { class: 'field-error', 'aria-live': 'polite' });
  const bar = el('progress', { id: `${prefix}-progress`, max: 1, value: 0 });
  const status = el('span', { class: 'hint', id: `${prefix}-status` });

  let batch: Batch | null = null;
  let progress: BatchStatus | null = null;
  let result: R | null = null;

  function draw(): void {
    if (progress) {
      bar.max = Math.max(1, progress.epochsTotal);
      bar.value = progress.epochsDone;
      status.textContent = describeProgress(progress);
      if (progress.errors.length) error.textContent = progress.errors.join('; ');
      if (progress.finished) { run.disabled = false; cancel.disabled = true; }
    }
    if (!result) return;
    show(result);
    root.dataset.done = '1';
  }
  const frame = new FrameScheduler(draw);

  run.addEventListener('click', () => {
    let job: BatchJob<R>;
    try {
      job = prepare();
    } catch (e) {
      error.textContent = (e as Error).message;
      return;
    }
    error.textContent = '';
    batch?.cancel();
    result = null;
    root.dataset.done = '0';
    run.disabled = true;
    cancel.disabled = false;
    batch = new Batch(job.tasks, (s) => { progress = s; frame.request(); }, (outcomes) => { result = job.summarize(outcomes); frame.request(); });
  });
  cancel.addEventListener('click', () => {
    batch?.cancel();
    batch = null;
    // A frame already requested would otherwise draw the cancelled batch's progress over 'Cancelled.'.
    progress = null;
    run.disabled = false;
    cancel.disabled = true;
    status.textContent = 'Cancelled.';
  });

  return {
    /** The Run and Cancel buttons, in a row. */
    buttons: el('div', { class: 'row' }, run, cancel),
    error,
    /** The labelled progress bar and its status line. */
    progress: el('div', { class: 'progress' }, el('label', { for: `${prefix}-progress` }, 'Progress'), bar, status),
  };
}
