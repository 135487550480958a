import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildLabelNamesQuery,
  buildRecordsQuery,
  buildSeriesQuery,
  buildTrafficQuery,
  buildValuesQuery,
  encodeRecords,
  trafficPageInfo,
  type BuildContext,
  type RecordsArgs,
  type SessionRecord,
  type TrafficArgs,
} from '../../src/model/index.js';
import { COMPARE_CASES, LABEL_NAME_CASES, OTHER_SERIES_CASES, VALUES_CASES } from './flow-cases.js';
import { generateSessions } from './generator.js';
import { referenceLabelNames, referenceRecords, referenceSeries, referenceTraffic, referenceValues } from './reference.js';
import { CONFORMANCE_RETENTION, type SessionStoreUnderTest, type SessionSuiteContext } from './session-suite.js';

const SECOND = 1_000_000_000n;

/**
 * The flow-view conformance suite, parameterised by store like the session
 * suite: comparisons (every ranking, ties, vanished groups, paging the
 * union), the other series, filter hints and raw records, each compared
 * with the reference evaluator. Its data set adds records that share their
 * time (distinct tags) to the generated ones, so record paging meets ties.
 */
export function describeFlowConformance(
  name: string,
  open: (ctx: SessionSuiteContext) => Promise<SessionStoreUnderTest>,
  options: { readonly records?: number; readonly now?: bigint } = {},
): void {
  describe(`flow conformance: ${name}`, () => {
    const now = options.now ?? BigInt(Math.floor(Date.now() / 1000)) * SECOND;
    const data = generateSessions(20261202, now, options.records ?? 3000, 20 * 24);
    const tied = data.records.slice(0, 12).map((r, i): SessionRecord => ({
      ...r,
      time: now - 20n * SECOND + 123_456_789n,
      localIp: `10.250.0.${i}`,
      sessionType: 'client',
      localLabels: { app: `tie-${i % 3}` },
    }));
    const records = [...data.records, ...tied];
    let ctx: BuildContext = {
      now,
      retention: CONFORMANCE_RETENTION,
      limits: { maxPageSize: 10_000, maxGroups: 100_000, maxSeriesPoints: 10_000 },
    };
    let sut: SessionStoreUnderTest;

    beforeAll(async () => {
      sut = await open({ now, retention: CONFORMANCE_RETENTION });
      // Plans as the gateway makes them for this store (graphql/context.ts).
      ctx = { ...ctx, folding: sut.store.folding };
      for (let i = 0; i < records.length; i += 500) await sut.store.write(encodeRecords(records.slice(i, i + 500)));
      await sut.afterWrite?.();
    }, 300_000);

    afterAll(async () => {
      await sut?.cleanup();
    });

    for (const c of COMPARE_CASES) {
      it(`compareTo: ${c.name}`, async () => {
        const q = buildTrafficQuery(c.args, ctx);
        const got = await sut.store.traffic(q);
        const want = referenceTraffic(records, q);
        expect(got.totalCount).toBe(want.totalCount);
        expect(got.total).toEqual(want.total);
        expect(got.previousTotal).toEqual(want.previousTotal);
        expect(got.groups.map((g) => ({ values: [...g.values], traffic: g.traffic, previous: g.previous }))).toEqual(want.groups);
      });
    }

    it('compareTo: the data set has groups in one span only, both ways', () => {
      const q = buildTrafficQuery(COMPARE_CASES[5]!.args, { ...ctx, limits: { ...ctx.limits } });
      const all = referenceTraffic(records, { ...q, first: 100_000 });
      const zero = (t: { sessions: bigint }) => t.sessions === 0n;
      expect(all.groups.some((g) => zero(g.traffic) && !zero(g.previous!))).toBe(true);
      expect(all.groups.some((g) => !zero(g.traffic) && zero(g.previous!))).toBe(true);
    });

    it('compareTo: paging through the union yields every group once, in order', async () => {
      const args: TrafficArgs = { range: { last: '20m' }, compareTo: '20m', groupBy: [{ dimension: 'LOCAL_IP' }, { dimension: 'REMOTE_IP' }], orderBy: { ranking: 'CHANGE' }, first: 9 };
      const all = referenceTraffic(records, buildTrafficQuery({ ...args, first: 10_000 }, ctx));
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const q = buildTrafficQuery({ ...args, after }, ctx);
        const page = await sut.store.traffic(q);
        expect(page.totalCount).toBe(all.totalCount);
        expect(page.previousTotal).toEqual(all.previousTotal);
        seen.push(...page.groups.map((g) => JSON.stringify(g.values)));
        const info = trafficPageInfo(q, page.groups.length, page.totalCount);
        if (!info.hasNextPage) break;
        after = info.endCursor;
      }
      expect(seen).toEqual(all.groups.map((g) => JSON.stringify(g.values)));
      expect(new Set(seen).size).toBe(all.totalCount);
    });

    for (const c of OTHER_SERIES_CASES) {
      it(`other series: ${c.name}`, async () => {
        const q = buildSeriesQuery(c.args, ctx);
        const got = await sut.store.series(q);
        const want = referenceSeries(records, q);
        expect(got.series.map((s) => ({ values: [...s.values], points: [...s.points], other: s.other ?? false }))).toEqual(want.series);
      });
    }

    it('other series: stacked series add up to the total of each bucket', async () => {
      const q = buildSeriesQuery({ range: { last: '2h' }, every: '10m', groupBy: [{ localLabel: 'app' }], limit: 2, other: true }, ctx);
      const stacked = await sut.store.series(q);
      const whole = await sut.store.series(buildSeriesQuery({ range: { last: '2h' }, every: '10m' }, ctx));
      expect(stacked.series.some((s) => s.other)).toBe(true);
      const sums = new Map<bigint, bigint>();
      for (const s of stacked.series) for (const p of s.points) sums.set(p.time, (sums.get(p.time) ?? 0n) + p.value);
      expect(whole.series).toHaveLength(1);
      expect(new Map(whole.series[0]!.points.map((p) => [p.time, p.value]))).toEqual(sums);
    });

    for (const c of VALUES_CASES) {
      it(`values: ${c.name}`, async () => {
        const q = buildValuesQuery(c.args, ctx);
        const got = await sut.store.values(q);
        expect(got.values.map((v) => ({ ...v }))).toEqual(referenceValues(records, q));
      });
    }

    for (const c of LABEL_NAME_CASES) {
      it(`label names: ${c.name}`, async () => {
        const q = buildLabelNamesQuery(c.args, ctx);
        const got = await sut.store.labelNames(q);
        expect(got.names.map((n) => ({ ...n }))).toEqual(referenceLabelNames(records, q));
      });
    }

    const pageThrough = async (args: RecordsArgs): Promise<SessionRecord[]> => {
      const out: SessionRecord[] = [];
      let after: string | null = null;
      for (let pages = 0; pages < 1000; pages++) {
        const q = buildRecordsQuery({ ...args, after }, ctx);
        const page = await sut.store.records(q);
        out.push(...page.records);
        if (page.next === null) return out;
        expect(page.records).toHaveLength(q.first);
        const { encodeRecordsCursor } = await import('../../src/model/index.js');
        after = encodeRecordsCursor(q, page.next);
      }
      throw new Error('more than 1000 pages');
    };

    /** Records with equal times come in the store's own stable order: compare them as sets per time. */
    const byTime = (rs: readonly SessionRecord[]) => {
      const out = new Map<bigint, string[]>();
      const sorted = (o: Readonly<Record<string, string>>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
      for (const r of rs) {
        const text = JSON.stringify({ ...r, localLabels: sorted(r.localLabels), remoteLabels: sorted(r.remoteLabels) }, (_, v: unknown) =>
          typeof v === 'bigint' ? v.toString() : v,
        );
        out.set(r.time, [...(out.get(r.time) ?? []), text].sort());
      }
      return out;
    };

    it('records: the first page is the newest records, field by field, nanoseconds kept', async () => {
      const q = buildRecordsQuery({ range: { last: '2h' }, first: 25 }, ctx);
      const page = await sut.store.records(q);
      const want = referenceRecords(records, q).slice(0, 25);
      expect(page.records.map((r) => r.time)).toEqual(want.map((r) => r.time));
      expect(byTime(page.records)).toEqual(byTime(want));
      expect(page.records.some((r) => r.time % SECOND === 123_456_789n)).toBe(true);
      expect(page.meta.tier).toBe('raw');
    });

    it('records: paging yields every matching record once, ties included', async () => {
      const args: RecordsArgs = { range: { last: '2h' }, first: 60 };
      const got = await pageThrough(args);
      const want = referenceRecords(records, buildRecordsQuery(args, ctx));
      expect(got.map((r) => r.time)).toEqual(want.map((r) => r.time));
      expect(byTime(got)).toEqual(byTime(want));
    }, 120_000);

    it('records: with a filter, server-side reports when asked', async () => {
      for (const where of [
        { localLabels: [{ name: 'app', prefix: 'tie-' }] },
        { sessionType: 'SERVER' as const, serverPort: { eq: 443 } },
        { clientPort: { eq: 30007 } },
        { or: [{ clientPort: { eq: 30001 } }, { localLabels: [{ name: 'app', prefix: 'tie-' }] }] },
      ]) {
        const args: RecordsArgs = { range: { last: '2h' }, where, first: 4 };
        const got = await pageThrough(args);
        const want = referenceRecords(records, buildRecordsQuery(args, ctx));
        expect(want.length).toBeGreaterThan(3);
        expect(byTime(got)).toEqual(byTime(want));
      }
    }, 120_000);
  });
}
