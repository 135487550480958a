import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { prng } from '../../../test/conformance/generator.js';
import { intRangePattern } from './int-range.js';

describe('intRangePattern', () => {
  it('matches exactly the protocol numbers of every range 0..255', () => {
    for (let lo = 0; lo <= 255; lo++) {
      for (let hi = lo; hi <= 255; hi++) {
        const re = new RegExp(intRangePattern(lo, hi));
        for (let n = 0; n <= 255; n++) {
          if (re.test(String(n)) !== (n >= lo && n <= hi)) throw new Error(`${lo}..${hi} gets ${n} wrong: ${re.source}`);
        }
      }
    }
  });

  it('matches exactly the ports of every gte and lte bound', () => {
    const rnd = prng(3);
    for (let v = 0; v <= 65535; v++) {
      const gte = new RegExp(intRangePattern(v, 65535));
      const lte = new RegExp(intRangePattern(0, v));
      const probes = [0, 9, 10, 99, 100, 999, 1000, 9999, 10000, 65535, v - 1, v, v + 1, Math.floor(rnd() * 65536)];
      for (const n of probes) {
        if (n < 0 || n > 65535) continue;
        if (gte.test(String(n)) !== n >= v) throw new Error(`>= ${v} gets ${n} wrong`);
        if (lte.test(String(n)) !== n <= v) throw new Error(`<= ${v} gets ${n} wrong`);
      }
    }
  });

  it('refuses leading zeros, signs and other text, and is valid RE2', () => {
    const p = intRangePattern(30010, 30020);
    const re = RE2JS.compile(p);
    expect(re.matcher('30015').matches()).toBe(true);
    for (const s of ['030015', '+30015', '30015 ', '', '3001a']) expect(re.matcher(s).matches()).toBe(false);
    expect(p).toBe('^(?:3001[0-9]|30020)$');
  });

  it('refuses ranges that are not ranges', () => {
    expect(() => intRangePattern(5, 4)).toThrow();
    expect(() => intRangePattern(-1, 4)).toThrow();
  });
});
