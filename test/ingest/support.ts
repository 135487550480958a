import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { parseConfig, type Env } from '../../src/config/index.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway.js';
import { backendUnavailable, decodeRecords, encodeRecords, type RecordBatch, type SessionRecord } from '../../src/model/index.js';
import type { SessionStore, WriteOptions } from '../../src/stores/types.js';
import { gql } from '../support/gateway.js';

/** 2026-11-25T12:00:00Z: after every record the tests send. */
export const NOW = 1_795_608_000_000_000_000n;
export const RANGE = { from: '2026-11-25T00:00:00Z', to: '2026-11-25T12:00:00Z' };

export interface IngestGateway extends Gateway {
  readonly deadLetterPath: string;
  deadLetterLines(): Record<string, unknown>[];
  cleanup(): Promise<void>;
}

/** A gateway on an in-memory store with its dead-letter log in a fresh directory. */
export async function ingestGateway(env: Env = {}, options: GatewayOptions = {}): Promise<IngestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'ingest-test-'));
  const deadLetterPath = env['DEAD_LETTER_PATH'] ?? join(dir, 'dead-letter.ndjson');
  const gw = await createGateway(parseConfig({ DUCKDB_PATH: ':memory:', DEAD_LETTER_PATH: deadLetterPath, ...env }), {
    runJobs: false,
    logLevel: 'silent',
    clock: () => NOW,
    ...options,
  });
  return Object.assign(gw, {
    deadLetterPath,
    deadLetterLines() {
      let text = '';
      try {
        text = readFileSync(deadLetterPath, 'utf8');
      } catch {
        return [];
      }
      return text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    async cleanup() {
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

export function post(
  app: FastifyInstance,
  payload: string | Buffer,
  headers: Record<string, string> = {},
  url = '/ingest/sessions',
): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload });
}

export function ndjson(records: readonly unknown[]): string {
  return `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;
}

let seq = 0;

/** A valid flat record (reporter orientation); every call gets its own nanosecond. */
export function flat(over: Record<string, unknown> = {}): Record<string, unknown> {
  seq++;
  return {
    time: `2026-11-25T10:00:00.${String(seq).padStart(9, '0')}Z`,
    vn: 'default-domain:k8s-shop:shop-pod-network',
    vmi: 'default-domain:k8s-shop:web-vmi',
    remote_vn: 'default-domain:k8s-billing:billing-pod-network',
    vrouter_ip: '192.168.0.11',
    local_ip: '10.244.1.5',
    client_port: 40000 + (seq % 20000),
    remote_ip: '10.244.7.9',
    server_port: 8443,
    protocol: 6,
    session_type: 'client',
    labels: { local: { app: 'web' }, remote: { app: 'ledger' } },
    forward_sampled_bytes: 100,
    forward_sampled_pkts: 1,
    reverse_sampled_bytes: 200,
    reverse_sampled_pkts: 2,
    ...over,
  };
}

export interface TrafficAnswer {
  totalCount: number;
  total: { forwardSampledBytes: number; reverseSampledBytes: number; totalBytes: number; sessions: number };
  nodes: { group: { key: string; value: string | null }[]; traffic: { totalBytes: number; sessions: number } }[];
}

/** sessionTraffic over the test range through GraphQL. */
export async function traffic(app: FastifyInstance, where?: unknown, groupBy?: unknown): Promise<TrafficAnswer> {
  const res = await gql(
    app,
    `query($range: TimeRange!, $where: SessionFilter, $groupBy: [GroupKey!]) {
      sessionTraffic(range: $range, where: $where, groupBy: $groupBy, first: 1000) {
        totalCount
        total { forwardSampledBytes reverseSampledBytes totalBytes sessions }
        nodes { group { key value } traffic { totalBytes sessions } }
      }
    }`,
    { range: RANGE, where, groupBy },
  );
  if (res.errors !== undefined) throw new Error(JSON.stringify(res.errors));
  return res.data!['sessionTraffic'] as TrafficAnswer;
}

/** How many records of each session type the store holds. */
export async function stored(app: FastifyInstance, where: Record<string, unknown> = {}): Promise<number> {
  const [client, server] = await Promise.all([
    traffic(app, { ...where, sessionType: 'CLIENT' }),
    traffic(app, { ...where, sessionType: 'SERVER' }),
  ]);
  return client.total.sessions + server.total.sessions;
}

/**
 * A session store around the real one that fails on demand: `failNext`
 * rejects the next writes as an unreachable store would; `failAfter(k)`
 * stores the first k records of a write and then fails, as a store that
 * dies in the middle of a batch; `hold` keeps writes waiting.
 */
export class FlakyStore implements SessionStore {
  readonly backend: string;
  private failures = 0;
  private partial: { readonly records: number; readonly match: (r: SessionRecord) => boolean } | undefined;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  /** Resolves when a write is waiting at the gate. */
  waiting: Promise<void> = Promise.resolve();
  private signalWaiting: (() => void) | undefined;

  constructor(private readonly inner: SessionStore) {
    this.backend = inner.backend;
  }

  failNext(times = 1): void {
    this.failures = times;
  }

  /** The next write holding a record that `match`es stores `records` of its records, then fails. */
  failAfter(records: number, match: (r: SessionRecord) => boolean = () => true): void {
    this.partial = { records, match };
  }

  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
    this.waiting = new Promise((resolve) => (this.signalWaiting = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  async write(batch: RecordBatch, options?: WriteOptions): Promise<void> {
    if (this.gate !== undefined) {
      this.signalWaiting?.();
      await this.gate;
    }
    if (this.failures > 0) {
      this.failures--;
      throw backendUnavailable(this.backend, new Error('injected: connection refused'));
    }
    const records = decodeRecords(batch);
    if (this.partial !== undefined && records.some(this.partial.match)) {
      const k = this.partial.records;
      this.partial = undefined;
      await this.inner.write(encodeRecords(records.slice(0, k)));
      throw backendUnavailable(this.backend, new Error('injected: connection reset in the middle of a batch'));
    }
    return this.inner.write(batch, options);
  }

  findIdempotency(key: string) {
    return this.inner.findIdempotency!(key);
  }

  traffic: SessionStore['traffic'] = (q) => this.inner.traffic(q);
  series: SessionStore['series'] = (q) => this.inner.series(q);
  values: SessionStore['values'] = (q) => this.inner.values(q);
  labelNames: SessionStore['labelNames'] = (q) => this.inner.labelNames(q);
  records: SessionStore['records'] = (q) => this.inner.records(q);
  ping = () => this.inner.ping();
  close = () => this.inner.close();
}

/** A gateway whose session store is a FlakyStore around the real embedded one. */
export async function flakyGateway(env: Env = {}): Promise<{ gw: IngestGateway; store: FlakyStore }> {
  let store: FlakyStore | undefined;
  const gw = await ingestGateway(env, {
    decorateSessions: (inner) => (store = new FlakyStore(inner)),
  });
  return { gw, store: store! };
}
