import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GatewayError,
  buildLabelNamesQuery,
  buildNamespaceScope,
  buildRecordsQuery,
  buildSeriesQuery,
  buildTrafficQuery,
  buildValuesQuery,
  encodeRecords,
  encodeRecordsCursor,
  trafficPageInfo,
  type BuildContext,
  type LabelNamesArgs,
  type RecordsArgs,
  type SeriesArgs,
  type SessionRecord,
  type TrafficArgs,
  type ValuesArgs,
} from '../../src/model/index.js';
import { HOSTILE_STRINGS } from '../support/hostile.js';
import { referenceLabelNames, referenceRecords, referenceSeries, referenceTraffic, referenceValues } from './reference.js';
import { CONFORMANCE_RETENTION, type SessionStoreUnderTest, type SessionSuiteContext } from './session-suite.js';

const SECOND = 1_000_000_000n;
const MINUTE = 60n * SECOND;

/** A VN of namespace `ns` under the default prefix. */
const vnOf = (ns: string, net = 'net') => `default-domain:k8s-${ns}:${net}`;

/** A record of the tenancy data set, with the namespaces whose callers must see it, written by hand (not derived by the code under test). */
interface Spec {
  readonly vn: string;
  readonly remoteVn: string;
  readonly seenBy: readonly string[];
  readonly sessionType?: 'client' | 'server';
  readonly labels?: Readonly<Record<string, string>>;
  /** Minutes before now; default 10 (raw), over 24h: the tiers only. */
  readonly ago?: bigint;
}

const SPECS: readonly Spec[] = [
  { vn: vnOf('shop'), remoteVn: vnOf('shop', 'db'), seenBy: ['shop'] },
  // A session between two namespaces: seen by the owners of either end, from either side.
  { vn: vnOf('shop'), remoteVn: vnOf('billing'), seenBy: ['shop', 'billing'] },
  { vn: vnOf('billing'), remoteVn: vnOf('shop'), seenBy: ['shop', 'billing'], ago: 20n },
  { vn: vnOf('billing'), remoteVn: vnOf('billing', 'db'), seenBy: ['billing'] },
  // Another domain, and a name of two components: the project is the second component either way.
  { vn: 'other-domain:k8s-shop:net', remoteVn: 'x', seenBy: ['shop'] },
  { vn: 'dom:k8s-shop', remoteVn: 'bare', seenBy: ['shop'] },
  // Near misses: a longer project, the project as the first or third component, no prefix, a bare name.
  { vn: vnOf('shopx'), remoteVn: vnOf('secret'), seenBy: ['shopx'] },
  { vn: 'k8s-shop:other:net', remoteVn: 'default-domain:default-project:k8s-shop', seenBy: [] },
  { vn: 'default-domain:shop:net', remoteVn: 'k8s-shop', seenBy: [] },
  { vn: 'default-domain:K8S-SHOP:net', remoteVn: 'default-domain: k8s-shop:net', seenBy: [] },
  // The secret namespace: every trick below tries to reach these.
  { vn: vnOf('secret'), remoteVn: vnOf('secret', 'db'), seenBy: ['secret'], labels: { 'secret-only': 'yes' } },
  { vn: vnOf('secret'), remoteVn: vnOf('secret', 'db'), seenBy: ['secret'], sessionType: 'server' },
  { vn: vnOf('secret'), remoteVn: vnOf('secret', 'db'), seenBy: ['secret'], ago: 2n * 24n * 60n },
  { vn: vnOf('shop'), remoteVn: vnOf('shop', 'db'), seenBy: ['shop'], ago: 2n * 24n * 60n },
  { vn: vnOf('secret'), remoteVn: vnOf('secret', 'db'), seenBy: ['secret'], ago: 24n * 60n + 20n },
  { vn: vnOf('shop'), remoteVn: vnOf('shop', 'db'), seenBy: ['shop'], ago: 24n * 60n + 20n },
  // Hostile namespaces: quotes, backslashes, `${`, regex and LIKE metacharacters, controls, Unicode.
  ...HOSTILE_STRINGS.map((h): Spec => ({ vn: vnOf(h), remoteVn: vnOf('secret'), seenBy: [h] })),
  ...HOSTILE_STRINGS.map((h): Spec => ({ vn: `dom:k8s-${h}`, remoteVn: vnOf('secret'), seenBy: [h] })),
];

/** Callers' namespace lists, each checked by every trick. Regex look-alikes see nothing. */
const CALLERS: readonly (readonly string[])[] = [
  ['shop'],
  ['billing'],
  ['billing', 'shop'],
  [],
  ['sh.p', '.*', 's*', 'sh%', 'sho_', 'shop|secret', '(shop)', 'shop:net', 'k8s-shop', ''],
  ...HOSTILE_STRINGS.map((h) => [h]),
];

const TRAFFIC_TRICKS: readonly { name: string; args: TrafficArgs }[] = [
  { name: 'no filter', args: { range: { last: '1h' }, groupBy: [{ dimension: 'LOCAL_IP' }] } },
  {
    name: 'or of match-everything filters',
    args: {
      range: { last: '1h' },
      where: { or: [{ vn: { regex: '.*' } }, { remoteVn: { prefix: '' } }, { not: { vn: { eq: 'nothing' } } }] },
      groupBy: [{ dimension: 'VN' }, { dimension: 'REMOTE_VN' }],
    },
  },
  { name: 'not', args: { range: { last: '1h' }, where: { not: { vn: { in: [vnOf('shop'), vnOf('billing')] } } }, groupBy: [{ dimension: 'LOCAL_IP' }] } },
  { name: 'regex naming the secret', args: { range: { last: '1h' }, where: { vn: { regex: 'secret' } }, groupBy: [{ dimension: 'VN' }] } },
  { name: 'regex on remote, not of vn', args: { range: { last: '1h' }, where: { not: { remoteVn: { regex: '^$' } } }, groupBy: [{ dimension: 'REMOTE_VN' }] } },
  { name: 'both session types', args: { range: { last: '1h' }, where: { or: [{ sessionType: 'CLIENT' }, { sessionType: 'SERVER' }] }, groupBy: [{ dimension: 'LOCAL_IP' }] } },
  { name: 'server reports', args: { range: { last: '1h' }, where: { sessionType: 'SERVER' }, groupBy: [{ dimension: 'VN' }] } },
  { name: 'grouped on a label only the secret has', args: { range: { last: '1h' }, groupBy: [{ localLabel: 'secret-only' }] } },
  { name: 'no grouping: the total', args: { range: { last: '1h' } } },
  { name: 'tiers', args: { range: { last: '3d' }, groupBy: [{ dimension: 'VN' }] } },
  { name: 'compareTo', args: { range: { last: '1h' }, compareTo: '1d', groupBy: [{ dimension: 'VN' }], orderBy: { ranking: 'ABSOLUTE_CHANGE' } } },
  { name: 'compareTo, no grouping', args: { range: { last: '1h' }, compareTo: '1d', where: { or: [{ sessionType: 'SERVER' }, { sessionType: 'CLIENT' }] } } },
];

const SERIES_TRICKS: readonly { name: string; args: SeriesArgs }[] = [
  { name: 'series with other', args: { range: { last: '1h' }, every: '5m', groupBy: [{ dimension: 'VN' }], limit: 2, other: true } },
  { name: 'series of the whole', args: { range: { last: '3d' }, every: '1h', where: { or: [{ sessionType: 'SERVER' }, { vn: { regex: '' } }] } } },
];

const VALUES_TRICKS: readonly { name: string; args: ValuesArgs }[] = [
  { name: 'values of vn', args: { range: { last: '1h' }, key: { dimension: 'VN' } } },
  { name: 'values of remote vn, any type', args: { range: { last: '1h' }, key: { dimension: 'REMOTE_VN' }, where: { or: [{ sessionType: 'SERVER' }, { sessionType: 'CLIENT' }] } } },
  { name: 'values of a label', args: { range: { last: '1h' }, key: { localLabel: 'secret-only' }, prefix: '' } },
];

const LABEL_NAME_TRICKS: readonly { name: string; args: LabelNamesArgs }[] = [
  { name: 'label names', args: { range: { last: '1h' }, side: 'LOCAL' } },
  { name: 'label names, any type', args: { range: { last: '1h' }, side: 'LOCAL', where: { not: { sessionType: 'CLIENT' } } } },
];

const RECORDS_TRICKS: readonly { name: string; args: RecordsArgs }[] = [
  { name: 'records', args: { range: { last: '1h' } } },
  { name: 'records, any type, regex', args: { range: { last: '1h' }, where: { or: [{ sessionType: 'SERVER' }, { vn: { regex: '.' } }] } } },
];

/**
 * The namespace tenancy suite (docs/security.md "Namespaces"), on a store:
 * for every caller of CALLERS and every trick, the answer under the
 * caller's scope equals the reference evaluator's answer to the unscoped
 * query over only the records the hand-written `seenBy` gives the caller.
 * So no `or`, `not`, regex, sessionType or grouping widens the scope, a
 * session between two namespaces is seen by either owner, and hostile
 * namespace strings reach each store's query text safely. Cursors are
 * bound to the scope that made them.
 */
export function describeTenancyConformance(name: string, open: (ctx: SessionSuiteContext) => Promise<SessionStoreUnderTest>): void {
  describe(`tenancy conformance: ${name}`, () => {
    const now = BigInt(Math.floor(Date.now() / 1000)) * SECOND;
    const records: SessionRecord[] = SPECS.map((s, i) => record(s, i, now));
    let plain: BuildContext = {
      now,
      retention: CONFORMANCE_RETENTION,
      limits: { maxPageSize: 10_000, maxGroups: 100_000, maxSeriesPoints: 10_000 },
    };
    const scoped = (namespaces: readonly string[]): BuildContext => ({ ...plain, scope: buildNamespaceScope(namespaces, 'k8s-') });
    const visible = (namespaces: readonly string[]) => records.filter((_, i) => SPECS[i]!.seenBy.some((n) => namespaces.includes(n)));
    let sut: SessionStoreUnderTest;

    beforeAll(async () => {
      sut = await open({ now, retention: CONFORMANCE_RETENTION });
      // Plans as the gateway makes them for this store (graphql/context.ts).
      plain = { ...plain, folding: sut.store.folding };
      await sut.store.write(encodeRecords(records));
      await sut.afterWrite?.();
    }, 300_000);

    afterAll(async () => {
      await sut?.cleanup();
    });

    it('the data set holds what each caller must not see', () => {
      for (const c of CALLERS) expect(visible(c).length).toBeLessThan(records.length);
      expect(visible(['shop']).length).toBeGreaterThan(4);
      for (const h of HOSTILE_STRINGS) expect(visible([h])).toHaveLength(2);
    });

    for (const c of CALLERS) {
      const who = JSON.stringify(c);
      for (const t of TRAFFIC_TRICKS) {
        it(`${who}: traffic: ${t.name}`, async () => {
          const q = buildTrafficQuery(t.args, scoped(c));
          const got = await sut.store.traffic(q);
          const want = referenceTraffic(visible(c), buildTrafficQuery(t.args, plain));
          expect(got.totalCount).toBe(want.totalCount);
          expect(got.total).toEqual(want.total);
          if (want.previousTotal !== undefined) expect(got.previousTotal).toEqual(want.previousTotal);
          expect(got.groups.map((g) => ({ values: [...g.values], traffic: g.traffic, ...(g.previous === undefined ? {} : { previous: g.previous }) }))).toEqual(
            want.groups,
          );
        });
      }
    }

    // The richer calls for a few callers: the named ones and two hostile ones.
    const FEW = [['shop'], ['billing'], [], [HOSTILE_STRINGS[1]!, HOSTILE_STRINGS[6]!], [HOSTILE_STRINGS[3]!], [HOSTILE_STRINGS[9]!, HOSTILE_STRINGS[4]!]];
    for (const c of FEW) {
      const who = JSON.stringify(c);
      for (const t of SERIES_TRICKS) {
        it(`${who}: ${t.name}`, async () => {
          const got = await sut.store.series(buildSeriesQuery(t.args, scoped(c)));
          const want = referenceSeries(visible(c), buildSeriesQuery(t.args, plain));
          expect(got.series.map((s) => ({ values: [...s.values], points: [...s.points], other: s.other ?? false }))).toEqual(want.series);
        });
      }
      for (const t of VALUES_TRICKS) {
        it(`${who}: ${t.name}`, async () => {
          const got = await sut.store.values(buildValuesQuery(t.args, scoped(c)));
          expect(got.values.map((v) => ({ ...v }))).toEqual(referenceValues(visible(c), buildValuesQuery(t.args, plain)));
        });
      }
      for (const t of LABEL_NAME_TRICKS) {
        it(`${who}: ${t.name}`, async () => {
          const got = await sut.store.labelNames(buildLabelNamesQuery(t.args, scoped(c)));
          expect(got.names.map((n) => ({ ...n }))).toEqual(referenceLabelNames(visible(c), buildLabelNamesQuery(t.args, plain)));
        });
      }
      for (const t of RECORDS_TRICKS) {
        it(`${who}: ${t.name}`, async () => {
          const got = await sut.store.records(buildRecordsQuery({ ...t.args, first: 1000 }, scoped(c)));
          const want = referenceRecords(visible(c), buildRecordsQuery({ ...t.args, first: 1000 }, plain));
          expect(got.records.map((r) => r.localIp)).toEqual(want.map((r) => r.localIp));
        });
      }
    }

    it('the secret is visible to its owner (the tricks are not vacuous)', async () => {
      const page = await sut.store.traffic(buildTrafficQuery(TRAFFIC_TRICKS[1]!.args, scoped(['secret'])));
      expect(page.groups.map((g) => g.values[0])).toContain(vnOf('secret'));
      const names = await sut.store.labelNames(buildLabelNamesQuery(LABEL_NAME_TRICKS[0]!.args, scoped(['secret'])));
      expect(names.names.map((n) => n.name)).toContain('secret-only');
    });

    it('a session between two namespaces is seen by the owner of either end', async () => {
      const args: TrafficArgs = { range: { last: '1h' }, where: { vn: { eq: vnOf('shop') }, remoteVn: { eq: vnOf('billing') } } };
      for (const c of [['shop'], ['billing']]) {
        const page = await sut.store.traffic(buildTrafficQuery(args, scoped(c)));
        expect(page.total.sessions).toBe(1n);
      }
      expect((await sut.store.traffic(buildTrafficQuery(args, scoped(['secret'])))).total.sessions).toBe(0n);
    });

    it('a traffic cursor is bound to the scope that made it', async () => {
      const args: TrafficArgs = { range: { last: '1h' }, groupBy: [{ dimension: 'LOCAL_IP' }], first: 1 };
      const q = buildTrafficQuery(args, scoped(['shop']));
      const page = await sut.store.traffic(q);
      const cursor = trafficPageInfo(q, page.groups.length, page.totalCount).endCursor!;
      expect(cursor).not.toBeNull();
      expect(() => buildTrafficQuery({ ...args, after: cursor }, scoped(['shop']))).not.toThrow();
      for (const other of [scoped(['billing']), scoped(['shop', 'billing']), scoped([]), plain]) {
        const err = catchError(() => buildTrafficQuery({ ...args, after: cursor }, other));
        expect(err?.code).toBe('BAD_USER_INPUT');
      }
      // And one made without a scope is refused under one.
      const free = buildTrafficQuery(args, plain);
      const freeCursor = trafficPageInfo(free, 1, 2).endCursor!;
      expect(catchError(() => buildTrafficQuery({ ...args, after: freeCursor }, scoped(['shop'])))?.code).toBe('BAD_USER_INPUT');
    });

    it('a records cursor is bound to the scope that made it', async () => {
      const args: RecordsArgs = { range: { last: '1h' }, first: 1 };
      const q = buildRecordsQuery(args, scoped(['shop']));
      const page = await sut.store.records(q);
      expect(page.next).not.toBeNull();
      const cursor = encodeRecordsCursor(q, page.next!);
      const next = await sut.store.records(buildRecordsQuery({ ...args, after: cursor }, scoped(['shop'])));
      expect(next.records).toHaveLength(1);
      for (const other of [scoped(['billing']), scoped(['secret']), plain]) {
        expect(catchError(() => buildRecordsQuery({ ...args, after: cursor }, other))?.code).toBe('BAD_USER_INPUT');
      }
    });
  });
}

function catchError(f: () => unknown): GatewayError | null {
  try {
    f();
    return null;
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
}

function record(s: Spec, i: number, now: bigint): SessionRecord {
  return {
    time: now - (s.ago ?? 10n) * MINUTE - BigInt(i) * SECOND,
    vn: s.vn,
    vmi: null,
    remoteVn: s.remoteVn,
    vrouterIp: '192.168.0.1',
    localIp: `10.77.${Math.floor(i / 250)}.${i % 250}`,
    clientPort: 40000 + i,
    remoteIp: '10.78.0.1',
    serverPort: 443,
    protocol: 6,
    sessionType: s.sessionType ?? 'client',
    localLabels: { app: `app-${i % 3}`, ...(s.labels ?? {}) },
    remoteLabels: {},
    forwardSampledBytes: BigInt(100 + i),
    forwardSampledPkts: 1n,
    reverseSampledBytes: BigInt(1000 + 7 * i),
    reverseSampledPkts: 2n,
    totalBytes: BigInt(1100 + 8 * i),
  };
}
