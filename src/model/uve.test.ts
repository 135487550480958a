import { describe, expect, it } from 'vitest';
import { globMatches, validateUveType, valueAt } from './uve.js';

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
});
