import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, type Env } from './config.js';

const INFLUX: Env = { SESSION_STORE: 'influxdb', INFLUX_URL: 'http://127.0.0.1:8086/', INFLUX_TOKEN: 't0ken', INFLUX_ORG: 'sag' };

describe('parseConfig: INFLUX_*', () => {
  it('reads the InfluxDB settings only when SESSION_STORE=influxdb', () => {
    expect(parseConfig({ INFLUX_URL: 'not a url' }).influx).toBeNull();
    const c = parseConfig(INFLUX).influx!;
    expect(c).toMatchObject({
      url: 'http://127.0.0.1:8086',
      token: 't0ken',
      org: 'sag',
      bucket: 'sessions',
      tierBucket: '{bucket}_{tier}',
      requestTimeoutMs: 10_000,
      writeRetryMs: 5_000,
      rollup: true,
    });
    expect(c.lateAfter.text).toBe('5m');
    expect(parseConfig({ ...INFLUX, INFLUX_ROLLUP: 'false' }).influx?.rollup).toBe(false);
  });

  it.each([
    ['INFLUX_URL', { INFLUX_URL: '' }],
    ['INFLUX_URL', { INFLUX_URL: 'ftp://influx' }],
    ['INFLUX_URL', { INFLUX_URL: 'http://user:pw@influx:8086' }],
    ['INFLUX_TOKEN', { INFLUX_TOKEN: '' }],
    ['INFLUX_ORG', { INFLUX_ORG: undefined }],
    ['INFLUX_BUCKET', { INFLUX_BUCKET: '_system' }],
    ['INFLUX_BUCKET', { INFLUX_BUCKET: 'a"b' }],
    ['INFLUX_TIER_BUCKET', { INFLUX_TIER_BUCKET: 'rollups' }],
    ['INFLUX_TIER_BUCKET', { INFLUX_TIER_BUCKET: '{bucket} {tier}' }],
    ['INFLUX_REQUEST_TIMEOUT', { INFLUX_REQUEST_TIMEOUT: 'soon' }],
    ['INFLUX_WRITE_RETRY', { INFLUX_WRITE_RETRY: '2h' }],
    ['RAW_RETENTION', { RAW_RETENTION: '30m', TIERS: 'none' }],
    ['TIERS', { TIERS: '1d:30d' }],
    ['INFLUX_LATE_AFTER', { INFLUX_LATE_AFTER: '23h' }],
    ['INFLUX_ROLLUP', { INFLUX_ROLLUP: 'off' }],
  ] as const)('stops on a bad %s, naming it', (name, over) => {
    let err: unknown;
    try {
      parseConfig({ ...INFLUX, ...over });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(name);
  });

  it('names each tier bucket from the template', () => {
    expect(() => parseConfig({ ...INFLUX, INFLUX_TIER_BUCKET: 'rollup_{tier}' })).not.toThrow();
    expect(() => parseConfig({ ...INFLUX, INFLUX_TIER_BUCKET: '{bucket}', TIERS: '5m:7d' })).toThrow(ConfigError);
  });
});
