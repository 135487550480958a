import { describe, expect, it } from 'vitest';
import { GatewayError } from './errors.js';
import { parseDuration } from './duration.js';
import { buildLabelNamesQuery, buildValuesQuery } from './hints.js';
import { buildSeriesQuery, buildTrafficQuery, type BuildContext } from './query.js';
import { buildRecordsQuery, encodeRecordsCursor } from './records-query.js';
import { parseTiers } from './tiers.js';
import { parseDateTime } from './time.js';

const now = parseDateTime('2026-11-25T10:00:00Z', 'now');
const raw = parseDuration('24h', 'raw');
const ctx: BuildContext = {
  now,
  retention: { raw, tiers: parseTiers('5m:7d,1h:90d', raw) },
  limits: { maxPageSize: 500, maxGroups: 1000, maxSeriesPoints: 100 },
};
const H = { last: '1h' };

function failure(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
  throw new Error('expected a GatewayError');
}

describe('flow-view queries: bad input names the argument', () => {
  it.each([
    ['a zero compareTo', () => buildTrafficQuery({ range: H, compareTo: '0h' }, ctx), 'compareTo'],
    ['a negative compareTo', () => buildTrafficQuery({ range: H, compareTo: '-1h' }, ctx), 'compareTo'],
    ['a compareTo past every retention', () => buildTrafficQuery({ range: H, compareTo: '91d' }, ctx), 'compareTo'],
    ['CHANGE without compareTo', () => buildTrafficQuery({ range: H, orderBy: { ranking: 'CHANGE' } }, ctx), 'orderBy.ranking'],
    ['ABSOLUTE_CHANGE without compareTo', () => buildTrafficQuery({ range: H, orderBy: { ranking: 'ABSOLUTE_CHANGE' } }, ctx), 'orderBy.ranking'],
    ['other with a limit past MAX_GROUPS', () => buildSeriesQuery({ range: H, every: '1h', limit: 1001, other: true }, ctx), 'limit'],
    ['a 10 KB prefix for values', () => buildValuesQuery({ range: H, key: { dimension: 'VN' }, prefix: 'x'.repeat(10_240) }, ctx), 'prefix'],
    ['a 10 KB prefix for label names', () => buildLabelNamesQuery({ range: H, side: 'LOCAL', prefix: 'x'.repeat(10_240) }, ctx), 'prefix'],
    ['values of an invalid label name', () => buildValuesQuery({ range: H, key: { localLabel: 'no spaces' } }, ctx), 'key.localLabel'],
    ['values of two keys at once', () => buildValuesQuery({ range: H, key: { dimension: 'VN', localLabel: 'app' } }, ctx), 'key'],
    ['records before the raw retention', () => buildRecordsQuery({ range: { last: '25h' } }, ctx), 'range'],
    ['records with a traffic cursor', () => buildRecordsQuery({ range: H, after: 'eyJvIjo1fQ' }, ctx), 'after'],
  ])('%s', (_, build, field) => {
    const e = failure(build);
    expect(e.code).toBe('BAD_USER_INPUT');
    expect(e.field).toBe(field);
  });

  it('the records range error names RAW_RETENTION', () => {
    expect(failure(() => buildRecordsQuery({ range: { last: '2d' } }, ctx)).message).toContain('RAW_RETENTION');
  });
});

describe('flow-view queries: the model', () => {
  it('routes each span of a comparison to its own source', () => {
    const q = buildTrafficQuery({ range: H, compareTo: '2d', groupBy: [{ localLabel: 'app' }] }, ctx);
    // The hour is one whole window of the 1h tier (now is on the hour), and so is the hour two days back.
    expect(q.source.name).toBe('raw+1h');
    expect(q.compare?.source.name).toBe('raw+1h');
    expect(q.compare?.source.pieces[0]).toMatchObject({ kind: 'tier', tier: { name: '1h' } });
    expect(q.compare?.source.span.from).toBe(now - 3_600_000_000_000n - 2n * 86_400_000_000_000n);
  });

  it('a cursor of a comparison is refused by the same query without it', () => {
    const args = { range: H, compareTo: '1h', groupBy: [{ localLabel: 'app' }] };
    const a = buildTrafficQuery(args, ctx);
    const b = buildTrafficQuery({ ...args, compareTo: null }, ctx);
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });

  it('a records cursor resumes its own query with its own clock, and no other', () => {
    const q = buildRecordsQuery({ range: H, first: 10 }, ctx);
    const cursor = encodeRecordsCursor(q, { time: now - 5n, tie: 3n, within: 2 });
    const next = buildRecordsQuery({ range: H, first: 10, after: cursor }, { ...ctx, now: now + 60_000_000_000n });
    expect(next.after).toEqual({ time: now - 5n, tie: 3n, within: 2 });
    expect(next.span).toEqual(q.span);
    expect(failure(() => buildRecordsQuery({ range: { last: '30m' }, after: cursor }, ctx)).field).toBe('after');
  });

  it('first is capped by MAX_PAGE_SIZE in every hint query', () => {
    expect(buildValuesQuery({ range: H, key: { dimension: 'VN' }, first: 10_000 }, ctx).first).toBe(500);
    expect(buildLabelNamesQuery({ range: H, side: 'REMOTE', first: 10_000 }, ctx).first).toBe(500);
    expect(buildRecordsQuery({ range: H, first: 10_000 }, ctx).first).toBe(500);
  });
});
