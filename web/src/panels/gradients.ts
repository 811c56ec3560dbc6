import type { GradReport, ParamGradient } from '../../../src/lab/gradients.js';
import { el } from '../dom.js';
import { formatNumber } from '../heatmap.js';
import type { Inspection, OptimizerStateView } from '../protocol.js';

const f = (v: number) => formatNumber(v, 6);
const g = (v: number) => (Number.isFinite(v) ? (v === 0 ? '0' : Math.abs(v) < 1e-3 || Math.abs(v) >= 1e4 ? v.toExponential(3) : v.toPrecision(5)) : String(v));

function elementName(p: ParamGradient, i: number): string {
  return p.value.length === 4 ? `${p.key}[${Math.floor(i / 2)},${i % 2}]` : p.key;
}

function rows(report: GradReport, cells: (p: ParamGradient, i: number) => Array<string | HTMLElement>): HTMLElement[] {
  return report.params.flatMap((p) => p.value.map((_, i) => el('tr', {}, el('th', { scope: 'row' }, elementName(p, i)), ...cells(p, i).map((c) => el('td', {}, c)))));
}

function table(label: string, head: string[], body: HTMLElement[]): HTMLElement {
  return el('div', { class: 'side-by-side' }, el('table', { class: 'numbers', 'aria-label': label },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'parameter'), ...head.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...body)));
}

/**
 * loss.backward() for the input panel's matrix with the current weights (the lab's gradientReport), each
 * element checked by finite differences; the optimiser's live state and what one SGD or Adadelta step would do.
 */
export function gradientsPanel(root: HTMLElement) {
  const box = el('div', { id: 'gradients' }, el('p', { class: 'hint' }, 'Waiting for the model…'));
  root.append(box);
  let shown: Inspection | null = null;

  return {
    render(ins: Inspection | null, optimizer: string, running: boolean): void {
      if (!ins || ins === shown) return;
      shown = ins;
      if (ins.error) { box.replaceChildren(el('p', { class: 'field-error' }, `Cannot compute: ${ins.error}`)); return; }
      const r = ins.gradients;
      if (!r) return;
      const statuses = new Map<string, number>();
      for (const p of r.params) for (const s of p.status) statuses.set(s, (statuses.get(s) ?? 0) + 1);
      const a = r.params[0].adadelta;
      box.replaceChildren(
        el('p', {}, `Target ${r.target}, cnn(x) = ${f(r.output)}, loss = `, el('code', { id: 'grad-loss' }, r.lossText),
          running ? el('span', { class: 'hint' }, ` (refreshed every half second while training, at step ${ins.steps})`) : ''),
        ins.accumulating ? el('p', { class: 'field-error' }, 'zero_grad() is off: the next step adds these to the .grad left by every earlier step.') : '',
        r.clamped ? el('p', { class: 'hint' }, `The output is so close to 0 or 1 that BCE's backward divides by its floor 1e-12: .grad is the true slope × ${g(r.clampFactor)} (as in PyTorch).`) : '',
        el('h3', {}, '.grad after loss.backward(), checked by finite differences'),
        table('Gradients and their finite-difference check', ['value', '.grad', 'finite difference', 'rel. error', 'check'],
          rows(r, (p, i) => [f(p.value[i]), g(p.grad[i]), g(p.numeric[i]), g(p.relativeError[i]), el('span', { class: `badge ${p.status[i]}` }, p.status[i])])),
        el('p', { class: 'hint' }, `Checks: ${[...statuses].map(([s, n]) => `${n} ${s}`).join(', ')}; largest relative error ${g(r.maxRelativeError)}. Finite differences on a float64 copy (Ridders' method).`),
        el('details', {}, el('summary', {}, '.grad as PyTorch prints it'),
          ...r.params.map((p) => el('pre', {}, `${p.key}.grad\n${p.gradText}`))),
        el('h3', {}, `One step from here (lr ${a.lr})`),
        table('What one SGD or Adadelta step would do', ['SGD: w − lr·g', 'square_avg', 'acc_delta', 'Adadelta Δ', 'Adadelta: w − lr·Δ'],
          rows(r, (p, i) => [f(p.sgd.after[i]),
            `${g(p.adadelta.squareAvgBefore[i])} → ${g(p.adadelta.squareAvgAfter[i])}`,
            `${g(p.adadelta.accDeltaBefore[i])} → ${g(p.adadelta.accDeltaAfter[i])}`,
            g(p.adadelta.delta[i]), f(p.adadelta.after[i])])),
        el('p', { class: 'hint' }, r.adadeltaStateSource === 'given'
          ? `Adadelta continues from the run's own state (step ${a.step - 1} → ${a.step}): Δ = √(acc_delta + eps) / √(square_avg + eps) · g, rho ${a.rho}, eps ${a.eps}.`
          : `This run uses ${optimizer}; the Adadelta column starts from a fresh Adadelta (zero state): Δ = √(acc_delta + eps) / √(square_avg + eps) · g.`),
        ins.optimizer ? optimizerView(ins.optimizer) : '',
      );
    },
  };
}

function optimizerView(o: OptimizerStateView): HTMLElement {
  const names = [...new Set(o.params.flatMap((p) => p.entries.map((e) => e.name)))];
  const body = o.params.flatMap((p) => {
    const n = Math.max(1, ...p.entries.map((e) => (e.name === 'step' ? 1 : e.values.length)));
    return Array.from({ length: n }, (_, i) => el('tr', {}, el('th', { scope: 'row' }, n === 4 ? `${p.key}[${Math.floor(i / 2)},${i % 2}]` : p.key),
      ...names.map((name) => {
        const e = p.entries.find((x) => x.name === name);
        const v = e ? (name === 'step' ? e.values[0] : e.values[i]) : undefined;
        return el('td', {}, v === undefined ? '–' : name === 'step' ? String(v) : g(v));
      })));
  });
  return el('div', {},
    el('h3', {}, 'The optimiser’s state now'),
    names.length === 0 ? el('p', { class: 'hint' }, 'No state yet (it is created at the first step; SGD without momentum keeps none).') :
      el('div', { class: 'side-by-side' }, el('table', { class: 'numbers', 'aria-label': 'Optimiser state' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'parameter'), ...names.map((n) => el('th', { scope: 'col' }, n)))),
        el('tbody', {}, ...body))),
    el('details', {}, el('summary', {}, 'print(optimizer)'), el('pre', {}, o.repr)));
}
