// The progress bar: silent unless enabled on a terminal; on one, shows the epoch count and the losses.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress } from '../../src/cli/render/progress.js';

/** A writable that records what is written; `isTTY` as given (what cli-progress and we look at). */
function sink(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({ write(chunk, _enc, cb) { chunks.push(String(chunk)); cb(); } });
  Object.assign(w, { isTTY, columns: 120 });
  return { stream: w as unknown as NodeJS.WriteStream, text: () => chunks.join('') };
}

describe('createProgress', () => {
  it('writes nothing when the stream is not a terminal', () => {
    const s = sink(false);
    const p = createProgress(10, { enabled: true, stream: s.stream });
    p.update(3, { lossTrue: 0.5, lossFalse: 0.25 });
    p.stop();
    expect(s.text()).toBe('');
  });

  it('writes nothing when disabled, even on a terminal', () => {
    const s = sink(true);
    const p = createProgress(10, { enabled: false, stream: s.stream });
    p.update(3, { lossTrue: 0.5 });
    p.stop();
    expect(s.text()).toBe('');
  });

  it('on a terminal shows the label, the epoch count and the current losses', () => {
    const s = sink(true);
    const p = createProgress(10, { enabled: true, stream: s.stream, label: 'epochs' });
    expect(s.text()).toContain('epochs [');
    expect(s.text()).toContain('0/10 | loss_true - | loss_false -');
    p.update(3, { lossTrue: 0.123456, lossFalse: '2.00e-5' });
    p.stop(); // draws the last state, then clears it
    expect(s.text()).toContain('3/10 | loss_true 0.1235 | loss_false 2.00e-5');
    const after = s.text().length;
    p.update(4, { lossTrue: 1 });
    p.stop();
    expect(s.text().length).toBe(after); // stopped: nothing more
  });

  it('refuses a total that is not a count', () => {
    expect(() => createProgress(-1, { enabled: false })).toThrow(/total/);
    expect(() => createProgress(2.5, { enabled: false })).toThrow(/total/);
  });
});
