// Number and matrix formatting shared by the lab commands (predict, explain, grad, ablate, sweep, atlas).

/** x with `digits` significant digits (exponent form below 1e-4 or from 1e6), no '-0'. */
export function num(x: number, digits = 4): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 1e-4 || a >= 1e6) return x.toExponential(digits - 1).replace('e+', 'e');
  if (a >= 10 ** digits) return String(Math.round(x));
  const s = x.toPrecision(digits);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** A number as a factor in a product: parenthesised when negative, "(-0.4180)". */
export function factor(x: number, digits = 4): string {
  const s = num(x, digits);
  return x < 0 ? `(${s})` : s;
}

/** "a + b - c": a sum of terms with their signs. */
export function signedSum(terms: readonly number[], digits = 4): string {
  return terms.map((t, i) => {
    const s = num(Math.abs(t), digits);
    if (i === 0) return t < 0 ? `-${s}` : s;
    return t < 0 ? `- ${s}` : `+ ${s}`;
  }).join(' ');
}

/** A fraction as a percentage, "61.5%". */
export function pct(x: number, digits = 1): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(digits)}%` : 'n/a';
}

/** A matrix on one line, as the user could type it: [[1,2,3],[4,5,6],[7,8,9]]. */
export function matrixText(m: ReadonlyArray<ReadonlyArray<number>>): string {
  return `[${m.map((row) => `[${row.map((v) => String(Math.fround(v) === v ? shortFloat32(v) : v)).join(',')}]`).join(',')}]`;
}

/** The shortest decimal that reads back as the same float32 (11.11 rather than 11.109999656677246). */
export function shortFloat32(v: number): string {
  const f = Math.fround(v);
  for (let p = 1; p <= 9; p++) {
    const s = String(Number(f.toPrecision(p)));
    if (Math.fround(Number(s)) === f) return s;
  }
  return String(f);
}

/** "the model's verdict": true = all elements equal (target 1), false = random (target 0). */
export function verdictText(verdict: boolean): string {
  return verdict ? 'true  (all elements equal)' : 'false (random)';
}

/** A list of seeds, ranges collapsed: 0-3, 7, 9-11. */
export function seedList(seeds: readonly number[]): string {
  if (seeds.length === 0) return 'none';
  const sorted = [...seeds].sort((a, b) => a - b);
  const parts: string[] = [];
  let start = sorted[0];
  let prev = start;
  for (const s of [...sorted.slice(1), NaN]) {
    if (s === prev + 1) {
      prev = s;
      continue;
    }
    parts.push(start === prev ? `${start}` : prev === start + 1 ? `${start}, ${prev}` : `${start}-${prev}`);
    start = prev = s;
  }
  return parts.join(', ');
}

/** The optimiser as PyTorch names its class. */
export function optimizerTitle(name: string): string {
  return ({ adadelta: 'Adadelta', sgd: 'SGD', adam: 'Adam' } as Record<string, string>)[name] ?? name;
}

/** "1 matrix" / "2 matrices". */
export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
