import { describe, expect, it } from 'vitest';
import { LABEL_NAME, isLabelName } from './columns.js';
import { GatewayError } from './errors.js';
import { validateSessionRecord, type RecordCandidate, type RecordContext } from './record-validation.js';
import { TIME_OUTSIDE } from './time.js';

const ctx: RecordContext = { receivedAt: 1_795_000_000_000_000_000n, limits: { maxLabels: 4 }, naming: 'camel' };
const good: RecordCandidate = {
  vn: 'default-domain:k8s-shop:pod-network',
  remoteVn: 'default-domain:k8s-billing:pod-network',
  vrouterIp: '192.168.0.11',
  localIp: '10.244.1.5',
  clientPort: 51234,
  remoteIp: '10.244.7.9',
  serverPort: 8443,
  protocol: 6,
  localLabels: { app: 'web' },
  remoteLabels: [{ name: 'app', value: 'ledger' }],
  forwardSampledBytes: 1000,
  forwardSampledPkts: 8,
  reverseSampledBytes: '6000',
  reverseSampledPkts: 13n,
};

function rejection(c: RecordCandidate, naming: 'camel' | 'snake' = 'camel'): string {
  try {
    validateSessionRecord(c, { ...ctx, naming });
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayError);
    return (e as Error).message;
  }
  throw new Error('expected a rejection');
}

describe('validateSessionRecord', () => {
  it('accepts a record, defaults time and totalBytes, keeps client orientation', () => {
    const r = validateSessionRecord(good, ctx);
    expect(r.time).toBe(ctx.receivedAt);
    expect(r.totalBytes).toBe(7000n);
    expect(r.sessionType).toBe('client');
    expect(r.localLabels).toEqual({ app: 'web' });
    expect(r.remoteLabels).toEqual({ app: 'ledger' });
    expect(r.vmi).toBeNull();
  });

  it('turns a server-side report around and keeps its session type', () => {
    const r = validateSessionRecord({ ...good, sessionType: 'SERVER' }, ctx);
    expect(r).toMatchObject({
      sessionType: 'server',
      vn: good.remoteVn,
      remoteVn: good.vn,
      localIp: good.remoteIp,
      remoteIp: good.localIp,
      clientPort: 51234,
      serverPort: 8443,
      localLabels: { app: 'ledger' },
      remoteLabels: { app: 'web' },
    });
  });

  it('keeps nanoseconds of RFC 3339 and epoch times', () => {
    expect(validateSessionRecord({ ...good, time: '2026-11-25T10:00:00.123456789Z' }, ctx).time).toBe(1_795_600_800_123_456_789n);
    expect(validateSessionRecord({ ...good, time: '1795600800123456789' }, ctx).time).toBe(1_795_600_800_123_456_789n);
  });

  it('takes times from 1700-01-01 up to 2250-01-01, before 1970 too, in either form', () => {
    const at = (time: unknown) => validateSessionRecord({ ...good, time }, ctx).time;
    expect(at('1969-12-31T23:59:59.5Z')).toBe(-500_000_000n);
    expect(at('-500000000')).toBe(-500_000_000n);
    expect(at(-500_000_000)).toBe(-500_000_000n);
    expect(at('1700-01-01T00:00:00Z')).toBe(-8_520_336_000_000_000_000n);
    expect(at(-8_520_336_000_000_000_000n)).toBe(-8_520_336_000_000_000_000n);
    expect(at('8835955199999999999')).toBe(8_835_955_199_999_999_999n);
  });

  it.each<[string, RecordCandidate, string]>([
    ['a port above 65535', { ...good, clientPort: 65536 }, 'clientPort: 65536 is outside 0..65535'],
    ['a protocol above 255', { ...good, protocol: 300 }, 'protocol: 300 is outside 0..255'],
    ['a fractional port', { ...good, serverPort: 80.5 }, 'serverPort: must be an integer'],
    ['a negative counter', { ...good, forwardSampledBytes: -1 }, 'forwardSampledBytes: -1 is negative'],
    ['a counter past 2^63', { ...good, reverseSampledBytes: '9223372036854775808' }, 'reverseSampledBytes: is past 2^63-1'],
    ['NaN', { ...good, forwardSampledPkts: Number.NaN }, 'forwardSampledPkts: must be a finite integer'],
    ['a missing vn', { ...good, vn: undefined }, 'vn: is required'],
    ['a bad IP', { ...good, localIp: '10.0.0.300' }, 'localIp: "10.0.0.300" is not an IPv4 or IPv6 address'],
    ['a label name with a quote', { ...good, localLabels: { 'a"b': 'x' } }, 'localLabels: label name "a\\"b"'],
    ['an empty label name', { ...good, remoteLabels: [{ name: '', value: 'x' }] }, 'remoteLabels: label name ""'],
    ['a label value too long', { ...good, localLabels: { app: 'x'.repeat(256) } }, 'localLabels.app: label value is longer than 255'],
    ['too many labels', { ...good, localLabels: { a: '1', b: '2', c: '3', d: '4', e: '5' } }, 'localLabels: has 5 labels; at most 4'],
    ['a label given twice', { ...good, remoteLabels: [{ name: 'a', value: '1' }, { name: 'a', value: '2' }] }, 'remoteLabels: label a is given twice'],
    ['a bad session type', { ...good, sessionType: 'both' }, 'sessionType: must be client or server'],
    ['a time past 64-bit nanoseconds', { ...good, time: '2300-01-01T00:00:00Z' }, `time: ${TIME_OUTSIDE}`],
    ['an epoch time past 2^63', { ...good, time: '9999999999999999999' }, `time: ${TIME_OUTSIDE}`],
    ['a time of 2250', { ...good, time: '2250-01-01T00:00:00Z' }, `time: ${TIME_OUTSIDE}`],
    ['an epoch time of 2250', { ...good, time: 8_835_955_200_000_000_000n }, `time: ${TIME_OUTSIDE}`],
    ['a time before 1700', { ...good, time: '1699-12-31T23:59:59.999999999Z' }, `time: ${TIME_OUTSIDE}`],
    ['a time before 64-bit nanoseconds', { ...good, time: '1600-01-01T00:00:00Z' }, `time: ${TIME_OUTSIDE}`],
    ['an epoch time before 1700', { ...good, time: '-8520336000000000001' }, `time: ${TIME_OUTSIDE}`],
    ['a year below 100', { ...good, time: '0050-06-15T12:00:00Z' }, `time: ${TIME_OUTSIDE}`],
    ['an offset past 23:59', { ...good, time: '2026-11-25T10:00:00+99:99' }, 'time: "2026-11-25T10:00:00+99:99" has the offset +99:99; an offset is -23:59 to +23:59'],
    ['a fractional epoch time', { ...good, time: 1.5 }, 'time: expected epoch nanoseconds as an integer'],
    ['a bad time', { ...good, time: 'yesterday' }, 'time: "yesterday" is not an RFC 3339 timestamp'],
    ['a total past 2^63 from its parts', { ...good, forwardSampledBytes: '9223372036854775807', reverseSampledBytes: 1 }, 'totalBytes: forward + reverse bytes exceed 2^63-1'],
  ])('rejects %s', (_name, c, message) => {
    expect(rejection(c)).toContain(message);
  });

  it('names fields in snake_case for agent JSON', () => {
    expect(rejection({ ...good, serverPort: -3 }, 'snake')).toContain('server_port: -3 is outside 0..65535');
  });
});

describe('isLabelName', () => {
  it('agrees with LABEL_NAME', () => {
    const names = ['', 'app', 'app.kubernetes.io/part-of', 'A_Z-0.9/', 'a'.repeat(317), 'a'.repeat(318), 'a b', 'a\n', 'é', 'a:b', 'a,b', 'a@b', 'a[b', 'a`b', 'a{b', 'a^b', 'a\\b', '__proto__'];
    for (let c = 0; c < 0x80; c++) names.push(`x${String.fromCharCode(c)}`);
    for (const n of names) expect([n, isLabelName(n)]).toEqual([n, LABEL_NAME.test(n)]);
  });
});
