import type { ParameterKey, Weights } from '../../../src/lab/model.js';
import { el } from '../dom.js';
import { formatNumber, matrixTable, updateMatrix } from '../heatmap.js';
import type { RunState } from '../state.js';

/** The architecture as a diagram, 3×3 → 2×2 → 1×1, with the live weights as heatmaps and numbers. */
export function modelPanel(root: HTMLElement) {
  const tables = new Map<ParameterKey, HTMLTableElement>();
  const deltas = new Map<ParameterKey, HTMLElement>();

  const shape = (text: string, desc: string) => el('div', { class: 'node shape', 'aria-label': desc }, el('span', { class: 'dims' }, text), el('span', { class: 'hint' }, desc));
  const arrow = () => el('div', { class: 'arrow', 'aria-hidden': 'true' }, '→');
  function layer(name: string, weightKey: ParameterKey, biasKey: ParameterKey): HTMLElement {
    const w = matrixTable([0, 0, 0, 0], 2, 2, { label: weightKey, className: 'weight' });
    const b = matrixTable([0], 1, 1, { label: biasKey, className: 'weight' });
    tables.set(weightKey, w);
    tables.set(biasKey, b);
    const dw = el('span', { class: 'hint delta' });
    deltas.set(weightKey, dw);
    return el('div', { class: 'node layer' }, el('span', { class: 'layer-name' }, name),
      el('div', { class: 'kernel' }, el('figure', {}, w, el('figcaption', {}, weightKey)), el('figure', {}, b, el('figcaption', {}, biasKey))), dw);
  }
  const diagram = el('div', { class: 'diagram', role: 'group', 'aria-label': 'The network' },
    shape('3×3', 'input'), arrow(),
    layer('Conv2d(1, 1, kernel_size=2)', 'model.0.weight', 'model.0.bias'), arrow(),
    shape('2×2', 'feature map'), arrow(),
    el('div', { class: 'node act' }, 'LeakyReLU', el('span', { class: 'hint' }, 'slope 0.01 below 0')), arrow(),
    layer('Conv2d(1, 1, kernel_size=2)', 'model.2.weight', 'model.2.bias'), arrow(),
    shape('1×1', 'logit'), arrow(),
    el('div', { class: 'node act' }, 'Sigmoid', el('span', { class: 'hint' }, 'p(constant)')));
  const sum = el('p', { class: 'hint', id: 'kernel-sum' });
  root.append(diagram, sum);

  let shown: Weights | null = null;
  return {
    render(s: RunState): void {
      const w = s.weights;
      if (!w || w === shown) return;
      shown = w;
      const max = Math.max(...Object.values(w).flat().map(Math.abs), 1e-9);
      for (const [key, table] of tables) updateMatrix(table, w[key], { max });
      for (const [key, span] of deltas) {
        const init = s.init?.[key];
        if (!init) continue;
        const moved = Math.sqrt(w[key].reduce((acc, v, i) => acc + (v - init[i]) ** 2, 0));
        span.textContent = `kernel moved ${formatNumber(moved, 3)} from its initial values`;
      }
      const k = w['model.0.weight'];
      const total = k.reduce((a, b) => a + b, 0);
      sum.textContent = `Sum of the first kernel: ${formatNumber(total, 4)}. When it is near 0, a constant input gives about model.0.bias whatever the constant (the tutorial's reading of its trained weights).`;
    },
  };
}
