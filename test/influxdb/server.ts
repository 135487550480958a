import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { parseDateTime, parseDuration, type Clock, type Retention, type SessionRecord, type SessionType } from '../../src/model/index.js';
import { InfluxHttp, InfluxSessionStore, type RetryTimer, type StoreLog } from '../../src/stores/influxdb/index.js';
import { fluxString } from '../../src/stores/influxdb/flux.js';
import { decodeTagValue } from '../../src/stores/influxdb/tag-codec.js';

/**
 * Which InfluxDB the server suites use, and whether they must run.
 *
 * - INFLUX_URL set, or CI=true: the server is required; a suite whose
 *   server does not answer FAILS (CI must never skip it silently).
 * - Neither set: the server that `scripts/services/influxdb.sh start` wrote
 *   to its env file is used when it answers; otherwise the suites skip with
 *   a message, so `npm test` passes on a fresh machine on the embedded store.
 */
export interface InfluxServer {
  readonly url: string;
  readonly token: string;
  readonly org: string;
  readonly required: boolean;
  readonly answers: boolean;
  /** Why the server is not usable, for the failure or skip message. */
  readonly problem: string;
}

export const STATE_DIR =
  process.env['SAG_STATE'] ?? join(process.env['SAG_CACHE'] ?? join(homedir(), '.cache', 'session-analytics-gateway'), 'run');

export async function findInflux(): Promise<InfluxServer> {
  const fromEnv = process.env['INFLUX_URL'];
  const required = (fromEnv !== undefined && fromEnv !== '') || process.env['CI'] === 'true';
  const file = envFile();
  const url = fromEnv || file['INFLUX_URL'] || 'http://127.0.0.1:8086';
  const token = process.env['INFLUX_TOKEN'] || file['INFLUX_TOKEN'] || '';
  const org = process.env['INFLUX_ORG'] || file['INFLUX_ORG'] || 'sag';
  let problem = token === '' ? 'no INFLUX_TOKEN (set it, or start the server with the script)' : await probe(url, token);
  if (problem !== '') {
    problem =
      `no InfluxDB answers at ${url} (${problem}); start one with scripts/services/influxdb.sh start` +
      (required ? ' (required: INFLUX_URL or CI is set)' : '');
  }
  return { url, token, org, required, answers: problem === '', problem };
}

function envFile(): Record<string, string> {
  try {
    const text = readFileSync(join(STATE_DIR, 'influxdb.env'), 'utf8');
    return Object.fromEntries(
      text
        .split('\n')
        .map((l) => /^([A-Z_]+)=(.*)$/.exec(l.trim()))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1]!, m[2]!]),
    );
  } catch {
    return {};
  }
}

async function probe(url: string, token: string): Promise<string> {
  try {
    const res = await fetch(`${url}/api/v2/buckets?limit=1`, {
      headers: { authorization: `Token ${token}` },
      signal: AbortSignal.timeout(5000),
    });
    return res.ok ? '' : `HTTP ${res.status}`;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * A suite that needs InfluxDB: runs when it answers, FAILS when it is
 * required and does not answer, and skips with the reason otherwise.
 */
export function describeWithInflux(title: string, server: InfluxServer, body: () => void): void {
  const full = `${title} (needs the InfluxDB server)`;
  if (server.answers) {
    describe(full, body);
  } else if (server.required) {
    describe(full, () => {
      it('reaches the InfluxDB server', () => {
        throw new Error(server.problem);
      });
    });
  } else {
    describe.skip(`${full}: skipped, ${server.problem}`, () => {
      it('needs the InfluxDB server', () => {});
    });
  }
}

/**
 * A raw bucket name unique to this run and file, so runs on one server never
 * collide; SAG_TEST_BUCKET_PREFIX (default `sagt`) names whose run it is.
 */
export function runBucket(tag: string): string {
  return `${process.env['SAG_TEST_BUCKET_PREFIX'] || 'sagt'}-${tag}-${process.pid.toString(36)}-${Date.now().toString(36)}`;
}

export const SECOND_NS = 1_000_000_000n;
export const MINUTE_NS = 60n * SECOND_NS;

/** The hour boundary `hours` hours before the wall clock: every time after it is in the past for InfluxDB too. */
export function hourBoundaryAgo(hours: bigint): bigint {
  const hour = 60n * MINUTE_NS;
  return ((BigInt(Date.now()) * 1_000_000n) / hour) * hour - hours * hour;
}

export const TEST_RETENTION: Retention = (() => {
  const raw = parseDuration('24h', 'raw');
  return { raw, tiers: [] };
})();

export interface TestStoreOptions {
  readonly bucket: string;
  readonly retention: Retention;
  readonly clock: Clock;
  readonly writeRetryMs?: number;
  readonly requestTimeoutMs?: number;
  readonly queryTimeoutMs?: number;
  readonly lateAfter?: string;
  readonly timer?: RetryTimer;
  readonly url?: string;
  readonly token?: string;
  /** Leave the first setup to the caller (`store.setup()`). */
  readonly deferSetup?: boolean;
  /** Run the tier rollups on their timers (off: the tests run them by hand). */
  readonly runRollups?: boolean;
  /** Follow another store's rollup on timers (INFLUX_ROLLUP=false's startObserving). */
  readonly observeRollups?: boolean;
  readonly log?: StoreLog;
}

export async function openTestStore(server: InfluxServer, o: TestStoreOptions): Promise<InfluxSessionStore> {
  return InfluxSessionStore[o.deferSetup === true ? 'create' : 'open']({
    connection: {
      url: o.url ?? server.url,
      token: o.token ?? server.token,
      requestTimeoutMs: o.requestTimeoutMs ?? 10_000,
      queryTimeoutMs: o.queryTimeoutMs ?? 30_000,
    },
    org: server.org,
    bucket: o.bucket,
    tierBucket: '{bucket}_{tier}',
    retention: o.retention,
    clock: o.clock,
    writeRetryMs: o.writeRetryMs ?? 5_000,
    lateAfter: parseDuration(o.lateAfter ?? '5m', 'lateAfter'),
    runRollups: o.runRollups ?? false,
    observeRollups: o.observeRollups ?? false,
    ...(o.timer === undefined ? {} : { timer: o.timer }),
    ...(o.log === undefined ? {} : { log: o.log }),
  });
}

/**
 * A store on a raw bucket in the layout of earlier gateways, client_port a
 * tag (docs/influxdb.md "client_port: tag or field"): the buckets are set
 * up, one point with a client_port tag is written a day after `now` (past
 * every range a suite reads), and the store then finds the tag at its
 * first write or query and keeps that layout.
 */
export async function openTagLayoutStore(server: InfluxServer, o: TestStoreOptions & { readonly now: bigint }): Promise<InfluxSessionStore> {
  const store = await openTestStore(server, { ...o, deferSetup: true });
  await store.setup();
  const at = o.now + 86_400_000_000_000n;
  await testHttp(server).write(
    server.org,
    store.layout.rawBucket,
    `session,client_port=1,local_ip=0.0.0.0,protocol=6,remote_ip=0.0.0.0,remote_vn=tag-layout,server_port=1,session_type=client,vn=tag-layout,vrouter_ip=0.0.0.0 ` +
      `forward_sampled_bytes=0i,forward_sampled_pkts=0i,reverse_sampled_bytes=0i,reverse_sampled_pkts=0i,total_bytes=0i ${at}`,
    5_000,
  );
  return store;
}

/** A raw API client for test setup and inspection. */
export function testHttp(server: InfluxServer): InfluxHttp {
  return new InfluxHttp({ url: server.url, token: server.token, requestTimeoutMs: 10_000, queryTimeoutMs: 60_000 });
}

/**
 * Closes a store (its rollup timers) and deletes any tier task an earlier
 * version left for its buckets; leaves the buckets. influxd 2.9.1 crashes
 * (SIGSEGV reading a series key, in storage/flux and tsdb's series cursor)
 * when a bucket is deleted while a query still reads it: seen in two of two
 * benchmark runs, and again with influxd built by the Go release its
 * go.mod declares (docs/influxdb.md, "A crash of influxd"; upstream
 * influxdata/influxdb#23333). The test server starts with a fresh data
 * directory every time, so the buckets of a run go with it.
 */
export async function dropStore(server: InfluxServer, store: InfluxSessionStore): Promise<void> {
  await store.close();
  const http = testHttp(server);
  const orgs = await http.find<{ orgs: { id: string }[] }>(`/api/v2/orgs?org=${encodeURIComponent(server.org)}`);
  const orgID = orgs!.orgs[0]!.id;
  for (const name of store.legacyTaskNames()) {
    const found = await http.find<{ tasks: { id: string; name: string }[] }>(`/api/v2/tasks?orgID=${orgID}&name=${encodeURIComponent(name)}`);
    for (const t of found?.tasks ?? []) if (t.name === name) await http.api('DELETE', `/api/v2/tasks/${t.id}`);
  }
}

/**
 * The raw records of `store` from the vRouter `vrouterIp`, read back from
 * InfluxDB's points (tags decoded from their stored form, the counter
 * fields, the time), oldest first: what a test compares, field by field,
 * with what it wrote.
 */
export async function rawRecords(server: InfluxServer, store: InfluxSessionStore, vrouterIp: string): Promise<SessionRecord[]> {
  const flux = `from(bucket: ${fluxString(store.layout.rawBucket)})
  |> range(start: 1970-01-01T00:00:00Z, stop: 2262-01-01T00:00:00Z)
  |> filter(fn: (r) => r._measurement == "session" and r.vrouter_ip == ${fluxString(vrouterIp)})
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> group()
  |> sort(columns: ["_time"])`;
  const rows = (await testHttp(server).query(server.org, flux)).get('_result') ?? [];
  return rows.map((row) => {
    // An absent tag reads as ""; a stored value is never empty (tag-codec.ts).
    const tag = (name: string): string | null => (row[name] === undefined || row[name] === '' ? null : decodeTagValue(row[name]!));
    const labels = (side: 'local' | 'remote'): Record<string, string> => {
      const out: Record<string, string> = {};
      for (const column of Object.keys(row)) {
        const value = tag(column);
        if (column.startsWith(`label.${side}.`) && value !== null) out[column.slice(side.length + 7)] = value;
      }
      return out;
    };
    return {
      time: parseDateTime(row['_time'], '_time'),
      vn: tag('vn')!,
      vmi: tag('vmi'),
      remoteVn: tag('remote_vn')!,
      vrouterIp: tag('vrouter_ip')!,
      localIp: tag('local_ip')!,
      clientPort: Number(row['client_port']),
      remoteIp: tag('remote_ip')!,
      serverPort: Number(row['server_port']),
      protocol: Number(row['protocol']),
      sessionType: tag('session_type') as SessionType,
      localLabels: labels('local'),
      remoteLabels: labels('remote'),
      forwardSampledBytes: BigInt(row['forward_sampled_bytes']!),
      forwardSampledPkts: BigInt(row['forward_sampled_pkts']!),
      reverseSampledBytes: BigInt(row['reverse_sampled_bytes']!),
      reverseSampledPkts: BigInt(row['reverse_sampled_pkts']!),
      totalBytes: BigInt(row['total_bytes']!),
    };
  });
}
