import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.js';

const PRODUCTION = {
  SESSION_STORE: 'influxdb',
  INFLUX_URL: 'http://influx:8086',
  INFLUX_TOKEN: 't',
  INFLUX_ORG: 'sag',
  UVE_STORE: 'opensearch',
  OPENSEARCH_URL: 'http://opensearch:9200',
};

function refusal(env: Record<string, string>): string {
  try {
    parseConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).variable;
  }
  throw new Error('accepted');
}

describe('SHUTDOWN_DRAIN_TIMEOUT', () => {
  it('defaults to 25s and is bounded from 1s to 10m', () => {
    expect(parseConfig({}).shutdownDrainMs).toBe(25_000);
    expect(parseConfig({ SHUTDOWN_DRAIN_TIMEOUT: '2m' }).shutdownDrainMs).toBe(120_000);
    for (const v of ['0s', '500ms', '11m', 'soon']) expect(refusal({ SHUTDOWN_DRAIN_TIMEOUT: v })).toBe('SHUTDOWN_DRAIN_TIMEOUT');
  });
});

describe('DEAD_LETTER_STORE and DEAD_LETTER_INDEX', () => {
  it('is the file log by default, and an OpenSearch index on the production stores', () => {
    expect(parseConfig({}).deadLetterStore).toEqual({ kind: 'file' });
    expect(parseConfig({ ...PRODUCTION, SESSION_STORE: 'duckdb' }).deadLetterStore).toEqual({ kind: 'file' });
    expect(parseConfig(PRODUCTION).deadLetterStore).toEqual({ kind: 'opensearch', index: 'sag-dead-letters' });
    expect(parseConfig({ ...PRODUCTION, DEAD_LETTER_INDEX: 'cn2-dead-letters' }).deadLetterStore).toEqual({ kind: 'opensearch', index: 'cn2-dead-letters' });
    expect(parseConfig({ ...PRODUCTION, DEAD_LETTER_STORE: 'file' }).deadLetterStore).toEqual({ kind: 'file' });
    expect(parseConfig({ UVE_STORE: 'opensearch', OPENSEARCH_URL: 'http://os:9200', DEAD_LETTER_STORE: 'opensearch' }).deadLetterStore.kind).toBe('opensearch');
  });

  it('refuses opensearch without UVE_STORE=opensearch, a bad index name, and one under the UVE prefix', () => {
    expect(refusal({ DEAD_LETTER_STORE: 'opensearch' })).toBe('DEAD_LETTER_STORE');
    expect(refusal({ ...PRODUCTION, DEAD_LETTER_STORE: 's3' })).toBe('DEAD_LETTER_STORE');
    expect(refusal({ ...PRODUCTION, DEAD_LETTER_INDEX: 'Dead Letters' })).toBe('DEAD_LETTER_INDEX');
    expect(refusal({ ...PRODUCTION, DEAD_LETTER_INDEX: '_all' })).toBe('DEAD_LETTER_INDEX');
    expect(refusal({ ...PRODUCTION, DEAD_LETTER_INDEX: 'uve-dead-letters' })).toBe('DEAD_LETTER_INDEX');
  });
});
