import { parseDuration, parseTiers, type Duration, type QueryLimits, type RecordLimits, type Retention } from '../model/index.js';

/** Everything the gateway reads from its environment, validated once by `parseConfig`. */
export interface Config {
  readonly host: string;
  readonly port: number;
  readonly sessionStore: 'duckdb' | 'influxdb';
  readonly uveStore: 'duckdb' | 'opensearch';
  readonly duckdbPath: string;
  readonly retention: Retention;
  readonly limits: QueryLimits & { readonly queryTimeoutMs: number };
  readonly ingest: IngestLimits;
  /** How often the embedded store's rollup and retention job runs. */
  readonly rollupIntervalMs: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export interface IngestLimits extends RecordLimits {
  /** Largest request body after decompression. */
  readonly maxBodyBytes: number;
  /** Most records in one request or mutation. */
  readonly maxRecords: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** A setting that stops start-up; the message names the variable. */
export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses and validates the environment (README "Configuration" lists every
 * variable). Throws a ConfigError naming the first bad variable.
 */
export function parseConfig(env: Env): Config {
  const raw = duration(env, 'RAW_RETENTION', '24h');
  let tiers;
  try {
    tiers = parseTiers(env['TIERS'] ?? '5m:7d,1h:90d', raw);
  } catch (e) {
    throw new ConfigError('TIERS', (e as Error).message.replace(/^TIERS[^:]*: /, ''));
  }
  return {
    host: env['HOST'] ?? '0.0.0.0',
    port: int(env, 'PORT', 4000, 0, 65535),
    sessionStore: oneOf(env, 'SESSION_STORE', ['duckdb', 'influxdb'] as const, 'duckdb'),
    uveStore: oneOf(env, 'UVE_STORE', ['duckdb', 'opensearch'] as const, 'duckdb'),
    duckdbPath: nonEmpty(env, 'DUCKDB_PATH', './data/gateway.duckdb'),
    retention: { raw, tiers },
    limits: {
      maxPageSize: int(env, 'MAX_PAGE_SIZE', 10_000, 1, 1_000_000),
      maxGroups: int(env, 'MAX_GROUPS', 100_000, 1, 100_000_000),
      maxSeriesPoints: int(env, 'MAX_SERIES_POINTS', 10_000, 1, 10_000_000),
      queryTimeoutMs: Number(duration(env, 'QUERY_TIMEOUT', '30s').ns / 1_000_000n),
    },
    ingest: {
      maxBodyBytes: int(env, 'INGEST_MAX_BODY_BYTES', 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      maxRecords: int(env, 'INGEST_MAX_RECORDS', 50_000, 1, 10_000_000),
      maxLabels: int(env, 'INGEST_MAX_LABELS', 64, 0, 10_000),
    },
    rollupIntervalMs: Number(duration(env, 'ROLLUP_INTERVAL', '30s').ns / 1_000_000n),
    logLevel: oneOf(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
  };
}

function duration(env: Env, name: string, fallback: string): Duration {
  try {
    return parseDuration(env[name] ?? fallback, name);
  } catch (e) {
    throw new ConfigError(name, `"${env[name]}" is not a duration such as 30s, 15m, 24h or 7d`);
  }
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^[0-9]+$/.test(text) || +text < min || +text > max) {
    throw new ConfigError(name, `"${text}" is not an integer from ${min} to ${max}`);
  }
  return +text;
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (!(values as readonly string[]).includes(text)) {
    throw new ConfigError(name, `"${text}" is not one of ${values.join(', ')}`);
  }
  return text as T;
}

function nonEmpty(env: Env, name: string, fallback: string): string {
  const text = env[name];
  if (text === undefined) return fallback;
  if (text.trim() === '') throw new ConfigError(name, 'must not be empty');
  return text;
}
