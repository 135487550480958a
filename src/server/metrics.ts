import type { ApolloServerPlugin } from '@apollo/server';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DeadLetterDropReason } from '../ingest/index.js';

/** GraphQL operation latency, in seconds (the buckets of the hand-written registry this replaced). */
const OPERATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Store calls start faster: an embedded write commits in about a millisecond. */
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export type StoreCallOutcome = 'ok' | 'error';

/** Why a forward connection ended (sag_forward_disconnects_total). */
export type ForwardDisconnect = 'eof' | 'reset' | 'idle' | 'handshake' | 'unauthenticated' | 'malformed' | 'frame_too_large' | 'saturated' | 'unavailable' | 'error';

const FORWARD_DISCONNECTS: readonly ForwardDisconnect[] = ['eof', 'reset', 'idle', 'handshake', 'unauthenticated', 'malformed', 'frame_too_large', 'saturated', 'unavailable', 'error'];

/** A counter's child and what was counted into it since the last scrape. */
interface PendingCount {
  readonly child: Counter.Internal;
  n: number;
}

function flush(counts: ReadonlyMap<string, PendingCount>): void {
  for (const c of counts.values()) {
    if (c.n === 0) continue;
    c.child.inc(c.n);
    c.n = 0;
  }
}

/** What the in-flight gauges read at each scrape (the ingest budget). */
export interface InflightSource {
  readonly inFlight: { readonly records: number; readonly bytes: number };
  readonly maxRecords: number;
  readonly maxBytes: number;
}

export interface MetricsOptions {
  /**
   * prom-client's process and Node.js metrics (CPU, memory, file
   * descriptors, event-loop lag, GC); default true. Each registry that has
   * them keeps an event-loop delay monitor and a GC observer for the life of
   * the process, so tests that open many gateways may turn them off.
   */
  readonly defaultMetrics?: boolean;
}

/**
 * The gateway's Prometheus registry (prom-client, a Registry of its own so
 * that two gateways in one process do not share series): HTTP answers by
 * route and status, GraphQL operation latency by root field, GraphQL errors
 * by code, dead letters written and dropped, in-flight ingest, store call
 * latency, forward-listener connections, and prom-client's process and
 * event-loop metrics. The names and labels of the hand-written registry it
 * replaced are kept (docs/operations.md lists them all).
 *
 * Hot-path calls keep the label children they made in a map keyed by the
 * label values. The per-request counters go further: a request adds to a
 * number of ours, and a scrape moves what was added into prom-client (its
 * own `inc` validates and hashes the labels on every call, some 350 ns).
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly http = new Counter({
    name: 'sag_http_responses_total',
    help: 'HTTP answers by route and status.',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
    collect: () => flush(this.httpChildren),
  });
  private readonly latency = new Histogram({
    name: 'sag_graphql_operation_seconds',
    help: 'GraphQL operations by root field.',
    labelNames: ['field'] as const,
    buckets: OPERATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly errors = new Counter({
    name: 'sag_graphql_errors_total',
    help: 'GraphQL errors by extensions.code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
    collect: () => flush(this.errorChildren),
  });
  private readonly deadLettersDropped = new Counter({
    name: 'sag_dead_letters_dropped_total',
    help: 'Dead letters dropped by DEAD_LETTER_MAX_BYTES (max_bytes) or DEAD_LETTER_MAX_AGE (max_age).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly deadLettersWritten = new Counter({
    name: 'sag_dead_letters_written_total',
    help: 'Dead letters appended to the dead-letter log, by the way in they came through.',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  private readonly storeCalls = new Histogram({
    name: 'sag_store_call_seconds',
    help: 'Calls to the session and UVE stores by backend, operation and outcome (ok, error).',
    labelNames: ['backend', 'operation', 'outcome'] as const,
    buckets: STORE_BUCKETS,
    registers: [this.registry],
  });
  private readonly forwardOpen = new Gauge({
    name: 'sag_forward_connections',
    help: 'Forward-protocol (fluentd) connections open now.',
    registers: [this.registry],
  });
  private readonly forwardOpened = new Counter({
    name: 'sag_forward_connections_opened_total',
    help: 'Forward-protocol (fluentd) connections accepted since start.',
    registers: [this.registry],
  });
  private readonly forwardDisconnects = new Counter({
    name: 'sag_forward_disconnects_total',
    help: 'Forward-protocol connections ended, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly forwardRecords = new Counter({
    name: 'sag_forward_records_total',
    help: 'Records received over the forward protocol: stored (accepted) or kept in the dead-letter log (rejected).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly forwardAcks = new Counter({
    name: 'sag_forward_acks_total',
    help: 'Forward chunks acknowledged, each after the store confirmed it.',
    registers: [this.registry],
  });
  private inflight: InflightSource | undefined;

  private readonly httpChildren = new Map<string, PendingCount>();
  private readonly latencyChildren = new Map<string, Histogram.Internal<string>>();
  private readonly errorChildren = new Map<string, PendingCount>();
  private readonly storeChildren = new Map<string, Histogram.Internal<string>>();

  constructor(options: MetricsOptions = {}) {
    // Both reasons from the start, so that a rate over them is 0 rather than absent.
    this.deadLettersDropped.labels({ reason: 'max_bytes' }).inc(0);
    this.deadLettersDropped.labels({ reason: 'max_age' }).inc(0);
    this.forwardOpened.inc(0);
    this.forwardAcks.inc(0);
    for (const reason of FORWARD_DISCONNECTS) this.forwardDisconnects.labels({ reason }).inc(0);
    for (const outcome of ['accepted', 'rejected']) this.forwardRecords.labels({ outcome }).inc(0);
    const inflightGauge = (name: string, help: string, pick: (s: InflightSource) => number) => {
      const g: Gauge = new Gauge({
        name,
        help,
        registers: [this.registry],
        collect: () => {
          if (this.inflight !== undefined) g.set(pick(this.inflight));
        },
      });
    };
    inflightGauge('sag_ingest_inflight_records', 'Ingest records held by requests being served (INGEST_MAX_INFLIGHT_RECORDS bounds it).', (s) => s.inFlight.records);
    inflightGauge('sag_ingest_inflight_bytes', 'Ingest body bytes held by requests being served, after decompression (INGEST_MAX_INFLIGHT_BYTES bounds it).', (s) => s.inFlight.bytes);
    inflightGauge('sag_ingest_inflight_max_records', 'INGEST_MAX_INFLIGHT_RECORDS.', (s) => s.maxRecords);
    inflightGauge('sag_ingest_inflight_max_bytes', 'INGEST_MAX_INFLIGHT_BYTES.', (s) => s.maxBytes);
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  countHttp(route: string, status: number): void {
    const key = `${status} ${route}`;
    let c = this.httpChildren.get(key);
    if (c === undefined) this.httpChildren.set(key, (c = { child: this.http.labels({ route, status: String(status) }), n: 0 }));
    c.n++;
  }

  observeOperation(field: string, seconds: number): void {
    let h = this.latencyChildren.get(field);
    if (h === undefined) this.latencyChildren.set(field, (h = this.latency.labels({ field })));
    h.observe(seconds);
  }

  countError(code: string): void {
    let c = this.errorChildren.get(code);
    if (c === undefined) this.errorChildren.set(code, (c = { child: this.errors.labels({ code }), n: 0 }));
    c.n++;
  }

  countDeadLettersDropped(reason: DeadLetterDropReason, entries: number): void {
    this.deadLettersDropped.labels({ reason }).inc(entries);
  }

  countDeadLettersWritten(source: string, entries: number): void {
    this.deadLettersWritten.labels({ source }).inc(entries);
  }

  observeStoreCall(backend: string, operation: string, outcome: StoreCallOutcome, seconds: number): void {
    const key = `${backend} ${operation} ${outcome}`;
    let h = this.storeChildren.get(key);
    if (h === undefined) this.storeChildren.set(key, (h = this.storeCalls.labels({ backend, operation, outcome })));
    h.observe(seconds);
  }

  /**
   * The forward listener accepted a connection (sag_forward_connections and
   * sag_forward_connections_opened_total); call forwardConnectionClosed once
   * when it ends. A new per-event counter of the listener goes beside these,
   * in the same shape: a prom-client metric field registered into
   * `this.registry` and a method the listener calls.
   */
  forwardConnectionOpened(): void {
    this.forwardOpen.inc();
    this.forwardOpened.inc();
  }

  /** A forward connection ended, and why. */
  forwardConnectionClosed(reason: ForwardDisconnect): void {
    this.forwardOpen.dec();
    this.forwardDisconnects.labels({ reason }).inc();
  }

  /** Records of one forward chunk: stored, and kept in the dead-letter log. */
  countForwardRecords(accepted: number, rejected: number): void {
    if (accepted > 0) this.forwardRecords.labels({ outcome: 'accepted' }).inc(accepted);
    if (rejected > 0) this.forwardRecords.labels({ outcome: 'rejected' }).inc(rejected);
  }

  /** A forward chunk acknowledged. */
  countForwardAck(): void {
    this.forwardAcks.inc();
  }

  /** The budget the in-flight gauges read at each scrape. */
  watchInflight(source: InflightSource): void {
    this.inflight = source;
  }

  /** The exposition text (https://prometheus.io/docs/instrumenting/exposition_formats/). */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** Counts every HTTP answer and serves GET /metrics. */
  register(app: FastifyInstance): void {
    app.addHook('onResponse', async (req, reply) => {
      this.countHttp(req.routeOptions.url ?? 'unmatched', reply.statusCode);
    });
    app.get('/metrics', async (_req, reply) => reply.header('content-type', this.registry.contentType).send(await this.render()));
  }

  /** Times each GraphQL operation by its first root field, and counts error codes. */
  apolloPlugin(): ApolloServerPlugin {
    return {
      requestDidStart: async () => {
        const start = process.hrtime.bigint();
        return {
          willSendResponse: async (ctx) => {
            const root = ctx.operation?.selectionSet.selections.find((s) => s.kind === 'Field');
            const field = root !== undefined && root.kind === 'Field' ? root.name.value : 'unknown';
            this.observeOperation(field, Number(process.hrtime.bigint() - start) / 1e9);
            const body = ctx.response.body;
            const errors = body.kind === 'single' ? (body.singleResult.errors ?? []) : [];
            for (const e of errors) this.countError(String(e.extensions?.['code'] ?? 'INTERNAL'));
          },
        };
      },
    };
  }
}
