import { describe, expect, it } from 'vitest';
import { GatewayError } from './errors.js';
import { globMatches, validateUveDocument, validateUveType, valueAt } from './uve.js';

describe('uve model', () => {
  it.each(['*', 'uve-*', '../x', 'A', 'a b', '-a', 'a,b', '_all', ''])('refuses the type %j', (t) => {
    expect(() => validateUveType(t)).toThrow(/type: .* is not a UVE type/);
  });

  it('accepts CN2 type names', () => {
    expect(validateUveType('virtual-machine-interface')).toBe('virtual-machine-interface');
  });

  it('matches globs where only * is special', () => {
    expect(globMatches('a*c', 'abbc')).toBe(true);
    expect(globMatches('a*c', 'ab')).toBe(false);
    expect(globMatches('a?c', 'abc')).toBe(false);
    expect(globMatches('a?c', 'a?c')).toBe(true);
    expect(globMatches('*x*x*', 'xx')).toBe(true);
    expect(globMatches('*x*x*', 'x')).toBe(false);
    expect(globMatches('ab*ba', 'aba')).toBe(false);
  });

  it('reads dotted paths, numbers addressing array elements', () => {
    const doc = { A: { list: [{ x: 1 }], n: 0 }, 'B.c': 2 };
    expect(valueAt(doc, 'A.list.0.x')).toBe(1);
    expect(valueAt(doc, 'A.n')).toBe(0);
    expect(valueAt(doc, 'A.list.x')).toBeNull();
    expect(valueAt(doc, 'A.toString')).toBeNull();
    expect(valueAt(doc, null)).toBe(doc);
  });

  describe('validateUveDocument keeps every number exact or refuses it by path', () => {
    const problem = (doc: unknown): { message: string; code: string; field: string | undefined } | null => {
      try {
        validateUveDocument(doc);
        return null;
      } catch (e) {
        if (!(e instanceof GatewayError)) throw e;
        return { message: e.message, code: e.code, field: e.field };
      }
    };

    it('takes every number within ±(2^53-1): integers, fractions, exponents', () => {
      const doc = { S: { max: 9007199254740991, min: -9007199254740991, f: 0.1, e: 1.5e15, tiny: 5e-324, z: -0, list: [1, [2.5]] } };
      expect(validateUveDocument(doc)).toBe(doc);
    });

    it('refuses an exact integer (a bigint from the JSON parsers) past 2^53-1 with its digits and path', () => {
      expect(problem({ S: { x: 9007199254740993n } })).toEqual({
        code: 'BAD_USER_INPUT',
        field: 'document.S.x',
        message: 'document.S.x: 9007199254740993 is past 2^53-1 and cannot be kept exactly; send it as a string',
      });
      expect(problem({ S: { list: [1, { y: -9007199254740992n }] } })?.message).toBe(
        'document.S.list.1.y: -9007199254740992 is past -(2^53-1) and cannot be kept exactly; send it as a string',
      );
    });

    it('refuses a double past 2^53-1, which may already be rounded (2^53 is the first)', () => {
      // JSON.parse reads 9007199254740993 as this double: the value still tells it is past the bound.
      expect(problem({ S: { x: 2 ** 53 } })?.message).toBe('document.S.x: 9007199254740992 is past 2^53-1 and cannot be kept exactly; send it as a string');
      expect(problem({ S: { x: -1.5e300 } })?.message).toBe('document.S.x: -1.5e+300 is past -(2^53-1) and cannot be kept exactly; send it as a string');
    });

    it('refuses a number that is not finite (1e400 reads as Infinity)', () => {
      for (const x of [Infinity, -Infinity, NaN]) {
        expect(problem({ S: { a: [x] } })).toEqual({
          code: 'BAD_USER_INPUT',
          field: 'document.S.a.0',
          message: 'document.S.a.0: a number past the range of a double (about 1.8e308) cannot be kept; send it as a string',
        });
      }
    });

    it('names the first such number in document order, a long key cut to 64 characters', () => {
      const key = 'k'.repeat(100);
      expect(problem({ A: { ok: 1, [key]: { x: 2n ** 60n } }, B: { y: 2n ** 61n } })?.field).toBe(`document.A.${'k'.repeat(64)}….x`);
    });

    it('walks a document nested far deeper than the call stack', () => {
      let deep: unknown = { x: 2n ** 64n };
      for (let i = 0; i < 100_000; i++) deep = [deep];
      expect(problem({ S: deep })?.field).toBe(`document.S${'.0'.repeat(100_000)}.x`);
    });
  });
});
