import { el } from '../dom.js';
import type { RunState } from '../state.js';

/** state_dict() every 20 epochs, printed as PyTorch prints it (the Trainer's snapshot text). */
export function snapshotsPanel(root: HTMLElement) {
  const list = el('div', { class: 'snapshots', id: 'snapshots' });
  const empty = el('p', { class: 'hint' }, 'Train to see print(cnn.state_dict()) at epochs 0, 20, 40, …');
  root.append(empty, list);
  let run = -1;
  let count = 0;
  return {
    render(s: RunState): void {
      if (s.run !== run || s.snapshots.length < count) {
        run = s.run;
        count = 0;
        list.replaceChildren();
      }
      for (; count < s.snapshots.length; count++) {
        const snap = s.snapshots[count];
        list.prepend(el('section', { class: 'snapshot', 'aria-label': `state_dict at epoch ${snap.epoch}` },
          el('h3', {}, `epoch ${snap.epoch}`), el('pre', { tabindex: 0 }, snap.text)));
      }
      empty.hidden = count > 0;
    },
  };
}
