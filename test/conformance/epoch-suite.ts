import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildSeriesQuery,
  buildTrafficQuery,
  encodeRecords,
  parseDateTime,
  parseDuration,
  type BuildContext,
  type Retention,
  type SessionRecord,
} from '../../src/model/index.js';
import { sessionRecord } from '../support/records.js';
import { referenceSeries } from './reference.js';
import type { SessionStoreUnderTest } from './session-suite.js';

const S = 1_000_000_000n;

/**
 * Raw records kept for 25 000 days (68 years), so that records of 1969 are
 * inside the raw retention of a store whose clock is today's, and InfluxDB,
 * whose retention runs on the server's clock, keeps them too.
 */
export const EPOCH_RETENTION: Retention = { raw: parseDuration('25000d', 'raw'), tiers: [] };

/**
 * Records on both sides of the Unix epoch, each with its own byte count (a
 * power of two), so that a sum tells which records a bucket holds. A store
 * that truncates toward zero instead of flooring puts the ones just before
 * a multiple of `every` into the bucket after.
 */
export const EPOCH_RECORDS: readonly SessionRecord[] = [
  -3600n * S - 1n, // 1969-12-31T22:59:59.999999999Z
  -300n * S - 1n, // 23:54:59.999999999
  -300n * S, // 23:55:00
  -1n, // 23:59:59.999999999
  0n, // 1970-01-01T00:00:00Z
  300n * S - 1n, // 00:04:59.999999999
  300n * S, // 00:05:00
].map((time, i) =>
  sessionRecord({ time, vrouterIp: '192.168.70.1', clientPort: 40_000 + i, forwardSampledBytes: 1n << BigInt(i), reverseSampledBytes: 0n, totalBytes: 1n << BigInt(i) }),
);

const at = (text: string) => parseDateTime(text, 'at');

/**
 * The one rule for times before 1970 (docs/decisions.md, "Times"): a series
 * bucket is `[t, t + every)` with t the multiple of `every` at or before the
 * record (floor), on every store as in the reference evaluator; ranges that
 * cross the epoch hold what they hold. `open` gets the clock (today) and
 * EPOCH_RETENTION.
 */
export function describeEpochBuckets(name: string, open: (ctx: { now: bigint; retention: Retention }) => Promise<SessionStoreUnderTest>): void {
  describe(`times before 1970: ${name}`, () => {
    const now = BigInt(Math.floor(Date.now() / 1000)) * S;
    let ctx: BuildContext = { now, retention: EPOCH_RETENTION, limits: { maxPageSize: 1000, maxGroups: 1000, maxSeriesPoints: 10_000 } };
    const range = { from: '1969-12-31T22:00:00Z', to: '1970-01-01T01:00:00Z' };
    let sut: SessionStoreUnderTest;

    beforeAll(async () => {
      sut = await open({ now, retention: EPOCH_RETENTION });
      // Plans as the gateway makes them for this store (graphql/context.ts).
      ctx = { ...ctx, folding: sut.store.folding };
      await sut.store.write(encodeRecords(EPOCH_RECORDS));
      await sut.afterWrite?.();
    }, 120_000);
    afterAll(async () => {
      await sut?.cleanup();
    });

    it('floors 5m buckets before 1970', async () => {
      const q = buildSeriesQuery({ range, every: '5m' }, ctx);
      const got = await sut.store.series(q);
      expect(got.series.map((s) => s.points)).toEqual([
        [
          { time: at('1969-12-31T22:55:00Z'), value: 1n },
          { time: at('1969-12-31T23:50:00Z'), value: 2n },
          { time: at('1969-12-31T23:55:00Z'), value: 4n + 8n },
          { time: at('1970-01-01T00:00:00Z'), value: 16n + 32n },
          { time: at('1970-01-01T00:05:00Z'), value: 64n },
        ],
      ]);
      expect(got.series.map((s) => ({ values: [...s.values], points: [...s.points], other: s.other ?? false }))).toEqual(referenceSeries(EPOCH_RECORDS, q).series);
    });

    it('floors buckets that do not divide an hour (7m), counting records', async () => {
      const q = buildSeriesQuery({ range, every: '7m', metric: 'SESSIONS' }, ctx);
      const got = await sut.store.series(q);
      expect(got.series.map((s) => s.points)).toEqual([
        [
          { time: at('1969-12-31T22:57:00Z'), value: 1n },
          { time: at('1969-12-31T23:53:00Z'), value: 3n },
          { time: at('1970-01-01T00:00:00Z'), value: 3n },
        ],
      ]);
      expect(got.series.map((s) => ({ values: [...s.values], points: [...s.points], other: s.other ?? false }))).toEqual(referenceSeries(EPOCH_RECORDS, q).series);
    });

    it('sums a range that ends or starts at the epoch', async () => {
      const before = await sut.store.traffic(buildTrafficQuery({ range: { from: range.from, to: '1970-01-01T00:00:00Z' } }, ctx));
      const after = await sut.store.traffic(buildTrafficQuery({ range: { from: '1970-01-01T00:00:00Z', to: range.to } }, ctx));
      expect([before.total.totalBytes, before.total.sessions]).toEqual([1n + 2n + 4n + 8n, 4n]);
      expect([after.total.totalBytes, after.total.sessions]).toEqual([16n + 32n + 64n, 3n]);
    });
  });
}
