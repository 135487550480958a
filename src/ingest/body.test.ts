import { describe, expect, it } from 'vitest';
import { GatewayError } from '../model/index.js';
import { firstBadByte, splitBody } from './body.js';
import { UndecodedInput } from './dead-letter.js';

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

describe('splitBody', () => {
  it('takes a JSON array element by element and a lone object as one item', () => {
    expect(splitBody(bytes('[{"a":1}, {"b":2}]'), 'json').map((i) => [i.where, i.value])).toEqual([
      ['item 0', { a: 1 }],
      ['item 1', { b: 2 }],
    ]);
    expect(splitBody(bytes(' {"a":1} '), 'json').map((i) => [i.where, i.value])).toEqual([['', { a: 1 }]]);
  });

  it('rejects a JSON body that is not JSON, naming the line and column', () => {
    expect(() => splitBody(bytes('[{"a":1},\n {"b" 2}]'), 'json')).toThrow('body: line 2, column 7: expected : after a key');
    expect(() => splitBody(bytes('  '), 'json')).toThrow(/body: is empty/);
  });

  it('rejects a JSON body that is not UTF-8, naming the first bad byte', () => {
    expect(() => splitBody(bytes('{"a":"', [0xc3, 0x28], '"}'), 'json')).toThrow('body: is not valid UTF-8 (first bad byte at offset 6)');
  });

  it('keeps an array element with a duplicate key as its text, and its neighbours', () => {
    const items = splitBody(bytes('[{"a":1},{"a":1,"a":2}]'), 'json');
    expect(items[0]!.error).toBeUndefined();
    expect(items[1]!.error).toBe('key "a" is given twice in one object');
    expect(items[1]!.raw).toEqual(UndecodedInput.text('{"a":1,"a":2}'));
  });

  it('takes NDJSON line by line: a bad line is one bad item naming its line, blank lines are skipped', () => {
    const items = splitBody(bytes('{"a":1}\n\n{"a":\r\n[1]\n{"b":2}\r\n{"c":3}'), 'ndjson');
    expect(items.map((i) => [i.where, i.error ?? i.value])).toEqual([
      ['line 1', { a: 1 }],
      ['line 3, column 7', 'unexpected end of input, expected a value'],
      ['line 4', 'expected one JSON object per line, found an array'],
      ['line 5', { b: 2 }],
      ['line 6', { c: 3 }],
    ]);
    expect(items[1]!.raw).toEqual(UndecodedInput.text('{"a":\r'));
  });

  it('keeps an NDJSON line that is not UTF-8 as bytes, and reads the lines around it', () => {
    const items = splitBody(bytes('{"a":1}\n{"b":"', [0xff, 0xfe], '"}\n{"c":3}\n'), 'ndjson');
    expect(items.map((i) => [i.where, i.error ?? i.value])).toEqual([
      ['line 1', { a: 1 }],
      ['line 2', 'is not valid UTF-8 (first bad byte at column 7)'],
      ['line 3', { c: 3 }],
    ]);
    expect((items[1]!.raw as UndecodedInput).toBuffer()).toEqual(bytes('{"b":"', [0xff, 0xfe], '"}'));
  });

  it('reads each NDJSON line as if it were alone (lines are read in place from the whole body)', () => {
    const lines = [
      '{"t":1795600800000000000,"a":"x:y"}',
      '{"e":"\\u00e9","n":12345678901234567890}',
      '{"a":1,"a":2}',
      '{"s":"ends with a quote"',
      ':1}',
      '[1795600800000000000]',
      '  {"b":[1795600800000000001, {"c":"\\\\u"}]}  ',
      '',
      '{"é":"ü","big":-9223372036854775808}',
      '{"d":1}\r',
      '{"u":"\\u0041"} ',
      '{"last":18446744073709551615}',
    ];
    const one = (line: string, n: number) =>
      splitBody(bytes(line), 'ndjson').map((i) => ({ ...i, where: i.where.replace('line 1', `line ${n}`) }));
    const expected = lines.flatMap((l, i) => one(l, i + 1));
    expect(splitBody(bytes(lines.join('\n')), 'ndjson')).toEqual(expected);
    expect(splitBody(bytes(`${lines.join('\n')}\n`), 'ndjson')).toEqual(expected);
  });

  it('is a BAD_USER_INPUT GatewayError for the body as a whole', () => {
    try {
      splitBody(bytes('nope'), 'json');
    } catch (e) {
      expect(e).toBeInstanceOf(GatewayError);
      expect((e as GatewayError).code).toBe('BAD_USER_INPUT');
    }
  });
});

describe('firstBadByte', () => {
  it.each([
    ['valid text', bytes('héllo 🚀'), 11],
    ['a stray continuation byte', bytes('ab', [0x80]), 2],
    ['an overlong encoding', bytes('a', [0xc0, 0xaf]), 1],
    ['an encoded surrogate', bytes([0xed, 0xa0, 0x80]), 0],
    ['a code point past U+10FFFF', bytes([0xf4, 0x90, 0x80, 0x80]), 0],
    ['a truncated character', bytes('ok', [0xe2, 0x82]), 2],
  ])('finds %s', (_what, input, at) => {
    expect(firstBadByte(input)).toBe(at);
  });
});
