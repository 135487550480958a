import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.js';

describe('parseConfig', () => {
  it('has the documented defaults', () => {
    const c = parseConfig({});
    expect(c.port).toBe(4000);
    expect(c.host).toBe('0.0.0.0');
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
