import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildSeriesQuery,
  buildTrafficQuery,
  encodeRecords,
  parseDuration,
  parseTiers,
  type BuildContext,
  type SeriesArgs,
  type Traffic,
  type TrafficArgs,
} from '../../model/index.js';
import { generateSessions } from '../../../test/conformance/generator.js';
import { HOSTILE_STRINGS } from '../../../test/support/hostile.js';
import { sessionRecord } from '../../../test/support/records.js';
import { compileSeries, compileTraffic } from './compile.js';
import { DuckDb, type Row } from './database.js';
import { DuckDbSessionStore } from './session-store.js';
import { inlineSql } from './sql.js';

const raw = parseDuration('24h', 'raw');
const ctx: BuildContext = {
  now: 1_795_600_800_000_000_000n,
  retention: { raw, tiers: parseTiers('5m:7d,1h:90d', raw) },
  limits: { maxPageSize: 100, maxGroups: 100, maxSeriesPoints: 1000 },
};
const schema = { labelColumns: new Set(['label.local.app']) };

describe('DuckDB compiler', () => {
  it.each(HOSTILE_STRINGS.map((s) => [s]))('binds the hostile value %j, never pastes it', (s) => {
    const q = buildTrafficQuery(
      {
        range: { last: '1h' },
        where: { vn: { eq: s, in: [s], prefix: s }, localLabels: [{ name: 'app', ne: s, notIn: [s] }] },
        groupBy: [{ localLabel: 'app' }],
      },
      ctx,
    );
    const stmt = compileTraffic(q, schema);
    expect(stmt.text).not.toContain(s);
    expect(stmt.params.filter((p) => p === s)).toHaveLength(5 * q.source.pieces.length);
  });

  it('shows the values inline for meta.query, quotes doubled', () => {
    const q = buildTrafficQuery({ range: { last: '1h' }, where: { vn: { eq: `it's` } } }, ctx);
    const shown = inlineSql(compileTraffic(q, schema));
    expect(shown).toContain(`vn = 'it''s'`);
    expect(shown).not.toMatch(/\$[0-9]/);
  });

  it('reads a label no record carried as a typed NULL', () => {
    const q = buildTrafficQuery({ range: { last: '1h' }, groupBy: [{ remoteLabel: 'never' }] }, ctx);
    expect(compileTraffic(q, schema).text).toContain('CAST(NULL AS VARCHAR) AS k0');
  });

  it('quotes label columns as identifiers', () => {
    const q = buildTrafficQuery({ range: { last: '1h' }, groupBy: [{ localLabel: 'app' }] }, ctx);
    expect(compileTraffic(q, schema).text).toContain('"label.local.app" AS k0');
  });

  it('reads a tier table by window start and sums its record counts', () => {
    const q = buildTrafficQuery({ range: { last: '3d' }, orderBy: { metric: 'SESSIONS', direction: 'ASC' } }, ctx);
    const text = compileTraffic(q, schema).text;
    // Now is on the hour: three days are whole windows of the 1h tier, the cheapest.
    expect(text).toContain('FROM sessions_1h');
    expect(text).toMatch(/window_start >= \$[0-9]+ AND window_start < \$[0-9]+/);
    expect(text).toContain('sum(sessions) AS n');
    expect(text).toContain('coalesce(sum(n), 0) AS n');
  });

  it('matches bare outside every NOT, so DuckDB filters in the scan, and null-safe inside one', () => {
    const where = { vn: { in: ['a'], prefix: 'b', regex: 'c' }, localLabels: [{ name: 'app', eq: 'web' }] };
    const bare = compileTraffic(buildTrafficQuery({ range: { last: '1h' }, where }, ctx), schema).text;
    expect(bare).toMatch(/"label\.local\.app" = \$[0-9]+/);
    expect(bare).toMatch(/vn IN \(\$[0-9]+\)/);
    expect(bare).not.toMatch(/coalesce\((vn|"label|starts_with|regexp_matches)/);
    const nq = buildTrafficQuery({ range: { last: '1h' }, where: { or: [{ not: where }, where] } }, ctx);
    const negated = compileTraffic(nq, schema).text;
    const pieces = nq.source.pieces.length;
    expect(negated.match(/coalesce\("label\.local\.app" = /g)).toHaveLength(pieces);
    expect(negated.match(/coalesce\(vn IN /g)).toHaveLength(pieces);
    expect(negated.match(/coalesce\(starts_with\(vn, /g)).toHaveLength(pieces);
    expect(negated.match(/coalesce\(regexp_matches\(vn, /g)).toHaveLength(pieces);
  });

  it('aligns series buckets to the epoch with a bound width, flooring before 1970', () => {
    const q = buildSeriesQuery({ range: { last: '1h' }, every: '5m' }, ctx);
    const stmt = compileSeries(q, schema);
    const m = /time_ns - \(time_ns % (\$[0-9]+)\) - CASE WHEN time_ns % \1 < 0 THEN \1 ELSE 0 END AS bucket/.exec(stmt.text);
    expect(m).not.toBeNull();
    expect(stmt.params[Number(m![1]!.slice(1)) - 1]).toBe(300_000_000_000n);
  });
});

/**
 * meta.query against the data: each query runs through the store, and the
 * SQL its meta.query shows (values written inline, as a user pastes it into
 * the duckdb shell) runs again as plain text, no parameters, on the same
 * database; its rows, read here, must be what the store answered. This is
 * what the InfluxDB and OpenSearch suites do with their stores' meta.query.
 */
describe('DuckDB meta.query, run as shown', () => {
  const NOW = ctx.now;
  const retention = ctx.retention;
  const big: BuildContext = { ...ctx, limits: { maxPageSize: 1000, maxGroups: 10_000, maxSeriesPoints: 10_000 } };
  let db: DuckDb;
  let store: DuckDbSessionStore;

  beforeAll(async () => {
    db = await DuckDb.open({ path: ':memory:', queryTimeoutMs: 30_000 });
    store = await DuckDbSessionStore.open(db, { retention, clock: () => NOW });
    // Three days of records (so that the tiers answer older ranges), and each hostile string as a vn and label values in the last hour.
    const { records } = generateSessions(17, NOW, 4000, 72);
    const hostile = HOSTILE_STRINGS.map((s, i) =>
      sessionRecord({ time: NOW - 600_000_000_000n - BigInt(i), vn: s, vmi: `${s}-vmi`, localLabels: { app: s }, remoteLabels: { app: `x${s}` }, clientPort: 1000 + i }),
    );
    await store.write(encodeRecords([...records, ...hostile]));
    await store.rollup.run();
  });
  afterAll(async () => {
    await db?.close();
  });

  /** The rows of a statement run as text alone, as the duckdb shell would. */
  const pasted = (text: string) => db.read({ text, params: [] });

  const counters = (r: Row, prefix: string): Traffic => ({
    forwardSampledBytes: BigInt(r[`${prefix}fsb`] as bigint),
    forwardSampledPkts: BigInt(r[`${prefix}fsp`] as bigint),
    reverseSampledBytes: BigInt(r[`${prefix}rsb`] as bigint),
    reverseSampledPkts: BigInt(r[`${prefix}rsp`] as bigint),
    totalBytes: BigInt(r[`${prefix}tb`] as bigint),
    sessions: BigInt(r[`${prefix}n`] as bigint),
  });
  const key = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

  const TRAFFIC: [string, TrafficArgs, number?][] = [
    ['the totals of the last hour', { range: { last: '1h' } }],
    ['networks and apps', { range: { last: '1h' }, groupBy: [{ dimension: 'VN' }, { localLabel: 'app' }] }],
    ['the second page of address pairs, fewest sessions first', { range: { last: '1h' }, groupBy: [{ dimension: 'LOCAL_IP' }, { dimension: 'CLIENT_PORT' }], orderBy: { metric: 'SESSIONS', direction: 'ASC' }, first: 5 }, 5],
    ['prefix, notIn, a missing vmi', { range: { last: '1h' }, where: { vn: { prefix: 'default-domain:k8s-shop' }, localLabels: [{ name: 'app', notIn: ['web'] }] }, groupBy: [{ remoteLabel: 'app' }, { dimension: 'VMI' }] }],
    ['a regex, ports and protocols', { range: { last: '1h' }, where: { vn: { regex: '^default-domain:k8s-(shop|billing):' }, serverPort: { gte: 443 } }, groupBy: [{ dimension: 'SERVER_PORT' }, { dimension: 'PROTOCOL' }], orderBy: { metric: 'TOTAL_BYTES', direction: 'DESC' } }],
    ['a label no record carried', { range: { last: '1h' }, groupBy: [{ remoteLabel: 'never' }, { dimension: 'VROUTER_IP' }] }],
    ['three days, from the 5m tier', { range: { last: '3d' }, groupBy: [{ dimension: 'VN' }, { localLabel: 'app' }] }],
    ['thirty days, from the 1h tier', { range: { last: '30d' }, groupBy: [{ remoteLabel: 'namespace' }], orderBy: { metric: 'FORWARD_SAMPLED_PKTS', direction: 'DESC' } }],
    ...HOSTILE_STRINGS.map((s): [string, TrafficArgs] => [
      `the hostile value ${JSON.stringify(s)}`,
      { range: { last: '1h' }, where: { vn: { in: [s, 'vn-a'], prefix: s }, localLabels: [{ name: 'app', eq: s }], remoteLabels: [{ name: 'app', ne: s }] }, groupBy: [{ dimension: 'VN' }, { dimension: 'VMI' }, { remoteLabel: 'app' }] },
    ]),
  ];

  it.each(TRAFFIC)('traffic: %s', async (_name, args, offset) => {
    const q = { ...buildTrafficQuery(args, big), ...(offset === undefined ? {} : { offset }) };
    const page = await store.traffic(q);
    expect(page.groups.length).toBeGreaterThan(0);
    const rows = await pasted(page.meta.query);
    expect(page.meta.query).not.toMatch(/\$[0-9]/);
    expect({
      groups: rows.map((r) => ({ values: q.groupBy.map((_, i) => key(r[`k${i}`])), traffic: counters(r, '') })),
      totalCount: Number(rows[0]!['group_count']),
      total: counters(rows[0]!, 'total_'),
    }).toEqual({ groups: page.groups, totalCount: page.totalCount, total: page.total });
  });

  const SERIES: [string, SeriesArgs][] = [
    ['five-minute buckets of the last hour', { range: { last: '1h' }, every: '5m' }],
    ['the top three networks by bytes', { range: { last: '1h' }, every: '10m', groupBy: [{ dimension: 'VN' }], metric: 'TOTAL_BYTES', limit: 3 }],
    ['hourly apps over three days', { range: { last: '3d' }, every: '1h', groupBy: [{ localLabel: 'app' }] }],
    ['the hostile networks', { range: { last: '1h' }, every: '15m', where: { vn: { in: [...HOSTILE_STRINGS] } }, groupBy: [{ dimension: 'VN' }, { localLabel: 'app' }], limit: 100 }],
  ];

  it.each(SERIES)('series: %s', async (_name, args) => {
    const q = buildSeriesQuery(args, big);
    const result = await store.series(q);
    expect(result.series.length).toBeGreaterThan(0);
    const series: { values: (string | null)[]; points: { time: bigint; value: bigint }[]; other: boolean }[] = [];
    let rank: unknown;
    for (const r of await pasted(result.meta.query)) {
      const other = BigInt(r['rk'] as bigint) > BigInt(q.limit);
      if (r['rk'] !== rank) series.push({ values: q.groupBy.map((_, i) => (other ? null : key(r[`k${i}`]))), points: [], other });
      rank = r['rk'];
      series.at(-1)!.points.push({ time: BigInt(r['bucket'] as bigint), value: BigInt(r['v'] as bigint) });
    }
    expect(series).toEqual(result.series);
  });

  it('covers the raw table and both tiers', async () => {
    const tiers = await Promise.all(TRAFFIC.map(async ([, args]) => (await store.traffic(buildTrafficQuery(args, big))).meta.tier));
    expect(new Set(tiers)).toEqual(new Set(['raw', 'raw+1h']));
  });
});
