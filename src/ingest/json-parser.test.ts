import { describe, expect, it } from 'vitest';
import { JsonSyntaxError, parseJsonStrict, type ParsedJson } from './json-parser.js';
import { parseJson } from './json-reader.js';

const PARSERS = [
  ['strict', parseJsonStrict],
  ['fast', parseJson],
] as const;

function one(parse: (t: string) => ParsedJson, text: string): unknown {
  return parse(text).elements[0]!.value;
}

describe.each(PARSERS)('%s JSON parser', (_name, parse) => {
  it('parses what JSON.parse parses, the same way', () => {
    const text = '{"a":[1,-2.5,3e2,true,false,null,"x\\n\\"y\\u00e9\\ud83d\\ude80"],"b":{"c":{}},"d":[]}';
    expect(one(parse, text)).toEqual(JSON.parse(text));
  });

  it('keeps integers past 2^53 exact as bigints, and smaller ones as numbers', () => {
    const v = one(parse, '{"t":1764064800123456789,"n":-9223372036854775809,"big":99999999999999999999999,"s":9007199254740991,"l":[12345678901234567]}');
    expect(v).toEqual({ t: 1764064800123456789n, n: -9223372036854775809n, big: 99999999999999999999999n, s: 9007199254740991, l: [12345678901234567n] });
  });

  it('reads fractions and exponents as doubles, as JSON.parse does', () => {
    expect(one(parse, '{"a":12345678901234567.5,"b":1e400,"c":-0}')).toEqual({ a: 12345678901234567.5, b: Infinity, c: -0 });
  });

  it('reports the first key given twice in one object, with the element text', () => {
    const parsed = parse('[{"a":1},{"b":{"c":1,"c":2}},{"a":1}]');
    expect(parsed.elements.map((e) => e.duplicateKey)).toEqual([undefined, 'c', undefined]);
    expect(parsed.elements[1]!.source).toBe('{"b":{"c":1,"c":2}}');
    expect(parse('{"a":1,"a":1}').elements[0]!.duplicateKey).toBe('a');
  });

  it('tells keys apart by their decoded text, and the same key in different objects is fine', () => {
    expect(parse('{"a":1,"\\u0061":2}').elements[0]!.duplicateKey).toBe('a');
    expect(parse('{"x":{"a":1},"y":{"a":1}}').elements[0]!.duplicateKey).toBeUndefined();
  });

  it('keeps __proto__ as an own property, never the prototype', () => {
    const v = one(parse, '{"__proto__":{"polluted":true},"a":1}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses nesting past the depth limit without overflowing the stack', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(() => parse(deep)).toThrow(/nesting deeper than 64 levels/);
    const ok = `${'{"a":'.repeat(64)}1${'}'.repeat(64)}`;
    expect(() => parse(ok)).not.toThrow();
    expect(() => parse(`{"a":${ok}}`)).toThrow(/nesting deeper/);
  });

  it.each([
    ['NaN', '{"a":NaN}'],
    ['Infinity', '{"a":Infinity}'],
    ['a trailing comma', '{"a":1,}'],
    ['a leading zero', '{"a":01}'],
    ['a comment', '{"a":1 /* x */}'],
    ['a single-quoted string', "{'a':1}"],
    ['a raw control character in a string', '{"a":"x\u0001y"}'],
    ['a raw newline in a string', '{"a":"x\ny"}'],
    ['a lone high surrogate escape', '{"a":"\\ud800"}'],
    ['a lone low surrogate escape', '{"a":"\\udc00x"}'],
    ['a bad escape', '{"a":"\\x41"}'],
    ['an unterminated string', '{"a":"abc'],
    ['a number as a key', '{12345678901234567:1}'],
    ['text after the value', '{"a":1} x'],
    ['an empty text', ''],
    ['a truncated object', '{"a":'],
  ])('rejects %s', (_what, text) => {
    expect(() => parse(text)).toThrow(JsonSyntaxError);
  });

  it('names the offset of a syntax error', () => {
    try {
      parse('{"a":1,\n "b" 2}');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(JsonSyntaxError);
      expect((e as JsonSyntaxError).offset).toBe(13);
    }
  });

  it('reads a 10 MB string', () => {
    const big = 'x'.repeat(10 * 1024 * 1024);
    expect((one(parse, `{"vn":"${big}"}`) as { vn: string }).vn.length).toBe(big.length);
  });

  it('skips a byte-order mark at the start', () => {
    expect(one(parse, '\ufeff{"a":1}')).toEqual({ a: 1 });
  });
});

describe('parseJson (fast) against parseJsonStrict', () => {
  /** Seeded PRNG, so a failure reproduces. */
  function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const ATOMS = ['0', '-1', '12345678901234567', '-98765432109876543210', '1.5', '2e3', 'true', 'null', '"s"', '"a\\"b"', '"\\\\"', '"é"', '"12345678901234567"', '"\\u0000"'];
  const KEYS = ['"a"', '"b"', '"__proto__"', '"a\\\\"', '"x:1"', '"12345678901234567"'];
  const NOISE = [',', ':', '{', '}', '[', ']', '"', '\\', ' ', '\n', '1234567890123456789', '-', 'e', '.', '\u0001'];

  function value(rnd: () => number, depth: number): string {
    const r = rnd();
    if (depth > 4 || r < 0.4) return ATOMS[Math.floor(rnd() * ATOMS.length)]!;
    const n = Math.floor(rnd() * 4);
    if (r < 0.7) {
      const members = Array.from({ length: n }, () => `${KEYS[Math.floor(rnd() * KEYS.length)]!}:${value(rnd, depth + 1)}`);
      return `{${members.join(rnd() < 0.5 ? ',' : ' , ')}}`;
    }
    return `[${Array.from({ length: n }, () => value(rnd, depth + 1)).join(',')}]`;
  }

  function outcome(parse: (t: string) => ParsedJson, text: string): unknown {
    try {
      return parse(text);
    } catch (e) {
      return e instanceof JsonSyntaxError ? { error: e.message, at: e.offset } : e;
    }
  }

  it('agrees on 20 000 random texts, valid and mutated', () => {
    const rnd = prng(20261125);
    for (let i = 0; i < 20_000; i++) {
      let text = rnd() < 0.5 ? `[${value(rnd, 0)},${value(rnd, 0)}]` : `{"k":${value(rnd, 0)}}`;
      if (rnd() < 0.4) {
        const at = Math.floor(rnd() * text.length);
        const noise = NOISE[Math.floor(rnd() * NOISE.length)]!;
        text = rnd() < 0.5 ? text.slice(0, at) + noise + text.slice(at) : text.slice(0, at) + text.slice(at + 1);
      }
      const fast = outcome(parseJson, text);
      const strict = outcome(parseJsonStrict, text);
      if (!Object.is(JSON.stringify(fast, big), JSON.stringify(strict, big))) {
        expect({ text, fast }).toEqual({ text, fast: strict });
      }
    }
  });

  function big(_k: string, v: unknown): unknown {
    return typeof v === 'bigint' ? `${v}n` : v;
  }
});
