export type Align = 'l' | 'r';

export interface TableOptions {
  /**
   * Per column: 'l' pads on the right, 'r' on the left. Default: 'r' for a column whose cells are all numbers,
   * 'l' otherwise.
   */
  align?: ReadonlyArray<Align>;
  /** Between columns; default two spaces. */
  gap?: string;
}

/** Characters as a terminal counts them (code points, so '…' or 'é' is one). */
function width(s: string): number {
  return Array.from(s).length;
}

function pad(s: string, w: number, align: Align): string {
  const fill = ' '.repeat(Math.max(0, w - width(s)));
  return align === 'r' ? fill + s : s + fill;
}

/**
 * A plain aligned text table: the header, a rule of dashes, then the rows; trailing spaces trimmed.
 * @example formatTable(['epoch', 'loss'], [[0, 0.69], [5, 0.1]])
 */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>, opts: TableOptions = {}): string {
  rows.forEach((r, i) => {
    if (r.length > headers.length) throw new RangeError(`row ${i} has ${r.length} cells but there are ${headers.length} columns`);
  });
  const align: Align[] = headers.map((_, c) => opts.align?.[c]
    ?? (rows.length > 0 && rows.every((r) => typeof r[c] === 'number') ? 'r' : 'l'));
  const cells = rows.map((r) => headers.map((_, c) => (r[c] === undefined ? '' : String(r[c]))));
  const widths = headers.map((h, c) => Math.max(width(h), ...cells.map((r) => width(r[c]))));
  const gap = opts.gap ?? '  ';
  const line = (r: readonly string[]) => r.map((v, c) => pad(v, widths[c], align[c])).join(gap).trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join(gap), ...cells.map(line)].join('\n');
}
