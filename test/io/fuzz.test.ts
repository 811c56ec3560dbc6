// Fuzzing the decoders: random inputs and mutations of valid files must only ever give a Map or a
// StateDictFormatError, quickly, allocating no more than the input could justify.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromStorage } from '../../src/tensor/creation.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { StateDictFormatError, decodeSafetensors, decodeStateDictJson, encodeSafetensors, encodeStateDictJson } from '../../src/io/index.js';

const SLOW_MS = 50;
/** Slack for allocations unrelated to the decoder (other test files run in other threads of this process). */
const ALLOCATION_SLACK = 64 * 1024 * 1024;

let cases = 0;
let accepted = 0;
/** Which refusals the fuzzer reached: each message with its names and numbers blanked out. */
const reached = new Map<string, number>();
const kindOf = (message: string): string => message.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/-?\d[\d.e+-]*/g, 'N').replace(/ at character N$/, '');

/**
 * Runs one decode and checks the contract: a Map (whose tensors fit in the input) or a StateDictFormatError;
 * under SLOW_MS (a slow case is timed again, best of three, so that a GC pause elsewhere is not blamed on
 * the decoder); and no ArrayBuffer growth beyond a small multiple of the input size.
 */
function check(decode: () => Map<string, Tensor>, inputBytes: number): void {
  cases++;
  const before = process.memoryUsage().arrayBuffers;
  const run = (): number => {
    const t0 = performance.now();
    try {
      const sd = decode();
      expect(sd).toBeInstanceOf(Map);
      let bytes = 0;
      for (const t of sd.values()) bytes += t.data.byteLength;
      expect(bytes).toBeLessThanOrEqual(inputBytes);
      accepted++;
    } catch (err) {
      if (!(err instanceof StateDictFormatError)) throw err;
      expect(err.name).toBe('StateDictFormatError');
      expect(err.message).not.toContain('\n');
      const kind = kindOf(err.message);
      reached.set(kind, (reached.get(kind) ?? 0) + 1);
    }
    return performance.now() - t0;
  };
  let ms = run();
  const grown = process.memoryUsage().arrayBuffers - before;
  expect(grown).toBeLessThanOrEqual(4 * inputBytes + ALLOCATION_SLACK);
  if (ms > SLOW_MS) ms = Math.min(ms, run(), run());
  expect(ms).toBeLessThan(SLOW_MS);
}

const checkSafetensors = (bytes: Uint8Array): void => check(() => decodeSafetensors(bytes), bytes.length);
const checkJson = (text: string): void => check(() => decodeStateDictJson(text), text.length * 3);

// ---- valid inputs to mutate

const finite32 = fc.float({ noNaN: true, noDefaultInfinity: true });
const finite64 = fc.double({ noNaN: true, noDefaultInfinity: true });
const shapeArb = fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 });
const tensorArb = fc.tuple(fc.constantFrom('float32', 'float64'), shapeArb).chain(([dtype, shape]) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return fc.array(dtype === 'float32' ? finite32 : finite64, { minLength: n, maxLength: n }).map((values) =>
    fromStorage(dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values), shape),
  );
});
const keyArb = fc.oneof(fc.constantFrom('model.0.weight', 'model.0.bias', 'model.2.weight', 'model.2.bias', '0', '10'), fc.string({ maxLength: 8 }));
const stateDictArb = fc
  .uniqueArray(fc.tuple(keyArb.filter((k) => k !== '__metadata__' && !/\p{Cs}/u.test(k)), tensorArb), { maxLength: 5, selector: ([k]) => k })
  .map((entries) => new Map(entries));
const metadataArb = fc.option(fc.dictionary(fc.string({ maxLength: 5 }).filter((s) => !/\p{Cs}/u.test(s)), fc.constantFrom('pt', 'x', '')), { nil: undefined });

const validSafetensors = fc.tuple(stateDictArb, metadataArb).map(([sd, meta]) => encodeSafetensors(sd, meta));
const validJson = fc.tuple(stateDictArb, metadataArb).map(([sd, meta]) => encodeStateDictJson(sd, meta));

// ---- byte-level mutations

type Mutation = (b: Uint8Array) => Uint8Array;
const bitFlip = fc.tuple(fc.nat(), fc.nat(7)).map(([at, bit]): Mutation => (b) => {
  if (b.length === 0) return b;
  const out = b.slice();
  out[at % b.length] ^= 1 << bit;
  return out;
});
const truncation = fc.nat().map((n): Mutation => (b) => b.subarray(0, n % (b.length + 1)));
const splice = fc.tuple(fc.nat(), fc.nat(16), fc.uint8Array({ maxLength: 16 })).map(([at, del, ins]): Mutation => (b) => {
  const i = at % (b.length + 1);
  const out = new Uint8Array(b.length - Math.min(del, b.length - i) + ins.length);
  out.set(b.subarray(0, i));
  out.set(ins, i);
  out.set(b.subarray(i + del), i + ins.length);
  return out;
});
const headerLengthEdit = fc
  .oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: -16, max: 16 }).map((d) => BigInt(d)))
  .map((v): Mutation => (b) => {
    if (b.length < 8) return b;
    const out = b.slice();
    const view = new DataView(out.buffer);
    // Small values are nudges of the true length; large ones replace it.
    const next = v >= -16n && v <= 16n ? view.getBigUint64(0, true) + v : v;
    view.setBigUint64(0, BigInt.asUintN(64, next), true);
    return out;
  });

/** The header length and text of `b`, when the length field fits in `b` (mutations may have broken it). */
function headerText(b: Uint8Array): { n: number; text: string } | null {
  if (b.length < 8) return null;
  const n = new DataView(b.buffer, b.byteOffset).getBigUint64(0, true);
  if (n > BigInt(b.length - 8)) return null;
  return { n: Number(n), text: new TextDecoder().decode(b.subarray(8, 8 + Number(n))) };
}

/** The header as a plain object, when it is one. */
function headerOf(b: Uint8Array): Record<string, unknown> | null {
  const h = headerText(b);
  if (h === null) return null;
  try {
    const v = JSON.parse(h.text) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Replaces the header with `text`, fixing the length field so the decoder gets past it. */
function withHeader(b: Uint8Array, text: string): Uint8Array {
  const { n } = headerText(b)!;
  const h = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + h.length + b.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(b.subarray(8 + n), 8 + h.length);
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const nastyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('F32', 'F64', 'BF16', 'F16', 'I64', 'U8', 'f32', ''),
  fc.array(fc.oneof(fc.integer({ min: -2, max: 64 }), fc.constantFrom(2 ** 31, 2 ** 32, 2 ** 53, 2 ** 60, 1e300, 0.5, -0)), { maxLength: 4 }),
  fc.tuple(fc.integer({ min: -8, max: 1 << 20 }), fc.integer({ min: -8, max: 1 << 20 })),
  fc.tuple(fc.integer({ min: -1, max: 64 }), fc.integer({ min: -1, max: 64 })),
);
/** An edit of the header's JSON: replace, add or delete a field of an entry, or a whole entry, or the metadata. */
const headerJsonEdit = fc
  .tuple(fc.nat(), fc.constantFrom('dtype', 'shape', 'data_offsets', 'extra', '-delete-', '-entry-', '__metadata__'), nastyValue, fc.nat(2))
  .map(([which, field, value, delField]): Mutation => (b) => {
    const header = headerOf(b);
    if (header === null) return b;
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    if (field === '__metadata__') header.__metadata__ = value;
    else if (names.length === 0) header.x = { dtype: 'F32', shape: value, data_offsets: [0, 0] };
    else {
      const name = names[which % names.length];
      const entry = header[name];
      if (field === '-entry-' || !isObject(entry)) header[name] = value;
      else if (field === '-delete-') delete entry[['dtype', 'shape', 'data_offsets'][delField]];
      else entry[field] = value;
    }
    return withHeader(b, JSON.stringify(header));
  });
/** A text edit inside the header (duplicated keys, broken syntax, stray characters), length fixed up. */
const headerTextEdit = fc.tuple(fc.nat(), fc.nat(8), fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('"a":', '{', '}', ',', '[', '"shape":[1],', '\\u', '\ud800'))).map(
  ([at, del, ins]): Mutation => (b) => {
    const h = headerText(b);
    if (h === null) return b;
    const i = at % (h.text.length + 1);
    return withHeader(b, h.text.slice(0, i) + ins + h.text.slice(i + del));
  },
);
const duplicateEntry = fc.nat().map((which): Mutation => (b) => {
  const header = headerOf(b);
  if (header === null) return b;
  const names = Object.keys(header);
  if (names.length === 0) return b;
  const name = names[which % names.length];
  const text = headerText(b)!.text.trimEnd();
  return withHeader(b, `${text.slice(0, -1)},${JSON.stringify(name)}:${JSON.stringify(header[name])}}`);
});

/** Writes a NaN or ±Infinity pattern (float32 or float64) at an aligned place in the data section. */
const poison = fc.tuple(fc.nat(), fc.constantFrom(0x7fc00000, 0x7f800000, 0xff800000, 0x7ff80000, 0x7ff00000, 0xfff00000), fc.boolean()).map(
  ([at, pattern, wide]): Mutation => (b) => {
    const h = headerText(b);
    if (h === null) return b;
    const start = 8 + h.n;
    const width = wide ? 8 : 4;
    const slots = Math.floor((b.length - start) / width);
    if (slots === 0) return b;
    const out = b.slice();
    // Little-endian: the pattern is the high word, at the top of the slot.
    new DataView(out.buffer).setUint32(start + (at % slots) * width + width - 4, pattern, true);
    return out;
  },
);

/** Moves one tensor's bytes: onto another tensor's (overlap), or a few bytes along (gap or overlap). */
const moveOffsets = fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(-8, -4, 4, 8, 0)).map(([i, j, shift]): Mutation => (b) => {
  const header = headerOf(b);
  if (header === null) return b;
  const entries = Object.entries(header).filter((e): e is [string, Record<string, unknown>] => e[0] !== '__metadata__' && isObject(e[1]));
  if (entries.length === 0) return b;
  const target = entries[i % entries.length][1];
  const source = entries[j % entries.length][1];
  const offsets = source.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2) return b;
  target.data_offsets = offsets.map((o) => (typeof o === 'number' ? o + shift : o));
  if (target !== source) target.shape = source.shape;
  return withHeader(b, JSON.stringify(header));
});

const mutation = fc.oneof(bitFlip, truncation, splice, headerLengthEdit, headerJsonEdit, headerTextEdit, duplicateEntry, poison, moveOffsets);

describe('fuzzing decodeSafetensors', () => {
  it('random bytes: a Map or a StateDictFormatError, fast, no large allocation', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 4096 }), (b) => checkSafetensors(b)), { numRuns: 3000 });
  });

  it('random bytes behind a plausible header length', () => {
    const arb = fc.tuple(fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 64 })).map(([text, data]) => {
      const h = new TextEncoder().encode(text);
      const out = new Uint8Array(8 + h.length + data.length);
      new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
      out.set(h, 8);
      out.set(data, 8 + h.length);
      return out;
    });
    fc.assert(fc.property(arb, (b) => checkSafetensors(b)), { numRuns: 2000 });
  });

  it('valid files decode to what was encoded', () => {
    fc.assert(
      fc.property(stateDictArb, metadataArb, (sd, meta) => {
        const back = decodeSafetensors(encodeSafetensors(sd, meta));
        expect([...back.keys()]).toEqual([...sd.keys()]);
        for (const [k, t] of sd) expect(Array.from(back.get(k)!.values()), k).toEqual(Array.from(t.values()));
      }),
      { numRuns: 500 },
    );
  });

  it('mutated valid files (bit flips, truncation, splices, header length and header JSON edits)', () => {
    fc.assert(
      fc.property(validSafetensors, fc.array(mutation, { minLength: 1, maxLength: 3 }), (bytes, ms) => {
        checkSafetensors(ms.reduce((b, m) => m(b), bytes));
      }),
      { numRuns: 6000 },
    );
  });

  it('headers claiming enormous tensors are refused without allocating for them', () => {
    const huge = fc.tuple(
      fc.array(fc.constantFrom(1 << 20, 1 << 30, 2 ** 40, 2 ** 52, 3, 0), { minLength: 1, maxLength: 4 }),
      fc.constantFrom('F32', 'F64'),
      fc.constantFrom(0, 4, 2 ** 32, 2 ** 40, 2 ** 53 - 1),
    );
    fc.assert(
      fc.property(huge, ([shape, dtype, end]) => {
        const text = JSON.stringify({ w: { dtype, shape, data_offsets: [0, end] } });
        const h = new TextEncoder().encode(text);
        const out = new Uint8Array(8 + h.length + 4);
        new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
        out.set(h, 8);
        checkSafetensors(out);
      }),
      { numRuns: 300 },
    );
  });
});

// ---- JSON format

const textMutation = fc.oneof(
  fc.tuple(fc.nat(), fc.nat(8), fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('{', '}', '[', ']', ',', '"', 'NaN', '1e999', '-', '"data": [1]', '"w": {}', '\ud800'))).map(
    ([at, del, ins]) => (s: string) => {
      const i = at % (s.length + 1);
      return s.slice(0, i) + ins + s.slice(i + del);
    },
  ),
  fc.nat().map((n) => (s: string) => s.slice(0, n % (s.length + 1))),
  fc.tuple(fc.nat(), fc.nat(0xffff)).map(([at, c]) => (s: string) => {
    if (s.length === 0) return s;
    const i = at % s.length;
    return s.slice(0, i) + String.fromCharCode(c) + s.slice(i + 1);
  }),
);
const jsonEdit = fc
  .tuple(fc.nat(), fc.constantFrom('dtype', 'shape', 'data', 'extra', '-delete-', '-entry-', 'format', 'version', 'metadata', 'tensors'), nastyValue)
  .map(([which, field, value]) => (s: string) => {
    let doc: unknown;
    try {
      doc = JSON.parse(s);
    } catch {
      return s;
    }
    if (!isObject(doc)) return s;
    const tensors = doc.tensors;
    const names = isObject(tensors) ? Object.keys(tensors) : [];
    if (['format', 'version', 'metadata', 'tensors'].includes(field) || !isObject(tensors) || names.length === 0) doc[field] = value;
    else {
      const name = names[which % names.length];
      const entry = tensors[name];
      if (field === '-entry-' || !isObject(entry)) tensors[name] = value;
      else if (field === '-delete-') delete entry[['dtype', 'shape', 'data'][which % 3]];
      else entry[field] = value;
    }
    return JSON.stringify(doc);
  });

describe('fuzzing decodeStateDictJson', () => {
  it('random text: a Map or a StateDictFormatError, fast', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 500 }), fc.string({ unit: 'binary', maxLength: 500 }), fc.json()), (s) => checkJson(s)), { numRuns: 3000 });
  });

  it('mutated valid files (text edits, truncation, JSON edits)', () => {
    fc.assert(
      fc.property(validJson, fc.array(fc.oneof(textMutation, jsonEdit), { minLength: 1, maxLength: 3 }), (text, ms) => {
        checkJson(ms.reduce((s, m) => m(s), text));
      }),
      { numRuns: 5000 },
    );
  });

  it('valid files decode to what was encoded', () => {
    fc.assert(
      fc.property(stateDictArb, metadataArb, (sd, meta) => {
        const back = decodeStateDictJson(encodeStateDictJson(sd, meta));
        expect([...back.keys()]).toEqual([...sd.keys()]);
        for (const [k, t] of sd) expect(Array.from(back.get(k)!.values()), k).toEqual(Array.from(t.values()));
      }),
      { numRuns: 500 },
    );
  });
});

describe('fuzzing summary', () => {
  it('ran thousands of cases, some accepted and most refused', () => {
    // Guards against a fuzzer that silently stopped reaching the decoder, or one that only ever hit one path.
    expect(cases).toBeGreaterThan(19_000);
    if (process.env.FUZZ_REPORT) console.log([...reached].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n}\t${k}`).join('\n'));
    expect(accepted).toBeGreaterThan(100);
    expect(cases - accepted).toBeGreaterThan(10_000);
    // The mutations reach the deep checks, not only the length field and the JSON syntax.
    const kinds = [...reached.keys()].join('\n');
    for (const expected of [
      'duplicate key',
      'overlaps another tensor',
      'belong to no tensor',
      'past the end of the Nbyte data section',
      'span N bytes',
      'unsupported dtype',
      'holds NaN at flat index N',
      'holds Infinity at flat index N',
      'has no valid "" (a list of non-negative integers)',
      'nested deeper than N levels',
      'the header is not valid UTFN',
      'JSON file: tensor "" has shape',
      'JSON file: unsupported dtype',
    ]) {
      expect(kinds, expected).toContain(expected);
    }
  });
});
