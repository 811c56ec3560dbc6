import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type JsonValue, JsonSyntaxError, parseStrictJson, quote } from '../../src/io/strict-json.js';

/** JSON.parse's result with objects turned into Maps (the strict parser's representation). */
function toMaps(v: unknown): JsonValue {
  if (Array.isArray(v)) return v.map(toMaps);
  if (v !== null && typeof v === 'object') return new Map(Object.entries(v).map(([k, x]) => [k, toMaps(x)]));
  return v as JsonValue;
}

function syntaxError(text: string, depth = 100): string {
  try {
    parseStrictJson(text, depth);
  } catch (err) {
    expect(err).toBeInstanceOf(JsonSyntaxError);
    return (err as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe('strict JSON reader', () => {
  it('reads what JSON.parse reads, to the same values (objects as Maps)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(undefined, 0, 2, '\t'), (v, indent) => {
        const text = JSON.stringify(v, null, indent);
        expect(parseStrictJson(text, 1000)).toEqual(toMaps(JSON.parse(text)));
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses whatever JSON.parse refuses, and accepts the rest unless a key repeats', () => {
    const jsonish = fc.stringMatching(/^[\s{}[\]",:0-9eE.+\-tfrunlasx\\/u]{0,40}$/);
    const mutated = fc.tuple(fc.json(), fc.nat(), fc.nat(3), fc.string({ maxLength: 3 })).map(([text, at, del, ins]) => {
      const i = at % (text.length + 1);
      return text.slice(0, i) + ins + text.slice(i + del);
    });
    fc.assert(
      fc.property(fc.oneof(jsonish, mutated, fc.string()), (text) => {
        let reference: unknown;
        let referenceOk = true;
        try {
          reference = JSON.parse(text);
        } catch {
          referenceOk = false;
        }
        let ours: JsonValue | undefined;
        try {
          ours = parseStrictJson(text, 1000);
        } catch (err) {
          expect(err).toBeInstanceOf(JsonSyntaxError);
          if (referenceOk) expect((err as Error).message).toMatch(/^duplicate key/);
          return;
        }
        expect(referenceOk).toBe(true);
        expect(ours).toEqual(toMaps(reference));
      }),
      { numRuns: 5000 },
    );
  });

  it('keeps object keys in document order, integer-like keys included', () => {
    const m = parseStrictJson('{"b": 1, "10": 2, "2": 3, "__proto__": 4}', 2) as Map<string, JsonValue>;
    expect([...m.keys()]).toEqual(['b', '10', '2', '__proto__']);
  });

  it('reads numbers and escapes exactly as JSON.parse does', () => {
    for (const t of ['-0', '0.1', '1E5', '1e-400', '1e400', '-1.5e+3', '123456789012345678901234567890']) {
      expect(Object.is(parseStrictJson(t, 1), JSON.parse(t))).toBe(true);
    }
    expect(parseStrictJson('"a\\u00e9\\ud83d\\ude00\\n\\"\\\\\\/\\b\\f\\r\\t"', 1)).toBe(JSON.parse('"a\\u00e9\\ud83d\\ude00\\n\\"\\\\\\/\\b\\f\\r\\t"'));
  });

  it('names the problem and where', () => {
    expect(syntaxError('{"a": 1, "a": 2}')).toBe('duplicate key "a" at character 9');
    expect(syntaxError('[1, 2')).toBe("expected ',' or ']', found the end of the text at character 5");
    expect(syntaxError('{"a" 1}')).toBe('expected \':\' after key "a", found "1" at character 5');
    expect(syntaxError('"abc')).toBe('unterminated string at character 4');
    expect(syntaxError('"a\u0001"')).toBe('unescaped control character in a string at character 2');
    expect(syntaxError('"\\x"')).toBe('invalid escape "\\\\x" at character 1');
    expect(syntaxError('"\\\n"')).toBe('invalid escape "\\\\\\n" at character 1');
    expect(syntaxError('"\\u12g4"')).toBe('invalid \\u escape at character 1');
    expect(syntaxError('01')).toBe('unexpected "1" after the JSON value at character 1');
    expect(syntaxError('-')).toBe('invalid number at character 0');
    expect(syntaxError('nul')).toBe('unexpected "n" at character 0');
    expect(syntaxError('[[[]]]', 2)).toBe('nested deeper than 2 levels at character 2');
  });

  it('refuses a million nested brackets without overflowing the stack', () => {
    expect(syntaxError('['.repeat(1_000_000), 64)).toMatch(/nested deeper than 64 levels/);
    expect(syntaxError('{"a":'.repeat(100_000), 64)).toMatch(/nested deeper than 64 levels/);
  });

  it('quotes names for messages on one line, cut to a readable length', () => {
    expect(quote('a\nb')).toBe('"a\\nb"');
    expect(quote('a\u2028b\u2029')).toBe('"a\\u2028b\\u2029"');
    expect(quote('x'.repeat(100))).toBe(`"${'x'.repeat(80)}…"`);
  });
});
