import type { Explanation, FirstLayerCell } from '../../../src/lab/explain.js';
import { el } from '../dom.js';
import { formatNumber, matrixTable } from '../heatmap.js';

const f4 = (v: number) => formatNumber(v, 4);
const paren = (v: number) => (v < 0 ? `(${f4(v)})` : f4(v));
/** An input value: float32 shown with the digits it was typed with (11.11, not 11.109999656677246). */
const short = (v: number) => String(Number(v.toPrecision(7)));
const parenIn = (v: number) => (v < 0 ? `(${short(v)})` : short(v));

/** The forward pass written out with the model's own numbers (the lab's explain), as `torchlet explain` does. */
export function forwardView(root: HTMLElement) {
  const box = el('div', { id: 'forward', class: 'forward' });
  root.append(el('h3', {}, 'The forward pass, step by step'), box);
  let shown: Explanation | null = null;

  return {
    render(x: Explanation | undefined): void {
      if (!x || x === shown) return;
      shown = x;
      const k1 = x.weights['model.0.weight'];
      const b1 = x.weights['model.0.bias'][0];
      const k2 = x.weights['model.2.weight'];
      const b2 = x.weights['model.2.bias'][0];

      const first = el('table', { class: 'numbers steps', 'aria-label': 'First layer, cell by cell' },
        el('thead', {}, el('tr', {}, ...['cell', 'Σ w1 · patch', '+ b1', '= z', 'LeakyReLU(z)'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, ...x.firstLayer.map((c) => firstRow(c, b1))));
      const second = x.secondLayer;
      const secondText = `${second.terms.map((t) => `${paren(t.weight)}·${paren(t.input)}`).join(' + ')} + ${paren(b2)} = ${f4(x.logit)}`;

      box.replaceChildren(
        el('p', {}, el('strong', {}, '1. First Conv2d: '), 'each 2×2 patch of the input times the kernel ',
          matrixInline(k1), ', plus the bias ', el('code', {}, f4(b1)), `; then LeakyReLU (slope ${Number(x.negativeSlope.toPrecision(2))} below 0).`),
        el('div', { class: 'side-by-side' }, first),
        el('div', { class: 'row' },
          el('figure', {}, matrixTable(x.firstLayer.map((c) => c.value), 2, 2, { label: 'first layer z', digits: 3 }), el('figcaption', { class: 'hint' }, 'z')),
          el('span', { class: 'arrow', 'aria-hidden': 'true' }, '→'),
          el('figure', {}, matrixTable(x.firstLayer.map((c) => c.activated), 2, 2, { label: 'after LeakyReLU', digits: 3 }), el('figcaption', { class: 'hint' }, 'a = LeakyReLU(z)'))),
        el('p', {}, el('strong', {}, '2. Second Conv2d: '), 'the kernel ', matrixInline(k2), ' over a, plus ', el('code', {}, f4(b2)), ':'),
        el('p', { class: 'formula' }, el('code', {}, `logit = ${secondText}`)),
        el('p', {}, el('strong', {}, '3. Sigmoid: '), el('code', {}, `σ(${f4(x.logit)}) = ${formatNumber(x.probability, 6)}`),
          ` → ${x.verdict ? 'constant (target 1)' : 'random (target 0)'}. `,
          el('span', { class: 'hint' }, `The model's own float32 pass: ${formatNumber(x.forward.probability, 6)}.`)),
        reading(x),
      );
    },
  };
}

function firstRow(c: FirstLayerCell, b1: number): HTMLElement {
  const sum = c.terms.map((t) => `${paren(t.weight)}·${parenIn(t.input)}`).join(' + ');
  return el('tr', {},
    el('th', { scope: 'row' }, `[${c.at[0]},${c.at[1]}]`),
    el('td', { class: 'expr' }, `${sum} = ${f4(c.sum)}`),
    el('td', {}, f4(b1)),
    el('td', {}, f4(c.value)),
    el('td', {}, `${f4(c.activated)}${c.negative ? ' (×slope)' : ''}`));
}

function matrixInline(k: number[]): HTMLElement {
  return el('code', {}, `[[${f4(k[0])}, ${f4(k[1])}], [${f4(k[2])}, ${f4(k[3])}]]`);
}

/** The tutorial's reading of the weights, computed for these weights. */
function reading(x: Explanation): HTMLElement {
  const r = x.reading;
  const near0 = Math.abs(r.kernel1Sum) < 0.05 * r.kernel1AbsSum;
  const items = [
    `The first kernel sums to ${f4(r.kernel1Sum)} (its |elements| sum to ${f4(r.kernel1AbsSum)})` +
      (near0 ? ': about 0, so a constant input c gives about b1 in every cell, whatever c.' : ': not near 0, so a constant input does not cancel out.'),
    `Constant inputs: ${r.constant.map((c) => `c = ${c.c} → z = ${f4(c.firstLayer)}, p = ${formatNumber(c.probability, 4)}`).join('; ')}.`,
    `The second kernel's signs are ${r.kernel2Signs.join(' ')} and b2 = ${f4(r.bias2)} (σ(b2) = ${formatNumber(r.bias2Probability, 4)}: the output when the first layer gives 0).`,
    `For this input Σ w2·a = ${f4(r.kernelTerm)}; the sign of the logit is set by ${r.decider === 'both' ? 'both the kernel term and b2 (they agree)' : r.decider === 'kernel' ? 'the kernel term (it outweighs b2)' : 'b2 (it outweighs the kernel term)'}; the largest single term is ${r.largestTerm.name} = ${f4(r.largestTerm.value)}.`,
  ];
  return el('div', {}, el('p', {}, el('strong', {}, 'Reading the weights')), el('ul', { class: 'reading' }, ...items.map((t) => el('li', {}, t))));
}
