import type { FastifyInstance } from 'fastify';
import type { Config } from './config/index.js';
import { DeadLetterAdmin, FileDeadLetterLog, InflightBudget, OpenSearchDeadLetterLog, LabelNames, SessionIngest, UveIngest, type DeadLetterDrop, type DeadLetterLog } from './ingest/index.js';
import { systemClock, type Clock } from './model/index.js';
import { Authenticator, ForwardIngest, ForwardListener, JwtVerifier, LiveMetrics, Metrics, TokensFile, buildApp, countedDeadLetters, ingestRoutes, timedSessionStore, timedUveStore } from './server/index.js';
import { TailHub, TrafficLiveHub } from './live/index.js';
import { DuckDbThread } from './stores/duckdb/index.js';
import { InfluxSessionStore } from './stores/influxdb/index.js';
import { OpenSearchUveStore } from './stores/opensearch/index.js';
import type { SessionStore, UveStore } from './stores/types.js';
import type { Services } from './graphql/index.js';

export interface Gateway {
  readonly app: FastifyInstance;
  readonly services: Services;
  /** The embedded database on its thread, when it holds sessions or UVEs (it does by default). */
  readonly embedded: DuckDbThread | undefined;
  /** The stores as opened, without the timing decorator `services` holds (tests reach backend-specific methods through them). */
  readonly opened: { readonly sessions: SessionStore; readonly uves: UveStore };
  readonly metrics: Metrics;
  /** True from the start of `close` on: /ready answers 503 and ingest is refused. */
  readonly draining: boolean;
  /**
   * The graceful shutdown (docs/operations.md "Shutdown"): /ready answers 503
   * and new ingest is refused (503 + Retry-After) at once; requests that got
   * in finish, for up to SHUTDOWN_DRAIN_TIMEOUT; then the listener, the
   * stores and the dead-letter log close. Called again, it answers the same
   * promise.
   */
  /** The fluentd forward listener, when FORWARD_PORT is set: main (or a test) calls its `listen`. */
  readonly forward: ForwardListener | undefined;
  close(): Promise<void>;
}

export interface GatewayOptions {
  readonly clock?: Clock;
  /** Start the embedded rollup job on its interval (off in tests, which run it by hand). */
  readonly runJobs?: boolean;
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Wraps the session store (tests put a failing decorator around the real one). */
  readonly decorateSessions?: (store: SessionStore) => SessionStore;
  /** Where the log goes instead of stdout (tests read it). */
  readonly logStream?: { write(line: string): void };
  /** How often AUTH_TOKENS_FILE is read again without a change event; default 10 s. */
  readonly tokensPollMs?: number;
  /** prom-client's process and event-loop metrics on /metrics; default true. */
  readonly defaultMetrics?: boolean;
}

/** Records one shared tail read takes at most (a full read is followed by the next at once). */
const TAIL_READ_LIMIT = 50_000;
/** Records per page of a tail's backfill. */
const TAIL_BACKFILL_PAGE = 2_000;

/** Wires the stores, the write path and the HTTP app from one Config. */
/** How often a gateway on a shared store (InfluxDB) learns the label names other replicas brought. */
const LABEL_NAMES_REFRESH_MS = 60_000;

export async function createGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const clock = options.clock ?? systemClock;
  // The HTTP app's logger, once it exists: stores opened before it log through it.
  let log: FastifyInstance['log'] | undefined;
  const embedded =
    config.sessionStore === 'duckdb' || config.uveStore === 'duckdb'
      ? await DuckDbThread.start({
          db: {
            path: config.duckdbPath,
            queryTimeoutMs: config.limits.queryTimeoutMs,
            ...(config.duckdbMemoryLimit === null ? {} : { memoryLimit: config.duckdbMemoryLimit }),
            checkpointThreshold: config.duckdbCheckpointThreshold,
            ...(config.duckdbThreads === null ? {} : { threads: config.duckdbThreads }),
          },
          retention: config.retention,
          sessions: config.sessionStore === 'duckdb',
          uves: config.uveStore === 'duckdb',
          labelColumns: config.duckdbLabelColumns,
          clock,
          onFailure: (e) => log?.error({ err: e }, 'the embedded database thread failed; the embedded store answers BACKEND_UNAVAILABLE until restart'),
        })
      : undefined;
  let influxSessions: InfluxSessionStore | undefined;
  let sessions: SessionStore;
  switch (config.sessionStore) {
    case 'duckdb':
      sessions = embedded!.sessions();
      break;
    case 'influxdb': {
      // Opening needs no server: buckets are set up when it answers.
      const influx = config.influx;
      if (influx === null) throw new Error('SESSION_STORE=influxdb without INFLUX_* settings');
      influxSessions = InfluxSessionStore.create({
        connection: { url: influx.url, token: influx.token, requestTimeoutMs: influx.requestTimeoutMs, queryTimeoutMs: config.limits.queryTimeoutMs },
        org: influx.org,
        bucket: influx.bucket,
        tierBucket: influx.tierBucket,
        retention: config.retention,
        clock,
        writeRetryMs: influx.writeRetryMs,
        lateAfter: influx.lateAfter,
        tailLateness: config.live.tailLateness,
        log: {
          info: (obj, msg) => log?.info(obj, msg),
          warn: (obj, msg) => log?.warn(obj, msg),
          error: (obj, msg) => log?.error(obj, msg),
        },
      });
      sessions = influxSessions;
      break;
    }
    default:
      throw new Error(`SESSION_STORE=${config.sessionStore} is not built yet`);
  }
  let uves: UveStore;
  switch (config.uveStore) {
    case 'duckdb':
      uves = embedded!.uves();
      break;
    case 'opensearch': {
      // Opening needs no node: the gateway starts and recovers while it is down.
      const os = config.opensearch;
      if (os === null) throw new Error('UVE_STORE=opensearch without OPENSEARCH_* settings');
      uves = OpenSearchUveStore.open({
        connection: os,
        indexPrefix: os.indexPrefix,
        refreshIntervalMs: os.refreshIntervalMs,
        clock,
      });
      break;
    }
    default:
      throw new Error(`UVE_STORE=${config.uveStore} is not built yet`);
  }
  const opened = { sessions, uves };
  if (options.decorateSessions !== undefined) sessions = options.decorateSessions(sessions);
  const metrics = new Metrics({ defaultMetrics: options.defaultMetrics ?? true });
  sessions = timedSessionStore(sessions, metrics);
  uves = timedUveStore(uves, metrics);
  const dropped = (drop: DeadLetterDrop) => metrics.countDeadLettersDropped(drop.reason, drop.entries);
  const dlStore = config.deadLetterStore;
  // On the production stores the log is an OpenSearch index every replica shares (docs/operations.md "No state on a replica").
  const deadLetterLog: DeadLetterLog =
    dlStore.kind === 'opensearch'
      ? new OpenSearchDeadLetterLog({
          connection: config.opensearch!,
          index: dlStore.index,
          clock,
          maxBytes: config.deadLetterLimits.maxBytes,
          maxAge: config.deadLetterLimits.maxAge,
          refreshIntervalMs: config.opensearch!.refreshIntervalMs,
          log: { warn: (obj, msg) => log?.warn(obj, msg) },
          onDrop: dropped,
        })
      : new FileDeadLetterLog({
          path: config.deadLetterPath,
          clock,
          maxBytes: config.deadLetterLimits.maxBytes,
          segmentBytes: config.deadLetterLimits.segmentBytes,
          maxAge: config.deadLetterLimits.maxAge,
          log: { warn: (obj, msg) => log?.warn(obj, msg) },
          onDrop: dropped,
        });
  const deadLetters = countedDeadLetters(deadLetterLog, metrics);
  // One budget for every way in: the HTTP routes, the ingestSessions mutation and replays.
  const budget = new InflightBudget(config.ingest.maxInflightRecords, config.ingest.maxInflightBytes);
  metrics.watchInflight(budget);
  const labelNames = new LabelNames(config.ingest.maxLabelNames);
  const ingest = new SessionIngest({ store: sessions, deadLetters, clock, limits: config.ingest, budget, labelNames });
  const uveIngest = new UveIngest({ store: uves, deadLetters, maxRecords: config.ingest.maxRecords });
  const admin = new DeadLetterAdmin({ log: deadLetters, sessions: ingest, uves: uveIngest, maxRecords: config.ingest.maxRecords });
  const liveMetrics = new LiveMetrics(metrics.registry);
  const liveLog = { warn: (obj: object, msg: string) => log?.warn(obj, msg) };
  const tails = new TailHub({
    store: sessions,
    intervalMs: config.live.tailIntervalMs,
    readLimit: TAIL_READ_LIMIT,
    // The embedded store's `at` is its commit sequence: the subscribers' terms go into the shared read.
    pushdown: sessions.backend === 'duckdb',
    backfillPage: TAIL_BACKFILL_PAGE,
    maxBackfill: config.live.tailMaxBackfill,
    maxPerSecond: config.live.tailMaxPerSecond,
    log: liveLog,
    onRead: (records, ms) => liveMetrics.observeTailRead(records, ms),
  });
  const buildContext = () => ({ now: clock(), retention: config.retention, limits: config.limits });
  const traffic = new TrafficLiveHub({ store: sessions, context: buildContext, log: liveLog });
  const services: Services = {
    sessions,
    uves,
    ingest,
    deadLetters: admin,
    clock,
    retention: config.retention,
    limits: config.limits,
    namespacePrefix: config.namespacePrefix,
    live: { tails, traffic, minEvery: config.live.trafficMinEvery },
  };
  const auth = config.access.auth;
  const tokens =
    auth?.tokensFile == null
      ? null
      : await TokensFile.open({
          path: auth.tokensFile,
          pollMs: options.tokensPollMs,
          log: { info: (obj, msg) => log?.info(obj, msg), error: (obj, msg) => log?.error(obj, msg) },
        });
  const jwt = auth?.jwt == null ? null : await JwtVerifier.create(auth.jwt);
  let draining = false;
  const authenticator = auth === null ? null : new Authenticator(tokens, jwt);
  const app = await buildApp(services, {
    draining: () => draining,
    logLevel: options.logLevel ?? config.logLevel,
    metrics,
    retryAfterSeconds: config.ingest.retryAfterSeconds,
    live: config.live,
    liveMetrics,
    access: { ...config.access, authenticator },
    ...(options.logStream === undefined ? {} : { logStream: options.logStream }),
  });
  log = app.log;
  if (tokens !== null) app.log.info({ path: auth!.tokensFile, entries: tokens.size }, 'tokens file read');
  if (jwt !== null) app.log.info({ issuer: auth!.jwt!.issuer, keys: auth!.jwt!.jwksUrl ?? auth!.jwt!.publicKeyFile }, 'JWT bearer tokens accepted');
  // What an earlier run left, with the age bound applied, now that drops can be logged.
  await deadLetters.open();
  // Buckets, now that failures can be logged; retried lazily while InfluxDB is down.
  await influxSessions?.setup().catch(() => undefined);
  // The tier rollups (docs/influxdb.md "Tiers: the gateway's rollup"), or where another gateway runs
  // them, its watermarks and statistics ("A replica without the rollup"): stopped by sessions.close().
  if (config.influx !== null && options.runJobs !== false) {
    if (config.influx.rollup) influxSessions?.startRollups();
    else influxSessions?.startObserving();
  }
  // The label bound starts from the names the store holds; InfluxDB is shared by replicas, so their names are learnt again each minute.
  const learnLabelNames = () =>
    sessions.storedLabelNames().then(
      (n) => {
        labelNames.learn('local', n.local);
        labelNames.learn('remote', n.remote);
      },
      (e: unknown) => app.log.warn({ err: e }, 'could not read the label names the store holds; the label bound counts the names seen since start'),
    );
  await learnLabelNames();
  const labelTimer = config.sessionStore === 'duckdb' || options.runJobs === false ? undefined : setInterval(() => void learnLabelNames(), LABEL_NAMES_REFRESH_MS);
  labelTimer?.unref();
  await ingestRoutes(app, {
    sessions: ingest,
    uves: uveIngest,
    budget,
    limits: config.ingest,
    namespacePrefix: config.namespacePrefix,
  });
  // The same write paths, budget, dead-letter log and authenticator as HTTP ingest (docs/fluentd.md, "Forward protocol").
  const forward =
    config.forward === null
      ? undefined
      : await ForwardListener.create({
          config: config.forward,
          ingest: new ForwardIngest({ sessions: ingest, uves: uveIngest, deadLetters, budget, maxRecords: config.ingest.maxRecords, namespacePrefix: config.namespacePrefix }),
          authenticator,
          metrics,
          log: app.log,
          maxDecompressedBytes: config.ingest.maxBodyBytes,
          ...(options.tokensPollMs === undefined ? {} : { usersPollMs: options.tokensPollMs }),
        });
  if (config.sessionStore === 'duckdb' && options.runJobs !== false) {
    embedded!.startRollup(config.rollupIntervalMs, (e) => app.log.error({ err: e }, 'rollup job failed'));
  }
  let closing: Promise<void> | undefined;
  const shutdown = async () => {
    draining = true;
    budget.close();
    tokens?.close();
    clearInterval(labelTimer);
    const deadline = Date.now() + config.shutdownDrainMs;
    const inFlight = budget.inFlight;
    if (inFlight.records > 0 || inFlight.bytes > 0) app.log.info({ ...inFlight, timeoutMs: config.shutdownDrainMs }, 'draining: waiting for in-flight ingest');
    if (!(await within(budget.idle(), deadline))) {
      app.log.warn({ ...budget.inFlight }, 'SHUTDOWN_DRAIN_TIMEOUT passed with ingest in flight: closing its connections (those requests get no 2xx)');
    }
    // Forward chunks in flight were acknowledged or will be resent by fluentd (no ack): its connections go.
    await forward?.close();
    // The listener goes; requests still running (queries) finish, within what is left of the timeout.
    const appClosed = app.close();
    if (!(await within(appClosed, deadline))) {
      app.log.warn('SHUTDOWN_DRAIN_TIMEOUT passed with requests running: closing their connections');
      app.server.closeAllConnections();
      await appClosed;
    }
    await sessions.close();
    await uves.close();
    await deadLetters.close();
    await embedded?.close();
  };
  return {
    app,
    services,
    embedded,
    opened,
    metrics,
    forward,
    get draining() {
      return draining;
    },
    close() {
      return (closing ??= shutdown());
    },
  };
}

/** True when `p` settles before `deadline` (a Date.now() value), false when the deadline comes first. */
async function within(p: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([p.then(() => true as const, () => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}
