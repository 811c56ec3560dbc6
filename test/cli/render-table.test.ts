// Plain text tables: columns padded to the widest cell, left or right aligned.
import { describe, expect, it } from 'vitest';
import { formatTable } from '../../src/cli/render/table.js';

describe('formatTable', () => {
  it('right-aligns number columns and left-aligns text by default', () => {
    expect(formatTable(['epoch', 'series', 'loss'], [[0, 'loss_true', 0.6931], [195, 'loss_false', 1e-7]])).toBe([
      'epoch  series        loss',
      '-----  ----------  ------',
      '    0  loss_true   0.6931',
      '  195  loss_false    1e-7',
    ].join('\n'));
  });

  it('follows the alignment asked for', () => {
    expect(formatTable(['a', 'bb'], [['xxx', 1], ['y', 22]], { align: ['r', 'l'] })).toBe([
      '  a  bb',
      '---  --',
      'xxx  1',
      '  y  22',
    ].join('\n'));
  });

  it('counts characters, not UTF-16 units, and leaves short rows blank', () => {
    const t = formatTable(['name', 'n'], [['é…', 1], ['𝑥']]).split('\n');
    expect(t).toEqual(['name  n', '----  -', 'é…    1', '𝑥']);
  });

  it('refuses a row longer than the header', () => {
    expect(() => formatTable(['a'], [[1, 2]])).toThrow(/row 0 has 2 cells/);
  });

  it('with no rows, is the header and its rule', () => {
    expect(formatTable(['epoch', 'loss'], [])).toBe('epoch  loss\n-----  ----');
  });
});
