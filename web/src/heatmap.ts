// Small matrices drawn as tables: each cell coloured by its value (blue negative, red positive) with the
// number written in it, so the colours are never the only carrier of the information.

export interface MatrixOptions {
  /** Accessible name of the table, e.g. "model.0.weight". */
  label: string;
  /** |value| that gets the strongest colour; defaults to the largest |value| in the matrix. */
  max?: number;
  digits?: number;
  className?: string;
}

export function formatNumber(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 10 ** -digits || a >= 1e6)) return v.toExponential(2);
  return v.toFixed(digits);
}

export function cellColour(v: number, max: number): string {
  if (!Number.isFinite(v) || max <= 0) return 'transparent';
  const t = Math.max(-1, Math.min(1, v / max));
  const alpha = (0.08 + 0.62 * Math.abs(t)).toFixed(3);
  return t >= 0 ? `rgba(214, 96, 77, ${alpha})` : `rgba(67, 147, 195, ${alpha})`;
}

export function matrixTable(values: ArrayLike<number>, rows: number, cols: number, opts: MatrixOptions): HTMLTableElement {
  const table = document.createElement('table');
  table.className = `matrix ${opts.className ?? ''}`.trim();
  table.setAttribute('aria-label', opts.label);
  const body = table.createTBody();
  for (let r = 0; r < rows; r++) {
    const tr = body.insertRow();
    for (let c = 0; c < cols; c++) tr.insertCell();
  }
  updateMatrix(table, values, opts);
  return table;
}

export function updateMatrix(table: HTMLTableElement, values: ArrayLike<number>, opts: Omit<MatrixOptions, 'label'> = {}): void {
  const digits = opts.digits ?? 4;
  let max = opts.max ?? 0;
  if (opts.max === undefined) for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i]));
  const cells = table.querySelectorAll('td');
  cells.forEach((td, i) => {
    const v = values[i];
    const text = formatNumber(v, digits);
    if (td.textContent !== text) td.textContent = text;
    td.title = String(v);
    td.style.backgroundColor = cellColour(v, max);
  });
}
