import { parseDuration, type Duration } from '../model/index.js';
import { ConfigError, duration, int, millis, type Env } from './env-values.js';

/** The live views' settings (docs/live.md, README "Configuration"). */
export interface LiveConfig {
  /** LIVE_TAIL_INTERVAL: how often the one shared tail read runs while anyone tails. */
  readonly tailIntervalMs: number;
  /** LIVE_TAIL_LATENESS: InfluxDB only; the tail reads up to now minus this, and misses records stored later than this after their time. */
  readonly tailLateness: Duration;
  /** LIVE_TAIL_MAX_RECORDS_PER_SECOND: live records one tail may match per second before it ends with an error. */
  readonly tailMaxPerSecond: number;
  /** LIVE_TAIL_MAX_BACKFILL: records a backfill (since) may hold. */
  readonly tailMaxBackfill: number;
  /** LIVE_TRAFFIC_MIN_EVERY: the shortest `every` of sessionTrafficLive. */
  readonly trafficMinEvery: Duration;
  /** LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION */
  readonly maxPerConnection: number;
  /** LIVE_MAX_SUBSCRIPTIONS_PER_CALLER: over every connection of one caller name. */
  readonly maxPerCaller: number;
  /** LIVE_MAX_BUFFERED_MESSAGES: messages one connection may have queued for a client that does not read; past it, close 4421. */
  readonly maxBuffered: number;
  /** LIVE_KEEPALIVE: the server pings this often, and closes a connection that did not answer the last ping. */
  readonly keepAliveMs: number;
  /** LIVE_INIT_TIMEOUT: a connection that sent no connection_init by then is closed (4408). */
  readonly initTimeoutMs: number;
}

export function parseLiveConfig(env: Env): LiveConfig {
  const tailLateness = duration(env, 'LIVE_TAIL_LATENESS', '5s');
  if (tailLateness.ns > parseDuration('1h', 'x').ns) throw new ConfigError('LIVE_TAIL_LATENESS', `"${tailLateness.text}" must be at most 1h`);
  const trafficMinEvery = duration(env, 'LIVE_TRAFFIC_MIN_EVERY', '5s');
  if (trafficMinEvery.ns < parseDuration('1s', 'x').ns || trafficMinEvery.ns > parseDuration('1h', 'x').ns) {
    throw new ConfigError('LIVE_TRAFFIC_MIN_EVERY', `"${trafficMinEvery.text}" must be from 1s to 1h`);
  }
  return {
    tailIntervalMs: millis(env, 'LIVE_TAIL_INTERVAL', '1s', '50ms', '1m'),
    tailLateness,
    tailMaxPerSecond: int(env, 'LIVE_TAIL_MAX_RECORDS_PER_SECOND', 2000, 1, 1_000_000),
    tailMaxBackfill: int(env, 'LIVE_TAIL_MAX_BACKFILL', 100_000, 1, 100_000_000),
    trafficMinEvery,
    maxPerConnection: int(env, 'LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION', 20, 1, 10_000),
    maxPerCaller: int(env, 'LIVE_MAX_SUBSCRIPTIONS_PER_CALLER', 100, 1, 1_000_000),
    maxBuffered: int(env, 'LIVE_MAX_BUFFERED_MESSAGES', 10_000, 10, 10_000_000),
    keepAliveMs: millis(env, 'LIVE_KEEPALIVE', '12s', '1s', '10m'),
    initTimeoutMs: millis(env, 'LIVE_INIT_TIMEOUT', '3s', '100ms', '1m'),
  };
}

/** The defaults, for code that builds an app without a Config (tests). */
export const DEFAULT_LIVE_CONFIG: LiveConfig = parseLiveConfig({});
