import { InvalidArgumentError } from 'commander';

// Option parsers for commander: each turns bad text into one clear line naming the option's value.

export function parseInteger(min = 0): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected an integer ≥ ${min}, got '${value}'.`);
    }
    return n;
  };
}

export function parsePositiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError(`expected a positive number, got '${value}'.`);
  }
  return n;
}

/** A seed: 0 … 2^64-1, kept exact as a bigint beyond 2^53. */
export function parseSeed(value: string): number | bigint {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected a seed from 0 to 2^64-1, got '${value}'.`);
  const big = BigInt(value.trim());
  if (big >= 2n ** 64n) throw new InvalidArgumentError(`expected a seed from 0 to 2^64-1, got '${value}'.`);
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/** '0..19' or '0,3,5' or '0..4,10' → integers. */
export function parseIntegerList(value: string): number[] {
  const out: number[] = [];
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const range = /^(\d+)\.\.(\d+)$/.exec(part);
    if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])];
      if (b < a) throw new InvalidArgumentError(`range '${part}' runs backwards.`);
      if (b - a > 100_000) throw new InvalidArgumentError(`range '${part}' is too long.`);
      for (let i = a; i <= b; i++) out.push(i);
    } else if (/^\d+$/.test(part)) {
      out.push(Number(part));
    } else {
      throw new InvalidArgumentError(`expected integers or ranges like 0..19, got '${part}'.`);
    }
  }
  if (out.length === 0) throw new InvalidArgumentError(`expected at least one integer, got '${value}'.`);
  return out;
}

/** '0.05,0.1,0.5' → positive numbers. */
export function parseNumberList(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new InvalidArgumentError(`expected a comma-separated list of numbers, got '${value}'.`);
  return parts.map((p) => {
    const n = Number(p);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected positive numbers, got '${p}'.`);
    return n;
  });
}

export function parseChoice<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`expected one of ${choices.join(', ')}, got '${value}'.`);
    }
    return value as T;
  };
}
