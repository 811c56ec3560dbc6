import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromStorage, tensor } from '../../src/tensor/creation.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import {
  JSON_FORMAT,
  StateDictFormatError,
  decodeStateDictJson,
  decodeStateDictJsonWithMetadata,
  encodeStateDictJson,
} from '../../src/io/index.js';
import { float32ToString, float64ToString } from '../../src/io/json-format.js';
import { expectSameStateDict, f32, f64 } from './state-dict-helpers.js';

function decodeError(text: string): string {
  try {
    decodeStateDictJson(text);
  } catch (err) {
    expect(err).toBeInstanceOf(StateDictFormatError);
    expect((err as Error).name).toBe('StateDictFormatError');
    expect((err as Error).message).not.toContain('\n');
    return (err as Error).message.replace(/^not a valid torchlet state_dict JSON file: /, '');
  }
  throw new Error('expected decodeStateDictJson to throw');
}

const doc = (tensors: string, top = `"format": "${JSON_FORMAT}", "version": 1, "metadata": {}`): string => `{${top}, "tensors": {${tensors}}}`;

describe('JSON state_dict format', () => {
  it('writes a tiny state_dict exactly (hand-written expected text)', () => {
    const sd = new Map([
      ['model.0.weight', tensor([[[[0.1, -0, 1e-45], [3.4028234663852886e38, 2, -3.5]]]])],
      ['model.0.bias', tensor([0.1], { dtype: 'float64' })],
    ]);
    expect(encodeStateDictJson(sd, { epoch: '3' })).toBe(
      '{"format": "torchlet.state_dict", "version": 1, "metadata": {"epoch": "3"},\n' +
        ' "tensors": {\n' +
        '  "model.0.weight": {"dtype": "float32", "shape": [1, 1, 2, 3], "data": [0.1, -0.0, 1e-45, 3.4028235e+38, 2, -3.5]},\n' +
        '  "model.0.bias": {"dtype": "float64", "shape": [1], "data": [0.1]}\n' +
        ' }}\n',
    );
    expect(encodeStateDictJson(new Map())).toBe('{"format": "torchlet.state_dict", "version": 1, "metadata": {},\n "tensors": {}}\n');
  });

  it('is plain JSON that JSON.parse reads to the same numbers', () => {
    const sd = new Map([['w', tensor([0.1, 1e-40, -2])]]);
    const parsed = JSON.parse(encodeStateDictJson(sd)) as { tensors: { w: { data: number[] } } };
    expect(parsed.tensors.w.data.map(Math.fround)).toEqual(Array.from(sd.get('w')!.values()));
  });

  it('writes each float32 as the shortest decimal whose Math.fround is the stored value', () => {
    expect(float32ToString(Math.fround(0.1))).toBe('0.1');
    expect(float32ToString(Math.fround(1 / 3))).toBe('0.33333334');
    expect(float32ToString(1.401298464324817e-45)).toBe('1e-45');
    expect(float32ToString(-0)).toBe('-0.0');
    expect(float32ToString(0)).toBe('0');
    expect(float32ToString(16777216)).toBe('16777216');
    expect(float32ToString(63832992)).toBe('63832990'); // 7 significant digits suffice (a tie, rounded to even)
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (v) => {
        const s = float32ToString(v);
        expect(Object.is(Math.fround(JSON.parse(s) as number), v)).toBe(true);
        // No shorter decimal would do.
        const digits = s.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length;
        for (let p = 1; p < digits; p++) expect(Math.fround(Number(v.toPrecision(p)))).not.toBe(v);
      }),
      { numRuns: 2000 },
    );
  });

  it('writes each float64 so that JSON.parse gives back the same double', () => {
    expect(float64ToString(-0)).toBe('-0.0');
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        expect(Object.is(JSON.parse(float64ToString(v)) as number, v)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips float32 and float64 bit for bit: -0, subnormals, extremes, random patterns', () => {
    const random32 = fc.sample(fc.float({ noNaN: true, noDefaultInfinity: true }), { numRuns: 500, seed: 1 });
    const random64 = fc.sample(fc.double({ noNaN: true, noDefaultInfinity: true }), { numRuns: 500, seed: 2 });
    const sd = new Map([
      ['special32', fromStorage(f32([0x80000000, 0x00000001, 0x007fffff, 0x00800000, 0x7f7fffff, 0xff7fffff, 0x3dcccccd]), [7])],
      ['special64', fromStorage(f64([0x8000000000000000n, 1n, 0x000fffffffffffffn, 0x7fefffffffffffffn, 0x3fb999999999999an]), [5])],
      ['random32', fromStorage(Float32Array.from(random32), [500])],
      ['random64', fromStorage(Float64Array.from(random64), [5, 100])],
    ]);
    expectSameStateDict(sd, decodeStateDictJson(encodeStateDictJson(sd)));
  });

  it('keeps key order (integer-like keys too), 0-d and empty tensors, and metadata', () => {
    const sd = new Map<string, Tensor>([
      ['model.2.bias', tensor(0.5)],
      ['10', fromStorage(new Float64Array(0), [3, 0])],
      ['2', tensor([1, 2])],
      ['__proto__', tensor([3])],
      ['', tensor([4], { dtype: 'float64' })],
    ]);
    const { tensors, metadata } = decodeStateDictJsonWithMetadata(encodeStateDictJson(sd, { b: '1', a: 'ü\n"' }));
    expectSameStateDict(sd, tensors);
    expect(tensors.get('model.2.bias')!.shape).toEqual([]);
    expect(tensors.get('10')!.shape).toEqual([3, 0]);
    expect(Object.entries(metadata)).toEqual([['b', '1'], ['a', 'ü\n"']]);
  });

  it('rounds decimals that are not exactly float32 as a store into float32 does', () => {
    const sd = decodeStateDictJson(doc('"w": {"dtype": "float32", "shape": [2], "data": [0.1, 1e-46]}'));
    expect(Array.from(sd.get('w')!.values())).toEqual([Math.fround(0.1), 0]);
  });

  it('refuses a state_dict it cannot write: NaN/Infinity, non-tensors, lone surrogates', () => {
    expect(() => encodeStateDictJson(new Map([['w', tensor([1, NaN])]]))).toThrow(
      new StateDictFormatError('cannot save "w": element 1 is NaN (torchlet state_dict files hold finite values only)'),
    );
    expect(() => encodeStateDictJson(new Map([['w', tensor([Infinity])]]))).toThrow(StateDictFormatError);
    expect(() => encodeStateDictJson(new Map([['w', 3 as unknown as Tensor]]))).toThrow(/entry "w" is not a Tensor/);
    expect(() => encodeStateDictJson(new Map(), { k: '\udc00' })).toThrow(/not well-formed Unicode/);
  });
});

describe('JSON state_dict decoder validation (every failure a one-line StateDictFormatError)', () => {
  const ok = '"w": {"dtype": "float32", "shape": [2], "data": [1, 2]}';

  it('accepts the reference document', () => {
    expect(decodeStateDictJson(doc(ok)).get('w')!.toArray()).toEqual([1, 2]);
  });

  it('refuses text that is not JSON', () => {
    expect(decodeError('')).toMatch(/^invalid JSON: unexpected the end of the text at character 0$/);
    expect(decodeError('{"format": ')).toMatch(/^invalid JSON/);
    expect(decodeError(doc(ok).slice(0, -3))).toMatch(/^invalid JSON/);
    expect(decodeError(`${doc(ok)} x`)).toMatch(/^invalid JSON: unexpected "x" after the JSON value/);
    expect(decodeError(doc('"w": {"dtype": "float32", "shape": [1], "data": [NaN]}'))).toMatch(/^invalid JSON: unexpected "N"/);
    expect(decodeError(doc('"w": {"dtype": "float32", "shape": [1], "data": [01]}'))).toMatch(/^invalid JSON/);
    expect(decodeError('['.repeat(100000))).toMatch(/nested deeper than 4 levels/);
  });

  it('refuses the wrong top level, format or version', () => {
    expect(decodeError('[]')).toBe('expected a JSON object');
    expect(decodeError(doc(ok, '"format": "other", "version": 1'))).toBe('expected "format": "torchlet.state_dict", found "\\"other\\""');
    expect(decodeError(doc(ok, '"version": 1'))).toMatch(/expected "format": "torchlet.state_dict", found none/);
    expect(decodeError(doc(ok, `"format": "${JSON_FORMAT}", "version": 2`))).toMatch(/unsupported version "2" \(this torchlet reads version 1\)/);
    expect(decodeError(doc(ok, `"format": "${JSON_FORMAT}"`))).toMatch(/unsupported version "null"/);
    expect(decodeError(doc(ok, `"format": "${JSON_FORMAT}", "version": 1, "extra": 0`))).toMatch(/unexpected top-level field "extra"/);
    expect(decodeError(`{"format": "${JSON_FORMAT}", "version": 1}`)).toBe('"tensors" must be an object');
    expect(decodeError(doc(ok, `"format": "${JSON_FORMAT}", "version": 1, "metadata": {"a": 1}`))).toBe('"metadata" must map strings to strings');
  });

  it('refuses duplicate keys anywhere', () => {
    expect(decodeError(doc(`${ok}, ${ok}`))).toMatch(/^invalid JSON: duplicate key "w" at character \d+$/);
    expect(decodeError(doc('"w": {"dtype": "float32", "dtype": "float64", "shape": [], "data": [1]}'))).toMatch(/duplicate key "dtype"/);
    expect(decodeError(doc(ok, `"format": "${JSON_FORMAT}", "format": "${JSON_FORMAT}", "version": 1`))).toMatch(/duplicate key "format"/);
  });

  it('refuses bad entries: not objects, unknown fields, dtypes, shapes', () => {
    expect(decodeError(doc('"w": [1, 2]'))).toBe('tensor "w" is not an object');
    expect(decodeError(doc('"w": {"dtype": "float32", "shape": [1], "data": [1], "grad": null}'))).toBe('tensor "w" has an unexpected field "grad"');
    expect(decodeError(doc('"w": {"shape": [1], "data": [1]}'))).toBe('tensor "w" has no "dtype" string');
    expect(decodeError(doc('"w": {"dtype": "bfloat16", "shape": [1], "data": [1]}'))).toBe('unsupported dtype "bfloat16" for "w" (torchlet reads "float32" and "float64")');
    expect(decodeError(doc('"w": {"dtype": "float32", "shape": [1]}'))).toBe('tensor "w" has no "data" list');
    for (const shape of ['null', '"2"', '[-1]', '[1.5]', '["1"]', '[1e300]', '{}']) {
      expect(decodeError(doc(`"w": {"dtype": "float32", "shape": ${shape}, "data": [1]}`))).toBe('tensor "w" has no valid "shape" (a list of non-negative integers)');
    }
  });

  it('refuses data whose length does not match the shape', () => {
    expect(decodeError(doc('"w": {"dtype": "float32", "shape": [2, 2], "data": [1, 2, 3]}'))).toBe('tensor "w" has shape [2, 2] (4 elements) but 3 values');
    expect(decodeError(doc('"w": {"dtype": "float32", "shape": [], "data": []}'))).toBe('tensor "w" has shape [] (1 elements) but 0 values');
    expect(decodeError(doc('"w": {"dtype": "float32", "shape": [9007199254740991, 9007199254740991], "data": [1]}'))).toMatch(/\(too many elements\) but 1 values/);
  });

  it('refuses values that are not numbers or not finite in the dtype', () => {
    expect(decodeError(doc('"w": {"dtype": "float32", "shape": [3], "data": [1, "2", 3]}'))).toBe('tensor "w" value 1 is a string, not a number');
    expect(decodeError(doc('"w": {"dtype": "float32", "shape": [2], "data": [1, null]}'))).toBe('tensor "w" value 1 is null, not a number');
    expect(decodeError(doc('"w": {"dtype": "float32", "shape": [1], "data": [true]}'))).toBe('tensor "w" value 0 is a boolean, not a number');
    expect(decodeError(doc('"w": {"dtype": "float32", "shape": [1], "data": [1e39]}'))).toBe('tensor "w" value 0 ("1e+39") is not finite as float32');
    expect(decodeError(doc('"w": {"dtype": "float64", "shape": [2], "data": [0, -1e309]}'))).toBe('tensor "w" value 1 ("-Infinity") is not finite as float64');
    expect(decodeStateDictJson(doc('"w": {"dtype": "float64", "shape": [1], "data": [1e39]}')).get('w')!.item()).toBe(1e39);
  });
});
