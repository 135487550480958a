import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildSeriesQuery,
  buildTrafficQuery,
  encodeRecords,
  formatDateTime,
  type BuildContext,
  type SeriesArgs,
  type SessionRecord,
  type TrafficArgs,
} from '../../src/model/index.js';
import { generateSessions } from './generator.js';
import { referenceSeries, referenceTraffic } from './reference.js';
import { CONFORMANCE_RETENTION, type SessionStoreUnderTest, type SessionSuiteContext } from './session-suite.js';

const S = 1_000_000_000n;
const M = 60n * S;
const H = 60n * M;
const LABEL_PAIR = [{ localLabel: 'app' }, { remoteLabel: 'app' }];

/**
 * Exact answers from tiers and raw together (ARCHITECTURE §5, issue 17):
 * ranges that start and end inside tier windows, records that arrive after
 * a rollup ran (into windows it had folded already), ranges that span what
 * a tier has folded in (its watermark), and a range that starts before the
 * raw retention. Every answer is compared with the reference evaluator over
 * every record written, before and after the next rollup. `now` lies
 * 2m 17s into a 5m window, so no edge is on a window boundary.
 */
export function describeTierConformance(name: string, open: (ctx: SessionSuiteContext) => Promise<SessionStoreUnderTest>): void {
  describe(`tier conformance: ${name}`, () => {
    const now = (BigInt(Date.now()) * 1_000_000n) / (5n * M) * (5n * M) - 5n * M + 137n * S;
    // `now` lags the wall clock by up to 7m43s, and InfluxDB judges its bucket's
    // retention by the wall clock: a record just inside the raw retention by
    // `now` can be outside it for influxd (422, partial write). No record lies
    // within 15 minutes of that boundary, so the suite does not depend on when it runs.
    const boundary = now - CONFORMANCE_RETENTION.raw.ns;
    const clearOfRetention = (r: SessionRecord) => r.time < boundary - 15n * M || r.time > boundary + 15n * M;
    const first = generateSessions(20261203, now, 2000, 30).records.filter(clearOfRetention);
    // Half a second off the first set's times, so no two records of the sets collide in InfluxDB.
    const later = generateSessions(20261204, now, 800, 3)
      .records.map((r): SessionRecord => ({ ...r, time: r.time - S / 2n }))
      .filter(clearOfRetention);
    let ctx: BuildContext = {
      now,
      retention: CONFORMANCE_RETENTION,
      limits: { maxPageSize: 10_000, maxGroups: 100_000, maxSeriesPoints: 10_000 },
    };
    let sut: SessionStoreUnderTest;
    let written: SessionRecord[] = [];

    beforeAll(async () => {
      sut = await open({ now, retention: CONFORMANCE_RETENTION });
      ctx = { ...ctx, folding: sut.store.folding };
      for (let i = 0; i < first.length; i += 500) await sut.store.write(encodeRecords(first.slice(i, i + 500)));
      await sut.afterWrite?.();
      // Records arriving after the rollup ran, many into windows it folded in already.
      for (let i = 0; i < later.length; i += 400) await sut.store.write(encodeRecords(later.slice(i, i + 400)));
      written = [...first, ...later];
    }, 300_000);

    afterAll(async () => {
      await sut?.cleanup();
    });

    const at = (ns: bigint) => formatDateTime(ns);
    const INSIDE = { from: at(now - 2n * H + 37n * S), to: at(now - 13n * M + 11n * S) };
    const SPANNING = { last: '90m' };
    const OLD = { from: at(now - 27n * H + 100n * S), to: at(now - 3n * H + 77n * S) };
    // Nested: starts 13m 13s into an hour (inside a 5m window too) and ends 1m 56s into a 5m window 40m into an hour,
    // so the plan reads the 1h tier inside, the 5m tier for the edges' whole windows, raw for the rest.
    const hour = now - (now % H);
    const NESTED = { from: at(hour - 5n * H + 13n * M + 13n * S), to: at(hour - H + 40n * M + 116n * S) };
    const TRAFFIC: [string, TrafficArgs, 'exact' | 'widened' | 'raw' | 'nested'][] = [
      ['start and end inside windows', { range: INSIDE, groupBy: LABEL_PAIR }, 'exact'],
      ['start and end inside windows, no grouping', { range: INSIDE }, 'exact'],
      ['start and end inside windows, a filter', { range: INSIDE, where: { serverPort: { in: [443, 80] } }, groupBy: [{ dimension: 'VN' }] }, 'exact'],
      ['across the watermark, up to now', { range: SPANNING, groupBy: LABEL_PAIR }, 'exact'],
      ['across the watermark, ordered by sessions', { range: SPANNING, groupBy: [{ dimension: 'SERVER_PORT' }], orderBy: { metric: 'SESSIONS', direction: 'ASC' } }, 'exact'],
      ['twelve hours of whole windows and edges', { range: { last: '12h' }, groupBy: [{ localLabel: 'namespace' }] }, 'exact'],
      ['from before the raw retention', { range: OLD, groupBy: [{ remoteLabel: 'app' }] }, 'widened'],
      ['inside one window: raw alone', { range: { from: at(now - 4n * M), to: at(now - 2n * M - 30n * S) } }, 'raw'],
      ['nested: starting and ending inside a 5m and a 1h window', { range: NESTED, groupBy: LABEL_PAIR }, 'nested'],
      ['nested: a filter and sessions', { range: NESTED, where: { protocol: { in: [6] } }, groupBy: [{ remoteLabel: 'namespace' }], orderBy: { metric: 'SESSIONS', direction: 'DESC' } }, 'nested'],
      ['compareTo: each span its own plan', { range: INSIDE, compareTo: '1h', groupBy: [{ localLabel: 'app' }], orderBy: { ranking: 'CHANGE' } }, 'exact'],
    ];
    const SERIES: [string, SeriesArgs][] = [
      ['10m buckets with partial windows at both ends', { range: INSIDE, every: '10m', groupBy: [{ localLabel: 'app' }], limit: 3 }],
      ['5m buckets across the watermark, sessions', { range: SPANNING, every: '5m', metric: 'SESSIONS' }],
      ['nested: hourly buckets starting and ending inside both windows', { range: NESTED, every: '1h', groupBy: [{ localLabel: 'app' }], limit: 3, other: true }],
      ['hourly from before the raw retention, with other', { range: OLD, every: '1h', groupBy: [{ dimension: 'SERVER_PORT' }], limit: 2, other: true }],
    ];

    const phases = ['after records arrived past the rollup', 'after the next rollup'] as const;
    for (const phase of phases) {
      if (phase === 'after the next rollup') {
        it('rolls up again', async () => {
          await sut.afterWrite?.();
        }, 120_000);
      }
      for (const [title, args, kind] of TRAFFIC) {
        it(`traffic ${phase}: ${title}`, async () => {
          const q = buildTrafficQuery(args, ctx);
          const got = await sut.store.traffic(q);
          const want = referenceTraffic(written, q);
          expect(got.totalCount).toBe(want.totalCount);
          expect(got.total).toEqual(want.total);
          expect(got.groups.map((g) => ({ values: [...g.values], traffic: g.traffic, ...(g.previous === undefined ? {} : { previous: g.previous }) }))).toEqual(want.groups);
          if (want.previousTotal !== undefined) expect(got.previousTotal).toEqual(want.previousTotal);
          expect(got.meta.tier).toBe(q.source.name);
          expect(got.meta.from).toBe(q.source.span.from);
          expect(got.meta.to).toBe(q.source.span.to);
          if (kind === 'raw') expect(q.source.name).toBe('raw');
          else if (kind === 'nested') expect(q.source.name).toBe('raw+5m+1h');
          else expect(q.source.name).toMatch(/^raw\+(5m|1h|5m\+1h)$/);
          if (kind === 'exact' && args.range.last != null) expect(q.source.span.to).toBe(now);
          if ((kind === 'exact' || kind === 'nested') && args.range.last == null) {
            expect(formatDateTime(q.source.span.from)).toBe(args.range.from);
            expect(formatDateTime(q.source.span.to)).toBe(args.range.to);
          }
          if (kind === 'widened') expect(q.source.span.from).toBeLessThan(now - 27n * H + 100n * S);
        });
      }
      for (const [title, args] of SERIES) {
        it(`series ${phase}: ${title}`, async () => {
          const q = buildSeriesQuery(args, ctx);
          const got = await sut.store.series(q);
          const want = referenceSeries(written, q);
          expect(got.series.map((s) => ({ values: [...s.values], points: [...s.points], other: s.other ?? false }))).toEqual(want.series);
          expect(got.meta.tier).toBe(q.source.name);
          expect(q.source.name).toMatch(args.range === NESTED ? /^raw\+5m\+1h$/ : /^raw\+(5m|1h|5m\+1h)$/);
        });
      }
    }

    it('the ranges span what the tier has folded in', () => {
      const q = buildTrafficQuery({ range: SPANNING, groupBy: LABEL_PAIR }, ctx);
      const kinds = q.source.pieces.map((p) => p.kind);
      expect(kinds).toContain('tier');
      if (ctx.folding?.kind === 'time') {
        // Windows past what the tasks have completed come from raw, up to now.
        const tier = q.source.pieces.filter((p) => p.kind === 'tier').at(-1)!;
        const rest = q.source.pieces.find((p) => p.kind === 'raw' && p.span.from === tier.span.to);
        expect(rest?.span.to).toBe(now);
      } else {
        expect(kinds).toContain('unfolded');
      }
      // The records that arrived after the rollup lie in whole windows the tier serves.
      const tiers = q.source.pieces.filter((p) => p.kind === 'tier');
      expect(later.filter((r) => tiers.some((t) => r.time >= t.span.from && r.time < t.span.to)).length).toBeGreaterThan(50);
    });
  });
}
