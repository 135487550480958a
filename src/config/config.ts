import { accessSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_NAMESPACE_PROJECT_PREFIX, MAX_RETENTION, parseTiers, type QueryLimits, type RecordLimits, type Duration, type Retention } from '../model/index.js';
import { ConfigError, bool, duration, httpUrl, int, millis, nonEmpty, oneOf, optional, type Env } from './env-values.js';
import { listenHost, parseAccessConfig, type AccessConfig } from './access-config.js';
import { parseDeadLetterStore, type DeadLetterStore } from './dead-letter-store.js';
import { parseForwardConfig, type ForwardConfig } from './forward-config.js';
import { parseLiveConfig, type LiveConfig } from './live-config.js';

export { ConfigError, type Env } from './env-values.js';
export type { DeadLetterStore } from './dead-letter-store.js';

/** Everything the gateway reads from its environment, validated once by `parseConfig`. */
export interface Config {
  /** The address bound: HOST, or 127.0.0.1 when no authentication is configured and HOST is unset (access-config.ts), else 0.0.0.0. */
  readonly host: string;
  readonly access: AccessConfig;
  readonly port: number;
  readonly sessionStore: 'duckdb' | 'influxdb';
  readonly uveStore: 'duckdb' | 'opensearch';
  readonly duckdbPath: string;
  /** DuckDB's memory_limit (DUCKDB_MEMORY_LIMIT, e.g. 256MB); null: DuckDB's default, 80% of RAM. */
  readonly duckdbMemoryLimit: string | null;
  /**
   * DuckDB's checkpoint_threshold: half of DUCKDB_MEMORY_LIMIT, 16MB to
   * 256MB; 256MB without a limit. Until a checkpoint, new rows stay in
   * DuckDB's buffer pool, and a larger threshold left the rollup no room
   * ("Out of Memory" at 64MB with 256MB; docs/decisions.md).
   */
  readonly duckdbCheckpointThreshold: string;
  /**
   * DUCKDB_LABEL_COLUMNS: label names per side that get a column of their
   * own in the embedded store; later names share one map column per side
   * (docs/decisions.md, "Label names past the column budget").
   */
  readonly duckdbLabelColumns: number;
  /**
   * DUCKDB_THREADS: DuckDB's worker threads; null (0 or unset): DuckDB's
   * own, one per core. On a host of two cores, 1 spares the time DuckDB's
   * threads spend waiting for each other's tasks (docs/benchmarks.md).
   */
  readonly duckdbThreads: number | null;
  /** The OpenSearch connection; set only when UVE_STORE=opensearch. */
  readonly opensearch: OpenSearchConfig | null;
  /** The InfluxDB connection and layout; set only when SESSION_STORE=influxdb. */
  readonly influx: InfluxConfig | null;
  readonly retention: Retention;
  readonly limits: QueryLimits & { readonly queryTimeoutMs: number };
  readonly ingest: IngestLimits;
  /** The dead-letter log: NDJSON segment files numbered beside this path (docs/ingest.md). */
  readonly deadLetterPath: string;
  readonly deadLetterLimits: DeadLetterLimits;
  /** DEAD_LETTER_STORE: the file segments at deadLetterPath, or an OpenSearch index (the default on the production stores). */
  readonly deadLetterStore: DeadLetterStore;
  /** How often the embedded store's rollup and retention job runs. */
  readonly rollupIntervalMs: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** NAMESPACE_PROJECT_PREFIX: namespace N's project is this plus N (docs/security.md "Namespaces"). */
  readonly namespacePrefix: string;
  /** SHUTDOWN_DRAIN_TIMEOUT: how long a SIGTERM waits for in-flight requests before the stores close (docs/operations.md). */
  readonly shutdownDrainMs: number;
  /** The fluentd forward listener; null unless FORWARD_PORT is set. */
  readonly forward: ForwardConfig | null;
  /** LIVE_*: subscriptions (docs/live.md). */
  readonly live: LiveConfig;
}

export interface IngestLimits extends RecordLimits {
  /** Largest request body after decompression. */
  readonly maxBodyBytes: number;
  /** Most records in one request or mutation. */
  readonly maxRecords: number;
  /** Most records held by ingest requests at once; past it, HTTP 429. */
  readonly maxInflightRecords: number;
  /** Most body bytes (after decompression) held by ingest requests at once; past it, HTTP 429. */
  readonly maxInflightBytes: number;
  /** The Retry-After of a 429 or 503 ingest answer, in whole seconds. */
  readonly retryAfterSeconds: number;
  /** INGEST_MAX_LABEL_NAMES: most label names the store keeps per side; a record bringing a new name past it is rejected (docs/ingest.md, "Label names"). */
  readonly maxLabelNames: number;
}

/** The bounds of the dead-letter log (docs/ingest.md, "The dead-letter log"): past them, the oldest segments are dropped. */
export interface DeadLetterLimits {
  /** DEAD_LETTER_MAX_BYTES: all segments together. */
  readonly maxBytes: number;
  /** DEAD_LETTER_SEGMENT_BYTES: one segment; at most half of maxBytes. */
  readonly segmentBytes: number;
  /** DEAD_LETTER_MAX_AGE: a segment goes once its newest entry is older. */
  readonly maxAge: Duration;
}

/** Where the OpenSearch UVE store connects to (docs/opensearch.md). */
export interface OpenSearchConfig {
  /** http(s)://host:port[/path], without credentials. */
  readonly url: string;
  /** Each UVE type lives in the index `<indexPrefix><type>`. */
  readonly indexPrefix: string;
  readonly username: string | null;
  readonly password: string | null;
  /** Sent as `Authorization: ApiKey <apiKey>`; exclusive with username/password. */
  readonly apiKey: string | null;
  /** PEM file of the CA(s) that signed the node's certificate (https only). */
  readonly caFile: string | null;
  /** Accept any certificate: unsafe, for a throw-away test node only. */
  readonly insecureSkipVerify: boolean;
  readonly requestTimeoutMs: number;
  /** index.refresh_interval of new UVE indices: how long an acknowledged write waits to be searchable. */
  readonly refreshIntervalMs: number;
}

/** Where the InfluxDB session store connects to and what it creates there (docs/influxdb.md). */
export interface InfluxConfig {
  /** http(s)://host:port[/path], without credentials. */
  readonly url: string;
  readonly token: string;
  /** The organization name (not its ID). */
  readonly org: string;
  /** The bucket of raw records, kept for RAW_RETENTION. */
  readonly bucket: string;
  /** Each tier's bucket: `{bucket}` and `{tier}` replaced, e.g. `sessions_5m`. */
  readonly tierBucket: string;
  /** How long one HTTP call may take. */
  readonly requestTimeoutMs: number;
  /** How long a write is retried (429, 5xx, network) before it fails with BACKEND_UNAVAILABLE. */
  readonly writeRetryMs: number;
  /**
   * A record older than this when it is written is "late": its sums go
   * straight into the tiers, and the tier rollup skips it.
   */
  readonly lateAfter: Duration;
  /** INFLUX_ROLLUP: this gateway runs the tier rollups on their timers (off on replicas that should not). */
  readonly rollup: boolean;
}

/**
 * Parses and validates the environment (README "Configuration" lists every
 * variable). Throws a ConfigError naming the first bad variable.
 */
export function parseConfig(env: Env): Config {
  const raw = duration(env, 'RAW_RETENTION', '24h');
  if (raw.ns > MAX_RETENTION.ns) throw new ConfigError('RAW_RETENTION', `"${raw.text}" must be at most ${MAX_RETENTION.text} (10 years)`);
  let tiers;
  try {
    tiers = parseTiers(env['TIERS'] ?? '5m:7d,1h:90d', raw);
  } catch (e) {
    throw new ConfigError('TIERS', (e as Error).message.replace(/^TIERS[^:]*: /, ''));
  }
  const duckdbMemoryLimit = memorySize(env, 'DUCKDB_MEMORY_LIMIT');
  const access = parseAccessConfig(env);
  const sessionStore = oneOf(env, 'SESSION_STORE', ['duckdb', 'influxdb'] as const, 'duckdb');
  const uveStore = oneOf(env, 'UVE_STORE', ['duckdb', 'opensearch'] as const, 'duckdb');
  const opensearch = uveStore === 'opensearch' ? openSearch(env) : null;
  const ingest = ingestLimits(env);
  return {
    host: listenHost(env, 'HOST', access),
    access,
    port: int(env, 'PORT', 4000, 0, 65535),
    sessionStore,
    uveStore,
    duckdbPath: nonEmpty(env, 'DUCKDB_PATH', './data/gateway.duckdb'),
    duckdbMemoryLimit,
    duckdbCheckpointThreshold: checkpointThreshold(duckdbMemoryLimit),
    duckdbLabelColumns: int(env, 'DUCKDB_LABEL_COLUMNS', DEFAULT_DUCKDB_LABEL_COLUMNS, 0, 1_000),
    duckdbThreads: int(env, 'DUCKDB_THREADS', 0, 0, 256) || null,
    opensearch,
    influx: env['SESSION_STORE'] === 'influxdb' ? influx(env, { raw, tiers }) : null,
    retention: { raw, tiers },
    limits: {
      maxPageSize: int(env, 'MAX_PAGE_SIZE', 10_000, 1, 1_000_000),
      maxGroups: int(env, 'MAX_GROUPS', 100_000, 1, 100_000_000),
      maxSeriesPoints: int(env, 'MAX_SERIES_POINTS', 10_000, 1, 10_000_000),
      queryTimeoutMs: millis(env, 'QUERY_TIMEOUT', '30s', '100ms', '1h'),
    },
    ingest,
    deadLetterPath: nonEmpty(env, 'DEAD_LETTER_PATH', defaultDeadLetterPath(env['DUCKDB_PATH'] ?? './data/gateway.duckdb')),
    deadLetterLimits: deadLetterLimits(env),
    deadLetterStore: parseDeadLetterStore(env, sessionStore, uveStore, opensearch?.indexPrefix ?? null),
    rollupIntervalMs: millis(env, 'ROLLUP_INTERVAL', '30s', '1s', '24h'),
    logLevel: oneOf(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    namespacePrefix: namespacePrefix(env),
    shutdownDrainMs: millis(env, 'SHUTDOWN_DRAIN_TIMEOUT', '25s', '1s', '10m'),
    forward: parseForwardConfig(env, access, ingest.maxBodyBytes),
    live: parseLiveConfig(env),
  };
}

/**
 * NAMESPACE_PROJECT_PREFIX: the project of namespace N is this plus N. It
 * may be empty; a `:` would end the project component, and a control
 * character is surely a typo, so both stop the start.
 */
function namespacePrefix(env: Env): string {
  const text = env['NAMESPACE_PROJECT_PREFIX'] ?? DEFAULT_NAMESPACE_PROJECT_PREFIX;
  if (text.includes(':')) throw new ConfigError('NAMESPACE_PROJECT_PREFIX', `"${text}" must not hold ':', which separates the components of an FQ name`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) throw new ConfigError('NAMESPACE_PROJECT_PREFIX', 'must not hold control characters');
  if (text.length > 200) throw new ConfigError('NAMESPACE_PROJECT_PREFIX', 'must be at most 200 characters');
  return text;
}

/** OPENSEARCH_*: read only when UVE_STORE=opensearch. */
function openSearch(env: Env): OpenSearchConfig {
  const text = env['OPENSEARCH_URL'];
  if (text === undefined || text.trim() === '') {
    throw new ConfigError('OPENSEARCH_URL', 'must be set when UVE_STORE=opensearch, e.g. http://127.0.0.1:9200');
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError('OPENSEARCH_URL', 'is not a URL such as https://opensearch:9200');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('OPENSEARCH_URL', `must be http:// or https://, not ${url.protocol}//`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError('OPENSEARCH_URL', 'must not carry credentials; set OPENSEARCH_USERNAME and OPENSEARCH_PASSWORD (or OPENSEARCH_API_KEY)');
  }
  if (url.search !== '' || url.hash !== '') throw new ConfigError('OPENSEARCH_URL', 'must not have a query or fragment');
  const indexPrefix = env['OPENSEARCH_INDEX_PREFIX'] ?? 'uve-';
  if (!/^[a-z0-9][a-z0-9._-]{0,99}$/.test(indexPrefix)) {
    throw new ConfigError(
      'OPENSEARCH_INDEX_PREFIX',
      `"${indexPrefix.slice(0, 64)}" is not an index prefix: 1 to 100 of a-z 0-9 . _ -, starting with a letter or digit`,
    );
  }
  const username = optional(env, 'OPENSEARCH_USERNAME');
  const password = optional(env, 'OPENSEARCH_PASSWORD');
  const apiKey = optional(env, 'OPENSEARCH_API_KEY');
  if ((username === null) !== (password === null)) {
    throw new ConfigError(username === null ? 'OPENSEARCH_USERNAME' : 'OPENSEARCH_PASSWORD', 'OPENSEARCH_USERNAME and OPENSEARCH_PASSWORD go together');
  }
  if (apiKey !== null && username !== null) {
    throw new ConfigError('OPENSEARCH_API_KEY', 'set either OPENSEARCH_API_KEY or OPENSEARCH_USERNAME/OPENSEARCH_PASSWORD, not both');
  }
  const caFile = optional(env, 'OPENSEARCH_CA_FILE');
  const insecureSkipVerify = bool(env, 'OPENSEARCH_INSECURE_SKIP_VERIFY', false);
  if (url.protocol !== 'https:') {
    if (caFile !== null) throw new ConfigError('OPENSEARCH_CA_FILE', 'applies to an https:// OPENSEARCH_URL only');
    if (insecureSkipVerify) throw new ConfigError('OPENSEARCH_INSECURE_SKIP_VERIFY', 'applies to an https:// OPENSEARCH_URL only');
  }
  if (caFile !== null) {
    try {
      accessSync(caFile, constants.R_OK);
    } catch {
      throw new ConfigError('OPENSEARCH_CA_FILE', `cannot read ${caFile}`);
    }
  }
  return {
    url: url.href.replace(/\/$/, ''),
    indexPrefix,
    username,
    password,
    apiKey,
    caFile,
    insecureSkipVerify,
    requestTimeoutMs: millis(env, 'OPENSEARCH_REQUEST_TIMEOUT', '10s'),
    refreshIntervalMs: millis(env, 'OPENSEARCH_REFRESH_INTERVAL', '1s'),
  };
}

const INFLUX_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const HOUR_NS = 3_600_000_000_000n;

/** INFLUX_*: read only when SESSION_STORE=influxdb. */
function influx(env: Env, retention: Retention): InfluxConfig {
  if (optional(env, 'INFLUX_URL') === null) {
    throw new ConfigError('INFLUX_URL', 'must be set when SESSION_STORE=influxdb, e.g. http://127.0.0.1:8086');
  }
  const url = httpUrl(env, 'INFLUX_URL', 'http://127.0.0.1:8086');
  const token = optional(env, 'INFLUX_TOKEN');
  if (token === null) throw new ConfigError('INFLUX_TOKEN', 'must be set when SESSION_STORE=influxdb (an API token with read and write access to the org)');
  const org = optional(env, 'INFLUX_ORG');
  if (org === null) throw new ConfigError('INFLUX_ORG', 'must be set when SESSION_STORE=influxdb (the organization name)');
  const bucket = env['INFLUX_BUCKET'] || 'sessions';
  if (!INFLUX_NAME.test(bucket)) {
    throw new ConfigError('INFLUX_BUCKET', `"${bucket.slice(0, 64)}" is not a bucket name: 1 to 100 of A-Z a-z 0-9 . _ -, starting with a letter or digit`);
  }
  const tierBucket = env['INFLUX_TIER_BUCKET'] || '{bucket}_{tier}';
  if (!tierBucket.includes('{tier}')) throw new ConfigError('INFLUX_TIER_BUCKET', 'must contain {tier}, e.g. {bucket}_{tier}');
  const names = new Set([bucket]);
  for (const t of retention.tiers) {
    const name = tierBucket.replaceAll('{bucket}', bucket).replaceAll('{tier}', t.name);
    if (!INFLUX_NAME.test(name)) throw new ConfigError('INFLUX_TIER_BUCKET', `makes "${name.slice(0, 64)}" for tier ${t.name}, which is not a bucket name`);
    if (names.has(name)) throw new ConfigError('INFLUX_TIER_BUCKET', `makes "${name}" twice`);
    names.add(name);
  }
  // InfluxDB refuses bucket retention below one hour.
  if (retention.raw.ns < HOUR_NS) throw new ConfigError('RAW_RETENTION', `${retention.raw.text} is below 1h, the shortest retention InfluxDB accepts`);
  const requestTimeoutMs = millis(env, 'INFLUX_REQUEST_TIMEOUT', '10s');
  const writeRetryMs = millis(env, 'INFLUX_WRITE_RETRY', '5s');
  const lateAfter = duration(env, 'INFLUX_LATE_AFTER', '5m');
  // Each tier rollup computes the windows a record younger than INFLUX_LATE_AFTER
  // can still land in, reading them from the raw bucket: they must lie well
  // inside the raw retention (docs/influxdb.md, "Late records").
  const offsetNs = BigInt(Math.ceil((requestTimeoutMs + writeRetryMs) / 1000) + 30) * 1_000_000_000n;
  for (const t of retention.tiers) {
    const w = t.window.ns;
    const span = ((lateAfter.ns + w - 1n) / w + 2n) * w + offsetNs;
    if (span > retention.raw.ns) {
      throw new ConfigError(
        lateAfter.ns >= w ? 'INFLUX_LATE_AFTER' : 'TIERS',
        `tier ${t.name} would recompute windows older than RAW_RETENTION (${retention.raw.text}); ` +
          'use a shorter tier window or INFLUX_LATE_AFTER, or a longer RAW_RETENTION',
      );
    }
  }
  const rollup = bool(env, 'INFLUX_ROLLUP', true);
  return { url, token, org, bucket, tierBucket, requestTimeoutMs, writeRetryMs, lateAfter, rollup };
}

/** Label columns per side of the embedded store by default (DUCKDB_LABEL_COLUMNS; src/stores/duckdb/layout.ts keeps the same figure for a store opened without it). */
export const DEFAULT_DUCKDB_LABEL_COLUMNS = 16;

/** Label names kept per side by default: what a cluster's pods carry (app, version, tier, the app.kubernetes.io set, a few of the operator's) with room to spare. */
export const DEFAULT_MAX_LABEL_NAMES = 256;

/** INGEST_*: a request must fit in the in-flight budget on its own, or it could never pass. */
function ingestLimits(env: Env): IngestLimits {
  const maxBodyBytes = int(env, 'INGEST_MAX_BODY_BYTES', 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024);
  const maxRecords = int(env, 'INGEST_MAX_RECORDS', 50_000, 1, 10_000_000);
  const maxInflightBytes = int(env, 'INGEST_MAX_INFLIGHT_BYTES', Math.max(48 * 1024 * 1024, maxBodyBytes), 1024, 16 * 1024 * 1024 * 1024);
  if (maxInflightBytes < maxBodyBytes) {
    throw new ConfigError('INGEST_MAX_INFLIGHT_BYTES', `${maxInflightBytes} is below INGEST_MAX_BODY_BYTES (${maxBodyBytes}): a full request could never be taken`);
  }
  const maxInflightRecords = int(env, 'INGEST_MAX_INFLIGHT_RECORDS', Math.max(60_000, maxRecords), 1, 100_000_000);
  if (maxInflightRecords < maxRecords) {
    throw new ConfigError('INGEST_MAX_INFLIGHT_RECORDS', `${maxInflightRecords} is below INGEST_MAX_RECORDS (${maxRecords}): a full request could never be taken`);
  }
  const retryAfterMs = millis(env, 'INGEST_RETRY_AFTER', '1s', '1s', '1h');
  const maxLabels = int(env, 'INGEST_MAX_LABELS', 64, 0, 10_000);
  const maxLabelNames = int(env, 'INGEST_MAX_LABEL_NAMES', Math.max(DEFAULT_MAX_LABEL_NAMES, maxLabels), 0, 10_000);
  if (maxLabelNames < maxLabels) {
    throw new ConfigError('INGEST_MAX_LABEL_NAMES', `${maxLabelNames} is below INGEST_MAX_LABELS (${maxLabels}): a record within its own limit could bring more names than the store keeps`);
  }
  return {
    maxBodyBytes,
    maxRecords,
    maxLabels,
    maxLabelNames,
    maxInflightRecords,
    maxInflightBytes,
    retryAfterSeconds: Math.ceil(retryAfterMs / 1000),
  };
}

const MIB = 1024 * 1024;

/** DEAD_LETTER_*: a segment is at most half the log, so dropping the oldest never leaves the log empty. */
function deadLetterLimits(env: Env): DeadLetterLimits {
  const maxBytes = int(env, 'DEAD_LETTER_MAX_BYTES', 256 * MIB, 64 * 1024, 2 ** 40);
  const segmentBytes = int(env, 'DEAD_LETTER_SEGMENT_BYTES', Math.min(16 * MIB, Math.floor(maxBytes / 16)), 4096, 2 ** 30);
  if (segmentBytes * 2 > maxBytes) {
    throw new ConfigError('DEAD_LETTER_SEGMENT_BYTES', `${segmentBytes} is more than half of DEAD_LETTER_MAX_BYTES (${maxBytes})`);
  }
  const maxAge = duration(env, 'DEAD_LETTER_MAX_AGE', '7d');
  if (maxAge.ns < 3_600_000_000_000n || maxAge.ns > 3650n * 86_400_000_000_000n) {
    throw new ConfigError('DEAD_LETTER_MAX_AGE', `"${maxAge.text}" must be from 1h to 3650d`);
  }
  return { maxBytes, segmentBytes, maxAge };
}

const MEMORY_SIZE = /^([0-9]{1,6}(?:\.[0-9]{1,3})?)\s?(KB|MB|GB|KiB|MiB|GiB)$/i;

/** A DuckDB memory size such as 256MB or 2GiB; null when unset. */
function memorySize(env: Env, name: string): string | null {
  const text = env[name];
  if (text === undefined || text === '') return null;
  if (!MEMORY_SIZE.test(text)) throw new ConfigError(name, `"${text.slice(0, 32)}" is not a size such as 256MB or 2GiB`);
  return text;
}

/** Half a validated memory size, 16MB to 256MB, or 256MB for none (MB and MiB alike: the difference does not matter here). */
function checkpointThreshold(memoryLimit: string | null): string {
  const m = memoryLimit === null ? null : MEMORY_SIZE.exec(memoryLimit);
  if (m === null) return '256MB';
  const unit = m[2]!.toUpperCase();
  const mb = Number(m[1]) * (unit.startsWith('K') ? 1 / 1024 : unit.startsWith('M') ? 1 : 1024);
  return `${Math.min(256, Math.max(16, Math.floor(mb / 2)))}MB`;
}

/** Beside the DuckDB file; under ./data for an in-memory database. */
function defaultDeadLetterPath(duckdbPath: string): string {
  return join(duckdbPath === ':memory:' ? './data' : dirname(duckdbPath), 'dead-letter.ndjson');
}

