import { OPTIMIZER_NAMES } from '../../../src/lab/train.js';
import { el } from '../dom.js';
import type { RunState } from '../state.js';
import { formatSetting, parseSetting, type SettingKey, type Settings, settingsToQuery } from '../settings.js';

export interface ControlActions {
  /** Settings were changed (already validated): the run restarts from them. */
  settings(s: Settings): void;
  start(): void;
  pause(): void;
  step(): void;
  epoch(): void;
  reset(): void;
}

interface Field { key: SettingKey; label: string; hint: string; input: HTMLInputElement | HTMLSelectElement; error: HTMLElement }

/** The settings form and the run buttons; settings are mirrored into the URL so a link reproduces the run. */
export function controlsPanel(root: HTMLElement, initial: Settings, actions: ControlActions) {
  let settings = { ...initial };
  const fields: Field[] = [];

  const form = el('form', { class: 'controls', 'aria-describedby': 'controls-help' });
  form.addEventListener('submit', (e) => e.preventDefault());

  function textField(key: SettingKey, label: string, hint: string, attrs: Record<string, string>) {
    const input = el('input', { id: `set-${key}`, name: key, ...attrs, 'aria-describedby': `set-${key}-hint set-${key}-error` });
    addField(key, label, hint, input);
  }
  function addField(key: SettingKey, label: string, hint: string, input: HTMLInputElement | HTMLSelectElement) {
    const error = el('span', { id: `set-${key}-error`, class: 'field-error', 'aria-live': 'polite' });
    const isCheck = input instanceof HTMLInputElement && input.type === 'checkbox';
    const lab = el('label', { for: input.id }, label);
    const wrap = el('div', { class: isCheck ? 'field check' : 'field' },
      ...(isCheck ? [input, lab] : [lab, input]), el('span', { id: `set-${key}-hint`, class: 'hint' }, hint), error);
    form.append(wrap);
    fields.push({ key, label, hint, input, error });
    input.addEventListener('change', () => commit());
  }

  textField('seed', 'Seed', 'torch.manual_seed(seed): the initial weights and the random set', { type: 'text', inputmode: 'numeric', autocomplete: 'off', spellcheck: 'false' });
  textField('lr', 'Learning rate', 'the tutorial uses 0.5', { type: 'number', step: 'any', min: '0' });
  textField('epochs', 'Epochs', 'passes over the 200 samples', { type: 'number', step: '1', min: '1' });
  const opt = el('select', { id: 'set-optimizer', name: 'optimizer', 'aria-describedby': 'set-optimizer-hint set-optimizer-error' });
  for (const name of OPTIMIZER_NAMES) opt.append(el('option', { value: name }, name === 'adadelta' ? 'Adadelta' : name === 'sgd' ? 'SGD' : 'Adam'));
  addField('optimizer', 'Optimiser', 'torch.optim.*', opt);
  textField('batchSize', 'Batch size', '1 is the tutorial (one sample per step)', { type: 'number', step: '1', min: '1' });
  addField('zeroGrad', 'zero_grad() before each step', 'untick: gradients accumulate', el('input', { id: 'set-zeroGrad', name: 'zeroGrad', type: 'checkbox', 'aria-describedby': 'set-zeroGrad-hint' }));
  addField('shuffle', 'Shuffle each epoch', 'the tutorial visits true then false, in order', el('input', { id: 'set-shuffle', name: 'shuffle', type: 'checkbox', 'aria-describedby': 'set-shuffle-hint' }));

  const button = (id: string, text: string, title: string, onClick: () => void) => {
    const b = el('button', { id, type: 'button', title }, text);
    b.addEventListener('click', onClick);
    return b;
  };
  const startBtn = button('btn-start', 'Start', 'Train to the last epoch', () => actions.start());
  const pauseBtn = button('btn-pause', 'Pause', 'Pause training', () => actions.pause());
  const stepBtn = button('btn-step', 'One step', 'One optimiser step (one sample, or one batch)', () => actions.step());
  const epochBtn = button('btn-epoch', 'One epoch', 'Train to the end of the current epoch', () => actions.epoch());
  const resetBtn = button('btn-reset', 'Reset', 'Back to the initial weights of this seed', () => actions.reset());
  const buttons = el('div', { class: 'buttons', role: 'group', 'aria-label': 'Run' }, startBtn, pauseBtn, stepBtn, epochBtn, resetBtn);

  // The progress line changes every few dozen ms, so it is not live; the run's state word is announced instead.
  const status = el('p', { id: 'status', class: 'status' });
  // The worker's own clock: time inside its training loop only (no messages, drawing or idle time), so that
  // µs/step compares with Node's (bench/browser.ts reads it). The data-* attributes are for machines.
  const timing = el('p', { id: 'timing', class: 'hint' });
  const announce = el('p', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });
  const link = el('a', { id: 'permalink', href: '?' }, 'Link that trains this run on load');
  const help = el('p', { id: 'controls-help', class: 'hint' }, 'Changing a setting restarts the run; the page URL always holds the settings.');
  root.append(form, buttons, status, timing, announce, el('p', { class: 'hint' }, link), help);

  function fill(): void {
    for (const f of fields) {
      if (f.input instanceof HTMLInputElement && f.input.type === 'checkbox') f.input.checked = settings[f.key] as boolean;
      else f.input.value = formatSetting(settings, f.key);
      f.input.removeAttribute('aria-invalid');
      f.error.textContent = '';
    }
    syncUrl();
  }

  function syncUrl(): void {
    const query = settingsToQuery(settings);
    const url = `${location.pathname}?${query}`;
    if (`${location.pathname}${location.search}` !== url) history.replaceState(null, '', url);
    link.href = `?${settingsToQuery(settings, { run: '1' })}`;
  }

  function commit(): void {
    const next = { ...settings };
    let ok = true;
    for (const f of fields) {
      const raw = f.input instanceof HTMLInputElement && f.input.type === 'checkbox' ? (f.input.checked ? '1' : '0') : f.input.value;
      try {
        (next as unknown as Record<string, unknown>)[f.key] = parseSetting(f.key, raw);
        f.input.removeAttribute('aria-invalid');
        f.error.textContent = '';
      } catch (e) {
        ok = false;
        f.input.setAttribute('aria-invalid', 'true');
        f.error.textContent = (e as Error).message;
      }
    }
    if (!ok) return;
    const changed = JSON.stringify(next, bigintSafe) !== JSON.stringify(settings, bigintSafe);
    settings = next;
    syncUrl();
    if (changed) actions.settings(settings);
  }

  function renderTiming(s: RunState): void {
    const text = s.steps > 0
      // No-break spaces keep each number with its unit when the line wraps.
      ? `Training time in the worker: ${(s.trainMs / 1000).toFixed(2)}\u00a0s for ${s.steps.toLocaleString('en')} steps, ` +
        `${((s.trainMs * 1000) / s.steps).toFixed(1)}\u00a0µs/step` +
        (s.wallMs > 0 ? ` · ${(s.wallMs / 1000).toFixed(2)}\u00a0s wall clock while running` : '')
      : 'Training time in the worker: none yet';
    if (timing.textContent !== text) timing.textContent = text;
    timing.dataset.trainMs = String(s.trainMs);
    timing.dataset.steps = String(s.steps);
    timing.dataset.wallMs = String(s.wallMs);
  }

  fill();

  return {
    get settings(): Settings { return settings; },
    set(s: Settings): void { settings = { ...s }; fill(); },
    render(s: RunState): void {
      const total = s.config?.epochs ?? settings.epochs;
      startBtn.disabled = s.running || s.done || s.error !== null || s.config === null;
      pauseBtn.disabled = !s.running;
      stepBtn.disabled = s.running || s.done || s.error !== null || s.config === null;
      epochBtn.disabled = stepBtn.disabled;
      const word = s.error ? `Stopped: ${s.error}` : s.done ? 'Done' : s.running ? 'Training…' : s.steps > 0 ? 'Paused' : 'Ready';
      if (announce.textContent !== word) announce.textContent = word;
      const parts = [
        word,
        `epoch ${Math.min(s.epoch, total)}/${total}`,
        `${s.steps.toLocaleString('en')} steps`,
      ];
      const text = parts.join(' · ');
      if (status.textContent !== text) status.textContent = text;
      renderTiming(s);
      status.dataset.state = s.error ? 'error' : s.done ? 'done' : s.running ? 'running' : 'idle';
    },
  };
}

function bigintSafe(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v;
}
