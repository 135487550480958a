import { describe, expect, it } from 'vitest';
import { influxFolding } from './folding.js';
import {
  buildFilter,
  buildSeriesQuery,
  buildTrafficQuery,
  parseDuration,
  parseTiers,
  type BuildContext,
  type SessionFilterInput,
} from '../../model/index.js';
import { HOSTILE_STRINGS } from '../../../test/support/hostile.js';
import { compileSeries, compileTraffic } from './compile.js';
import { compilePredicate } from './predicate.js';
import { fluxString } from './flux.js';
import { influxLayout } from './layout.js';
import { encodeTagValue } from './tag-codec.js';

const raw = parseDuration('24h', 'raw');
const retention = { raw, tiers: parseTiers('5m:7d,1h:90d', raw) };
const ctx: BuildContext = {
  now: 1_795_600_800_000_000_000n,
  retention,
  limits: { maxPageSize: 100, maxGroups: 100, maxSeriesPoints: 1000 },
  // As the store plans (folding.ts): 45 s task offsets, INFLUX_LATE_AFTER 5m.
  folding: influxFolding(new Map([['5m', 45_000_000_000n], ['1h', 45_000_000_000n]]), 300_000_000_000n),
};
const layout = influxLayout('sag', 'sessions', '{bucket}_{tier}', retention);

/** The predicate of a filter, without the session type default. */
function where(f: SessionFilterInput): string {
  return compilePredicate(buildFilter(f))
    .replace(/ and r\["session_type"\] == "client"\)$/, ')')
    .replace(/^\((.*)\)$/, '$1');
}

describe('Flux compiler: predicates', () => {
  it('keeps missing labels two-valued: positive tests false, negative ones true', () => {
    expect(where({ localLabels: [{ name: 'app', eq: 'web' }] })).toBe('r["label.local.app"] == "web"');
    expect(where({ localLabels: [{ name: 'app', ne: 'web' }] })).toBe('(not exists r["label.local.app"] or r["label.local.app"] != "web")');
    expect(where({ localLabels: [{ name: 'app', notIn: ['a', 'b'] }] })).toBe(
      '(not exists r["label.local.app"] or (r["label.local.app"] != "a" and r["label.local.app"] != "b"))',
    );
    expect(where({ localLabels: [{ name: 'app', regex: '^$' }] })).toBe('(exists r["label.local.app"] and r["label.local.app"] =~ /^$/)');
    expect(where({ localLabels: [{ name: 'app', exists: false }] })).toBe('not exists r["label.local.app"]');
    expect(where({ vmi: { ne: 'x' } })).toBe('(not exists r["vmi"] or r["vmi"] != "x")');
    expect(where({ vn: { ne: 'x' } })).toBe('r["vn"] != "x"');
  });

  it('pushes not down to the leaves (InfluxDB does not push down `not (...)`)', () => {
    expect(where({ not: { localLabels: [{ name: 'app', eq: 'web' }] } })).toBe('(not exists r["label.local.app"] or r["label.local.app"] != "web")');
    expect(where({ not: { or: [{ serverPort: { eq: 443 } }, { remoteLabels: [{ name: 'tier', exists: true }] }] } })).toBe(
      '(r["server_port"] != "443" and not exists r["label.remote.tier"])',
    );
    expect(where({ not: { not: { protocol: { in: [6, 17] } } } })).toBe('(r["protocol"] == "6" or r["protocol"] == "17")');
    expect(where({ not: { localLabels: [{ name: 'app', prefix: 'w' }] } })).toBe('(not exists r["label.local.app"] or r["label.local.app"] !~ /^w/)');
    const text = compilePredicate(buildFilter({ not: { and: [{ vn: { regex: 'a' } }, { not: { vmi: { in: ['x'] } } }] } }));
    expect(text).not.toMatch(/not \(/);
  });

  it('writes int ranges as patterns over the decimal tag, and all-covering bounds as true', () => {
    expect(where({ clientPort: { gte: 30010, lte: 30020 } })).toBe(
      'r["client_port"] =~ /^(?:300[1-9][0-9]|30[1-9][0-9]{2}|3[1-9][0-9]{3}|[4-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$/ and ' +
        'r["client_port"] =~ /^(?:[0-9]|[1-9][0-9]|[1-9][0-9]{2}|[1-9][0-9]{3}|[1-2][0-9]{4}|300[0-1][0-9]|30020)$/',
    );
    expect(compilePredicate(buildFilter({ serverPort: { gte: 0 }, sessionType: 'SERVER' }))).toBe('r["session_type"] == "server"');
    expect(where({ not: { protocol: { lte: 17 } } })).toBe('r["protocol"] !~ /^(?:[0-9]|1[0-7])$/');
  });

  it('matches prefixes with an anchored, quoted pattern over the stored value', () => {
    expect(where({ vrouterIp: { prefix: '192.168.0.1' } })).toBe('r["vrouter_ip"] =~ /^192\\.168\\.0\\.1/');
    expect(where({ localLabels: [{ name: 'app', prefix: '' }] })).toBe('exists r["label.local.app"]');
    expect(where({ vn: { prefix: 'a/b\n' } })).toBe('r["vn"] =~ /^a\\/b\\x01J/');
  });

  it.each(HOSTILE_STRINGS.map((s) => [s]))('writes the hostile value %j only as an escaped literal of its stored form', (s) => {
    const q = buildTrafficQuery(
      {
        range: { last: '1h' },
        where: { vn: { eq: s, in: [s] }, localLabels: [{ name: 'app', ne: s, notIn: [s] }] },
        groupBy: [{ localLabel: 'app' }],
      },
      ctx,
    );
    const text = compileTraffic(q, layout);
    const lit = fluxString(encodeTagValue(s));
    // Per piece of the plan, one source pipeline (two on raw: sums and the count for SESSIONS), four tests each.
    const pipelines = q.source.pieces.reduce((n, p) => n + (p.kind === 'raw' ? 2 : 1), 0);
    expect(text.split(lit).length - 1).toBe(pipelines * 4);
    const outsideLiterals = text.replace(/"(?:[^"\\]|\\[\s\S])*"/g, '""');
    expect(outsideLiterals).not.toContain(s);
    expect(outsideLiterals.replaceAll('""', '')).not.toContain('"');
  });
});

describe('Flux compiler: traffic', () => {
  it('sums only the needed fields, counts raw records for SESSIONS, and pages with limit and offset', () => {
    const rawOnly = { ...ctx, retention: { raw, tiers: [] } };
    const q = buildTrafficQuery({ range: { last: '1h' }, groupBy: [{ localLabel: 'app' }, { dimension: 'SERVER_PORT' }], first: 10 }, rawOnly, ['SESSIONS']);
    const text = compileTraffic(q, layout);
    expect(text).toContain('from(bucket: "sessions")');
    expect(text).toContain('|> range(start: 2026-11-25T09:00:00Z, stop: 2026-11-25T10:00:00Z)');
    expect(text).toContain('r._measurement == "session" and r._field == "total_bytes" and r["session_type"] == "client")');
    expect(text).toContain('|> count()\n  |> set(key: "_field", value: "sessions")');
    expect(text).toContain('_o: -r["total_bytes"], _n0: if k[0] == "" then 1 else 0, _k0: k[0], _i1: int(v: k[1])');
    expect(text).toContain('|> sort(columns: ["_o", "_n0", "_k0", "_i1"])');
    expect(text).toContain('|> limit(n: 10, offset: 0)');
    expect(text).toContain(
      '_gk: (if exists r["label.local.app"] then r["label.local.app"] else "") + "\\x02" + (if exists r["server_port"] then r["server_port"] else "")',
    );
    expect(text).toContain('|> pivot(rowKey: ["_gk"], columnKey: ["_field"], valueColumn: "_value")');
    expect(text.startsWith('import "strings"\n')).toBe(true);
    for (const name of ['page', 'count', 'total']) expect(text).toContain(`yield(name: "${name}")`);
    expect(text).not.toContain('forward_sampled_bytes');
  });

  it('reads a tier bucket, where SESSIONS is the sum of the `sessions` field', () => {
    const q = buildTrafficQuery({ range: { last: '3d' }, orderBy: { metric: 'SESSIONS', direction: 'ASC' } }, ctx, ['SESSIONS']);
    const text = compileTraffic(q, layout);
    expect(text).toContain('from(bucket: "sessions_1h")'); // now is on the hour: whole windows of the 1h tier
    expect(text).toContain('r._field == "sessions"');
    // The tier piece sums `sessions`; only the raw piece after it counts records.
    expect(text).not.toContain('rowsTier1h0Counts');
    expect(text).toContain('rowsRaw1Counts');
    expect(text).toContain('_o: r["sessions"]');
  });

  it('sums the pieces of a plan: the tier up to what its task folded in, raw after it and at the edges', () => {
    const q = buildTrafficQuery({ range: { from: '2026-11-25T08:58:30Z', to: '2026-11-25T10:00:00Z' }, groupBy: [{ localLabel: 'app' }] }, ctx, ['TOTAL_BYTES']);
    expect(q.source.name).toBe('raw+5m');
    const text = compileTraffic(q, layout);
    expect(text).toContain('from(bucket: "sessions")\n  |> range(start: 2026-11-25T08:58:30Z, stop: 2026-11-25T09:00:00Z)');
    // 10:00 less two 45 s offsets is 09:58:30, so the task of 09:55 is the last taken as done: it completed windows before 09:50.
    expect(text).toContain('from(bucket: "sessions_5m")\n  |> range(start: 2026-11-25T09:00:00Z, stop: 2026-11-25T09:50:00Z)');
    expect(text).toContain('from(bucket: "sessions")\n  |> range(start: 2026-11-25T09:50:00Z, stop: 2026-11-25T10:00:00Z)');
    expect(text).toContain('rowsPieces = union(tables: [rowsRaw0Sums, rowsTier5m1Sums, rowsRaw2Sums])\n  |> group(columns: ["label.local.app", "_field"])\n  |> sum()');
  });
});

describe('Flux compiler: series', () => {
  it('sums windows of `every` aligned to the epoch and keeps the top groups', () => {
    const q = buildSeriesQuery({ range: { last: '1h' }, every: '5m', groupBy: [{ remoteLabel: 'tier' }], limit: 3, metric: 'SESSIONS' }, ctx);
    const text = compileSeries(q, layout);
    expect(text).toContain('|> aggregateWindow(every: 5m, fn: count, createEmpty: false, timeSrc: "_start")');
    expect(text).toContain('|> limit(n: 3)');
    expect(text).toContain('_gk: (if exists r["label.remote.tier"] then r["label.remote.tier"] else "")');
    expect(text).toContain('join.inner(left: top, right: points, on: (l, r) => l._gk == r._gk');
  });
});
