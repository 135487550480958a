import { describe, expect, it } from 'vitest';
import {
  buildLabelNamesQuery,
  buildNamespaceScope,
  buildRecordsQuery,
  buildSeriesQuery,
  buildTrafficQuery,
  buildUveListQuery,
  buildValuesQuery,
  parseDuration,
  parseTiers,
  type BuildContext,
} from '../../model/index.js';
import { HOSTILE_STRINGS } from '../../../test/support/hostile.js';
import { compileSeries, compileTraffic } from './compile.js';
import { compileLabelNames, compileValues } from './compile-hints.js';
import { compileRecords } from './compile-records.js';
import { compileUveGet } from './uve-store.js';

const raw = parseDuration('24h', 'raw');
const plain: BuildContext = {
  now: 1_795_600_800_000_000_000n,
  retention: { raw, tiers: parseTiers('5m:7d,1h:90d', raw) },
  limits: { maxPageSize: 100, maxGroups: 100, maxSeriesPoints: 1000 },
};
const schema = { labelColumns: new Set(['label.local.app']) };
const scoped = (ns: readonly string[]): BuildContext => ({ ...plain, scope: buildNamespaceScope(ns, 'k8s-') });
const GUARD = /\(coalesce\(list_contains\(\$(\d+)::VARCHAR\[\], split_part\(vn, ':', 2\)\), FALSE\) OR coalesce\(list_contains\(\$(\d+)::VARCHAR\[\], split_part\(remote_vn, ':', 2\)\), FALSE\)\)/;

describe('DuckDB compiler: the namespace scope', () => {
  it('ANDs the scope, bound as one list per VN column, outside the caller filter', () => {
    const q = buildTrafficQuery({ range: { last: '1h' }, where: { or: [{ vn: { regex: '.*' } }, { not: { vn: { eq: 'x' } } }] } }, scoped(['shop', 'billing']));
    const stmt = compileTraffic(q, schema);
    const m = GUARD.exec(stmt.text);
    expect(m).not.toBeNull();
    expect(stmt.params[Number(m![1]) - 1]).toEqual(['k8s-billing', 'k8s-shop']);
    expect(stmt.params[Number(m![2]) - 1]).toEqual(['k8s-billing', 'k8s-shop']);
    // The guard is a conjunct of the WHERE, not inside the caller's OR.
    expect(stmt.text).toContain(`AND (${m![0]} AND (`);
  });

  it('compiles it into every session query: compareTo (both spans), series, values, label names, records', () => {
    const ctx = scoped(['shop']);
    const compared = buildTrafficQuery({ range: { last: '1h' }, compareTo: '1d' }, ctx);
    const texts = [
      compileTraffic(compared, schema).text,
      compileSeries(buildSeriesQuery({ range: { last: '1h' }, every: '5m' }, ctx), schema).text,
      compileValues(buildValuesQuery({ range: { last: '1h' }, key: { dimension: 'VN' } }, ctx), schema).text,
      compileLabelNames(buildLabelNamesQuery({ range: { last: '1h' }, side: 'LOCAL' }, ctx), schema)!.text,
      compileRecords(buildRecordsQuery({ range: { last: '1h' } }, ctx), schema).text,
    ];
    // Once in every piece of either span's plan.
    expect(texts[0]!.match(new RegExp(GUARD.source, 'g'))).toHaveLength(compared.source.pieces.length + compared.compare!.source.pieces.length);
    for (const t of texts) expect(t).toMatch(GUARD);
  });

  it('without a scope nothing changes; an empty one matches nothing', () => {
    expect(compileTraffic(buildTrafficQuery({ range: { last: '1h' } }, plain), schema).text).not.toContain('split_part');
    expect(compileTraffic(buildTrafficQuery({ range: { last: '1h' } }, scoped([])), schema).text).toContain('AND (FALSE AND ');
    // A namespace holding ':' or empty names no project.
    expect(compileTraffic(buildTrafficQuery({ range: { last: '1h' } }, scoped(['a:b', ''])), schema).text).toContain('AND (FALSE AND ');
  });

  it.each(HOSTILE_STRINGS.map((s) => [s]))('binds the hostile namespace %j, never pastes it', (s) => {
    const q = buildTrafficQuery({ range: { last: '1h' } }, scoped([s]));
    const stmt = compileTraffic(q, schema);
    expect(stmt.text).not.toContain(s);
    expect(stmt.params.filter((p) => Array.isArray(p) && p[0] === `k8s-${s}`)).toHaveLength(2 * q.source.pieces.length);
    const uves = compileUveGet('virtual-network', [s], buildNamespaceScope([s], 'k8s-'));
    expect(uves.text).not.toContain(s);
    expect(uves.text).toContain("split_part(name, ':', 2)");
  });

  it('UVE gets take the scope; lists carry it in the query', () => {
    expect(compileUveGet('vn', ['a'], null).text).not.toContain('split_part');
    expect(compileUveGet('vn', ['a'], buildNamespaceScope([], 'k8s-')).text).toMatch(/ AND FALSE$/);
    expect(buildUveListQuery({ type: 'vn' }, 10, buildNamespaceScope(['shop'], 'k8s-')).scope?.projects).toEqual(['k8s-shop']);
  });
});
