// The terminal loss chart and the sparkline: sizes, legend, colours, and no crash on odd data.
import { describe, expect, it } from 'vitest';
import type { LossPoint } from '../../src/charts/specs.js';
import { resample, sparkline, terminalLossChart } from '../../src/cli/render/terminal-chart.js';

const ESC = String.fromCharCode(27);
const ANSI = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');
const strip = (s: string) => s.replace(ANSI, '');
/** The plot rows: those with the y axis (a label, then ┤ or a start marker). */
const plotRows = (chart: string) => strip(chart).split('\n').filter((l) => /^ *\d\.\de[+-]\d+ [┤┼╋]/.test(l));

const decaying = (n: number): LossPoint[] =>
  Array.from({ length: n }, (_, i) => ({ epoch: 5 * i, lossTrue: 10 ** (-4 * i / (n - 1)), lossFalse: 0.5 * 10 ** (-2 * i / (n - 1)) }));

describe('terminalLossChart', () => {
  it('has the requested number of plot rows, a legend line and an epoch line', () => {
    for (const height of [2, 5, 12, 20]) {
      const chart = terminalLossChart(decaying(40), { height });
      const lines = chart.split('\n');
      expect(lines).toHaveLength(height + 2);
      expect(plotRows(chart)).toHaveLength(height);
      expect(lines[0]).toContain('loss_true');
      expect(lines[0]).toContain('loss_false');
      expect(lines[height + 1]).toMatch(/^ +epoch 0 +195$/);
    }
  });

  it('labels the y axis with losses on a log scale, from the largest to the smallest', () => {
    const rows = plotRows(terminalLossChart(decaying(41), { height: 5 }));
    expect(rows.map((r) => r.trim().split(' ')[0])).toEqual(['1.0e+0', '1.0e-1', '1.0e-2', '1.0e-3', '1.0e-4']);
    expect(terminalLossChart(decaying(41))).toMatch(/^BCE loss \(log scale\)/);
  });

  it('draws loss_true in light lines and loss_false in heavy ones, starting on the axis', () => {
    const rows = plotRows(terminalLossChart(decaying(40), { height: 9 }));
    const all = rows.join('\n');
    expect(all).toMatch(/[─╭╮╰╯│]/);
    expect(all).toMatch(/[━┏┓┗┛┃]/);
    // Both start at the top: loss_true at 1e0 (top row), loss_false at 0.5 (near it); loss_true ends at the bottom row.
    expect(rows[0]).toMatch(/^ *1\.0e\+0 ┼/);
    expect(rows[8]).toMatch(/─$/);
  });

  it('colours loss_true blue and loss_false red only when asked', () => {
    const plain = terminalLossChart(decaying(10));
    expect(plain).not.toMatch(ANSI);
    const coloured = terminalLossChart(decaying(10), { color: true });
    expect(coloured).toContain('\x1b[34m─\x1b[0m loss_true');
    expect(coloured).toContain('\x1b[31m━\x1b[0m loss_false');
    expect(coloured).toMatch(new RegExp(`${ESC}\\[34m[─╭╮╰╯│┼]`));
    expect(coloured).toMatch(new RegExp(`${ESC}\\[31m[━┏┓┗┛┃╋]`));
    expect(strip(coloured)).toBe(plain);
  });

  it('resamples to the width when there are more points', () => {
    const chart = terminalLossChart(decaying(1000), { width: 30, height: 6 });
    const rows = plotRows(chart);
    expect(rows).toHaveLength(6);
    for (const r of rows) expect(r.length).toBeLessThanOrEqual(10 + 30);
    expect(chart).toContain('1000 points resampled to 30');
    expect(chart.split('\n').at(-1)).toMatch(/ 4995$/);
  });

  it('survives NaN, Infinity, zero losses, a single point and no points', () => {
    const pts = decaying(20).map((p, i) => (i === 3 ? { ...p, lossTrue: NaN } : i === 7 ? { ...p, lossFalse: Infinity } : i > 15 ? { ...p, lossTrue: 0 } : p));
    const chart = terminalLossChart(pts, { height: 8 });
    expect(plotRows(chart)).toHaveLength(8);
    expect(chart).toContain('2 non-finite values not drawn');
    expect(chart).toContain('values below 1e-12 drawn at 1e-12');
    expect(plotRows(chart).at(-1)).toMatch(/^ *1\.0e-12 /);

    const allNaN = terminalLossChart([{ epoch: 0, lossTrue: NaN, lossFalse: NaN }, { epoch: 5, lossTrue: NaN, lossFalse: -Infinity }], { height: 4 });
    expect(plotRows(allNaN)).toHaveLength(4);
    expect(allNaN).toContain('4 non-finite values not drawn');

    const one = terminalLossChart([{ epoch: 0, lossTrue: 0.5, lossFalse: 0.6 }], { height: 5 });
    const rows = plotRows(one);
    expect(rows).toHaveLength(5);
    expect(rows[0]).toMatch(/╋$/); // loss_false (0.6) at the top
    expect(rows[4]).toMatch(/┼$/); // loss_true (0.5) at the bottom

    const flat = plotRows(terminalLossChart([{ epoch: 0, lossTrue: 0.3, lossFalse: 0.3 }, { epoch: 5, lossTrue: 0.3, lossFalse: 0.3 }], { height: 5 }));
    expect(flat).toHaveLength(5);
    expect(flat[2]).toMatch(/3\.0e-1 ╋━$/); // a flat curve sits in the middle

    expect(terminalLossChart([])).toContain('no points recorded');
  });

  it('refuses a height or width too small to draw', () => {
    expect(() => terminalLossChart(decaying(5), { height: 1 })).toThrow(/height/);
    expect(() => terminalLossChart(decaying(5), { width: 1.5 })).toThrow(/width/);
  });
});

describe('resample', () => {
  it('keeps the first and last and spreads the rest evenly', () => {
    expect(resample([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 6)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(resample([1, 2], 5)).toEqual([1, 2]);
  });
});

describe('sparkline', () => {
  it('maps the lowest to ▁ and the highest to █, one character per value', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([3, 1, 2])).toBe('█▁▅');
  });
  it('shows non-finite values as spaces and survives empty, constant and all-NaN input', () => {
    expect(sparkline([1, NaN, 2, Infinity])).toBe('▁ █ ');
    expect(sparkline([])).toBe('');
    expect(sparkline([4, 4])).toBe('▁▁');
    expect(sparkline([NaN, NaN])).toBe('  ');
    expect(sparkline(Array.from({ length: 200_000 }, (_, i) => i))).toHaveLength(200_000);
  });
});
