import { el } from '../dom.js';
import { matrixTable } from '../heatmap.js';
import type { RunState } from '../state.js';

const PAGE = 10;

/** The 100 constant and the 100 random training matrices, a page at a time, each usable as the input. */
export function dataPanel(root: HTMLElement, useAsInput: (m: number[], label: string, target: 0 | 1) => void) {
  let which: 'true' | 'false' = 'true';
  let page = 0;
  let shownRun = -1;
  let state: RunState | null = null;

  const radio = (value: 'true' | 'false', text: string) => {
    const input = el('input', { type: 'radio', name: 'dataset', id: `dataset-${value}`, value, checked: value === which });
    input.addEventListener('change', () => { which = value; page = 0; draw(); });
    return el('span', { class: 'check' }, input, el('label', { for: `dataset-${value}` }, text));
  };
  const sets = el('fieldset', { class: 'inline' }, el('legend', {}, 'Training set'),
    radio('true', 'constant matrices (target 1)'), radio('false', 'random matrices (target 0)'));
  const prev = el('button', { type: 'button', id: 'data-prev' }, '← Previous');
  const next = el('button', { type: 'button', id: 'data-next' }, 'Next →');
  const where = el('span', { class: 'pager-pos', 'aria-live': 'polite' });
  prev.addEventListener('click', () => { page = Math.max(0, page - 1); draw(); });
  next.addEventListener('click', () => { page = Math.min(pages() - 1, page + 1); draw(); });
  const grid = el('ul', { class: 'samples', 'aria-label': 'Training matrices' });
  root.append(sets, el('div', { class: 'pager' }, prev, where, next), grid);

  function values(): number[] {
    return state ? (which === 'true' ? state.trueSet : state.falseSet) : [];
  }
  function pages(): number {
    return Math.max(1, Math.ceil(values().length / 9 / PAGE));
  }

  function draw(): void {
    const v = values();
    const n = v.length / 9;
    const from = page * PAGE;
    const to = Math.min(n, from + PAGE);
    where.textContent = n === 0 ? 'loading…' : `${which === 'true' ? 'constant' : 'random'} ${from + 1}–${to} of ${n}`;
    prev.disabled = page === 0;
    next.disabled = page >= pages() - 1;
    const items: HTMLElement[] = [];
    for (let i = from; i < to; i++) {
      const m = v.slice(i * 9, i * 9 + 9);
      const label = `${which === 'true' ? 'constant' : 'random'} #${i}`;
      const use = el('button', { type: 'button', class: 'small', 'aria-label': `Use ${label} as the input` }, 'Use as input');
      use.addEventListener('click', () => useAsInput(m, label, which === 'true' ? 1 : 0));
      items.push(el('li', { class: 'sample' }, el('span', { class: 'sample-name' }, `#${i}`), matrixTable(m, 3, 3, { label, max: 50, digits: 2 }), use));
    }
    grid.replaceChildren(...items);
  }

  return {
    render(s: RunState): void {
      state = s;
      if (s.trueSet.length > 0 && s.run !== shownRun) {
        shownRun = s.run;
        draw();
      }
    },
  };
}
