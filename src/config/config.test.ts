import { describe, expect, it } from 'vitest';
import { parseDuration } from '../model/index.js';
import { ConfigError, parseConfig } from './config.js';

describe('parseConfig', () => {
  it('has the documented defaults', () => {
    const c = parseConfig({});
    expect(c.port).toBe(4000);
    // no authentication configured: loopback only (docs/security.md)
    expect(c.host).toBe('127.0.0.1');
    expect(c.duckdbPath).toBe('./data/gateway.duckdb');
    expect(c.sessionStore).toBe('duckdb');
    expect(c.retention.raw.text).toBe('24h');
    expect(c.retention.tiers.map((t) => [t.name, t.retention.text, t.drop])).toEqual([
      ['5m', '7d', ['client_port']],
      ['1h', '90d', ['client_port']],
    ]);
    expect(c.limits.maxPageSize).toBe(10_000);
  });

  it('reads tiers with their own drop lists', () => {
    const c = parseConfig({ TIERS: '1m:2d:,10m:30d:client_port+local_ip' });
    expect(c.retention.tiers.map((t) => t.drop)).toEqual([[], ['client_port', 'local_ip']]);
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['SESSION_STORE', 'postgres'],
    ['RAW_RETENTION', '1 day'],
    ['TIERS', '5m'],
    ['TIERS', '1h:90d,5m:7d'],
    ['TIERS', '5m:12h'],
    ['TIERS', '5m:7d:no_such_column'],
    ['MAX_PAGE_SIZE', '0'],
    ['QUERY_TIMEOUT', 'forever'],
    ['DUCKDB_PATH', ' '],
  ])('stops on %s=%j naming the variable', (name, value) => {
    let err: unknown;
    try {
      parseConfig({ [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(name);
    expect((err as Error).message.startsWith(`${name}: `)).toBe(true);
  });
});

// Node fires a timer set past 2^31-1 ms (24.8 days) after 1 ms: every
// setting that feeds a timer is bounded well inside it, and retentions so
// that `now - retention` stays inside the 64-bit nanosecond times.
describe('parseConfig: duration bounds', () => {
  const INFLUX = { SESSION_STORE: 'influxdb', INFLUX_URL: 'http://127.0.0.1:8086', INFLUX_TOKEN: 't', INFLUX_ORG: 'o' };
  const OPENSEARCH = { UVE_STORE: 'opensearch', OPENSEARCH_URL: 'http://127.0.0.1:9200' };

  it.each([
    // variable, below, lowest, highest, past, the message's bounds, the other settings it needs
    ['QUERY_TIMEOUT', '99ms', '100ms', '1h', '25d', 'from 100ms to 1h', {}],
    ['ROLLUP_INTERVAL', '999ms', '1s', '24h', '2147484s', 'from 1s to 24h', {}],
    ['INGEST_RETRY_AFTER', '999ms', '1s', '1h', '61m', 'from 1s to 1h', {}],
    ['INFLUX_REQUEST_TIMEOUT', null, '1ms', '1h', '25d', 'from 1ms to 1h', INFLUX],
    ['INFLUX_WRITE_RETRY', null, '1ms', '1h', '3601s', 'from 1ms to 1h', INFLUX],
    ['OPENSEARCH_REQUEST_TIMEOUT', null, '1ms', '1h', '25d', 'from 1ms to 1h', OPENSEARCH],
    ['OPENSEARCH_REFRESH_INTERVAL', null, '1ms', '1h', '2h', 'from 1ms to 1h', OPENSEARCH],
  ] as const)('%s takes its lowest and highest value and refuses values past them, naming itself and the bounds', (name, below, lowest, highest, past, bounds, base) => {
    const ms = (text: string) => Number(parseDuration(text, name).ns / 1_000_000n);
    const read = (text: string) => {
      const c = parseConfig({ ...base, [name]: text });
      return {
        QUERY_TIMEOUT: c.limits.queryTimeoutMs,
        ROLLUP_INTERVAL: c.rollupIntervalMs,
        INGEST_RETRY_AFTER: c.ingest.retryAfterSeconds * 1000,
        INFLUX_REQUEST_TIMEOUT: c.influx?.requestTimeoutMs,
        INFLUX_WRITE_RETRY: c.influx?.writeRetryMs,
        OPENSEARCH_REQUEST_TIMEOUT: c.opensearch?.requestTimeoutMs,
        OPENSEARCH_REFRESH_INTERVAL: c.opensearch?.refreshIntervalMs,
      }[name];
    };
    expect([read(lowest), read(highest)]).toEqual([ms(lowest), ms(highest)]);
    expect(ms(highest)).toBeLessThanOrEqual(2 ** 31 - 1);
    for (const bad of below === null ? [past] : [below, past]) {
      expect(() => parseConfig({ ...base, [name]: bad })).toThrow(new ConfigError(name, `"${bad}" must be ${bounds}`));
    }
  });

  it('bounds every retention at 3650d and a tier window by its retention', () => {
    expect(parseConfig({ RAW_RETENTION: '3650d', TIERS: 'none' }).retention.raw.ns).toBe(3650n * 86_400_000_000_000n);
    expect(parseConfig({ TIERS: '1d:3650d' }).retention.tiers[0]!.retention.text).toBe('3650d');
    expect(() => parseConfig({ RAW_RETENTION: '3651d', TIERS: 'none' })).toThrow(new ConfigError('RAW_RETENTION', '"3651d" must be at most 3650d (10 years)'));
    // Past 2^63 ns: `now - retention` would not fit a store's 64-bit time.
    expect(() => parseConfig({ RAW_RETENTION: '999999999999w', TIERS: 'none' })).toThrow(/^RAW_RETENTION: /);
    expect(() => parseConfig({ TIERS: '5m:7d,1h:522w' })).toThrow(new ConfigError('TIERS', 'retention 522w must be at most 3650d (10 years)'));
    expect(() => parseConfig({ TIERS: '5m:7d,1000w:7d' })).toThrow(new ConfigError('TIERS', 'window 1000w must not be longer than the retention 7d'));
  });

  it('NAMESPACE_PROJECT_PREFIX: default k8s-, may be empty, no colon or control character', () => {
    expect(parseConfig({}).namespacePrefix).toBe('k8s-');
    expect(parseConfig({ NAMESPACE_PROJECT_PREFIX: '' }).namespacePrefix).toBe('');
    expect(parseConfig({ NAMESPACE_PROJECT_PREFIX: 'ns-' }).namespacePrefix).toBe('ns-');
    for (const bad of ['a:b', 'a\nb']) expect(() => parseConfig({ NAMESPACE_PROJECT_PREFIX: bad })).toThrow(ConfigError);
    expect(() => parseConfig({ NAMESPACE_PROJECT_PREFIX: 'a:b' })).toThrow(/NAMESPACE_PROJECT_PREFIX/);
  });
});
