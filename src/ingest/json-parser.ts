/**
 * A strict JSON parser (RFC 8259) for agent payloads, where `JSON.parse`
 * falls short in three ways:
 *
 * - integers past 2^53 (epoch nanoseconds, 64-bit counters) stay exact: an
 *   integer literal that a double cannot hold becomes a `bigint`, so a
 *   counter past 2^63 is rejected by validation instead of being rounded;
 * - a key given twice in one object is reported (`duplicateKey`), where
 *   `JSON.parse` silently keeps the last value;
 * - nesting is bounded (`maxDepth`), and a `__proto__` key is an ordinary
 *   own property, never the prototype.
 *
 * Everything else follows the RFC: no NaN, Infinity, comments, trailing
 * commas, raw control characters in strings, or lone surrogate escapes.
 */

/** A value that is not JSON; `offset` is where in the text it went wrong. */
export class JsonSyntaxError extends Error {
  constructor(
    problem: string,
    readonly offset: number,
  ) {
    super(problem);
    this.name = 'JsonSyntaxError';
  }
}

/** One top-level value (or element of a top-level array) of a JSON text. */
export interface JsonElement {
  readonly value: unknown;
  /** The first key given twice in one object inside this value, if any. */
  readonly duplicateKey?: string;
  /** The value's text, kept when it holds a duplicate key (the value lost one of them). */
  readonly source?: string;
}

export interface ParsedJson {
  /** True when the text is one array: `elements` are its elements. */
  readonly array: boolean;
  readonly elements: JsonElement[];
}

export const DEFAULT_MAX_DEPTH = 64;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const hasOwn = Object.prototype.hasOwnProperty;

/** An integer literal becomes a bigint when a double cannot hold it exactly. */
export function integerValue(literal: string): number | bigint {
  const big = BigInt(literal);
  return big > MAX_SAFE || big < -MAX_SAFE ? big : Number(literal);
}

/**
 * Parses one JSON text exactly, character by character. A top-level array comes back element by element, so
 * that a caller can reject one element (say, for a duplicate key) and keep
 * its neighbours; any other value is the one element. Throws JsonSyntaxError.
 */
export function parseJsonStrict(text: string, maxDepth = DEFAULT_MAX_DEPTH): ParsedJson {
  const p = new Parser(text, maxDepth);
  p.skipSpace();
  const elements: JsonElement[] = [];
  let array = false;
  if (p.peek() === 0x5b /* [ */) {
    array = true;
    p.pos++;
    p.skipSpace();
    if (p.peek() === 0x5d /* ] */) p.pos++;
    else {
      for (;;) {
        p.skipSpace();
        elements.push(p.element(1));
        p.skipSpace();
        const c = p.peek();
        p.pos++;
        if (c === 0x2c /* , */) continue;
        if (c === 0x5d /* ] */) break;
        p.fail(c < 0 ? 'unexpected end of input in an array' : 'expected , or ] after an array element', p.pos - 1);
      }
    }
  } else {
    elements.push(p.element(0));
  }
  p.skipSpace();
  if (p.pos < text.length) p.fail('unexpected text after the JSON value', p.pos);
  return { array, elements };
}

class Parser {
  pos = 0;
  private duplicate: string | undefined;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {
    if (text.charCodeAt(0) === 0xfeff) this.pos = 1; // a byte-order mark
  }

  peek(): number {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : -1;
  }

  fail(problem: string, at: number): never {
    throw new JsonSyntaxError(problem, at);
  }

  skipSpace(): void {
    const t = this.text;
    let i = this.pos;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.pos = i;
  }

  element(depth: number): JsonElement {
    this.duplicate = undefined;
    const start = this.pos;
    const value = this.value(depth);
    const duplicateKey = this.duplicate;
    return duplicateKey === undefined ? { value } : { value, duplicateKey, source: this.text.slice(start, this.pos) };
  }

  private value(depth: number): unknown {
    const c = this.peek();
    switch (c) {
      case 0x7b /* { */:
        return this.object(depth + 1);
      case 0x5b /* [ */:
        return this.array(depth + 1);
      case 0x22 /* " */:
        return this.string();
      case 0x74 /* t */:
        return this.literal('true', true);
      case 0x66 /* f */:
        return this.literal('false', false);
      case 0x6e /* n */:
        return this.literal('null', null);
      default:
        if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) return this.number();
        if (c < 0) return this.fail('unexpected end of input, expected a value', this.pos);
        return this.fail(`unexpected character ${describe(c)}, expected a value`, this.pos);
    }
  }

  private object(depth: number): Record<string, unknown> {
    if (depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth} levels`, this.pos);
    this.pos++;
    const obj: Record<string, unknown> = {};
    this.skipSpace();
    if (this.peek() === 0x7d /* } */) {
      this.pos++;
      return obj;
    }
    for (;;) {
      this.skipSpace();
      if (this.peek() !== 0x22) this.fail('expected a double-quoted key', this.pos);
      const key = this.string();
      this.skipSpace();
      if (this.peek() !== 0x3a /* : */) this.fail('expected : after a key', this.pos);
      this.pos++;
      this.skipSpace();
      const v = this.value(depth);
      if (obj[key] !== undefined && hasOwn.call(obj, key)) this.duplicate ??= key;
      else if (key === '__proto__') Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
      else obj[key] = v;
      this.skipSpace();
      const c = this.peek();
      this.pos++;
      if (c === 0x2c /* , */) continue;
      if (c === 0x7d /* } */) return obj;
      this.fail(c < 0 ? 'unexpected end of input in an object' : 'expected , or } after an object member', this.pos - 1);
    }
  }

  private array(depth: number): unknown[] {
    if (depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth} levels`, this.pos);
    this.pos++;
    const out: unknown[] = [];
    this.skipSpace();
    if (this.peek() === 0x5d /* ] */) {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      out.push(this.value(depth));
      this.skipSpace();
      const c = this.peek();
      this.pos++;
      if (c === 0x2c) continue;
      if (c === 0x5d) return out;
      this.fail(c < 0 ? 'unexpected end of input in an array' : 'expected , or ] after an array element', this.pos - 1);
    }
  }

  private string(): string {
    const t = this.text;
    const start = this.pos + 1;
    let i = start;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x22) {
        this.pos = i + 1;
        return t.slice(start, i);
      }
      if (c === 0x5c /* \ */) return this.escapedString(start, i);
      if (c < 0x20 || c !== c) {
        if (i >= t.length) this.fail('unterminated string', start - 1);
        this.fail(`raw control character ${describe(c)} in a string; escape it`, i);
      }
      i++;
    }
  }

  private escapedString(start: number, firstEscape: number): string {
    const t = this.text;
    let out = t.slice(start, firstEscape);
    let i = firstEscape;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x22) {
        this.pos = i + 1;
        return out;
      }
      if (c !== c) this.fail('unterminated string', start - 1);
      if (c < 0x20) this.fail(`raw control character ${describe(c)} in a string; escape it`, i);
      if (c !== 0x5c) {
        let j = i + 1;
        while (j < t.length) {
          const d = t.charCodeAt(j);
          if (d === 0x22 || d === 0x5c || d < 0x20) break;
          j++;
        }
        out += t.slice(i, j);
        i = j;
        continue;
      }
      const e = t.charCodeAt(i + 1);
      i += 2;
      switch (e) {
        case 0x22: out += '"'; break;
        case 0x5c: out += '\\'; break;
        case 0x2f: out += '/'; break;
        case 0x62: out += '\b'; break;
        case 0x66: out += '\f'; break;
        case 0x6e: out += '\n'; break;
        case 0x72: out += '\r'; break;
        case 0x74: out += '\t'; break;
        case 0x75 /* u */: {
          const u = this.hex4(i);
          i += 4;
          if (u >= 0xd800 && u <= 0xdbff) {
            const lo = t.charCodeAt(i) === 0x5c && t.charCodeAt(i + 1) === 0x75 ? this.hex4(i + 2) : -1;
            if (lo < 0xdc00 || lo > 0xdfff) this.fail('a \\u escape holds a lone surrogate', i - 6);
            out += String.fromCharCode(u, lo);
            i += 6;
          } else if (u >= 0xdc00 && u <= 0xdfff) {
            this.fail('a \\u escape holds a lone surrogate', i - 6);
          } else out += String.fromCharCode(u);
          break;
        }
        default:
          this.fail('invalid escape in a string', i - 2);
      }
    }
  }

  private hex4(at: number): number {
    const h = this.text.slice(at, at + 4);
    if (!/^[0-9A-Fa-f]{4}$/.test(h)) this.fail('invalid \\u escape', at - 2);
    return parseInt(h, 16);
  }

  private number(): number | bigint {
    const t = this.text;
    const start = this.pos;
    let i = start;
    if (t.charCodeAt(i) === 0x2d) i++;
    const intStart = i;
    let c = t.charCodeAt(i);
    if (c === 0x30) {
      i++;
    } else if (c >= 0x31 && c <= 0x39) {
      do c = t.charCodeAt(++i);
      while (c >= 0x30 && c <= 0x39);
    } else this.fail('invalid number', start);
    const intEnd = i;
    let integer = true;
    c = t.charCodeAt(i);
    if (c === 0x2e /* . */) {
      integer = false;
      c = t.charCodeAt(++i);
      if (!(c >= 0x30 && c <= 0x39)) this.fail('invalid number: digits expected after the point', start);
      do c = t.charCodeAt(++i);
      while (c >= 0x30 && c <= 0x39);
    }
    if (c === 0x65 || c === 0x45 /* e E */) {
      integer = false;
      c = t.charCodeAt(++i);
      if (c === 0x2b || c === 0x2d) c = t.charCodeAt(++i);
      if (!(c >= 0x30 && c <= 0x39)) this.fail('invalid number: digits expected in the exponent', start);
      do c = t.charCodeAt(++i);
      while (c >= 0x30 && c <= 0x39);
    }
    this.pos = i;
    return integer && intEnd - intStart > 15 ? integerValue(t.slice(start, i)) : Number(t.slice(start, i));
  }

  private literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail('invalid literal, expected a value', this.pos);
    this.pos += word.length;
    return value;
  }
}

function describe(c: number): string {
  return c < 0x20 || c === 0x7f ? `U+${c.toString(16).padStart(4, '0').toUpperCase()}` : JSON.stringify(String.fromCharCode(c));
}
