// test/fixtures/rng_extra.json, written by test/fixtures/generate_rng_extra.py with Debian's PyTorch 1.13.1
// (AVX2): randn / normal_ on both paths, uniform_ with awkward bounds, randint, randperm, get_rng_state and
// long runs stored as SHA-256 hashes. Everything is bit-exact except float64 normal samples, where PyTorch
// calls glibc's log/sin/cos: those are matched by correctly rounded versions, and glibc itself misrounds a
// few arguments in a thousand, so about 2 float64 values in 1000 differ in the last bit (at most 2 ulps of
// the sample on a 100000-value run); the fixture's own counts are asserted below.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Generator } from '../../src/random/index.js';

interface Saved {
  shape: number[];
  dtype: 'float32' | 'float64';
  data: number[];
}
type SavedUniform = Saved & { from: number; to: number };
interface ExtraCase {
  seed: number;
  [key: string]: unknown;
}
interface Extra {
  about: string;
  cases: ExtraCase[];
  torch_Generator_rand_f32_3: Saved;
  randn_f64_1024_seed_0: Saved;
  randn_f64_15_x64_seed_0: Saved;
  normal_2_3_f64_1024_seed_0: Saved;
  normal_2_3_f64_15_x64_seed_0: Saved;
  uniform_crafted_draws: Array<SavedUniform & { draws: number[] }>;
  randn_f32_crafted_draws: Saved & { u1_draws: number[]; u2_draws: number[] };
  randn_f32_enumerated_sha256: Array<{ step: number; values: number; sha256: string }>;
  bulk_sha256: Record<string, { seed: number; sha256: string }>;
}

const extra = JSON.parse(readFileSync(new URL('../fixtures/rng_extra.json', import.meta.url), 'utf8')) as Extra;
const get = <T>(c: ExtraCase, key: string): T => {
  if (!(key in c)) throw new Error(`fixture has no ${key}`);
  return c[key] as T;
};

const numel = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
const alloc = (saved: Saved): Float32Array | Float64Array =>
  saved.dtype === 'float32' ? new Float32Array(numel(saved.shape)) : new Float64Array(numel(saved.shape));

function expectBits(got: ArrayLike<number>, saved: Saved, label: string): void {
  const want = saved.dtype === 'float32' ? saved.data.map(Math.fround) : saved.data;
  expect(got.length, label).toBe(want.length);
  const bad = want.findIndex((w, i) => !Object.is(got[i], w));
  expect(bad === -1 ? 'all equal' : `index ${bad}: got ${got[bad]}, want ${want[bad]}`, label).toBe('all equal');
}

/** Distance in units in the last place between two doubles of the same sign. */
function ulpDistance(a: number, b: number): number {
  if (Object.is(a, b)) return 0;
  const view = new DataView(new ArrayBuffer(16));
  view.setFloat64(0, a);
  view.setFloat64(8, b);
  const d = view.getBigInt64(0) - view.getBigInt64(8);
  return Number(d < 0n ? -d : d);
}

/**
 * float64 normal samples: the count of values that are not bit-identical, and the largest distance in ulps of
 * the standard-normal sample behind each value (value = sample * std + mean, fused).
 */
function float64Differences(got: ArrayLike<number>, want: number[], mean = 0, std = 1): { count: number; maxUlps: number } {
  let count = 0;
  let maxUlps = 0;
  want.forEach((w, i) => {
    if (Object.is(got[i], w)) return;
    count++;
    const ulpOfSample = 2 ** (Math.floor(Math.log2(Math.abs((w - mean) / std))) - 52);
    const ulpOfValue = 2 ** (Math.floor(Math.log2(Math.abs(w))) - 52);
    // Rounding of the fused multiply-add adds at most half an ulp of the value.
    maxUlps = Math.max(maxUlps, (Math.abs(got[i] - w) - ulpOfValue / 2) / (std * ulpOfSample));
  });
  return { count, maxUlps };
}

function sha256(array: Float32Array | Float64Array | BigInt64Array): string {
  return createHash('sha256').update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength)).digest('hex');
}

/** The MT19937 state word whose tempered output is y (each tempering step is invertible). */
function untemper(output: number): number {
  let y = output >>> 0;
  y = (y ^ (y >>> 18)) >>> 0;
  y = (y ^ ((y << 15) & 0xefc60000)) >>> 0;
  let x = y;
  for (let i = 0; i < 5; i++) x = (y ^ ((x << 7) & 0x9d2c5680)) >>> 0;
  y = x;
  for (let i = 0; i < 3; i++) x = (y ^ (x >>> 11)) >>> 0;
  return x;
}

/** A generator whose next draws are exactly `outputs`, built the way the fixture script builds PyTorch's. */
function generatorDrawing(outputs: number[]): Generator {
  const bytes = new Generator(0).getState();
  const view = new DataView(bytes.buffer);
  view.setInt32(8, 624, true); // left
  view.setBigUint64(16, 0n, true); // next
  outputs.forEach((word, i) => view.setBigUint64(24 + 8 * i, BigInt(untemper(word)), true));
  return new Generator().setState(bytes);
}

const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

describe('rng_extra.json provenance', () => {
  it('says where it came from', () => {
    expect(extra.about).toMatch(/generate_rng_extra\.py/);
    expect(extra.about).toMatch(/AVX2/);
    expect(extra.cases.map((c) => c.seed)).toEqual([0, 7]);
  });
});

for (const c of extra.cases) {
  describe(`seed ${c.seed}`, () => {
    const gen = new Generator();
    const reseed = (): Generator => gen.manualSeed(c.seed);

    for (const size of [1, 2, 3, 7, 15, 16, 17, 33]) {
      it(`randn float32 of ${size} (${size < 16 ? 'scalar Box–Muller' : 'blocked AVX2 path'}) is bit-exact`, () => {
        const saved = get<Saved>(c, `randn_f32_${size}`);
        const out = alloc(saved);
        reseed().fillNormal(out);
        expectBits(out, saved, `randn_f32_${size}`);
      });
    }

    it('randn float64 of 1..33 elements: bit-exact for these seeds', () => {
      for (const size of [1, 2, 3, 7, 15, 16, 17, 33]) {
        const saved = get<Saved>(c, `randn_f64_${size}`);
        const out = alloc(saved);
        reseed().fillNormal(out);
        expectBits(out, saved, `randn_f64_${size}`);
      }
    });

    for (const tag of ['f32', 'f64']) {
      it(`${tag}: randn(3) then randn(5) starts from the cached second sample`, () => {
        reseed();
        for (const saved of get<Saved[]>(c, `randn_sequence_${tag}_3_5`)) {
          const out = alloc(saved);
          gen.fillNormal(out);
          expectBits(out, saved, `randn_sequence_${tag}_3_5`);
        }
      });

      it(`${tag}: randn(3), randn(17), randn(1): the blocked path leaves the cache alone`, () => {
        reseed();
        for (const [i, saved] of get<Saved[]>(c, `randn_sequence_${tag}_3_17_1`).entries()) {
          const out = alloc(saved);
          gen.fillNormal(out);
          expectBits(out, saved, `call ${i}`);
        }
      });

      it(`${tag}: normal_(mean=2, std=3) on 5 and 33 elements`, () => {
        for (const size of [5, 33]) {
          const saved = get<Saved>(c, `normal_2_3_${tag}_${size}`);
          const out = alloc(saved);
          reseed().fillNormal(out, 2, 3);
          expectBits(out, saved, `normal_2_3_${tag}_${size}`);
        }
      });

      it(`${tag}: uniform_ with bounds where a fused multiply-add differs from separate operations`, () => {
        for (const saved of get<SavedUniform[]>(c, `uniform_${tag}_64`)) {
          const out = alloc(saved);
          reseed().fillUniform(out, saved.from, saved.to);
          expectBits(out, saved, `uniform_(${saved.from}, ${saved.to})`);
        }
      });
    }

    it('rand after randn continues from the right draw', () => {
      for (const key of ['rand_f32_4_after_randn_f32_3', 'rand_f32_4_after_randn_f32_17', 'rand_f64_4_after_randn_f64_3']) {
        const [normal, uniform] = get<Saved[]>(c, key);
        reseed();
        const n = alloc(normal);
        gen.fillNormal(n);
        const u = alloc(uniform);
        gen.fillUniform(u);
        expectBits(n, normal, key);
        expectBits(u, uniform, key);
      }
    });

    it('randperm(5), randperm(10), and both in sequence', () => {
      expect(reseed().randperm(5)).toEqual(get<number[]>(c, 'randperm_5'));
      expect(reseed().randperm(10)).toEqual(get<number[]>(c, 'randperm_10'));
      reseed();
      expect([gen.randperm(5), gen.randperm(10)]).toEqual(get<number[][]>(c, 'randperm_sequence_5_10'));
    });

    it('randint below and above a 2^32 range', () => {
      reseed();
      expect(Array.from({ length: 20 }, () => gen.randomInt(-7, 1000))).toEqual(get<number[]>(c, 'randint_-7_1000_20'));
      reseed();
      expect(Array.from({ length: 10 }, () => gen.randomInt(-(2 ** 40), 2 ** 41))).toEqual(
        get<number[]>(c, 'randint_-2^40_2^41_10'),
      );
    });

    it('getState is byte-identical to torch.get_rng_state()', () => {
      expect(Array.from(reseed().getState())).toEqual(Array.from(fromBase64(get<string>(c, 'get_rng_state_after_seed'))));
      const withCache = get<{ state_base64: string; randn_f64_2_next: Saved }>(c, 'get_rng_state_after_randn_f64_3');
      reseed().fillNormal(new Float64Array(3));
      expect(Array.from(gen.getState())).toEqual(Array.from(fromBase64(withCache.state_base64)));
    });

    it('setState accepts torch.get_rng_state(), cached normal sample included', () => {
      const withCache = get<{ state_base64: string; randn_f64_2_next: Saved }>(c, 'get_rng_state_after_randn_f64_3');
      const fresh = new Generator(12345).setState(fromBase64(withCache.state_base64));
      expect(fresh.initialSeed()).toBe(BigInt(c.seed));
      const out = alloc(withCache.randn_f64_2_next);
      fresh.fillNormal(out);
      expectBits(out, withCache.randn_f64_2_next, 'randn after set_rng_state');
    });
  });
}

describe('more of PyTorch', () => {
  it('torch.Generator() and new Generator() agree', () => {
    const saved = extra.torch_Generator_rand_f32_3;
    const out = alloc(saved);
    new Generator().fillUniform(out);
    expectBits(out, saved, 'rand(3, generator=torch.Generator())');
  });

  it('float64 randn(1024), blocked path: identical (libm differences are rare)', () => {
    const saved = extra.randn_f64_1024_seed_0;
    const out = alloc(saved);
    new Generator(0).fillNormal(out);
    const { count, maxUlps } = float64Differences(out, saved.data);
    // Observed: all 1024 identical. A misrounding by glibc could make one differ by an ulp (about 1 value
    // in 500 on long runs); a broken pairing, tail or fused multiply-add would change hundreds.
    expect(count).toBe(0);
    expect(maxUlps).toBeLessThanOrEqual(1);
  });

  it('float64 randn(15) 64 times, scalar path: one value 1 ulp off, where glibc misrounds', () => {
    const saved = extra.randn_f64_15_x64_seed_0;
    const gen = new Generator(0);
    const got: number[] = [];
    for (let i = 0; i < 64; i++) {
      const out = new Float64Array(15);
      gen.fillNormal(out);
      got.push(...out);
    }
    const { count, maxUlps } = float64Differences(got, saved.data);
    // Observed: 1 of 960 differs, by 1 ulp (index 790: glibc's cos(theta) is misrounded there; ours is the
    // correctly rounded value, checked with mpmath). Everything else is identical.
    expect(count).toBe(1);
    expect(got[790]).not.toBe(saved.data[790]);
    expect(ulpDistance(got[790], saved.data[790])).toBe(1);
    expect(maxUlps).toBeLessThanOrEqual(1);
  });
});

describe('float64 normal_(2, 3): the sample * std + mean step is one fused multiply-add', () => {
  // Unfused, about one value in five would differ in the last bit; the few differences here are libm's.
  it('blocked path, 1024 values', () => {
    const saved = extra.normal_2_3_f64_1024_seed_0;
    const out = alloc(saved);
    new Generator(0).fillNormal(out, 2, 3);
    const { count, maxUlps } = float64Differences(out, saved.data, 2, 3);
    // Observed: all identical (the same draws as randn_f64_1024_seed_0, which are all identical too).
    expect(count).toBe(0);
    expect(maxUlps).toBeLessThanOrEqual(1);
  });

  it('scalar path, 64 calls of 15', () => {
    const saved = extra.normal_2_3_f64_15_x64_seed_0;
    const gen = new Generator(0);
    const got: number[] = [];
    for (let i = 0; i < 64; i++) {
      const out = new Float64Array(15);
      gen.fillNormal(out, 2, 3);
      got.push(...out);
    }
    const { count, maxUlps } = float64Differences(got, saved.data, 2, 3);
    // Observed: 1 of 960 differs, at index 790: the sample where glibc's cos is misrounded (see above).
    expect(count).toBe(1);
    expect(got[790]).not.toBe(saved.data[790]);
    expect(maxUlps).toBeLessThanOrEqual(1);
  });
});

describe('uniform_ on crafted draws: a float32 tie only the fused multiply-add breaks', () => {
  it('matches PyTorch fed the same draws through set_rng_state', () => {
    expect(extra.uniform_crafted_draws.length).toBe(3);
    for (const c of extra.uniform_crafted_draws) {
      const out = alloc(c);
      generatorDrawing(c.draws).fillUniform(out, c.from, c.to);
      expectBits(out, c, `uniform_(${c.from}, ${c.to})`);
    }
    // The three answers differ only through the sign of a `from` 2^-80 away from zero.
    expect(extra.uniform_crafted_draws.map((c) => c.data[0])).toEqual([0.5 + 2 ** -12 + 2 ** -24, 0.5 + 2 ** -12, 0.5 + 2 ** -12]);
  });

  it('the crafted generator really yields the chosen draws', () => {
    const words = [0, 1, 0xffffffff, 8390656, 0x9d2c5680];
    const gen = generatorDrawing(words);
    expect(words.map(() => gen.nextUint32())).toEqual(words);
  });
});

/** randn over chosen uniforms, 38 blocks of 16 per crafted state, as the fixture script feeds PyTorch. */
function randnOnDraws(u1: ArrayLike<number>, u2: ArrayLike<number>): Float32Array {
  const words = new Array<number>(2 * u1.length);
  for (let b = 0; b < u1.length / 8; b++) {
    for (let j = 0; j < 8; j++) {
      words[16 * b + j] = u1[8 * b + j];
      words[16 * b + 8 + j] = u2[8 * b + j];
    }
  }
  const out = new Float32Array(words.length);
  for (let start = 0; start < words.length; start += 608) {
    const chunk = words.slice(start, start + 608);
    generatorDrawing(chunk).fillNormal(out.subarray(start, start + chunk.length));
  }
  return out;
}

function enumeratedRandn(step: number): Float32Array {
  const count = Math.floor((2 ** 24 + step - 1) / step);
  const n = count - (count % 8);
  const u1 = Array.from({ length: n }, (_, i) => i * step);
  return randnOnDraws(u1, u1.map((i) => 2 ** 24 - 1 - i));
}

describe('float32 randn kernel on chosen uniforms', () => {
  it('angles that depend on the fused y * DP3 reduction step, and radii at both ends', () => {
    const c = extra.randn_f32_crafted_draws;
    expectBits(randnOnDraws(c.u1_draws, c.u2_draws), c, 'randn on crafted draws');
  });

  const [subset, all] = extra.randn_f32_enumerated_sha256;
  it(`every ${subset.step}th uniform as radius and angle input (${subset.values} values)`, () => {
    const out = enumeratedRandn(subset.step);
    expect(out.length).toBe(subset.values);
    expect(sha256(out)).toBe(subset.sha256);
  });

  // All 2^24 float32 uniforms as radius input and as angle input: 33.5 million values, about 25 s, so only on
  // request. It passed when written (PyTorch and torchlet agree on every value).
  it.skipIf(!process.env.TORCHLET_EXHAUSTIVE_RNG)(`all 2^24 uniforms as radius and angle input (${all.values} values)`, () => {
    const out = enumeratedRandn(all.step);
    expect(out.length).toBe(all.values);
    expect(sha256(out)).toBe(all.sha256);
  });
});

describe('long runs, by SHA-256 of the bytes', () => {
  const bulk = extra.bulk_sha256;
  const spec = (name: string): { gen: Generator; sha256: string } => {
    const entry = bulk[name];
    if (!entry) throw new Error(`fixture has no ${name}`);
    return { gen: new Generator(entry.seed), sha256: entry.sha256 };
  };

  const run = (name: string, make: (gen: Generator) => Float32Array | Float64Array | BigInt64Array): void => {
    it(name, () => {
      const { gen, sha256: want } = spec(name);
      expect(sha256(make(gen))).toBe(want);
    });
  };
  const filled = <T extends Float32Array | Float64Array>(out: T, fill: (out: T) => void): T => {
    fill(out);
    return out;
  };

  run('randn_f32_100000', (g) => filled(new Float32Array(100000), (o) => g.fillNormal(o)));
  run('randn_f32_100003', (g) => filled(new Float32Array(100003), (o) => g.fillNormal(o)));
  run('normal_2_3_f32_100000', (g) => filled(new Float32Array(100000), (o) => g.fillNormal(o, 2, 3)));
  run('normal_-0.5_0.01_f32_4096', (g) => filled(new Float32Array(4096), (o) => g.fillNormal(o, -0.5, 0.01)));
  run('randn_f32_15_x2000', (g) => {
    const all = new Float32Array(15 * 2000);
    for (let i = 0; i < 2000; i++) g.fillNormal(all.subarray(15 * i, 15 * (i + 1)));
    return all;
  });
  run('rand_f32_100000', (g) => filled(new Float32Array(100000), (o) => g.fillUniform(o)));
  run('rand_f64_100000', (g) => filled(new Float64Array(100000), (o) => g.fillUniform(o)));
  run('uniform_-1/3_2/7_f32_100000', (g) => filled(new Float32Array(100000), (o) => g.fillUniform(o, -1 / 3, 2 / 7)));
  run('uniform_-1/3_2/7_f64_100000', (g) => filled(new Float64Array(100000), (o) => g.fillUniform(o, -1 / 3, 2 / 7)));
  run('uniform_0.1_0.35_f32_100000', (g) => filled(new Float32Array(100000), (o) => g.fillUniform(o, 0.1, 0.35)));
  run('uniform_1e-3_7e5_f64_100000', (g) => filled(new Float64Array(100000), (o) => g.fillUniform(o, 1e-3, 7e5)));
  run('randint_-7_1000_int64_100000', (g) => BigInt64Array.from({ length: 100000 }, () => BigInt(g.randomInt(-7, 1000))));
  run('randint_-2^40_2^41_int64_10000', (g) =>
    BigInt64Array.from({ length: 10000 }, () => BigInt(g.randomInt(-(2 ** 40), 2 ** 41))),
  );
  run('randperm_1000_int64', (g) => BigInt64Array.from(g.randperm(1000), (v) => BigInt(v)));

  it('covers every hash in the fixture', () => {
    expect(Object.keys(bulk).length).toBe(14);
  });
});
