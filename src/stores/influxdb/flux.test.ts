import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { HOSTILE_STRINGS } from '../../../test/support/hostile.js';
import { fluxColumn, fluxColumnName, fluxDuration, fluxInt, fluxRegex, fluxString, fluxTime, regexQuote } from './flux.js';

/**
 * Reads a Flux string literal the way Flux's scanner does
 * (https://docs.influxdata.com/flux/v0/spec/lexical-elements/#string-literals):
 * returns the value, or throws where Flux would refuse the literal or see
 * an interpolation.
 */
function readFluxString(literal: string): string {
  if (!literal.startsWith('"') || !literal.endsWith('"') || literal.length < 2) throw new Error('not quoted');
  const body = literal.slice(1, -1);
  const bytes: number[] = [];
  const push = (s: string) => bytes.push(...Buffer.from(s, 'utf8'));
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === '"') throw new Error(`unescaped quote at ${i}`);
    if (ch === '$' && body[i + 1] === '{') throw new Error(`interpolation at ${i}`);
    if (ch !== '\\') {
      const cp = body.codePointAt(i)!;
      if (cp < 0x20 && cp !== 0x09) throw new Error(`raw control character at ${i}`);
      push(String.fromCodePoint(cp));
      if (cp > 0xffff) i++;
      continue;
    }
    const next = body[++i];
    if (next === 'n') bytes.push(0x0a);
    else if (next === 'r') bytes.push(0x0d);
    else if (next === 't') bytes.push(0x09);
    else if (next === '\\' || next === '"' || next === '$') push(next);
    else if (next === 'x') {
      bytes.push(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else throw new Error(`unknown escape \\${next}`);
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * What Flux hands RE2 for a regex literal written before more Flux text.
 * Its lexer (`regex_lit` in internal/scanner/scanner.rl) reads a backslash
 * as a character of its own or as the start of `\/`, and takes the longest
 * token: so a literal ends at the first slash not right after a backslash,
 * whatever comes before that backslash. Its parser (libflux `parse_regex`)
 * then turns `\/` into `/` and `\xHH` into that character, refuses any
 * other `\x`, and leaves other escape pairs as they are.
 */
function readFluxRegex(literal: string): string {
  expect(literal.startsWith('/') && literal.endsWith('/')).toBe(true);
  const text = `${literal} or r["x"] =~ /y/`;
  let end = 2;
  while (end < text.length && !(text[end] === '/' && text[end - 1] !== '\\')) end++;
  expect(end, `where Flux ends ${literal}`).toBe(literal.length - 1);
  const body = text.slice(1, end);
  if (body.includes('\n')) throw new Error('raw newline');
  let out = '';
  for (let i = 0; i < body.length; i++) {
    if (body[i] !== '\\') out += body[i];
    else if (body[i + 1] === '/') out += body[++i];
    else if (body[i + 1] === 'x') {
      const hex = body.slice(i + 2, i + 4);
      if (!/^[0-7][0-9a-fA-F]$/.test(hex)) throw new Error(`invalid byte value at ${i} of ${literal}`);
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 3;
    } else out += body[i] + body[++i]!;
  }
  return out;
}

const EXTRA = ['', '"', '\\', '\\"', '${', '$', '$$', '{}', '\u0000', '\u0001x\u001f', '\u007f', 'a/b', '//', '/*x*/', 'ok'];
const ALL = [...HOSTILE_STRINGS, ...EXTRA];

describe('fluxString', () => {
  it.each(ALL.map((s) => [s]))('round-trips %j through a Flux string literal', (s) => {
    const lit = fluxString(s);
    expect(readFluxString(lit)).toBe(s);
    expect(lit).not.toMatch(/[\n\r]/);
  });
});

describe('fluxRegex', () => {
  it.each(ALL.map((s) => [s]))('matches %j exactly when quoted, however hostile', (s) => {
    const lit = fluxRegex(`^${regexQuote(s)}$`);
    const re = RE2JS.compile(readFluxRegex(lit));
    expect(re.matcher(s).matches()).toBe(true);
    expect(re.matcher(`${s}x`).matches()).toBe(false);
    expect(lit).not.toMatch(/[\n\r]/);
  });

  it.each(ALL.map((s) => [s]))('matches what starts with %j, as a prefix filter asks, and ends where it was written', (s) => {
    const re = RE2JS.compile(readFluxRegex(fluxRegex(`^${regexQuote(s)}`)));
    expect(re.matcher(`${s}x`).find()).toBe(true);
    expect(re.matcher(`x${s}`).find()).toBe(s === '');
  });

  it('never ends a literal with a backslash, which Flux would read as escaping the closing slash', () => {
    expect(fluxRegex('^a\\\\')).toBe('/^a\\\\(?:)/');
    expect(fluxRegex('\\\\')).toBe('/\\\\(?:)/');
    expect(fluxRegex('a\\\\b')).toBe('/a\\\\b/');
  });

  it('keeps escape pairs, turns a bare slash into \\/ and control characters into \\xHH', () => {
    expect(fluxRegex('a/b')).toBe('/a\\/b/');
    expect(fluxRegex('a\\/b')).toBe('/a\\/b/');
    expect(fluxRegex('a\\\\/b')).toBe('/a\\\\\\/b/');
    expect(fluxRegex('x\ny')).toBe('/x\\x0ay/');
    expect(fluxRegex('\\.[1-3]$')).toBe('/\\.[1-3]$/');
  });

  it('spells out a \\Q..\\E quote, which Flux (Rust regex syntax) refuses', () => {
    expect(fluxRegex('\\Qa.b\\E+')).toBe('/a\\.b+/');
    expect(fluxRegex('\\Q/\\')).toBe('/\\/\\\\(?:)/');
  });

  it('writes the empty pattern as (?:), since // opens a comment', () => {
    expect(fluxRegex('')).toBe('/(?:)/');
  });

  it.each([
    ['a\\\\/b', 'a\\/b', true],
    ['^(a|b)/c$', 'a/c', true],
    ['\\Q/\\E', '/', true],
    ['a\\x2eb', 'a.b', true],
    ['a\\x2eb', 'axb', false],
    ['a\\x2Fb', 'a/b', true],
    ['^\\x5c', '\\', true],
    ['[\\x00-\\x1f]', '\u0005', true],
    ['[\\x00-\\x1f]', 'a', false],
    ['[a\\x2dc]', 'b', false],
    ['[a\\x2dc]', '-', true],
    ['\\x{1F680}', '🚀', true],
    ['\\x41\\x{42}', 'AB', true],
    ['\\\\x41', '\\x41', true],
    ['^\\Qa.b\\E$', 'a.b', true],
    ['^\\Qa.b\\E$', 'axb', false],
    ['^\\Qa/b*\\E+$', 'a/b**', true],
    ['^\\Qa/b*\\E+$', 'a/b', false],
    ['x\\Q[(\\E', 'x[(', true],
    ['^\\Qa\\b', 'a\\b', true],
    ['^\\Q\\E$', '', true],
    ['^\\Q\u0001\\E$', '\u0001', true],
  ] as const)('gives RE2 the same pattern meaning for %j on %j', (pattern, sample, matches) => {
    const given = RE2JS.compile(pattern).matcher(sample).find();
    const sent = RE2JS.compile(readFluxRegex(fluxRegex(pattern))).matcher(sample).find();
    expect(given).toBe(matches);
    expect(sent).toBe(given);
  });
});

describe('identifiers, numbers, times', () => {
  it('quotes the columns the compiler uses and refuses anything else', () => {
    expect(fluxColumn('label.local.app.kubernetes.io/part-of')).toBe('r["label.local.app.kubernetes.io/part-of"]');
    expect(fluxColumnName('_value')).toBe('"_value"');
    for (const bad of ['', 'a"b', 'x]', 'a b', 'label.local.${x}', '__x', 'a\nb']) {
      expect(() => fluxColumnName(bad)).toThrow(/not a column name/);
    }
  });

  it('writes 64-bit integers only', () => {
    expect(fluxInt(0)).toBe('0');
    expect(fluxInt(9223372036854775807n)).toBe('9223372036854775807');
    expect(fluxInt(-9223372036854775808n)).toBe('-9223372036854775808');
    expect(() => fluxInt(9223372036854775808n)).toThrow();
    expect(() => fluxInt(1.5)).toThrow();
    expect(() => fluxInt(Number.MAX_SAFE_INTEGER + 2)).toThrow();
  });

  it('writes times as RFC 3339 with their nanoseconds, and durations as literals', () => {
    expect(fluxTime(1_795_600_800_123_456_789n)).toBe('2026-11-25T10:00:00.123456789Z');
    expect(fluxTime(-1n)).toBe('time(v: -1)');
    expect(fluxDuration(300_000_000_000n)).toBe('5m');
    expect(fluxDuration(7n * 86_400_000_000_000n)).toBe('1w');
    expect(fluxDuration(1_500_000_000n)).toBe('1500ms');
    expect(() => fluxDuration(0n)).toThrow();
  });
});
