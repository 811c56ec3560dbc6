// A small strict JSON (RFC 8259) reader for the state_dict formats. JSON.parse is not enough here: it keeps
// the last of two duplicate keys without a word, and it moves integer-like keys ("0", "12") to the front of
// an object, so a header's key order could not be trusted. This reader keeps objects as Maps in document
// order, refuses duplicates, and refuses nesting deeper than the caller allows (a header of a million '['
// would otherwise overflow the stack). Pure and browser-safe.

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export type JsonObject = Map<string, JsonValue>;

/** Thrown by parseStrictJson; the decoders turn it into a StateDictFormatError with their own prefix. */
export class JsonSyntaxError extends Error {
  override name = 'JsonSyntaxError';
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** A key or string for a one-line message: JSON-quoted (so newlines stay escaped) and cut to a readable length. */
export function quote(s: string, max = 80): string {
  // JSON.stringify escapes control characters and lone surrogates but not the Unicode line separators.
  const q = JSON.stringify(s.length > max ? s.slice(0, max) : s).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return s.length > max ? `${q.slice(0, -1)}…"` : q;
}

function describeChar(c: string): string {
  return c === '' ? 'the end of the text' : quote(c);
}

class Parser {
  pos = 0;

  constructor(
    private readonly s: string,
    private readonly maxDepth: number,
  ) {}

  document(): JsonValue {
    this.ws();
    const v = this.value(0);
    this.ws();
    if (this.pos < this.s.length) this.error(`unexpected ${describeChar(this.s[this.pos])} after the JSON value`);
    return v;
  }

  private error(message: string): never {
    throw new JsonSyntaxError(`${message} at character ${this.pos}`);
  }

  private ws(): void {
    const s = this.s;
    let p = this.pos;
    while (p < s.length) {
      const c = s.charCodeAt(p);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    this.pos = p;
  }

  private value(depth: number): JsonValue {
    const c = this.s[this.pos] ?? '';
    switch (c) {
      case '{':
        return this.object(depth + 1);
      case '[':
        return this.array(depth + 1);
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (c === '-' || (c >= '0' && c <= '9')) return this.number();
        return this.error(`unexpected ${describeChar(c)}`);
    }
  }

  private enter(depth: number): void {
    if (depth > this.maxDepth) this.error(`nested deeper than ${this.maxDepth} levels`);
  }

  private object(depth: number): JsonObject {
    this.enter(depth);
    this.pos++;
    const out: JsonObject = new Map();
    this.ws();
    if (this.s[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.pos] !== '"') this.error(`expected a string key, found ${describeChar(this.s[this.pos] ?? '')}`);
      const keyAt = this.pos;
      const key = this.string();
      if (out.has(key)) {
        this.pos = keyAt;
        this.error(`duplicate key ${quote(key)}`);
      }
      this.ws();
      if (this.s[this.pos] !== ':') this.error(`expected ':' after key ${quote(key)}, found ${describeChar(this.s[this.pos] ?? '')}`);
      this.pos++;
      this.ws();
      out.set(key, this.value(depth));
      this.ws();
      const c = this.s[this.pos] ?? '';
      this.pos++;
      if (c === ',') continue;
      if (c === '}') return out;
      this.pos--;
      this.error(`expected ',' or '}', found ${describeChar(c)}`);
    }
  }

  private array(depth: number): JsonValue[] {
    this.enter(depth);
    this.pos++;
    const out: JsonValue[] = [];
    this.ws();
    if (this.s[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value(depth));
      this.ws();
      const c = this.s[this.pos] ?? '';
      this.pos++;
      if (c === ',') continue;
      if (c === ']') return out;
      this.pos--;
      this.error(`expected ',' or ']', found ${describeChar(c)}`);
    }
  }

  private string(): string {
    const s = this.s;
    let p = this.pos + 1;
    let start = p;
    let out = '';
    while (p < s.length) {
      const c = s.charCodeAt(p);
      if (c === 0x22) {
        this.pos = p + 1;
        return out + s.slice(start, p);
      }
      if (c === 0x5c) {
        out += s.slice(start, p);
        const e = s[p + 1] ?? '';
        if (e === 'u') {
          const hex = s.slice(p + 2, p + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.pos = p;
            this.error('invalid \\u escape');
          }
          out += String.fromCharCode(parseInt(hex, 16));
          p += 6;
        } else {
          const simple = ESCAPES[e];
          if (simple === undefined) {
            this.pos = p;
            this.error(`invalid escape ${quote(`\\${e}`)}`);
          }
          out += simple;
          p += 2;
        }
        start = p;
        continue;
      }
      if (c < 0x20) {
        this.pos = p;
        this.error('unescaped control character in a string');
      }
      p++;
    }
    this.pos = s.length;
    return this.error('unterminated string');
  }

  private number(): number {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.s);
    if (m === null) this.error('invalid number');
    this.pos += m[0].length;
    return Number(m[0]);
  }

  private literal<T>(word: string, v: T): T {
    if (!this.s.startsWith(word, this.pos)) this.error(`unexpected ${describeChar(this.s[this.pos])}`);
    this.pos += word.length;
    return v;
  }
}

const ESCAPES: Record<string, string | undefined> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/**
 * Parses one JSON document. Objects come back as Maps in document order; a duplicate key, nesting deeper
 * than `maxDepth` containers, or any departure from RFC 8259 throws JsonSyntaxError naming the position.
 * Runs in time linear in the text.
 */
export function parseStrictJson(text: string, maxDepth: number): JsonValue {
  return new Parser(text, maxDepth).document();
}

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return v instanceof Map;
}
