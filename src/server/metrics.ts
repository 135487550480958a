import type { ApolloServerPlugin } from '@apollo/server';
import type { FastifyInstance } from 'fastify';
import type { DeadLetterDropReason } from '../ingest/index.js';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

/**
 * A small Prometheus text-format registry: HTTP answers by route and status,
 * GraphQL operation latency by root field, GraphQL errors by code, dead
 * letters dropped by the log's bounds. Enough for the dashboards an operator
 * builds first; no dependency.
 */
export class Metrics {
  private readonly http = new Map<string, number>();
  private readonly latency = new Map<string, Histogram>();
  private readonly errors = new Map<string, number>();
  /** Both reasons from the start, so that a rate over them is 0 rather than absent. */
  private readonly deadLettersDropped = new Map<DeadLetterDropReason, number>([
    ['max_bytes', 0],
    ['max_age', 0],
  ]);

  /** Further series rendered after these (the live views' LiveMetrics). */
  private readonly more: (() => string[])[] = [];

  /** Adds series to /metrics. */
  addSeries(render: () => string[]): void {
    this.more.push(render);
  }

  countHttp(route: string, status: number): void {
    const key = `route="${route}",status="${status}"`;
    this.http.set(key, (this.http.get(key) ?? 0) + 1);
  }

  observeOperation(field: string, seconds: number): void {
    const key = `field="${field}"`;
    let h = this.latency.get(key);
    if (h === undefined) this.latency.set(key, (h = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) h.counts[i]!++;
    });
    h.sum += seconds;
    h.count++;
  }

  countError(code: string): void {
    const key = `code="${code}"`;
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }

  countDeadLettersDropped(reason: DeadLetterDropReason, entries: number): void {
    this.deadLettersDropped.set(reason, (this.deadLettersDropped.get(reason) ?? 0) + entries);
  }

  /** The exposition text (https://prometheus.io/docs/instrumenting/exposition_formats/). */
  render(): string {
    const lines: string[] = [];
    lines.push('# HELP sag_http_responses_total HTTP answers by route and status.', '# TYPE sag_http_responses_total counter');
    for (const [k, v] of this.http) lines.push(`sag_http_responses_total{${k}} ${v}`);
    lines.push('# HELP sag_graphql_operation_seconds GraphQL operations by root field.', '# TYPE sag_graphql_operation_seconds histogram');
    for (const [k, h] of this.latency) {
      BUCKETS.forEach((b, i) => lines.push(`sag_graphql_operation_seconds_bucket{${k},le="${b}"} ${h.counts[i]}`));
      lines.push(`sag_graphql_operation_seconds_bucket{${k},le="+Inf"} ${h.count}`);
      lines.push(`sag_graphql_operation_seconds_sum{${k}} ${h.sum}`, `sag_graphql_operation_seconds_count{${k}} ${h.count}`);
    }
    lines.push('# HELP sag_graphql_errors_total GraphQL errors by extensions.code.', '# TYPE sag_graphql_errors_total counter');
    for (const [k, v] of this.errors) lines.push(`sag_graphql_errors_total{${k}} ${v}`);
    lines.push(
      '# HELP sag_dead_letters_dropped_total Dead letters dropped by DEAD_LETTER_MAX_BYTES (max_bytes) or DEAD_LETTER_MAX_AGE (max_age).',
      '# TYPE sag_dead_letters_dropped_total counter',
    );
    for (const [reason, v] of this.deadLettersDropped) lines.push(`sag_dead_letters_dropped_total{reason="${reason}"} ${v}`);
    for (const render of this.more) lines.push(...render());
    return `${lines.join('\n')}\n`;
  }

  /** Counts every HTTP answer and serves GET /metrics. */
  register(app: FastifyInstance): void {
    app.addHook('onResponse', async (req, reply) => {
      this.countHttp(req.routeOptions.url ?? 'unmatched', reply.statusCode);
    });
    app.get('/metrics', async (_req, reply) => reply.header('content-type', 'text/plain; version=0.0.4').send(this.render()));
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
