import { describe, expect, it } from 'vitest';
import { GatewayError } from './errors.js';
import { parseDuration } from './duration.js';
import { buildSeriesQuery, buildTrafficQuery, trafficPageInfo, type BuildContext, type TrafficArgs } from './query.js';
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

/** Every BAD_USER_INPUT case of ARCHITECTURE §4, with the field it must name. */
const BAD: Array<[string, TrafficArgs, string]> = [
  ['range with both forms', { range: { last: '1h', from: '2026-11-25T09:00:00Z' } }, 'range'],
  ['range with neither form', { range: {} }, 'range.from'],
  ['from after to', { range: { from: '2026-11-25T09:00:00Z', to: '2026-11-25T08:00:00Z' } }, 'range'],
  ['a range in the future', { range: { from: '2026-11-26T09:00:00Z', to: '2026-11-27T08:00:00Z' } }, 'range.from'],
  ['a malformed timestamp', { range: { from: '2026-11-25 9am' } }, 'range.from'],
  ['an impossible date', { range: { from: '2026-02-30T00:00:00Z' } }, 'range.from'],
  ['a from before 1700', { range: { from: '1650-01-01T00:00:00Z' } }, 'range.from'],
  ['a from in year 50', { range: { from: '0050-01-01T00:00:00Z' } }, 'range.from'],
  ['a to from 2250 on', { range: { from: '2026-11-25T09:00:00Z', to: '2250-01-01T00:00:00Z' } }, 'range.to'],
  ['a to past 64-bit nanoseconds', { range: { from: '2026-11-25T09:00:00Z', to: '9999-12-31T00:00:00Z' } }, 'range.to'],
  ['an offset past 23:59', { range: { from: '2026-11-25T09:00:00+99:99' } }, 'range.from'],
  ['a bad duration', { range: { last: '1y' } }, 'range.last'],
  ['a zero duration', { range: { last: '0m' } }, 'range.last'],
  ['StringMatch with no operator', { range: H, where: { vn: {} } }, 'where.vn'],
  ['IntMatch with no operator', { range: H, where: { serverPort: {} } }, 'where.serverPort'],
  ['LabelMatch with no operator', { range: H, where: { localLabels: [{ name: 'app' }] } }, 'where.localLabels[0]'],
  ['an invalid regex', { range: H, where: { vn: { regex: 'a(' } } }, 'where.vn.regex'],
  ['a regex outside RE2 (lookahead)', { range: H, where: { remoteLabels: [{ name: 'app', regex: '(?=x)' }] } }, 'where.remoteLabels[0].regex'],
  ['an empty in list', { range: H, where: { localIp: { in: [] } } }, 'where.localIp.in'],
  ['an empty notIn list', { range: H, where: { protocol: { notIn: [] } } }, 'where.protocol.notIn'],
  ['a port above 65535', { range: H, where: { serverPort: { eq: 70000 } } }, 'where.serverPort.eq'],
  ['a negative port', { range: H, where: { clientPort: { gte: -1 } } }, 'where.clientPort.gte'],
  ['a protocol above 255', { range: H, where: { protocol: { in: [6, 256] } } }, 'where.protocol.in'],
  ['a bad label name', { range: H, where: { localLabels: [{ name: 'a"b', eq: 'x' }] } }, 'where.localLabels[0].name'],
  ['an empty label name', { range: H, where: { localLabels: [{ name: '', exists: true }] } }, 'where.localLabels[0].name'],
  ['an empty or', { range: H, where: { or: [] } }, 'where.or'],
  ['nested errors name their path', { range: H, where: { and: [{ not: { vn: { in: [] } } }] } }, 'where.and[0].not.vn.in'],
  ['a group key with two fields', { range: H, groupBy: [{ dimension: 'VN', localLabel: 'app' }] }, 'groupBy[0]'],
  ['a group key with no field', { range: H, groupBy: [{}] }, 'groupBy[0]'],
  ['a key grouped twice', { range: H, groupBy: [{ localLabel: 'app' }, { localLabel: 'app' }] }, 'groupBy[1]'],
  ['a bad group label', { range: H, groupBy: [{ remoteLabel: 'bad label' }] }, 'groupBy[0].remoteLabel'],
  ['a negative first', { range: H, first: -1 }, 'first'],
  ['a garbage cursor', { range: H, after: 'not-a-cursor' }, 'after'],
  ['a tier that lacks the grouped column', { range: { last: '3d' }, groupBy: [{ dimension: 'CLIENT_PORT' }] }, 'range'],
];

describe('buildTrafficQuery', () => {
  it.each(BAD)('rejects %s', (_name, args, field) => {
    const e = failure(() => buildTrafficQuery(args, ctx));
    expect(e.code).toBe('BAD_USER_INPUT');
    expect(e.field).toBe(field);
    expect(e.message.startsWith(`${field}:`)).toBe(true);
  });

  it('names the bounds of the times it takes when a range passes one', () => {
    expect(failure(() => buildTrafficQuery({ range: { from: '1650-01-01T00:00:00Z' } }, ctx)).message).toBe(
      'range.from: is outside the times the gateway takes: from 1700-01-01T00:00:00Z up to, not including, 2250-01-01T00:00:00Z',
    );
    expect(failure(() => buildSeriesQuery({ range: { from: '2026-11-25T09:00:00Z', to: '2250-01-01T00:00:00Z' }, every: '5m' }, ctx)).message).toBe(
      'range.to: is outside the times the gateway takes: from 1700-01-01T00:00:00Z up to, not including, 2250-01-01T00:00:00Z',
    );
  });

  it('defaults to client records when no session type is named', () => {
    const q = buildTrafficQuery({ range: H }, ctx);
    expect(q.filter).toEqual({ kind: 'sessionType', value: 'client' });
    const named = buildTrafficQuery({ range: H, where: { not: { sessionType: 'SERVER' } } }, ctx);
    expect(named.filter).toEqual({ kind: 'not', item: { kind: 'sessionType', value: 'server' } });
  });

  it('splits a match with several operators into an and of single ones', () => {
    const q = buildTrafficQuery({ range: H, where: { vn: { prefix: 'a', ne: 'ab' }, sessionType: 'CLIENT' } }, ctx);
    expect(q.filter).toEqual({
      kind: 'and',
      items: [
        { kind: 'string', column: 'vn', match: { op: 'ne', value: 'ab' } },
        { kind: 'string', column: 'vn', match: { op: 'prefix', value: 'a' } },
        { kind: 'sessionType', value: 'client' },
      ],
    });
  });

  it('caps first at the page size limit', () => {
    expect(buildTrafficQuery({ range: H, first: 100_000 }, ctx).first).toBe(500);
  });

  it('resumes from a cursor at the same moment and offset', () => {
    const args: TrafficArgs = { range: H, groupBy: [{ dimension: 'VN' }], first: 10 };
    const q1 = buildTrafficQuery(args, ctx);
    const info = trafficPageInfo(q1, 10, 25);
    expect(info.hasNextPage).toBe(true);
    const later = { ...ctx, now: now + 60_000_000_000n };
    const q2 = buildTrafficQuery({ ...args, after: info.endCursor }, later);
    expect(q2.offset).toBe(10);
    expect(q2.source.span).toEqual(q1.source.span);
    const last = trafficPageInfo(q2, 15, 25);
    expect(last.hasNextPage).toBe(false);
  });

  it('refuses a cursor of another query', () => {
    const q1 = buildTrafficQuery({ range: H, groupBy: [{ dimension: 'VN' }] }, ctx);
    const cursor = trafficPageInfo(q1, 1, 5).endCursor;
    const e = failure(() => buildTrafficQuery({ range: H, groupBy: [{ dimension: 'VMI' }], after: cursor }, ctx));
    expect(e.message).toContain('different query');
  });

  it('plans whole windows from a tier, the edges and unfolded records from raw', () => {
    // Inside the raw retention, a query no tier can serve reads raw alone.
    expect(buildTrafficQuery({ range: { last: '23h' }, groupBy: [{ dimension: 'CLIENT_PORT' }] }, ctx).source.name).toBe('raw');
    // One a tier keeps: the 1h tier's whole windows, 5m of raw at the start edge.
    const day = buildTrafficQuery({ range: { last: '23h' } }, ctx).source;
    expect(day.name).toBe('raw+1h');
    expect(day.span).toEqual({ from: now - 23n * 3_600_000_000_000n, to: now });
    const twoDays = buildTrafficQuery({ range: { last: '2d' }, groupBy: [{ dimension: 'SERVER_PORT' }] }, ctx).source;
    expect(twoDays.pieces.map((p) => (p.kind === 'raw' ? 'raw' : `${p.kind}:${p.tier.name}`))).toEqual(['tier:1h', 'unfolded:1h']);
    const hour = buildTrafficQuery({ range: { last: '30d' } }, ctx).source;
    expect(hour.name).toBe('raw+1h');
  });

  it('clamps a range older than every retention to the longest tier', () => {
    const s = buildTrafficQuery({ range: { last: '400d' } }, ctx).source;
    expect(s.name).toBe('raw+1h');
    expect(s.span.from).toBe(now - 90n * 86_400_000_000_000n);
  });

  it('widens an edge raw no longer holds to whole windows, as little as it can', () => {
    const s = buildTrafficQuery({ range: { from: '2026-11-22T10:02:30Z', to: '2026-11-23T10:07:00Z' } }, ctx).source;
    expect(s.span.from).toBe(parseDateTime('2026-11-22T10:00:00Z', 'x'));
    expect(s.span.to).toBe(parseDateTime('2026-11-23T10:10:00Z', 'x'));
    expect(s.pieces.some((p) => p.kind === 'tier' && p.tier.name === '5m')).toBe(true);
  });
});

describe('buildSeriesQuery', () => {
  it('rejects a bad every', () => {
    expect(failure(() => buildSeriesQuery({ range: H, every: '5 minutes' }, ctx)).field).toBe('every');
  });

  it('rejects a limit below one', () => {
    expect(failure(() => buildSeriesQuery({ range: H, every: '5m', limit: 0 }, ctx)).field).toBe('limit');
  });

  it('refuses too many buckets as too expensive', () => {
    const e = failure(() => buildSeriesQuery({ range: { last: '1d' }, every: '1m' }, ctx));
    expect(e.code).toBe('QUERY_TOO_EXPENSIVE');
  });

  it('refuses an every that does not divide into the tier window', () => {
    const e = failure(() => buildSeriesQuery({ range: { last: '3d' }, every: '7m' }, ctx));
    expect(e.code).toBe('BAD_USER_INPUT');
    expect(e.field).toBe('every');
    expect(e.message).toContain('5m');
  });
});
