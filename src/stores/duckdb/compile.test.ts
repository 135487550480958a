import { describe, expect, it } from 'vitest';
import { buildSeriesQuery, buildTrafficQuery, parseDuration, parseTiers, type BuildContext } from '../../model/index.js';
import { HOSTILE_STRINGS } from '../../../test/support/hostile.js';
import { compileSeries, compileTraffic } from './compile.js';
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
    expect(stmt.params.filter((p) => p === s)).toHaveLength(5);
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
    expect(text).toContain('FROM sessions_5m');
    expect(text).toContain('window_start >= $1');
    expect(text).toContain('coalesce(sum(sessions), 0) AS n');
  });

  it('aligns series buckets to the epoch with a bound width', () => {
    const q = buildSeriesQuery({ range: { last: '1h' }, every: '5m' }, ctx);
    const stmt = compileSeries(q, schema);
    const m = /time_ns - \(time_ns % \$([0-9]+)\) AS bucket/.exec(stmt.text);
    expect(m).not.toBeNull();
    expect(stmt.params[Number(m![1]) - 1]).toBe(300_000_000_000n);
  });
});
