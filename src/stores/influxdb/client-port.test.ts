import { describe, expect, it } from 'vitest';
import {
  buildFilter,
  buildLabelNamesQuery,
  buildNamespaceScope,
  buildRecordsQuery,
  buildSeriesQuery,
  buildTrafficQuery,
  buildValuesQuery,
  parseDuration,
  parseTiers,
  type BuildContext,
  type SessionFilterInput,
  type TrafficArgs,
} from '../../model/index.js';
import { splitClientPort, mentionsClientPort } from './client-port.js';
import { compileSeries, compileTraffic } from './compile.js';
import { compileLabelCounts, compileValues } from './compile-hints.js';
import { compileRecords } from './compile-records.js';
import { compileTail } from './compile-tail.js';
import { influxFolding } from './folding.js';
import { influxLayout } from './layout.js';
import { compilePredicate } from './predicate.js';

const raw = parseDuration('24h', 'raw');
const retention = { raw, tiers: parseTiers('5m:7d,1h:90d', raw) };
const ctx: BuildContext = {
  now: 1_795_600_800_000_000_000n,
  retention,
  limits: { maxPageSize: 100, maxGroups: 100, maxSeriesPoints: 1000 },
  folding: influxFolding(new Map([['5m', 45_000_000_000n], ['1h', 45_000_000_000n]]), 300_000_000_000n),
};
const field = influxLayout('sag', 'sessions', '{bucket}_{tier}', retention);
const tag = { ...field, clientPort: 'tag' as const };

const traffic = (where: SessionFilterInput | undefined, groupBy: TrafficArgs['groupBy'] = [{ dimension: 'VN' }], range = { last: '2h' }) =>
  buildTrafficQuery({ range, ...(where === undefined ? {} : { where }), groupBy }, ctx);

describe('client_port as a field: which queries pay for the pivot', () => {
  it('leaves every query that neither filters nor groups on client_port pushed down as before', () => {
    for (const q of [traffic(undefined), traffic({ serverPort: { eq: 443 }, localLabels: [{ name: 'app', eq: 'web' }] }), traffic(undefined, [], { last: '3d' })]) {
      expect(compileTraffic(q, field)).toBe(compileTraffic(q, tag));
      expect(compileTraffic(q, field)).not.toMatch(/pivot\(rowKey: \["_time"\]|experimental|client_port/);
    }
    const s = buildSeriesQuery({ range: { last: '2h' }, every: '5m', groupBy: [{ localLabel: 'app' }] }, ctx);
    expect(compileSeries(s, field)).toBe(compileSeries(s, tag));
  });

  it('reads client_port with the counters, tests it after the pivot, and keeps the other terms pushed down', () => {
    const text = compileTraffic(traffic({ clientPort: { gte: 30010, lte: 30020 }, localLabels: [{ name: 'app', eq: 'web' }] }), field);
    expect(text).toMatch(/^import "experimental"\nimport "strings"\n/);
    expect(text).toContain(
      '|> filter(fn: (r) => r._measurement == "session" and (r._field == "total_bytes" or r._field == "client_port") and ' +
        '(r["label.local.app"] == "web" and r["session_type"] == "client"))\n' +
        '  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")\n' +
        '  |> filter(fn: (r) => (r["client_port"] >= 30010 and r["client_port"] <= 30020))\n' +
        '  |> drop(columns: ["client_port"])\n' +
        '  |> experimental.unpivot()\n' +
        '  |> group(columns: ["_start", "_stop", "vn", "_field"])',
    );
    // In the tag layout: a pattern over the decimal tag, pushed down.
    const old = compileTraffic(traffic({ clientPort: { gte: 30010, lte: 30020 } }), tag);
    expect(old).not.toMatch(/pivot\(rowKey: \["_time"\]|experimental/);
    expect(old).toMatch(/r\["client_port"\] =~ \//);
  });

  it('groups on client_port as its decimal text, ordered as a number', () => {
    const text = compileTraffic(traffic(undefined, [{ dimension: 'CLIENT_PORT' as const }]), field);
    expect(text).toContain(
      '  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")\n' +
        '  |> map(fn: (r) => ({r with client_port: string(v: r.client_port)}))\n' +
        '  |> experimental.unpivot(otherColumns: ["_time", "client_port"])\n' +
        '  |> group(columns: ["_start", "_stop", "client_port", "_field"])',
    );
    expect(text).toContain('_i0: int(v: k[0])');
  });

  it('compiles client_port terms as integer comparisons, negations included; other columns stay tags', () => {
    const p = (f: SessionFilterInput) => compilePredicate(buildFilter(f), false, true).replace(/ and r\["session_type"\] == "client"\)$/, ')').replace(/^\((.*)\)$/, '$1');
    expect(p({ clientPort: { eq: 7 } })).toBe('r["client_port"] == 7');
    expect(p({ clientPort: { ne: 7 } })).toBe('r["client_port"] != 7');
    expect(p({ clientPort: { in: [1, 2] } })).toBe('(r["client_port"] == 1 or r["client_port"] == 2)');
    expect(p({ clientPort: { notIn: [1, 2] } })).toBe('(r["client_port"] != 1 and r["client_port"] != 2)');
    expect(p({ not: { clientPort: { gte: 10, lte: 20 } } })).toBe('(r["client_port"] < 10 or r["client_port"] > 20)');
    expect(p({ serverPort: { gte: 10 } })).toMatch(/^r\["server_port"\] =~ \//);
  });

  it('splits a filter into pushed-down conjuncts and those naming client_port, negations pushed through or', () => {
    const f = buildFilter({ not: { or: [{ clientPort: { eq: 1 } }, { vn: { eq: 'a' } }] }, or: [{ clientPort: { eq: 2 } }, { localLabels: [{ name: 'app', exists: true }] }] });
    const { pushed, after } = splitClientPort(f);
    expect(mentionsClientPort(pushed)).toBe(false);
    expect(compilePredicate(pushed)).toBe('(r["vn"] != "a" and r["session_type"] == "client")');
    expect(compilePredicate(after, false, true)).toBe('((r["client_port"] == 2 or exists r["label.local.app"]) and r["client_port"] != 1)');
  });

  it('keeps the namespace scope pushed down in a query that pivots', () => {
    const scoped = buildTrafficQuery({ range: { last: '2h' }, where: { clientPort: { eq: 30001 } }, groupBy: [{ dimension: 'CLIENT_PORT' }] }, { ...ctx, scope: buildNamespaceScope(['shop'], 'k8s-') });
    const text = compileTraffic(scoped, field);
    const before = text.slice(0, text.indexOf('|> pivot('));
    expect(before).toMatch(/r\["vn"\] =~ \/\^\[\^:\]\*:\(\?:k8s-shop\)/);
    expect(text).toContain('|> filter(fn: (r) => r["client_port"] == 30001)');
  });

  it('series, values and label names read the field the same way', () => {
    const s = compileSeries(buildSeriesQuery({ range: { last: '2h' }, every: '5m', groupBy: [{ dimension: 'CLIENT_PORT' }], metric: 'SESSIONS' }, ctx), field);
    expect(s).toMatch(/^import "experimental"\nimport "join"\nimport "strings"\n/);
    expect(s).toContain('(r._field == "total_bytes" or r._field == "client_port")');
    expect(s).toContain('experimental.unpivot(otherColumns: ["_time", "client_port"])\n  |> group(columns: ["client_port"])\n  |> aggregateWindow(every: 5m, fn: count');
    const v = compileValues(buildValuesQuery({ range: { last: '2h' }, key: { dimension: 'CLIENT_PORT' }, prefix: '30' }, ctx), field);
    expect(v).toContain('experimental.unpivot(otherColumns: ["_time", "client_port"])\n  |> filter(fn: (r) => r["client_port"] =~ /^30/)');
    const vt = compileValues(buildValuesQuery({ range: { last: '2h' }, key: { dimension: 'CLIENT_PORT' } }, ctx), tag);
    expect(vt).not.toContain('pivot');
  });

  it('records and tails read client_port with the counters and filter it after their pivot', () => {
    const q = buildRecordsQuery({ range: { last: '2h' }, where: { clientPort: { in: [1, 2] } }, first: 10 }, ctx);
    const text = compileRecords(q, field, []);
    expect(text).toContain('r._field == "total_bytes" or r._field == "client_port")');
    expect(text).toContain('|> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")\n  |> filter(fn: (r) => (r["client_port"] == 1 or r["client_port"] == 2))\n  |> group()');
    expect(compileRecords(q, tag, [])).not.toContain('r._field == "client_port"');
    const tail = compileTail({ filter: q.filter, from: null, until: null, since: null, limit: 5 }, 0n, 10n, field, []);
    expect(tail).toContain('|> filter(fn: (r) => (r["client_port"] == 1 or r["client_port"] == 2))\n  |> group()');
    const unfiltered = compileTail({ filter: buildFilter({}), from: null, until: null, since: null, limit: 5 }, 0n, 10n, field, []);
    expect(unfiltered).toContain('r._field == "client_port"');
    expect(unfiltered).not.toMatch(/client_port"\] [=!<>]/);
  });

  it('label names with a client_port filter pivot; without one they do not', () => {
    const names = (where: SessionFilterInput) => compileLabelCounts(buildLabelNamesQuery({ range: { last: '2h' }, side: 'LOCAL', where }, ctx), field, ['label.local.app']);
    expect(names({ clientPort: { eq: 1 } })).toMatch(/^import "experimental"\n[\s\S]*experimental\.unpivot\(\)/);
    expect(names({ serverPort: { eq: 1 } })).not.toContain('pivot');
  });
});
