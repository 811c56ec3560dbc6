import { heatmapSpec } from '../../../src/charts/specs.js';
import { LEARNED_ACCURACY } from '../../../src/lab/evaluate.js';
import { type SweepConfig, type SweepResult, summarizeSweep, sweepTasks } from '../../../src/lab/sweep.js';
import { Batch, type BatchStatus, describeProgress } from '../batch.js';
import { VegaChart } from '../chart.js';
import { el, FrameScheduler } from '../dom.js';
import { parseIntegerList, parseNumberList, type Settings } from '../settings.js';

/**
 * "Learning rate and epochs: no theory; found by trial": for each lr × epochs, the fraction of seeds whose
 * held-out accuracy reaches the lab's threshold (the lab's sweep: each (lr, seed) trains once to the largest
 * epoch count and is judged along the way). Runs are spread over the lab workers.
 */
export function sweepPanel(root: HTMLElement, settings: () => Settings) {
  const field = (id: string, label: string, value: string, hint: string) => {
    const input = el('input', { id, type: 'text', value, autocomplete: 'off', spellcheck: 'false', 'aria-describedby': `${id}-hint` });
    return { input, box: el('div', { class: 'field' }, el('label', { for: id }, label), input, el('span', { class: 'hint', id: `${id}-hint` }, hint)) };
  };
  const lrs = field('sweep-lrs', 'Learning rates', '0.1, 0.5, 1', 'comma-separated');
  const epochs = field('sweep-epochs', 'Epoch counts', '25, 50, 100, 200', 'judged after each');
  const seeds = field('sweep-seeds', 'Seeds', '0..9', 'e.g. 0..19 or 0,3,5');
  const run = el('button', { type: 'button', id: 'sweep-run' }, 'Run sweep');
  const cancel = el('button', { type: 'button', id: 'sweep-cancel', disabled: true }, 'Cancel');
  const error = el('p', { class: 'field-error', 'aria-live': 'polite' });
  const bar = el('progress', { id: 'sweep-progress', max: 1, value: 0 });
  const status = el('span', { class: 'hint', id: 'sweep-status' });
  const note = el('p', { class: 'hint' });
  const figure = el('div', { id: 'sweep-chart', class: 'chart' });
  const chart = new VegaChart(figure, 'Heatmap: fraction of seeds that learn for each learning rate and epoch count', false);
  root.append(el('div', { class: 'controls' }, lrs.box, epochs.box, seeds.box), el('div', { class: 'row' }, run, cancel),
    error, el('div', { class: 'progress' }, el('label', { for: 'sweep-progress' }, 'Progress'), bar, status), note, figure);

  let batch: Batch | null = null;
  let status_: BatchStatus | null = null;
  let result: SweepResult | null = null;

  function draw(): void {
    if (status_) {
      bar.max = Math.max(1, status_.epochsTotal);
      bar.value = status_.epochsDone;
      status.textContent = describeProgress(status_);
      if (status_.errors.length) error.textContent = status_.errors.join('; ');
      if (status_.finished) { run.disabled = false; cancel.disabled = true; }
    }
    if (!result) return;
    const r = result;
    const c = r.config;
    void chart.show(heatmapSpec(r.cells.map((cell) => ({ row: `lr ${cell.lr}`, col: String(cell.epochs), value: cell.fraction })), {
      rowTitle: 'learning rate', colTitle: 'epochs', valueTitle: 'fraction learned', domain: [0, 1],
      width: Math.max(160, 60 * c.epochs.length), height: Math.max(80, 36 * c.lrs.length),
      title: `${c.optimizer}, ${c.seeds.length} seeds${c.shuffle ? ', shuffled' : ''}${c.batchSize > 1 ? `, batch ${c.batchSize}` : ''}`,
    }));
    root.dataset.done = '1';
  }
  const frame = new FrameScheduler(draw);

  run.addEventListener('click', () => {
    let config: SweepConfig;
    try {
      const s = settings();
      config = {
        lrs: parseNumberList(lrs.input.value, 'learning rates'),
        epochs: parseIntegerList(epochs.input.value, 'epoch counts', 20).filter((e) => e >= 1).sort((a, b) => a - b),
        seeds: parseIntegerList(seeds.input.value, 'seeds', 200),
        optimizer: s.optimizer, shuffle: s.shuffle, batchSize: s.batchSize,
      };
      if (config.epochs.length === 0) throw new RangeError('epoch counts: expected at least one count ≥ 1');
      if (Math.max(...config.epochs) > 5000) throw new RangeError('epoch counts: at most 5000');
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
    note.textContent = `Optimiser ${config.optimizer}${config.shuffle ? ', shuffled' : ''}, batch ${config.batchSize} (from the Run panel). ` +
      `A run learned when its accuracy on the held-out set (500 constant and 500 random matrices) reaches ${LEARNED_ACCURACY * 100} %.`;
    const tasks = sweepTasks(config);
    batch = new Batch(tasks, (s) => { status_ = s; frame.request(); }, (outcomes) => { result = summarizeSweep(config, outcomes); frame.request(); });
  });
  cancel.addEventListener('click', () => {
    batch?.cancel();
    batch = null;
    run.disabled = false;
    cancel.disabled = true;
    status.textContent = 'Cancelled.';
  });
}
