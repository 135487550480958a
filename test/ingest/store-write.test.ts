import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError, encodeRecords, parseDuration, parseTiers, type SessionRecord } from '../../src/model/index.js';
import { DuckDb, DuckDbSessionStore } from '../../src/stores/duckdb/index.js';
import { NOW } from './support.js';
import { sessionRecord } from '../support/records.js';

/** A record without a `vn` is something only a test can hand the store directly. */
function record(over: Partial<SessionRecord> = {}): SessionRecord {
  return sessionRecord({ time: NOW - 1_000n, ...over });
}

describe('DuckDbSessionStore writes (the embedded store behind the ingest path)', () => {
  let db: DuckDb;
  let store: DuckDbSessionStore;

  beforeEach(async () => {
    db = await DuckDb.open({ path: ':memory:', queryTimeoutMs: 10_000 });
    const raw = parseDuration('24h', 'RAW_RETENTION');
    store = await DuckDbSessionStore.open(db, { retention: { raw, tiers: parseTiers('5m:7d', raw) }, clock: () => NOW });
  });
  afterEach(async () => {
    await store.close();
    await db.close();
  });

  const count = async () => Number((await db.read({ text: 'SELECT count(*) AS n FROM sessions', params: [] }))[0]!['n']);

  it('a write the store refuses for what it holds fails alone, INTERNAL, with nothing of it kept (label columns and keys included); its group is stored', async () => {
    await store.write(encodeRecords([record()]));
    const poisoned = [record({ localLabels: { fresh: 'x' } }), record({ vn: null as unknown as string }), record()];
    // Both writes wait for the first one's commit, and go into one group.
    const results = await Promise.allSettled([
      store.write(encodeRecords(poisoned), { idempotency: { key: 'k1', fingerprint: 'f', answer: '{}' } }),
      store.write(encodeRecords([record({ vrouterIp: '192.168.0.2' })])),
      store.write(encodeRecords([record({ vrouterIp: '192.168.0.3' })])),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    const reason = (results[0] as PromiseRejectedResult).reason as GatewayError;
    // A constraint the data broke: retrying it (a 503) could never succeed.
    expect(reason.code).toBe('INTERNAL');
    expect(await count()).toBe(3);
    expect(await store.findIdempotency('k1')).toBeNull();

    // The store goes on: a label column that was rolled back is added again.
    await store.write(encodeRecords([record({ localLabels: { fresh: 'y' } })]), { idempotency: { key: 'k2', fingerprint: 'f', answer: '{"accepted":1}' } });
    expect(await count()).toBe(4);
    expect(await store.findIdempotency('k2')).toEqual({ key: 'k2', fingerprint: 'f', answer: '{"accepted":1}' });
  });

  it('keeps an idempotency record with the records of its write, in one group commit with others', async () => {
    await Promise.all([
      store.write(encodeRecords([record(), record()]), { idempotency: { key: 'a', fingerprint: 'fa', answer: '{"accepted":2}' } }),
      store.write(encodeRecords([record()]), { idempotency: { key: 'b', fingerprint: 'fb', answer: '{"accepted":1}' } }),
      store.write(encodeRecords([record()])),
    ]);
    expect(await count()).toBe(4);
    expect((await store.findIdempotency('a'))?.answer).toBe('{"accepted":2}');
    expect((await store.findIdempotency('b'))?.fingerprint).toBe('fb');
    expect(await store.findIdempotency('c')).toBeNull();
    // Lookups share one prepared statement and run one at a time: concurrent ones each get their own answer.
    const answers = await Promise.all(['a', 'c', 'b', 'a'].map(async (k) => (await store.findIdempotency(k))?.answer ?? null));
    expect(answers).toEqual(['{"accepted":2}', null, '{"accepted":1}', '{"accepted":2}']);
  });

  it('inserts the keys of a group in one statement, keeping a key already stored and the first of a key the group holds twice', async () => {
    await store.write(encodeRecords([record()]), { idempotency: { key: 'old', fingerprint: 'f0', answer: '{"accepted":1}' } });
    // Held back behind the first write's commit, the next four go into one group.
    await Promise.all([
      store.write(encodeRecords([record()])),
      store.write(encodeRecords([record()]), { idempotency: { key: 'old', fingerprint: 'f1', answer: '{"accepted":9}' } }),
      store.write(encodeRecords([record()]), { idempotency: { key: 'twice', fingerprint: 'f2', answer: '{"accepted":2}' } }),
      store.write(encodeRecords([record()]), { idempotency: { key: 'twice', fingerprint: 'f3', answer: '{"accepted":3}' } }),
      store.write(encodeRecords([record()]), { idempotency: { key: "it's; DROP TABLE sessions; --", fingerprint: 'f4', answer: '{"accepted":4}' } }),
    ]);
    expect(await count()).toBe(6);
    expect(await store.findIdempotency('old')).toEqual({ key: 'old', fingerprint: 'f0', answer: '{"accepted":1}' });
    expect(await store.findIdempotency('twice')).toEqual({ key: 'twice', fingerprint: 'f2', answer: '{"accepted":2}' });
    expect((await store.findIdempotency("it's; DROP TABLE sessions; --"))?.answer).toBe('{"accepted":4}');
    const keys = await db.read({ text: 'SELECT count(*) AS n FROM ingest_idempotency', params: [] });
    expect(Number(keys[0]!['n'])).toBe(3);
  });
});
