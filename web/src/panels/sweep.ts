import { heatmapSpec } from '../../../src/charts/specs.js';
import { LEARNED_ACCURACY } from '../../../src/lab/evaluate.js';
import { type SweepConfig, type SweepResult, summarizeSweep, sweepTasks } from '../../../src/lab/sweep.js';
import { batchControls, type BatchJob } from '../batch-controls.js';
import { VegaChart } from '../chart.js';
import { el } from '../dom.js';
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
  const note = el('p', { class: 'hint' });
  const figure = el('div', { id: 'sweep-chart', class: 'chart' });
  const chart = new VegaChart(figure, 'Heatmap: fraction of seeds that learn for each learning rate and epoch count', false);
  const controls = batchControls(root, 'sweep', 'Run sweep', prepare, draw);
  root.append(el('div', { class: 'controls' }, lrs.box, epochs.box, seeds.box), controls.buttons, controls.error, controls.progress, note, figure);

  function draw(r: SweepResult): void {
    const c = r.config;
    void chart.show(heatmapSpec(r.cells.map((cell) => ({ row: `lr ${cell.lr}`, col: String(cell.epochs), value: cell.fraction })), {
      rowTitle: 'learning rate', colTitle: 'epochs', valueTitle: 'fraction learned', domain: [0, 1],
      width: Math.max(160, 60 * c.epochs.length), height: Math.max(80, 36 * c.lrs.length),
      title: `${c.optimizer}, ${c.seeds.length} seeds${c.shuffle ? ', shuffled' : ''}${c.batchSize > 1 ? `, batch ${c.batchSize}` : ''}`,
    }));
  }

  function prepare(): BatchJob<SweepResult> {
    const s = settings();
    const config: SweepConfig = {
      lrs: parseNumberList(lrs.input.value, 'learning rates'),
      epochs: parseIntegerList(epochs.input.value, 'epoch counts', 20).filter((e) => e >= 1).sort((a, b) => a - b),
      seeds: parseIntegerList(seeds.input.value, 'seeds', 200),
      optimizer: s.optimizer, shuffle: s.shuffle, batchSize: s.batchSize,
    };
    if (config.epochs.length === 0) throw new RangeError('epoch counts: expected at least one count ≥ 1');
    if (Math.max(...config.epochs) > 5000) throw new RangeError('epoch counts: at most 5000');
    note.textContent = `Optimiser ${config.optimizer}${config.shuffle ? ', shuffled' : ''}, batch ${config.batchSize} (from the Run panel). ` +
      `A run learned when its accuracy on the held-out set (500 constant and 500 random matrices) reaches ${LEARNED_ACCURACY * 100} %.`;
    return { tasks: sweepTasks(config), summarize: (outcomes) => summarizeSweep(config, outcomes) };
  }
}
