import { DECISION_THRESHOLD } from '../../../src/lab/evaluate.js';
import { MatrixFormatError, parseMatrix, TEST_MATRICES } from '../../../src/lab/data.js';
import { el } from '../dom.js';
import { cellColour, formatNumber } from '../heatmap.js';
import type { Inspection } from '../protocol.js';

export interface InputChoice { matrix: number[][]; label: string; target: 0 | 1 }

/** Whether all nine numbers are equal: the task's definition of the "true" class. */
export function isConstant(m: number[][]): boolean {
  const v = m[0][0];
  return m.every((row) => row.every((x) => x === v));
}

/**
 * An editable 3×3 input: nine number fields, a paste box (JSON or nine numbers) and the tutorial's test
 * matrices as presets. Calls `changed` with each valid matrix.
 */
export function inputEditor(root: HTMLElement, changed: (c: InputChoice) => void) {
  let current: InputChoice = { matrix: TEST_MATRICES[2].map((r) => [...r]), label: 'test matrix 3', target: 0 };
  const cells: HTMLInputElement[] = [];
  const grid = el('div', { class: 'input-grid', role: 'group', 'aria-label': 'Input matrix, 3 rows of 3 numbers' });
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      const input = el('input', {
        type: 'text', inputmode: 'decimal', id: `x-${r}-${c}`, 'aria-label': `row ${r + 1}, column ${c + 1}`, autocomplete: 'off', spellcheck: 'false',
      });
      input.addEventListener('input', () => fromCells());
      cells.push(input);
      grid.append(input);
    }
  }
  const preset = el('select', { id: 'input-preset' },
    el('option', { value: '' }, 'Pick a matrix…'),
    ...TEST_MATRICES.map((m, i) => el('option', { value: String(i) }, `test ${i + 1}: ${JSON.stringify(m)}`)));
  preset.addEventListener('change', () => {
    if (preset.value === '') return;
    const m = TEST_MATRICES[Number(preset.value)].map((r) => [...r]);
    set({ matrix: m, label: `test matrix ${Number(preset.value) + 1}`, target: isConstant(m) ? 1 : 0 });
    preset.value = '';
  });
  const paste = el('input', { id: 'input-paste', type: 'text', placeholder: '[[1,2,3],[4,5,6],[7,8,9]] or 9 numbers', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'input-error' });
  paste.addEventListener('change', () => {
    try {
      const m = parseMatrix(paste.value);
      error.textContent = '';
      paste.removeAttribute('aria-invalid');
      set({ matrix: m, label: 'pasted', target: isConstant(m) ? 1 : 0 });
    } catch (e) {
      paste.setAttribute('aria-invalid', 'true');
      error.textContent = e instanceof MatrixFormatError ? e.message : String(e);
    }
  });
  const follow = el('input', { type: 'checkbox', id: 'input-follow' });
  const followHint = el('span', { class: 'hint', id: 'input-follow-hint' }, 'the sample the next step trains on (with One step, see each step’s gradients)');
  follow.setAttribute('aria-describedby', 'input-follow-hint');
  const error = el('p', { id: 'input-error', class: 'field-error', 'aria-live': 'polite' });
  const label = el('p', { class: 'hint', id: 'input-label' });
  root.append(
    el('div', { class: 'input-row' }, grid,
      el('div', { class: 'input-side' },
        el('div', { class: 'field' }, el('label', { for: 'input-preset' }, 'The tutorial’s test matrices'), preset),
        el('div', { class: 'field' }, el('label', { for: 'input-paste' }, 'Or paste a matrix'), paste),
        el('div', { class: 'field check' }, follow, el('label', { for: 'input-follow' }, 'Follow the training'), followHint),
        label)),
    error,
  );

  function show(): void {
    current.matrix.flat().forEach((v, i) => {
      if (Number(cells[i].value) !== v || cells[i].value.trim() === '') cells[i].value = String(v);
      cells[i].removeAttribute('aria-invalid');
      cells[i].style.backgroundColor = cellColour(v, 50);
    });
    label.textContent = `Input: ${current.label}; ${isConstant(current.matrix) ? 'constant, so the right answer is 1' : 'not constant, so the right answer is 0'}.`;
  }

  function set(c: InputChoice): void {
    current = c;
    error.textContent = '';
    show();
    changed(current);
  }

  function fromCells(): void {
    const nums = cells.map((c) => (c.value.trim() === '' ? NaN : Number(c.value)));
    let ok = true;
    nums.forEach((v, i) => {
      const bad = !Number.isFinite(v);
      if (bad) ok = false;
      if (bad) cells[i].setAttribute('aria-invalid', 'true');
      else { cells[i].removeAttribute('aria-invalid'); cells[i].style.backgroundColor = cellColour(v, 50); }
    });
    if (!ok) {
      error.textContent = 'Each cell needs a finite number.';
      return;
    }
    error.textContent = '';
    const m = [nums.slice(0, 3), nums.slice(3, 6), nums.slice(6, 9)];
    current = { matrix: m, label: 'typed', target: isConstant(m) ? 1 : 0 };
    label.textContent = `Input: typed; ${isConstant(m) ? 'constant, so the right answer is 1' : 'not constant, so the right answer is 0'}.`;
    changed(current);
  }

  function setFollowing(c: InputChoice | null, why: string): void {
    follow.disabled = c === null;
    followHint.textContent = c === null ? why : 'the sample the next step trains on (with One step, see each step’s gradients)';
    if (c === null || !follow.checked) return;
    if (JSON.stringify(c) === JSON.stringify(current)) return;
    set(c);
  }

  follow.addEventListener('change', () => changed(current));
  show();
  return {
    get current(): InputChoice { return current; },
    get following(): boolean { return follow.checked && !follow.disabled; },
    set,
    /** The trainer's next sample (null when it cannot be known here, with the reason). */
    setFollowing,
  };
}

/** The verdict line for cnn(x). */
export function verdictText(output: number, target: 0 | 1): { text: string; right: boolean } {
  const says = output > DECISION_THRESHOLD ? 'constant' : 'random';
  const right = (output > DECISION_THRESHOLD ? 1 : 0) === target;
  return { text: `cnn(x) = ${formatNumber(output, 6)} → ${says} (${right ? 'right' : 'wrong'}: the input is ${target === 1 ? 'constant' : 'random'})`, right };
}

export function verdictView(root: HTMLElement) {
  const verdict = el('p', { id: 'verdict', class: 'verdict' });
  root.append(verdict);
  return {
    render(ins: Inspection | null, target: 0 | 1): void {
      if (!ins) { verdict.textContent = '…'; return; }
      if (ins.error) { verdict.textContent = `Cannot compute: ${ins.error}`; verdict.dataset.right = ''; return; }
      const v = verdictText(ins.output, target);
      if (verdict.textContent !== v.text) verdict.textContent = v.text;
      verdict.dataset.right = String(v.right);
      verdict.dataset.output = String(ins.output);
    },
  };
}
