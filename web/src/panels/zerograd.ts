import type { AblationRun, ZeroGradAblation } from '../../../src/lab/ablate.js';
import { compareCurvesSpec, lineSpec } from '../../../src/charts/specs.js';
import { TEST_MATRICES } from '../../../src/lab/data.js';
import { PARAMETER_KEYS } from '../../../src/lab/model.js';
import { VegaChart } from '../chart.js';
import { el, FrameScheduler } from '../dom.js';
import { formatNumber, matrixTable } from '../heatmap.js';
import type { AblateProgress } from '../lab-jobs.js';
import { labPool } from '../lab-jobs.js';
import type { Settings } from '../settings.js';

const LABELS = ['with zero_grad()', 'without zero_grad()'] as const;

/**
 * The tutorial's invitation: comment out zero_grad() and see whether the loss still converges. The lab's
 * ablateZeroGrad trains the current seed/lr/epochs/optimiser twice in a lab worker and measures the gradients
 * each step used.
 */
export function zeroGradPanel(root: HTMLElement, settings: () => Settings) {
  const button = el('button', { type: 'button', id: 'zerograd-run' }, 'Run both');
  const log = el('input', { type: 'checkbox', id: 'zerograd-log', checked: true });
  const note = el('p', { class: 'hint', id: 'zerograd-note' },
    'Trains the current seed, learning rate, epochs and optimiser twice (in order, no shuffling, batch 1), with and without optimizer.zero_grad() before each step.');
  const bars = LABELS.map((l, i) => {
    const bar = el('progress', { id: `zerograd-progress-${i}`, max: 1, value: 0 });
    return { bar, row: el('div', { class: 'progress' }, el('label', { for: `zerograd-progress-${i}` }, l), bar) };
  });
  const verdict = el('div', { id: 'zerograd-verdict' });
  const curves = el('div', { id: 'zerograd-chart', class: 'chart' });
  const norms = el('div', { id: 'zerograd-norms', class: 'chart' });
  const curveChart = new VegaChart(curves, 'Loss curves with and without zero_grad(): colour is the series, shape is the run');
  const normChart = new VegaChart(norms, 'Norm of the gradient each step used, per epoch, with and without zero_grad()');
  const table = el('div', { class: 'side-by-side', id: 'zerograd-table' });
  root.append(el('div', { class: 'row' }, button, el('span', { class: 'check' }, log, el('label', { for: 'zerograd-log' }, 'Log scale'))), note,
    el('div', { class: 'row' }, ...bars.map((b) => b.row)), verdict, el('div', { class: 'charts' }, curves, norms), table);

  let ids: number[] = [];
  let result: ZeroGradAblation | null = null;
  const done: [number, number] = [0, 0];
  let epochs = 0;
  let error = '';

  function draw(): void {
    bars.forEach((b, i) => { b.bar.max = Math.max(1, epochs); b.bar.value = done[i]; });
    if (error) { verdict.replaceChildren(el('p', { class: 'field-error' }, error)); root.dataset.done = '1'; return; }
    if (!result) return;
    const r = result;
    const runs = [r.withZeroGrad, r.withoutZeroGrad];
    void curveChart.show(compareCurvesSpec(runs.map((x, i) => ({ label: LABELS[i], points: x.curve })), {
      logScale: log.checked, width: 460, height: 260, title: `seed ${r.seed}, ${r.optimizer}(lr=${r.lr}), ${r.epochs} epochs`,
    }));
    void normChart.show(lineSpec([
      { label: '‖.grad‖ with zero_grad()', values: r.withZeroGrad.gradNorms.map((p) => ({ x: p.epoch, y: p.used })) },
      { label: '‖.grad‖ without', values: r.withoutZeroGrad.gradNorms.map((p) => ({ x: p.epoch, y: p.used })) },
      { label: 'own sample’s ‖∇‖ (without)', values: r.withoutZeroGrad.gradNorms.map((p) => ({ x: p.epoch, y: p.perSample })) },
    ], { xTitle: 'epoch', yTitle: 'mean norm per step', logScale: true, width: 460, height: 260, title: 'What each optimizer.step() was given' }));
    verdict.replaceChildren(verdictView(r));
    table.replaceChildren(sideBySide(runs));
    root.dataset.done = '1';
  }
  const frame = new FrameScheduler(draw);
  log.addEventListener('change', () => frame.request());

  button.addEventListener('click', () => {
    const s = settings();
    const pool = labPool();
    pool.cancel(ids);
    result = null;
    error = '';
    epochs = s.epochs;
    done[0] = done[1] = 0;
    root.dataset.done = '0';
    verdict.replaceChildren(el('p', { class: 'hint' }, 'Training…'));
    table.replaceChildren();
    ids = [pool.submit({ kind: 'ablate', options: { seed: s.seed, epochs: s.epochs, lr: s.lr, optimizer: s.optimizer, every: 5 } }, (msg) => {
      if (msg.kind === 'progress') {
        const p = msg.payload as AblateProgress;
        done[p.run] = p.epochs;
        if (p.run === 1) done[0] = epochs;
      } else if (msg.kind === 'result') {
        result = msg.payload as ZeroGradAblation;
        done[0] = done[1] = epochs;
      } else {
        error = String(msg.payload);
      }
      frame.request();
    })];
    frame.request();
  });
}

function pct(v: number): string {
  return Number.isFinite(v) ? `${(100 * v).toFixed(1)} %` : '–';
}

function verdictView(r: ZeroGradAblation): HTMLElement {
  const v = r.verdict;
  const kind = {
    needed: 'zero_grad() is needed here: the run learns with it and not without.',
    both: 'Both runs learn here.',
    neither: 'Neither run learns with this seed.',
    'without-only': 'Only the run without zero_grad() learns with this seed.',
  }[v.kind];
  return el('ul', { class: 'reading' },
    el('li', {}, el('strong', {}, kind), ` Held-out accuracy ${pct(r.withZeroGrad.accuracy)} with, ${pct(r.withoutZeroGrad.accuracy)} without.`),
    el('li', {}, accumulation(r)),
    el('li', {}, `${v.verdictsChanged} of the tutorial's four test matrices get a different verdict.`),
    ...[r.withZeroGrad, r.withoutZeroGrad].filter((x) => x.diverged).map((x) => el('li', { class: 'field-error' }, `${LABELS[x.zeroGrad ? 0 : 1]}: ${x.diverged!.message}`)));
}

function accumulation(r: ZeroGradAblation): string {
  const v = r.verdict;
  const last = r.withoutZeroGrad.gradNorms.at(-1);
  const head = 'Without zero_grad(), .grad is the sum of every gradient so far: ';
  const grew = `over the run the gradient the steps used grew ${formatNumber(v.growthWithout, 3)}× (with zero_grad(): ${formatNumber(v.growthWith, 3)}×).`;
  if (!Number.isFinite(v.accumulationRatio) && last) {
    return `${head}in the last epoch each sample's own gradient was 0 (the outputs are saturated), yet every step still used the accumulated .grad, of norm ${formatNumber(last.used, 4)}; ${grew}`;
  }
  return `${head}in the last epoch the gradient a step used was ${formatNumber(v.accumulationRatio, 3)}× its own sample's; ${grew}`;
}

function sideBySide(runs: AblationRun[]): HTMLElement {
  const head = el('tr', {}, el('th', { scope: 'col' }, ''), ...LABELS.map((l) => el('th', { scope: 'col' }, l)));
  const rows: HTMLElement[] = [];
  const last = runs.map((r) => r.curve.at(-1));
  rows.push(el('tr', {}, el('th', { scope: 'row' }, 'held-out accuracy'), ...runs.map((r) => el('td', {}, pct(r.accuracy)))));
  rows.push(el('tr', {}, el('th', { scope: 'row' }, 'last loss_true'), ...last.map((p) => el('td', {}, p ? formatNumber(p.lossTrue, 6) : '–'))));
  rows.push(el('tr', {}, el('th', { scope: 'row' }, 'last loss_false'), ...last.map((p) => el('td', {}, p ? formatNumber(p.lossFalse, 6) : '–'))));
  TEST_MATRICES.forEach((m, i) => rows.push(el('tr', {}, el('th', { scope: 'row' }, `cnn(test ${i + 1})`),
    ...runs.map((r) => {
      const p = r.predictions[i];
      return el('td', { title: JSON.stringify(m), 'data-value': String(p.probability) }, `${p.probability.toPrecision(4)} ${p.verdict ? 'constant' : 'random'}`);
    }))));
  for (const key of PARAMETER_KEYS) {
    const shape = key.endsWith('weight') ? 2 : 1;
    rows.push(el('tr', {}, el('th', { scope: 'row' }, key),
      ...runs.map((r, i) => el('td', {}, matrixTable(r.final[key], shape, shape, { label: `${key}, ${LABELS[i]}`, className: 'weight' })))));
  }
  return el('table', { class: 'numbers compare' }, el('thead', {}, head), el('tbody', {}, ...rows));
}
