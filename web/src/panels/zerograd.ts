import { DECISION_THRESHOLD } from '../../../src/lab/evaluate.js';
import { compareCurvesSpec } from '../../../src/charts/specs.js';
import { TEST_MATRICES } from '../../../src/lab/data.js';
import { PARAMETER_KEYS } from '../../../src/lab/model.js';
import { VegaChart } from '../chart.js';
import { el, FrameScheduler } from '../dom.js';
import { formatNumber, matrixTable } from '../heatmap.js';
import { labPool, type TrainJobProgress, type TrainJobResult } from '../lab-jobs.js';
import type { LabReply } from '../pool.js';
import { type Settings, toTrainConfig } from '../settings.js';

const RUNS = [
  { label: 'with zero_grad()', zeroGrad: true },
  { label: 'without zero_grad()', zeroGrad: false },
] as const;

/**
 * The tutorial's invitation: comment out zero_grad() and see whether the loss still converges. Both runs use
 * the current settings and train in parallel in the lab workers.
 */
export function zeroGradPanel(root: HTMLElement, settings: () => Settings) {
  const button = el('button', { type: 'button', id: 'zerograd-run' }, 'Run both');
  const note = el('p', { class: 'hint', id: 'zerograd-note' }, 'Trains the current settings twice, with and without optimizer.zero_grad() before each step.');
  const log = el('input', { type: 'checkbox', id: 'zerograd-log', checked: true });
  const figure = el('div', { id: 'zerograd-chart', class: 'chart' });
  const chart = new VegaChart(figure, 'Loss curves with and without zero_grad(): colour is the series, shape is the run');
  const table = el('div', { class: 'side-by-side', id: 'zerograd-table' });
  root.append(el('div', { class: 'row' }, button, el('span', { class: 'check' }, log, el('label', { for: 'zerograd-log' }, 'Log scale'))), note, figure, table);

  let ids: number[] = [];
  const curves: Array<TrainJobProgress['curve']> = [[], []];
  const results: Array<TrainJobResult | null> = [null, null];
  let errors: string[] = [];
  let used: Settings | null = null;

  function draw(): void {
    if (!used) return;
    void chart.show(compareCurvesSpec(RUNS.map((r, i) => ({ label: r.label, points: curves[i] })), {
      logScale: log.checked, width: 520, height: 260, title: `seed ${used.seed}, ${used.optimizer}(lr=${used.lr}), ${used.epochs} epochs`,
    }));
    if (errors.length > 0) note.textContent = errors.join('; ');
    else if (results.every((r) => r)) note.textContent = `Done in ${results.map((r) => `${r!.seconds.toFixed(2)} s`).join(' and ')} of training (in two workers).`;
    else note.textContent = `Training both runs… epoch ${curves.map((c) => c.at(-1)?.epoch ?? 0).join(' and ')}`;
    if (results.every((r) => r)) table.replaceChildren(sideBySide(results as TrainJobResult[]));
    root.dataset.done = results.every((r) => r) || errors.length > 0 ? '1' : '0';
  }

  const frame = new FrameScheduler(draw);
  log.addEventListener('change', () => frame.request());
  button.addEventListener('click', () => {
    const pool = labPool();
    pool.cancel(ids);
    used = { ...settings() };
    errors = [];
    table.replaceChildren();
    ids = RUNS.map((r, i) => {
      curves[i] = [];
      results[i] = null;
      return pool.submit({ kind: 'train', config: toTrainConfig({ ...used!, zeroGrad: r.zeroGrad }) }, (msg: LabReply) => {
        if (msg.kind === 'progress') curves[i] = (msg.payload as TrainJobProgress).curve;
        else if (msg.kind === 'result') { results[i] = msg.payload as TrainJobResult; curves[i] = results[i]!.curve; }
        else errors.push(`${r.label}: ${String(msg.payload)}`);
        frame.request();
      });
    });
    frame.request();
  });
}

function sideBySide(results: TrainJobResult[]): HTMLElement {
  const head = el('tr', {}, el('th', { scope: 'col' }, ''), ...RUNS.map((r) => el('th', { scope: 'col' }, r.label)));
  const rows: HTMLElement[] = [];
  const last = results.map((r) => r.curve.at(-1));
  rows.push(el('tr', {}, el('th', { scope: 'row' }, 'last loss_true'), ...last.map((p) => el('td', {}, p ? formatNumber(p.lossTrue, 6) : '–'))));
  rows.push(el('tr', {}, el('th', { scope: 'row' }, 'last loss_false'), ...last.map((p) => el('td', {}, p ? formatNumber(p.lossFalse, 6) : '–'))));
  TEST_MATRICES.forEach((m, i) => rows.push(el('tr', {}, el('th', { scope: 'row' }, `cnn(test ${i + 1})`),
    ...results.map((r) => el('td', { title: JSON.stringify(m), 'data-value': String(r.predictions[i]) }, `${r.predictions[i].toPrecision(4)} ${r.predictions[i] > DECISION_THRESHOLD ? 'constant' : 'random'}`)))));
  for (const key of PARAMETER_KEYS) {
    const shape = key.endsWith('weight') ? 2 : 1;
    rows.push(el('tr', {}, el('th', { scope: 'row' }, key),
      ...results.map((r, i) => el('td', {}, matrixTable(r.final[key], shape, shape, { label: `${key}, ${RUNS[i].label}`, className: 'weight' })))));
  }
  return el('table', { class: 'numbers compare' }, el('thead', {}, head), el('tbody', {}, ...rows));
}
