import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import {
  GatewayError,
  buildSeriesQuery,
  buildTrafficQuery,
  parseDuration,
  parseTiers,
  trafficPageInfo,
  validateSessionRecord,
  type BuildContext,
  type Retention,
  type SessionRecord,
  type TrafficArgs,
  encodeRecords,
} from '../../src/model/index.js';
import type { SessionStore } from '../../src/stores/types.js';
import { ERROR_CASES, SERIES_CASES, TRAFFIC_CASES } from './cases.js';
import { generateSessions } from './generator.js';
import { referenceSeries, referenceTraffic } from './reference.js';

export interface SessionStoreUnderTest {
  readonly store: SessionStore;
  /** Called once after the records are written: fold into tiers, refresh, ... */
  readonly afterWrite?: () => Promise<void>;
  readonly cleanup: () => Promise<void>;
}

export interface SessionSuiteContext {
  /** The fixed "now" of the data set and of every query. */
  readonly now: bigint;
  readonly retention: Retention;
}

export const CONFORMANCE_RETENTION: Retention = (() => {
  const raw = parseDuration('24h', 'RAW_RETENTION');
  return { raw, tiers: parseTiers('5m:7d,1h:90d', raw) };
})();

/**
 * The session conformance suite, parameterised by store: the same seeded
 * records and the same table of cases, each compared with the reference
 * evaluator. `open` gets the fixed clock and tiers the store must use.
 */
export function describeSessionConformance(
  name: string,
  open: (ctx: SessionSuiteContext) => Promise<SessionStoreUnderTest>,
  options: { readonly records?: number; readonly now?: bigint } = {},
): void {
  describe(`session conformance: ${name}`, () => {
    const now = options.now ?? BigInt(Math.floor(Date.now() / 1000)) * 1_000_000_000n;
    const data = generateSessions(20261125, now, options.records ?? 3000, 20 * 24);
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
      for (let i = 0; i < data.records.length; i += 500) await sut.store.write(encodeRecords(data.records.slice(i, i + 500)));
      await sut.afterWrite?.();
    }, 300_000);

    afterAll(async () => {
      await sut?.cleanup();
    });

    for (const c of TRAFFIC_CASES) {
      it(`traffic: ${c.name}`, async () => {
        const q = buildTrafficQuery(c.args, ctx);
        const got = await sut.store.traffic(q);
        const want = referenceTraffic(data.records, q);
        expect(got.totalCount).toBe(want.totalCount);
        expect(got.total).toEqual(want.total);
        expect(got.groups.map((g) => ({ values: [...g.values], traffic: g.traffic }))).toEqual(want.groups);
        expect(got.meta.tier).toBe(q.source.name);
        if (c.tier !== undefined) expect(typeof c.tier === 'string' ? [c.tier] : c.tier).toContain(got.meta.tier);
        expect(got.meta.from).toBe(q.source.span.from);
        expect(got.meta.query.length).toBeGreaterThan(0);
      });
    }

    it('paging through every page yields every group once, with totals on each page', async () => {
      const args: TrafficArgs = { range: { last: '2h' }, groupBy: [{ dimension: 'LOCAL_IP' }, { dimension: 'SERVER_PORT' }], first: 7 };
      const all = referenceTraffic(data.records, buildTrafficQuery({ ...args, first: 10_000 }, ctx));
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const q = buildTrafficQuery({ ...args, after }, ctx);
        const page = await sut.store.traffic(q);
        expect(page.totalCount).toBe(all.totalCount);
        expect(page.total).toEqual(all.total);
        seen.push(...page.groups.map((g) => JSON.stringify(g.values)));
        const info = trafficPageInfo(q, page.groups.length, page.totalCount);
        pages++;
        if (!info.hasNextPage) break;
        after = info.endCursor;
      }
      expect(pages).toBe(Math.ceil(all.totalCount / 7));
      expect(seen).toEqual(all.groups.map((g) => JSON.stringify(g.values)));
      expect(new Set(seen).size).toBe(all.totalCount);
    });

    for (const c of SERIES_CASES) {
      it(`series: ${c.name}`, async () => {
        const q = buildSeriesQuery(c.args, ctx);
        const got = await sut.store.series(q);
        const want = referenceSeries(data.records, q);
        expect(got.series.map((s) => ({ values: [...s.values], points: [...s.points], other: s.other ?? false }))).toEqual(want.series);
        for (const s of got.series) for (const p of s.points) expect(p.time % q.every.ns).toBe(0n);
        expect(got.meta.tier).toBe(q.source.name);
        if (c.tier !== undefined) expect(typeof c.tier === 'string' ? [c.tier] : c.tier).toContain(got.meta.tier);
      });
    }

    for (const c of ERROR_CASES) {
      it(`error: ${c.name}`, async () => {
        const run = async () => {
          if (c.kind === 'traffic') return sut.store.traffic(buildTrafficQuery(c.args as TrafficArgs, ctx));
          return sut.store.series(buildSeriesQuery(c.args as Parameters<typeof buildSeriesQuery>[0], ctx));
        };
        const err = await run().then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(GatewayError);
        expect((err as GatewayError).code).toBe(c.code);
        expect((err as GatewayError).message).toContain(c.message);
      });
    }

    // Runs last: it adds a record the reference data set does not hold.
    it('a server-side report is stored turned around, counted only when asked', async () => {
      const reported = validateSessionRecord(
        {
          time: String(now - 600_000_000_000n),
          vn: 'default-domain:k8s-probe:server-net',
          remoteVn: 'default-domain:k8s-probe:client-net',
          vrouterIp: '192.168.9.9',
          localIp: '10.9.0.2',
          remoteIp: '10.9.0.1',
          clientPort: 45678,
          serverPort: 9443,
          protocol: 6,
          sessionType: 'server',
          localLabels: { app: 'probe-server' },
          remoteLabels: { app: 'probe-client' },
          forwardSampledBytes: 11,
          forwardSampledPkts: 1,
          reverseSampledBytes: 22,
          reverseSampledPkts: 2,
        },
        { receivedAt: now, limits: { maxLabels: 64 }, naming: 'camel' },
      );
      await sut.store.write(encodeRecords([reported]));
      await sut.afterWrite?.();
      const probe = { localLabels: [{ name: 'app', eq: 'probe-client' }] };
      const groupBy = [{ dimension: 'VN' as const }, { dimension: 'LOCAL_IP' as const }, { remoteLabel: 'app' }];
      const asServer = await sut.store.traffic(buildTrafficQuery({ range: { last: '2h' }, where: { ...probe, sessionType: 'SERVER' }, groupBy }, ctx));
      expect(asServer.groups.map((g) => [...g.values])).toEqual([['default-domain:k8s-probe:client-net', '10.9.0.1', 'probe-server']]);
      expect(asServer.total.totalBytes).toBe(33n);
      const byDefault = await sut.store.traffic(buildTrafficQuery({ range: { last: '2h' }, where: probe, groupBy }, ctx));
      expect(byDefault.totalCount).toBe(0);
    });

    it('the data set exercises what the cases claim', () => {
      const old = data.records.filter((r: SessionRecord) => r.time < now - CONFORMANCE_RETENTION.raw.ns);
      expect(old.length).toBeGreaterThan(100);
      expect(data.records.some((r) => r.sessionType === 'server')).toBe(true);
      expect(data.records.some((r) => r.vmi === null)).toBe(true);
      expect(data.records.some((r) => r.localLabels['app'] === undefined)).toBe(true);
    });
  });
}
