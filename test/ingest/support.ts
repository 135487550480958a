import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { parseConfig, type Env } from '../../src/config/index.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway.js';
import { backendUnavailable, decodeRecords, encodeRecords, type RecordBatch, type SessionRecord, type SessionType } from '../../src/model/index.js';
import type { SessionStore, WriteOptions } from '../../src/stores/types.js';
import { gql } from '../support/gateway.js';

/** 2026-11-25T12:00:00Z: after every record the tests send. */
export const NOW = 1_795_608_000_000_000_000n;
export const RANGE = { from: '2026-11-25T00:00:00Z', to: '2026-11-25T12:00:00Z' };

export interface IngestGateway extends Gateway {
  readonly deadLetterPath: string;
  /** Every line of every segment of the dead-letter log, oldest first. */
  deadLetterLines(): Record<string, unknown>[];
  /** The names of the log's segment files, oldest first. */
  deadLetterSegments(): string[];
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
    deadLetterSegments() {
      return segmentFiles(deadLetterPath);
    },
    deadLetterLines() {
      return segmentFiles(deadLetterPath)
        .flatMap((name) => readFileSync(join(dirname(deadLetterPath), name), 'utf8').split('\n'))
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    async cleanup() {
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** `dead-letter.000001.ndjson`, ... beside `dead-letter.ndjson`, in order. */
function segmentFiles(path: string): string[] {
  const stem = path.slice(dirname(path).length + 1).replace(/\.ndjson$/, '');
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return [];
  }
  return names.filter((n) => new RegExp(`^${stem}\\.[0-9]{6,}\\.ndjson$`).test(n)).sort();
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

/**
 * Every record the embedded store holds, every column read back from its
 * raw table, in the order they were committed: what a test compares, field
 * by field, with `asStored` of what it sent.
 */
export async function stored(gw: Gateway): Promise<SessionRecord[]> {
  const rows = await gw.embedded!.query({ text: 'SELECT * FROM sessions ORDER BY seq, rowid', params: [] });
  return rows.map((row) => {
    const labels = (side: 'local' | 'remote'): Record<string, string> => {
      const out: Record<string, string> = {};
      for (const [column, value] of Object.entries(row)) {
        if (column.startsWith(`label.${side}.`) && value !== null) out[column.slice(side.length + 7)] = String(value);
      }
      return out;
    };
    return {
      time: row['time_ns'] as bigint,
      vn: row['vn'] as string,
      vmi: row['vmi'] as string | null,
      remoteVn: row['remote_vn'] as string,
      vrouterIp: row['vrouter_ip'] as string,
      localIp: row['local_ip'] as string,
      clientPort: row['client_port'] as number,
      remoteIp: row['remote_ip'] as string,
      serverPort: row['server_port'] as number,
      protocol: row['protocol'] as number,
      sessionType: row['session_type'] as SessionType,
      localLabels: labels('local'),
      remoteLabels: labels('remote'),
      forwardSampledBytes: row['forward_sampled_bytes'] as bigint,
      forwardSampledPkts: row['forward_sampled_pkts'] as bigint,
      reverseSampledBytes: row['reverse_sampled_bytes'] as bigint,
      reverseSampledPkts: row['reverse_sampled_pkts'] as bigint,
      totalBytes: row['total_bytes'] as bigint,
    };
  });
}

/**
 * The record the store must hold for a flat record that was sent (as
 * `flat` makes them), worked out here on its own from ARCHITECTURE §1: a
 * server-side report turned around (vn, addresses and labels swapped; the
 * vmi, ports and counters stay), labels nested and as `label.<side>.NAME`
 * keys merged, an empty vmi as null, total bytes defaulting to forward
 * plus reverse, and no time meaning the time of receipt.
 */
export function asStored(sent: Record<string, unknown>, receivedAt = NOW): SessionRecord {
  const server = String(sent['session_type'] ?? 'client').toLowerCase() === 'server';
  const labels = (side: 'local' | 'remote'): Record<string, string> => {
    const out: Record<string, string> = { ...((sent['labels'] as Record<string, Record<string, string>> | undefined)?.[side] ?? {}) };
    for (const [key, value] of Object.entries(sent)) if (key.startsWith(`label.${side}.`)) out[key.slice(side.length + 7)] = value as string;
    return out;
  };
  const text = (key: string) => sent[key] as string;
  const counter = (key: string) => BigInt(sent[key] as number | string);
  const vmi = sent['vmi'];
  return {
    time: sent['time'] === undefined ? receivedAt : timeNs(sent['time']),
    vn: text(server ? 'remote_vn' : 'vn'),
    vmi: vmi === undefined || vmi === null || vmi === '' ? null : (vmi as string),
    remoteVn: text(server ? 'vn' : 'remote_vn'),
    vrouterIp: text('vrouter_ip'),
    localIp: text(server ? 'remote_ip' : 'local_ip'),
    clientPort: Number(sent['client_port']),
    remoteIp: text(server ? 'local_ip' : 'remote_ip'),
    serverPort: Number(sent['server_port']),
    protocol: Number(sent['protocol']),
    sessionType: server ? 'server' : 'client',
    localLabels: labels(server ? 'remote' : 'local'),
    remoteLabels: labels(server ? 'local' : 'remote'),
    forwardSampledBytes: counter('forward_sampled_bytes'),
    forwardSampledPkts: counter('forward_sampled_pkts'),
    reverseSampledBytes: counter('reverse_sampled_bytes'),
    reverseSampledPkts: counter('reverse_sampled_pkts'),
    totalBytes:
      sent['total_bytes'] === undefined || sent['total_bytes'] === null
        ? counter('forward_sampled_bytes') + counter('reverse_sampled_bytes')
        : counter('total_bytes'),
  };
}

/** Epoch nanoseconds of a sent time: an integer, or RFC 3339 in UTC with up to nine fraction digits. */
function timeNs(t: unknown): bigint {
  if (typeof t === 'number' || typeof t === 'bigint') return BigInt(t);
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(String(t));
  if (m === null) throw new Error(`asStored: not a time these tests send: ${String(t)}`);
  return BigInt(Date.parse(`${m[1]}Z`)) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
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
  storedLabelNames: SessionStore['storedLabelNames'] = () => this.inner.storedLabelNames();
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
