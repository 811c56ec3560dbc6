/**
 * Python's number and string formatting, reproduced exactly.
 *
 * PyTorch prints tensors with Python's `'{:.4f}'.format(x)` and `'{:.4e}'.format(x)`, which round the
 * *exact* binary value of the double half-to-even. JavaScript's `toFixed`/`toExponential` round
 * exact ties away from zero instead (`(0.125).toFixed(2)` is '0.13', Python says '0.12'), and drop
 * the sign of negative zero, so both are done here on the exact decimal expansion with BigInt.
 */

const scratch = new DataView(new ArrayBuffer(8));

/** The exact value of a finite |x| as `digits * 10 ** exp10` (every double has a finite decimal expansion). */
function exactDecimal(x: number): { digits: bigint; exp10: number } {
  scratch.setFloat64(0, Math.abs(x));
  const hi = scratch.getUint32(0);
  const lo = scratch.getUint32(4);
  const biasedExp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp2: number;
  if (biasedExp === 0) {
    exp2 = -1074; // subnormal
  } else {
    mant |= 1n << 52n;
    exp2 = biasedExp - 1075;
  }
  if (mant === 0n) return { digits: 0n, exp10: 0 };
  while ((mant & 1n) === 0n && exp2 < 0) {
    mant >>= 1n;
    exp2 += 1;
  }
  if (exp2 >= 0) return { digits: mant << BigInt(exp2), exp10: 0 };
  // m * 2^-k == m * 5^k * 10^-k
  return { digits: mant * 5n ** BigInt(-exp2), exp10: exp2 };
}

/** n / d rounded half to even (n >= 0, d > 0). */
function divRoundHalfEven(n: bigint, d: bigint): bigint {
  const q = n / d;
  const twiceRem = 2n * (n - q * d);
  if (twiceRem > d || (twiceRem === d && (q & 1n) === 1n)) return q + 1n;
  return q;
}

function isNegative(x: number): boolean {
  return x < 0 || Object.is(x, -0);
}

function nonFinite(x: number): string | null {
  if (Number.isNaN(x)) return 'nan'; // Python prints a negative NaN as 'nan' too
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return null;
}

/** Python's `format(x, '.{precision}f')`. */
export function formatFixed(x: number, precision: number): string {
  checkPrecision(precision);
  const special = nonFinite(x);
  if (special !== null) return special;
  const { digits, exp10 } = exactDecimal(x);
  const shift = exp10 + precision;
  const scaled = shift >= 0 ? digits * 10n ** BigInt(shift) : divRoundHalfEven(digits, 10n ** BigInt(-shift));
  const s = scaled.toString().padStart(precision + 1, '0');
  const intPart = s.slice(0, s.length - precision);
  const body = precision > 0 ? `${intPart}.${s.slice(s.length - precision)}` : intPart;
  return (isNegative(x) ? '-' : '') + body;
}

/** Python's `format(x, '.{precision}e')`: one digit before the point, exponent signed and at least two digits. */
export function formatExp(x: number, precision: number): string {
  checkPrecision(precision);
  const special = nonFinite(x);
  if (special !== null) return special;
  const sign = isNegative(x) ? '-' : '';
  const { digits, exp10 } = exactDecimal(x);
  let mantissa: string;
  let exponent: number;
  if (digits === 0n) {
    mantissa = '0'.repeat(precision + 1);
    exponent = 0;
  } else {
    const s = digits.toString();
    exponent = s.length - 1 + exp10;
    const keep = precision + 1;
    if (s.length > keep) {
      mantissa = divRoundHalfEven(digits, 10n ** BigInt(s.length - keep)).toString();
      if (mantissa.length > keep) {
        // rounded up to the next power of ten, e.g. 9.99996 -> 10.0000
        mantissa = mantissa.slice(0, keep);
        exponent += 1;
      }
    } else {
      mantissa = s + '0'.repeat(keep - s.length);
    }
  }
  const head = precision > 0 ? `${mantissa[0]}.${mantissa.slice(1)}` : mantissa;
  const expSign = exponent < 0 ? '-' : '+';
  return `${sign}${head}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

function checkPrecision(precision: number): void {
  if (!Number.isInteger(precision) || precision < 0) {
    throw new RangeError(`precision must be a non-negative integer, got ${precision}`);
  }
}

/**
 * Python's `repr(float)`: the shortest decimal that round-trips, in fixed notation when the decimal
 * point falls within 16 digits of the first digit (and -4 < exponent), with '.0' added to integral
 * values; otherwise 'd.ddde±XX'. Examples: '0.01', '1e-06', '0.5', '1.0', '1e+16', 'inf', 'nan'.
 */
export function pyFloat(x: number): string {
  const special = nonFinite(x);
  if (special !== null) return special;
  const sign = isNegative(x) ? '-' : '';
  if (x === 0) return `${sign}0.0`;
  // JavaScript's shortest round-trip digits are the same as Python's repr digits.
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(Math.abs(x).toExponential());
  if (m === null) throw new Error(`unexpected toExponential output for ${x}`);
  const digits = m[1] + (m[2] ?? '');
  const exp = Number(m[3]);
  const decpt = exp + 1; // x = 0.d1d2... * 10^decpt
  if (decpt <= -4 || decpt > 16) {
    const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${head}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
  if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}

/**
 * Python's `repr(int)` for an integral number (all digits, never exponent notation, no negative zero);
 * non-integral numbers fall back to {@link pyFloat}.
 */
export function pyNumber(x: number): string {
  if (Number.isInteger(x)) return BigInt(x).toString();
  return pyFloat(x);
}

/**
 * Python's `repr(str)`: single quotes unless the text holds a single quote and no double quote;
 * backslash, the quote, \t \n \r and other control characters escaped.
 */
export function pyStr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || (code >= 0x7f && code < 0xa0)) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}
