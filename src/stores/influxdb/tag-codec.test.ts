import { describe, expect, it } from 'vitest';
import { prng } from '../../../test/conformance/generator.js';
import { HOSTILE_STRINGS } from '../../../test/support/hostile.js';
import { TAG_ESCAPE, decodeTagValue, encodeTagPrefix, encodeTagValue } from './tag-codec.js';

const SAMPLES = [...HOSTILE_STRINGS, '', '\\', 'a\\', 'a\\\\', '\u0001', '\u0001\\', '\u0000', 'x\u001fy', ' ', 'plain'];

function randomString(rnd: () => number): string {
  const alphabet = ['a', 'b', '\\', '\n', '\r', '\u0000', '\u0001', '\u001f', ' ', '~', 'é', '🚀', ',', '='];
  const n = Math.floor(rnd() * 6);
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
  return s;
}

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

describe('tag value codec', () => {
  it.each(SAMPLES.map((s) => [s]))('stores %j in a form line protocol can carry and reads it back', (s) => {
    const stored = encodeTagValue(s);
    expect(decodeTagValue(stored)).toBe(s);
    expect(stored).not.toBe('');
    expect(stored.endsWith('\\')).toBe(false);
    expect(stored.replaceAll(TAG_ESCAPE, '')).not.toMatch(/[\u0000-\u001f]/);
  });

  it('leaves values without control characters as they are', () => {
    expect(encodeTagValue('default-domain:k8s-shop:pod-network')).toBe('default-domain:k8s-shop:pod-network');
    expect(encodeTagValue('ünïcödé 🚀 漢字')).toBe('ünïcödé 🚀 漢字');
    expect(encodeTagValue('new\nline')).toBe('new\u0001Jline');
  });

  it('keeps the empty value apart from every other value', () => {
    expect(encodeTagValue('')).toBe(TAG_ESCAPE);
    expect(decodeTagValue(TAG_ESCAPE)).toBe('');
  });

  it('keeps the byte order of values, and equality', () => {
    const rnd = prng(7);
    const values = [...SAMPLES, ...Array.from({ length: 400 }, () => randomString(rnd))];
    for (let i = 0; i < 3000; i++) {
      const a = values[Math.floor(rnd() * values.length)]!;
      const b = values[Math.floor(rnd() * values.length)]!;
      expect(Math.sign(byteOrder(encodeTagValue(a), encodeTagValue(b)))).toBe(Math.sign(byteOrder(a, b)));
    }
  });

  it('keeps prefixes: p starts v exactly when its stored prefix starts v stored', () => {
    const rnd = prng(11);
    for (let i = 0; i < 5000; i++) {
      const v = randomString(rnd);
      const p = rnd() < 0.5 ? v.slice(0, Math.floor(rnd() * (v.length + 1))) : randomString(rnd);
      if (p === '') continue;
      expect(encodeTagValue(v).startsWith(encodeTagPrefix(p))).toBe(v.startsWith(p));
    }
  });
});
