import { describe, expect, it } from 'vitest';
import { fromStorage, tensor } from '../../src/tensor/creation.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import {
  MAX_HEADER_BYTES,
  StateDictFormatError,
  decodeSafetensors,
  decodeSafetensorsWithMetadata,
  encodeSafetensors,
} from '../../src/io/index.js';
import { bits, expectSameStateDict, f32, f64 } from './state-dict-helpers.js';

/** A safetensors file from a header text and data bytes, with the header length field as given (default: right). */
function raw(header: string, data: ArrayLike<number> = [], headerLength?: number | bigint): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? h.length), true);
  out.set(h, 8);
  out.set(Array.from(data), 8 + h.length);
  return out;
}

function decodeError(bytes: Uint8Array): StateDictFormatError {
  try {
    decodeSafetensors(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(StateDictFormatError);
    const e = err as StateDictFormatError;
    expect(e.name).toBe('StateDictFormatError');
    expect(e.message).not.toContain('\n');
    return e;
  }
  throw new Error('expected decodeSafetensors to throw');
}

function encodeError(sd: ReadonlyMap<string, Tensor>, metadata?: Record<string, string>): string {
  try {
    encodeSafetensors(sd, metadata);
  } catch (err) {
    expect(err).toBeInstanceOf(StateDictFormatError);
    return (err as Error).message;
  }
  throw new Error('expected encodeSafetensors to throw');
}

describe('safetensors round trip', () => {
  it('keeps float32 bits exactly: -0, subnormals, the extremes, 0.1, random patterns', () => {
    const special = [0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007fffff, 0x00800000, 0x7f7fffff, 0xff7fffff, 0x3dcccccd, 0x3f800000];
    const random: number[] = [];
    let s = 12345;
    while (random.length < 1000) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const b = (s ^ (s << 7)) >>> 0;
      if (((b >>> 23) & 0xff) !== 0xff) random.push(b); // finite only
    }
    const sd = new Map([
      ['special', fromStorage(f32(special), [2, 5])],
      ['random', fromStorage(f32(random), [10, 10, 10])],
    ]);
    const back = decodeSafetensors(encodeSafetensors(sd));
    expectSameStateDict(sd, back);
    expect(bits(back.get('special')!)).toEqual(special.map((b) => b.toString(16)));
  });

  it('keeps float64 bits exactly: -0, subnormals, the extremes, 0.1', () => {
    const special = [0n, 0x8000000000000000n, 1n, 0x000fffffffffffffn, 0x0010000000000000n, 0x7fefffffffffffffn, 0xffefffffffffffffn, 0x3fb999999999999an];
    const sd = new Map([['w', fromStorage(f64(special), [8])]]);
    const back = decodeSafetensors(encodeSafetensors(sd));
    expectSameStateDict(sd, back);
    expect(Object.is(back.get('w')!.values()[1], -0)).toBe(true);
    expect(back.get('w')!.values()[2]).toBe(5e-324);
    expect(back.get('w')!.values()[5]).toBe(Number.MAX_VALUE);
  });

  it("keeps the state_dict's key order, integer-like and odd keys included", () => {
    const keys = ['model.2.weight', '10', '2', 'b', 'a', '__proto__', 'constructor', 'ünï "quoted"\n\\', ''];
    const sd = new Map(keys.map((k, i) => [k, tensor([i])] as const));
    const back = decodeSafetensors(encodeSafetensors(sd));
    expect([...back.keys()]).toEqual(keys);
    expectSameStateDict(sd, back);
  });

  it('round-trips the tutorial CNN key layout, mixed dtypes, a Map subclass (like nn.StateDict)', () => {
    class StateDictLike extends Map<string, Tensor> {}
    const sd = new StateDictLike([
      ['model.0.weight', tensor([[[[0.25, -0.5], [1.5, 2]]]])],
      ['model.0.bias', tensor([0.1])],
      ['model.2.weight', tensor([[[[1, 2], [3, 4]]]], { dtype: 'float64' })],
      ['model.2.bias', tensor([-0.3], { dtype: 'float64' })],
    ]);
    expectSameStateDict(sd, decodeSafetensors(encodeSafetensors(sd)));
  });

  it('writes the empty state_dict as 16 bytes and reads it back', () => {
    const bytes = encodeSafetensors(new Map());
    expect(Array.from(bytes)).toEqual([8, 0, 0, 0, 0, 0, 0, 0, ...Array.from(new TextEncoder().encode('{}      '))]);
    expect(decodeSafetensors(bytes).size).toBe(0);
  });

  it('round-trips 0-d and empty tensors with their shapes', () => {
    const sd = new Map([
      ['scalar32', tensor(2.5)],
      ['scalar64', tensor(-0.125, { dtype: 'float64' })],
      ['empty', fromStorage(new Float32Array(0), [0])],
      ['empty3d', fromStorage(new Float64Array(0), [2, 0, 3])],
      ['after', tensor([7, 8])],
    ]);
    const back = decodeSafetensors(encodeSafetensors(sd));
    expectSameStateDict(sd, back);
    expect(back.get('scalar32')!.shape).toEqual([]);
    expect(back.get('scalar32')!.item()).toBe(2.5);
    expect(back.get('empty3d')!.shape).toEqual([2, 0, 3]);
  });

  it('writes a non-contiguous view in its row-major order', () => {
    const m = tensor([[1, 2, 3], [4, 5, 6]]);
    const back = decodeSafetensors(encodeSafetensors(new Map([['t', m.t()]])));
    expect(back.get('t')!.shape).toEqual([3, 2]);
    expect(Array.from(back.get('t')!.values())).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('keeps metadata, and the decoded tensors do not alias the input (even a pooled Node Buffer)', () => {
    const bytes = encodeSafetensors(new Map([['w', tensor([1, 2, 3])]]), { format: 'pt', note: 'ü' });
    const pooled = Buffer.from(bytes); // small Buffers live at an offset in a shared pool
    const { tensors, metadata } = decodeSafetensorsWithMetadata(pooled);
    expect(metadata).toEqual({ format: 'pt', note: 'ü' });
    const w = tensors.get('w')!;
    expect(Array.from(w.values())).toEqual([1, 2, 3]);
    expect(w.data.length).toBe(3);
    pooled.fill(0);
    expect(Array.from(w.values())).toEqual([1, 2, 3]);
    expect(decodeSafetensorsWithMetadata(encodeSafetensors(new Map())).metadata).toEqual({});
  });
});

describe('safetensors byte layout', () => {
  it('writes a tiny float32 file exactly as the format lays it out (hand-computed)', () => {
    const bytes = encodeSafetensors(new Map([['a', tensor([1, -2])]]));
    // Header: 54 bytes of JSON + 2 spaces = 56, a multiple of 8, so the data starts at 8 + 56 = 64.
    const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  ';
    expect(header.length).toBe(56);
    const expected = [
      56, 0, 0, 0, 0, 0, 0, 0,
      ...Array.from(header, (c) => c.charCodeAt(0)),
      0x00, 0x00, 0x80, 0x3f, // 1.0f little-endian
      0x00, 0x00, 0x00, 0xc0, // -2.0f
    ];
    expect(Array.from(bytes)).toEqual(expected);
    expect(bytes.length).toBe(72);
  });

  it('writes metadata first and a 0-d float64 tensor exactly (hand-computed)', () => {
    const bytes = encodeSafetensors(new Map([['w', tensor(0.5, { dtype: 'float64' })]]), { k: 'v' });
    const header = '{"__metadata__":{"k":"v"},"w":{"dtype":"F64","shape":[],"data_offsets":[0,8]}}  ';
    expect(header.length).toBe(80);
    expect(Array.from(bytes)).toEqual([
      80, 0, 0, 0, 0, 0, 0, 0,
      ...Array.from(header, (c) => c.charCodeAt(0)),
      0, 0, 0, 0, 0, 0, 0xe0, 0x3f, // 0.5 little-endian
    ]);
  });

  it('pads every header to a multiple of 8 and packs the data with no gaps, in key order', () => {
    for (let n = 0; n < 12; n++) {
      const sd = new Map([['x'.repeat(n), tensor([1])], ['y', tensor([2, 3], { dtype: 'float64' })]]);
      const bytes = encodeSafetensors(sd);
      const h = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect(h % 8).toBe(0);
      expect(bytes.length).toBe(8 + h + 4 + 16);
      const text = new TextDecoder().decode(bytes.subarray(8, 8 + h));
      expect(text.trimEnd().endsWith('}')).toBe(true);
      expect(text.slice(text.trimEnd().length)).toMatch(/^ *$/);
      const header = JSON.parse(text) as Record<string, { data_offsets: number[] }>;
      expect(header['x'.repeat(n)].data_offsets).toEqual([0, 4]);
      expect(header.y.data_offsets).toEqual([4, 20]);
    }
  });
});

describe('safetensors decoder validation (every failure a one-line StateDictFormatError)', () => {
  const entry = (dtype: string, shape: unknown, offsets: unknown): string => JSON.stringify({ dtype, shape, data_offsets: offsets });
  const four = [0, 0, 128, 63]; // 1.0f

  it('refuses inputs too short for the length field', () => {
    for (const n of [0, 1, 7]) expect(decodeError(new Uint8Array(n)).message).toMatch(/too short to hold the 8-byte header length/);
  });

  it('refuses a header length larger than the file (truncation)', () => {
    const good = encodeSafetensors(new Map([['w', tensor([1, 2, 3])]]));
    expect(decodeError(good.subarray(0, 20)).message).toMatch(/header length \d+ is more than the 12 bytes that follow it \(truncated/);
    expect(decodeError(raw('{}', [], 2n ** 64n - 1n)).message).toMatch(/header length 18446744073709551615 is more than/);
  });

  it('refuses a header length over the 100 MB cap, even when the file is that long', () => {
    const big = new Uint8Array(8 + MAX_HEADER_BYTES + 8);
    new DataView(big.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES + 8), true);
    expect(decodeError(big).message).toMatch(/header length 100000008 is over the 100000000-byte limit/);
  });

  it('refuses input over maxBytes before reading it', () => {
    const good = encodeSafetensors(new Map([['w', tensor([1, 2, 3])]]));
    expect(() => decodeSafetensors(good, { maxBytes: 10 })).toThrow(new StateDictFormatError(`not a valid safetensors file: ${good.length} bytes is over the 10-byte limit`));
    expect(decodeSafetensors(good, { maxBytes: good.length }).size).toBe(1);
  });

  it('refuses a header that is not UTF-8, not JSON, or not an object', () => {
    const bad = new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0, 0xc3, 0x28]);
    expect(decodeError(bad).message).toMatch(/header is not valid UTF-8/);
    expect(decodeError(raw('{"a": ')).message).toMatch(/header is not valid JSON: unexpected the end of the text at character 6|header is not valid JSON/);
    expect(decodeError(raw('{"a":1,}')).message).toMatch(/header is not valid JSON: expected a string key/);
    expect(decodeError(raw('\ufeff{}')).message).toMatch(/header is not valid JSON/);
    expect(decodeError(raw('{} x')).message).toMatch(/unexpected "x" after the JSON value/);
    expect(decodeError(raw('[]      ')).message).toMatch(/header is not a JSON object/);
    expect(decodeError(raw('')).message).toMatch(/header is not valid JSON/);
    expect(decodeError(raw('['.repeat(1_000_000))).message).toMatch(/nested deeper than 3 levels/);
  });

  it('refuses duplicate keys, at the top and inside an entry', () => {
    const e = entry('F32', [1], [0, 4]);
    expect(decodeError(raw(`{"a":${e},"a":${e}}`, [...four, ...four])).message).toMatch(/duplicate key "a"/);
    expect(decodeError(raw('{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}', four)).message).toMatch(/duplicate key "dtype"/);
  });

  it("names an unsupported dtype: 'unsupported dtype BF16 for \"x\"'", () => {
    expect(decodeError(raw(`{"x":${entry('BF16', [2], [0, 4])}}`, four)).message).toBe(
      'not a valid safetensors file: unsupported dtype BF16 for "x" (torchlet reads F32 and F64)',
    );
    expect(decodeError(raw(`{"x":${entry('I64', [1], [0, 8])}}`, [...four, ...four])).message).toMatch(/unsupported dtype I64 for "x"/);
    expect(decodeError(raw(`{"x":${entry('F33', [1], [0, 4])}}`, four)).message).toMatch(/unknown dtype "F33" for "x"/);
    expect(decodeError(raw('{"x":{"shape":[1],"data_offsets":[0,4]}}', four)).message).toMatch(/entry "x" has no "dtype" string/);
  });

  it('refuses entries that are not objects or have unexpected fields', () => {
    expect(decodeError(raw('{"x":[1]}')).message).toMatch(/entry "x" is not an object/);
    expect(decodeError(raw('{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}}', four)).message).toMatch(/entry "x" has an unexpected field "extra"/);
  });

  it('refuses shapes that are not lists of non-negative integers', () => {
    for (const shape of [null, 'abc', 3, [-1], [1.5], ['1'], [1e300], [2 ** 53]]) {
      expect(decodeError(raw(`{"x":${entry('F32', shape, [0, 4])}}`, four)).message).toMatch(/entry "x" has no valid "shape"/);
    }
    expect(decodeError(raw(`{"x":${entry('F32', [[1]], [0, 4])}}`, four)).message).toMatch(/nested deeper than 3 levels/);
  });

  it('refuses bad data_offsets', () => {
    for (const offsets of [null, [0], [0, 4, 8], [-4, 0], [0, 4.5], ['0', '4'], [0, 2 ** 60]]) {
      const m = decodeError(raw(`{"x":${entry('F32', [1], offsets)}}`, four)).message;
      expect(m).toMatch(/entry "x" has (no valid "data_offsets"|data_offsets \[0, 1152921504606846976\] past the end)/);
    }
    expect(decodeError(raw(`{"x":${entry('F32', [0], [4, 0])}}`, four)).message).toMatch(/data_offsets \[4, 0\] that end before they begin/);
    expect(decodeError(raw(`{"x":${entry('F32', [2], [0, 8])}}`, four)).message).toMatch(/data_offsets \[0, 8\] past the end of the 4-byte data section \(truncated file\?\)/);
  });

  it('refuses a byte span that does not match shape × itemsize', () => {
    expect(decodeError(raw(`{"x":${entry('F32', [2], [0, 4])}}`, four)).message).toBe(
      'not a valid safetensors file: entry "x" has shape [2] of F32 (8 bytes) but data_offsets [0, 4] span 4 bytes',
    );
    expect(decodeError(raw(`{"x":${entry('F64', [1], [0, 4])}}`, four)).message).toMatch(/shape \[1\] of F64 \(8 bytes\)/);
    // A claimed element count far beyond the input is refused without multiplying it out or allocating.
    expect(decodeError(raw(`{"x":${entry('F32', [1e9, 1e9, 1e9], [0, 4])}}`, four)).message).toMatch(/shape \[1000000000, 1000000000, 1000000000\] of F32 \(too many bytes\) but data_offsets \[0, 4\] span 4 bytes/);
  });

  it('refuses overlapping tensors, gaps, and bytes the header does not describe', () => {
    const two = [...four, ...four];
    expect(decodeError(raw(`{"a":${entry('F32', [2], [0, 8])},"b":${entry('F32', [1], [4, 8])}}`, two)).message).toMatch(/entry "b" \(bytes 4..8\) overlaps another tensor's bytes/);
    expect(decodeError(raw(`{"a":${entry('F32', [1], [0, 4])},"b":${entry('F32', [1], [0, 4])}}`, four)).message).toMatch(/overlaps/);
    expect(decodeError(raw(`{"a":${entry('F32', [1], [4, 8])}}`, two)).message).toMatch(/bytes 0..4 of the data section belong to no tensor/);
    expect(decodeError(raw(`{"a":${entry('F32', [1], [0, 4])}}`, two)).message).toMatch(/the last 4 bytes of the data section belong to no tensor/);
    expect(decodeError(raw('{}', four)).message).toMatch(/the last 4 bytes/);
  });

  it('accepts tensors listed out of data order and empty tensors sharing an offset', () => {
    const bytes = raw(`{"b":${entry('F32', [1], [4, 8])},"e1":${entry('F32', [0], [4, 4])},"a":${entry('F32', [1], [0, 4])},"e2":${entry('F64', [0, 5], [8, 8])}}`, [0, 0, 0, 64, 0, 0, 128, 63]);
    const sd = decodeSafetensors(bytes);
    expect([...sd.keys()]).toEqual(['b', 'e1', 'a', 'e2']);
    expect(sd.get('a')!.item()).toBe(2);
    expect(sd.get('b')!.item()).toBe(1);
    expect(sd.get('e2')!.shape).toEqual([0, 5]);
  });

  it('refuses NaN and infinite values, naming the tensor and the flat index', () => {
    const nan = [0, 0, 192, 127];
    const inf = [0, 0, 128, 255];
    expect(decodeError(raw(`{"w":${entry('F32', [3], [0, 12])}}    `, [...four, ...four, ...nan])).message).toBe(
      'not a valid safetensors file: tensor "w" holds NaN at flat index 2 (only finite values are accepted)',
    );
    expect(decodeError(raw(`{"w":${entry('F32', [2, 1], [0, 8])}}`, [...inf, ...four])).message).toMatch(/tensor "w" holds -Infinity at flat index 0/);
    const d = new Uint8Array(new Float64Array([1, Infinity]).buffer);
    expect(decodeError(raw(`{"v":${entry('F64', [2], [0, 16])}}`, d)).message).toMatch(/tensor "v" holds Infinity at flat index 1/);
  });

  it('refuses __metadata__ that is not a map of strings', () => {
    expect(decodeError(raw('{"__metadata__":{"a":1}}')).message).toMatch(/"__metadata__" must map strings to strings/);
    expect(decodeError(raw('{"__metadata__":"x"}')).message).toMatch(/"__metadata__" must map strings to strings/);
  });

  it('keeps long or strange names short and on one line in messages', () => {
    const name = `${'n'.repeat(500)}\nline`;
    const m = decodeError(raw(`{${JSON.stringify(name)}:${entry('BF16', [1], [0, 2])}}`, [0, 0])).message;
    expect(m.length).toBeLessThan(200);
  });
});

describe('safetensors encoder refusals', () => {
  it('refuses NaN and ±Infinity, naming the tensor and index', () => {
    expect(encodeError(new Map([['ok', tensor([1])], ['w', tensor([1, 2, NaN])]]))).toBe(
      'cannot save "w": element 2 is NaN (torchlet state_dict files hold finite values only)',
    );
    expect(encodeError(new Map([['w', tensor([-Infinity], { dtype: 'float64' })]]))).toMatch(/element 0 is -Infinity/);
  });

  it('refuses the reserved name, non-tensors, bad metadata, lone surrogates', () => {
    expect(encodeError(new Map([['__metadata__', tensor([1])]]))).toMatch(/cannot be named "__metadata__"/);
    expect(encodeError(new Map([['w', [1, 2] as unknown as Tensor]]))).toMatch(/entry "w" is not a Tensor/);
    expect(encodeError(new Map(), { a: 1 as unknown as string })).toMatch(/metadata value for "a" is a number, not a string/);
    expect(encodeError(new Map([['bad\ud800', tensor([1])]]))).toMatch(/not well-formed Unicode/);
    expect(encodeError({} as unknown as Map<string, Tensor>)).toMatch(/must be a Map/);
  });
});
