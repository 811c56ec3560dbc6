import { DECISION_THRESHOLD } from '../../../src/lab/evaluate.js';
import { lossCurveSpec } from '../../../src/charts/specs.js';
import { TEST_MATRICES } from '../../../src/lab/data.js';
import { VegaChart } from '../chart.js';
import { el } from '../dom.js';
import { formatNumber } from '../heatmap.js';
import type { RunState } from '../state.js';

/** The tutorial's figure, drawn live from the shared spec, with the numbers as a table and the four predictions. */
export function lossPanel(root: HTMLElement) {
  const figure = el('div', { id: 'loss-chart', class: 'chart' });
  const chart = new VegaChart(figure, 'Loss curve: loss_true in blue and loss_false in red, every 5 epochs');
  const log = el('input', { id: 'loss-log', type: 'checkbox' });
  const tableBody = el('tbody');
  const table = el('table', { class: 'numbers', 'aria-label': 'Loss every 5 epochs' },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'epoch'), el('th', { scope: 'col' }, 'loss_true'), el('th', { scope: 'col' }, 'loss_false'))), tableBody);
  const details = el('details', {}, el('summary', {}, 'The points as numbers'), table);

  const predBody = el('tbody');
  const preds = el('table', { id: 'predictions', class: 'numbers', 'aria-label': 'Outputs for the tutorial’s four test matrices' },
    el('caption', {}, 'cnn(x) for the tutorial’s four test matrices'),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'input'), el('th', { scope: 'col' }, 'output'), el('th', { scope: 'col' }, 'verdict'))), predBody);
  const names = ['all 200', 'all 11.11', '[[10,-43,7],[49,50,-51],[39,-59,71]]', '[[5.6,9.8,100],[12,65,6],[0.7,43,4]]'];
  TEST_MATRICES.forEach((_m, i) => predBody.append(el('tr', {}, el('th', { scope: 'row' }, names[i]), el('td', { 'data-index': i }), el('td'))));

  root.append(el('div', { class: 'field check' }, log, el('label', { for: 'loss-log' }, 'Log scale')), figure, details, preds);

  let drawnRun = -1;
  let drawnPoints = -1;
  let drawnLog = false;
  let rows = 0;

  function draw(s: RunState): void {
    const logScale = log.checked;
    if (s.run === drawnRun && s.curve.length === drawnPoints && logScale === drawnLog && s.config) return;
    drawnRun = s.run;
    drawnPoints = s.curve.length;
    drawnLog = logScale;
    const epochs = s.config?.epochs ?? 200;
    const spec = lossCurveSpec(s.curve, { logScale, width: 520, height: 280 });
    // Fix the x axis to the whole run so points appear in place rather than the axis growing.
    const enc = (spec as { encoding: { x: Record<string, unknown> } }).encoding;
    enc.x = { ...enc.x, scale: { domain: [0, epochs] } };
    // The tag names the data on screen (run and number of points) for the end-to-end tests.
    void chart.show(spec, `${s.run}:${s.curve.length}:${logScale ? 'log' : 'linear'}`);
  }

  let last: RunState | null = null;
  log.addEventListener('change', () => { if (last) draw(last); });

  return {
    render(s: RunState): void {
      last = s;
      draw(s);
      if (s.curve.length < rows) { tableBody.replaceChildren(); rows = 0; }
      for (; rows < s.curve.length; rows++) {
        const p = s.curve[rows];
        tableBody.append(el('tr', {}, el('td', {}, String(p.epoch)), el('td', {}, formatNumber(p.lossTrue, 6)), el('td', {}, formatNumber(p.lossFalse, 6))));
      }
      predBody.querySelectorAll('tr').forEach((tr, i) => {
        const cells = tr.querySelectorAll('td');
        const out = cells[0];
        const verdict = cells[1];
        const p = s.predictions[i];
        const exact = p === undefined ? '' : String(p);
        if (out.dataset.value !== exact) {
          out.textContent = p === undefined ? '–' : p.toPrecision(4);
          out.title = exact;
          out.dataset.value = exact;
          verdict.textContent = p === undefined ? '' : p > DECISION_THRESHOLD ? 'constant' : 'random';
        }
      });
    },
  };
}
