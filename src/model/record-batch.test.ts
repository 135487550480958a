import { describe, expect, it } from 'vitest';
import { sessionRecord } from '../../test/support/records.js';
import { NULL_STRING, RecordBatchBuilder, decodeRecords, encodeRecords } from './record-batch.js';

describe('RecordBatch (valid records by column, strings in a dictionary)', () => {
  it('gives back the very records it was built from, labels and nulls included', () => {
    const records = [
      sessionRecord({ time: 1n, vmi: null, localLabels: { app: 'web', 'app.kubernetes.io/name': 'x' }, remoteLabels: {} }),
      sessionRecord({ time: (1n << 63n) - 1n, vmi: 'vmi-1', localLabels: {}, remoteLabels: Object.fromEntries([['app', 'a"b'], ['__proto__', 'p']]) }),
      sessionRecord({ time: 3n, sessionType: 'server', forwardSampledBytes: 0n, totalBytes: 5n, localLabels: { app: 'web' }, remoteLabels: { app: 'web' } }),
    ];
    const decoded = decodeRecords(encodeRecords(records));
    expect(decoded).toEqual(records);
    expect(Object.getPrototypeOf(decoded[1]!.remoteLabels)).toBeNull();
    expect(Object.keys(decoded[1]!.remoteLabels)).toEqual(['app', '__proto__']);
  });

  it('keeps each distinct string once, and a null as NULL_STRING', () => {
    const batch = encodeRecords([sessionRecord({ vmi: null, localLabels: { app: 'web' } }), sessionRecord({ vmi: null, localLabels: { app: 'web' } })]);
    expect(new Set(batch.dictionary).size).toBe(batch.dictionary.length);
    expect(batch.dictionary.filter((s) => s === 'web')).toHaveLength(1);
    expect(batch.strings[1]).toBe(NULL_STRING);
    // Seven fixed strings and a name and value per label, for each record; both records point at the same entries.
    expect(batch.strings).toHaveLength(2 * (7 + 2 * Object.keys(sessionRecord().remoteLabels).length + 2));
    expect(batch.strings.slice(0, batch.strings.length / 2)).toEqual(batch.strings.slice(batch.strings.length / 2));
  });

  it('grows past its first capacity without losing a record', () => {
    const builder = new RecordBatchBuilder();
    const records = Array.from({ length: 1000 }, (_, i) => sessionRecord({ time: BigInt(i), localIp: `10.0.${i >> 8}.${i & 255}`, clientPort: i }));
    for (const r of records) builder.add(r);
    expect(builder.length).toBe(1000);
    expect(decodeRecords(builder.finish())).toEqual(records);
  });

  it('refuses a value past 64 bits instead of letting the typed array wrap it, and adds nothing of that record', () => {
    expect(() => encodeRecords([sessionRecord({ time: 1n << 70n })])).toThrow(/past the 64-bit range/);
    expect(() => encodeRecords([sessionRecord({ forwardSampledBytes: -(1n << 63n) - 1n })])).toThrow(RangeError);
    const builder = new RecordBatchBuilder();
    builder.add(sessionRecord({ time: 1n }));
    expect(() => builder.add(sessionRecord({ totalBytes: 1n << 64n }))).toThrow(RangeError);
    const batch = builder.finish();
    expect(batch.length).toBe(1);
    expect(decodeRecords(batch)).toEqual([sessionRecord({ time: 1n })]);
  });
  it('finds by bytes the strings it cached by text, at their own position only', () => {
    const builder = new RecordBatchBuilder();
    const strings = Array.from({ length: 24 }, (_, n) => 'default-domain:k8s-shop'.slice(0, n)).concat(['10.0.0.1', 'web', 'a-12-vmi', 'a-21-vmi']);
    for (const s of strings) {
      const at = builder.intern(s, 4);
      const bytes = Buffer.from(`x${s}y`, 'latin1');
      expect(builder.cachedAt(bytes, 1, 1 + s.length, 4)).toBe(at);
      expect(builder.cachedAt(bytes, 1, 1 + s.length, 5)).toBe(-1);
      expect(builder.intern(s, 4)).toBe(at);
    }
    // Forty interface names that differ in a number near their end mostly keep their own slots.
    const names = Array.from({ length: 40 }, (_, n) => `default-domain:k8s-shop:web-${n}-vmi`);
    for (const s of names) builder.intern(s, 1);
    const hits = names.filter((s) => builder.cachedAt(Buffer.from(s), 0, s.length, 1) >= 0).length;
    expect(hits).toBeGreaterThanOrEqual(30);
  });
});
