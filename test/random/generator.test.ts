// test/fixtures/rng.json (PyTorch 1.13, AVX2): rand in float32/float64, mixed sequences and the default
// Conv2d/Linear initialisation, bit for bit; plus the Generator API's seeding, state and error behaviour.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { biasBound, kaimingUniformBound } from '../../src/nn/init-bounds.js';
import {
  DEFAULT_SEED,
  Generator,
  defaultGenerator,
  initialSeed,
  manualSeed,
} from '../../src/random/index.js';
import { RANDPERM_SMALL_N_LIMIT, STATE_BYTES } from '../../src/random/generator.js';

interface Saved {
  shape: number[];
  dtype: 'float32' | 'float64';
  data: number[];
}
interface LayerInit {
  weight: Saved;
  bias: Saved;
}
interface RngCase {
  seed: number;
  rand_f32_1: Saved;
  rand_f32_20: Saved;
  rand_f32_2x3x3: Saved;
  rand_f64_20: Saved;
  rand_sequence_f32_3_f64_2_f32_17: Saved[];
  conv2d_1_1_2: LayerInit;
  conv2d_3_4_3: LayerInit;
  linear_5_3: LayerInit;
}

const fixtureText = readFileSync(new URL('../fixtures/rng.json', import.meta.url), 'utf8');
const fixture = JSON.parse(fixtureText) as { cases: RngCase[] };
// JSON numbers lose seeds above 2^53 (2^63 - 1 is one), so the seeds are re-read from the text as bigints.
const exactSeeds = Array.from(fixtureText.matchAll(/"seed":\s*(\d+)/g), (m) => BigInt(m[1]));

const numel = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

function buffer(saved: Saved): Float32Array | Float64Array {
  return saved.dtype === 'float32' ? new Float32Array(numel(saved.shape)) : new Float64Array(numel(saved.shape));
}

/** Bit equality (Object.is per element), reporting the first differing index. */
function expectBits(got: ArrayLike<number>, saved: Saved, label: string): void {
  const want = saved.dtype === 'float32' ? saved.data.map(Math.fround) : saved.data;
  expect(got.length, label).toBe(want.length);
  const bad = want.findIndex((w, i) => !Object.is(got[i], w));
  expect(bad === -1 ? 'all equal' : `index ${bad}: got ${got[bad]}, want ${want[bad]}`, label).toBe('all equal');
}

function drawUniform(gen: Generator, saved: Saved, from?: number, to?: number): Float32Array | Float64Array {
  const out = buffer(saved);
  gen.fillUniform(out, from, to);
  return out;
}

describe('rng.json: PyTorch 1.13 rand and default init, bit for bit', () => {
  it('has every seed, including those above 2^32 and 2^53', () => {
    expect(exactSeeds).toEqual([0n, 1n, 7n, 2023n, 4294967301n, 9223372036854775807n]);
    expect(fixture.cases.length).toBe(exactSeeds.length);
  });

  fixture.cases.forEach((c, index) => {
    const seed = exactSeeds[index];
    describe(`seed ${seed}`, () => {
      const gen = new Generator();
      const reseed = (): Generator => gen.manualSeed(seed);

      it('rand float32 (1, 20, 2x3x3) and float64 (20)', () => {
        for (const key of ['rand_f32_1', 'rand_f32_20', 'rand_f32_2x3x3', 'rand_f64_20'] as const) {
          expectBits(drawUniform(reseed(), c[key]), c[key], key);
        }
      });

      it('a mixed float32 / float64 / float32 sequence', () => {
        reseed();
        for (const [i, saved] of c.rand_sequence_f32_3_f64_2_f32_17.entries()) {
          expectBits(drawUniform(gen, saved), saved, `call ${i}`);
        }
      });

      const layers: Array<['conv2d_1_1_2' | 'conv2d_3_4_3' | 'linear_5_3', number]> = [
        ['conv2d_1_1_2', 4],
        ['conv2d_3_4_3', 27],
        ['linear_5_3', 5],
      ];
      for (const [key, fanIn] of layers) {
        it(`default init of ${key} (fan_in ${fanIn}): weight, then bias`, () => {
          const layer = c[key];
          reseed();
          const bound = kaimingUniformBound(fanIn);
          expectBits(drawUniform(gen, layer.weight, -bound, bound), layer.weight, 'weight');
          const b = biasBound(fanIn);
          expectBits(drawUniform(gen, layer.bias, -b, b), layer.bias, 'bias');
        });
      }

      it('remembers the full 64-bit seed', () => {
        expect(reseed().initialSeed()).toBe(seed);
      });
    });
  });
});

describe('seeding', () => {
  const draws = (gen: Generator, n: number): number[] => Array.from({ length: n }, () => gen.nextUint32());

  it('uses the low 32 bits of the seed for the engine', () => {
    expect(draws(new Generator(2n ** 32n + 5n), 8)).toEqual(draws(new Generator(5), 8));
    expect(draws(new Generator(2n ** 63n - 1n), 8)).toEqual(draws(new Generator(0xffffffff), 8));
    expect(draws(new Generator(2 ** 32 + 5), 8)).toEqual(draws(new Generator(5), 8));
  });

  it('accepts numbers and bigints alike', () => {
    expect(draws(new Generator(2023), 4)).toEqual(draws(new Generator(2023n), 4));
    expect(new Generator(2023).initialSeed()).toBe(2023n);
    expect(new Generator(2n ** 64n - 1n).initialSeed()).toBe(2n ** 64n - 1n);
  });

  it('a new Generator starts from PyTorch default_rng_seed_val, like torch.Generator()', () => {
    expect(DEFAULT_SEED).toBe(67280421310721n);
    const gen = new Generator();
    expect(gen.initialSeed()).toBe(DEFAULT_SEED);
    expect(draws(gen, 4)).toEqual(draws(new Generator(67280421310721n), 4));
  });

  it('rejects negative, fractional, unsafe and out-of-range seeds with a RangeError', () => {
    const gen = new Generator(1);
    for (const bad of [-1, 1.5, Number.NaN, Infinity, 2 ** 53, -1n, 2n ** 64n]) {
      expect(() => gen.manualSeed(bad), String(bad)).toThrow(RangeError);
    }
    expect(() => gen.manualSeed(2 ** 60)).toThrow(/bigint/);
    expect(() => gen.manualSeed(-3)).toThrow(/non-negative/);
    expect(() => new Generator(-1n)).toThrow(/2\^64/);
    expect(gen.initialSeed()).toBe(1n);
  });

  it('seed() picks, applies and returns a 64-bit seed', () => {
    const gen = new Generator(1);
    const s = gen.seed();
    expect(typeof s).toBe('bigint');
    expect(s >= 0n && s < 2n ** 64n).toBe(true);
    expect(gen.initialSeed()).toBe(s);
    expect(draws(gen, 4)).toEqual(draws(new Generator(s), 4));
    // 2^-64 chance of a false failure.
    expect(gen.seed()).not.toBe(s);
  });

  it('manualSeed / initialSeed drive the default generator', () => {
    expect(manualSeed(7)).toBe(defaultGenerator);
    expect(initialSeed()).toBe(7n);
    expect(draws(defaultGenerator, 4)).toEqual(draws(new Generator(7), 4));
    manualSeed(2n ** 63n - 1n);
    expect(initialSeed()).toBe(2n ** 63n - 1n);
  });

  it('re-seeding drops a cached normal sample', () => {
    const gen = new Generator(3);
    gen.fillNormal(new Float64Array(1)); // leaves the sine sample cached
    gen.manualSeed(3);
    const a = new Float64Array(2);
    gen.fillNormal(a);
    const b = new Float64Array(2);
    new Generator(3).fillNormal(b);
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});

describe('getState / setState', () => {
  it('round-trips the engine and the cached normal sample', () => {
    const gen = new Generator(11);
    gen.fillNormal(new Float64Array(3)); // odd count: one sample stays cached
    const state = gen.getState();
    expect(state.length).toBe(STATE_BYTES);
    const after = new Float64Array(5);
    gen.fillNormal(after);
    gen.fillUniform(new Float32Array(700)); // move past a regeneration of the MT state
    gen.setState(state);
    const again = new Float64Array(5);
    gen.fillNormal(again);
    expect(Array.from(again)).toEqual(Array.from(after));
    expect(Array.from(new Generator(1).setState(state).getState())).toEqual(Array.from(state));
    expect(new Generator(1).setState(state).initialSeed()).toBe(11n);
  });

  it('does not share memory with the snapshot', () => {
    const gen = new Generator(5);
    const state = gen.getState();
    const copy = state.slice();
    gen.nextUint32();
    expect(Array.from(state)).toEqual(Array.from(copy));
    state.fill(0);
    const ref = new Generator(5);
    ref.nextUint32();
    expect(gen.nextUint32()).toBe(ref.nextUint32());
  });

  it('accepts a view into a larger buffer', () => {
    const gen = new Generator(9);
    const state = gen.getState();
    const big = new Uint8Array(STATE_BYTES + 16);
    big.set(state, 8);
    const other = new Generator(1).setState(big.subarray(8, 8 + STATE_BYTES));
    expect(other.nextUint32()).toBe(gen.nextUint32());
  });

  it('throws on malformed input and leaves the generator as it was', () => {
    const gen = new Generator(21);
    const good = gen.getState();
    const patched = (edit: (view: DataView, bytes: Uint8Array) => void): Uint8Array => {
      const bytes = good.slice();
      edit(new DataView(bytes.buffer), bytes);
      return bytes;
    };
    const bad: Array<[string, Uint8Array, RegExp]> = [
      ['too short', good.slice(0, STATE_BYTES - 8), /5056 bytes/],
      ['too long', new Uint8Array(STATE_BYTES + 1), /5056 bytes/],
      ['not seeded', patched((v) => v.setInt32(12, 0, true)), /seeded/],
      ['left = 0', patched((v) => v.setInt32(8, 0, true)), /'left'/],
      ['left = 625', patched((v) => v.setInt32(8, 625, true)), /'left'/],
      ['next = 625', patched((v) => v.setBigUint64(16, 625n, true)), /'next'/],
      ['next past the array', patched((v) => { v.setInt32(8, 624, true); v.setBigUint64(16, 5n, true); }), /'next'/],
      ['a word above 32 bits', patched((v) => v.setUint32(24 + 8 * 3 + 4, 1, true)), /word 3/],
      ['normal flag 2', patched((v) => v.setInt32(5040, 2, true)), /flags/],
      ['float normal flag 7', patched((_, b) => { b[5052] = 7; }), /flags/],
    ];
    for (const [label, bytes, message] of bad) {
      expect(() => gen.setState(bytes), label).toThrow(message);
    }
    expect(() => gen.setState([1, 2, 3] as unknown as Uint8Array)).toThrow(TypeError);
    expect(Array.from(gen.getState())).toEqual(Array.from(good));
  });
});

describe('argument checks follow PyTorch', () => {
  const gen = new Generator(0);

  it('uniform_ bounds', () => {
    expect(() => gen.fillUniform(new Float32Array(2), 1, 0)).toThrow(/\[from, to\) range/);
    expect(() => gen.fillUniform(new Float32Array(2), Number.NaN, 1)).toThrow(RangeError);
    expect(() => gen.fillUniform(new Float64Array(2), 0, Infinity)).toThrow(/out of bounds/);
    expect(() => gen.fillUniform(new Float32Array(2), 0, 1e39)).toThrow(/out of bounds for float32/);
    expect(() => gen.fillUniform(new Float32Array(2), -3e38, 3e38)).toThrow(/to - from/);
    expect(() => gen.fillUniform(new Float64Array(2), -1e308, 1e308)).toThrow(/to - from/);
    // An empty range is allowed and gives `from`.
    const out = new Float32Array(3);
    gen.fillUniform(out, 0.25, 0.25);
    expect(Array.from(out)).toEqual([0.25, 0.25, 0.25]);
  });

  it('normal_ std', () => {
    expect(() => gen.fillNormal(new Float32Array(2), 0, -1)).toThrow(/std >= 0.0/);
    expect(() => gen.fillNormal(new Float32Array(20), 0, Number.NaN)).toThrow(RangeError);
    const zeroStd = new Float32Array(20);
    gen.fillNormal(zeroStd, 1.5, 0);
    expect(Array.from(zeroStd)).toEqual(new Array(20).fill(1.5));
  });

  it('randomInt bounds', () => {
    expect(() => gen.randomInt(3, 3)).toThrow(/low < high/);
    expect(() => gen.randomInt(0.5, 3)).toThrow(/safe integers/);
    expect(() => gen.randomInt(0, 2 ** 53)).toThrow(/safe integers/);
    for (let i = 0; i < 200; i++) {
      const v = gen.randomInt(-3, 4);
      expect(Number.isInteger(v) && v >= -3 && v < 4).toBe(true);
    }
    expect(gen.randomInt(5, 6)).toBe(5);
  });

  it('randomInt takes one 32-bit draw below a 2^32 range and two above', () => {
    const a = new Generator(4);
    const b = new Generator(4);
    a.randomInt(0, 2 ** 32 - 1);
    b.nextUint32();
    expect(a.nextUint32()).toBe(b.nextUint32());
    a.randomInt(0, 2 ** 32);
    b.nextUint32();
    b.nextUint32();
    expect(a.nextUint32()).toBe(b.nextUint32());
    // The full safe range needs exact arithmetic: high - low exceeds 2^53.
    const v = a.randomInt(-(2 ** 53) + 1, 2 ** 53 - 1);
    expect(Number.isSafeInteger(v)).toBe(true);
  });

  it('randperm sizes', () => {
    expect(gen.randperm(0)).toEqual([]);
    expect(gen.randperm(1)).toEqual([0]);
    expect(() => gen.randperm(-1)).toThrow(RangeError);
    expect(() => gen.randperm(2.5)).toThrow(RangeError);
    expect(RANDPERM_SMALL_N_LIMIT).toBe(214748364);
    expect(() => gen.randperm(RANDPERM_SMALL_N_LIMIT)).toThrow(/n < 214748364/);
    const p = gen.randperm(500);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });

  it('randperm(1) and randperm(0) draw nothing', () => {
    const a = new Generator(8);
    a.randperm(1);
    a.randperm(0);
    expect(a.nextUint32()).toBe(new Generator(8).nextUint32());
  });
});
