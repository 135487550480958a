import { describe, expect, it } from 'vitest';
import { ConfigError } from './env-values.js';
import { parseLiveConfig } from './live-config.js';

describe('LIVE_* settings', () => {
  it('has the documented defaults', () => {
    const c = parseLiveConfig({});
    expect(c).toMatchObject({ tailIntervalMs: 1000, tailMaxPerSecond: 2000, tailMaxBackfill: 100_000, maxPerConnection: 20, maxPerCaller: 100, maxBuffered: 10_000, keepAliveMs: 12_000, initTimeoutMs: 3000 });
    expect(c.tailLateness.text).toBe('5s');
    expect(c.trafficMinEvery.text).toBe('5s');
  });

  it.each([
    ['LIVE_TAIL_INTERVAL', '10ms'],
    ['LIVE_TAIL_INTERVAL', '2m'],
    ['LIVE_TAIL_LATENESS', '2h'],
    ['LIVE_TAIL_LATENESS', 'soon'],
    ['LIVE_TRAFFIC_MIN_EVERY', '500ms'],
    ['LIVE_TAIL_MAX_RECORDS_PER_SECOND', '0'],
    ['LIVE_TAIL_MAX_BACKFILL', '-1'],
    ['LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION', '10001'],
    ['LIVE_MAX_SUBSCRIPTIONS_PER_CALLER', 'many'],
    ['LIVE_MAX_BUFFERED_MESSAGES', '9'],
    ['LIVE_KEEPALIVE', '500ms'],
    ['LIVE_INIT_TIMEOUT', '2m'],
  ])('stops start-up on %s=%s, naming it', (name, value) => {
    let error: unknown;
    try {
      parseLiveConfig({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(name);
  });
});
