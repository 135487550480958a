/**
 * The 100 M record data set of bench:duckdb:big (issue 17, item 5): 24 h of
 * a mid-sized cluster at RATE records a second (1 200: 103 680 000 records),
 * generated inside DuckDB by INSERT ... SELECT over range() into a gateway's
 * own file (cached as `big-<records>-<flows>.raw.duckdb`), then a copy
 * rolled up by the gateway's own rollup job with TIERS (cached as
 * `...-<tiers>-v<TIER_FORMAT>.duckdb`), both under
 * ~/.cache/session-analytics-gateway/bench/ (BENCH_CACHE) with a .json of
 * what loading and the rollup cost. Cached files are reused as they are;
 * each run of the benchmark works on a copy, so its ingest and retention
 * never change them. A change to what the rollup writes bumps TIER_FORMAT.
 *
 * The distribution (docs/benchmarks.md "100 M records"): SESSIONS flows
 * (40 000: client pod, server pod, server port; the tag sets without the
 * client port) among 3 000 pods of 200 apps in 25 namespaces on 100
 * vRouters; a record picks its flow with a skewed popularity (the flow
 * index is SESSIONS * u^2 for u uniform, so the busiest flows report far
 * more often than the quietest, and a quiet one is absent from some 5m
 * windows), and a fresh client port (an ephemeral port per connection).
 * Labels are those of the pods: `app` and `namespace`, local and remote.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/index.js';
import { encodeRecords } from '../../src/model/index.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { fmt, time } from '../support.js';

export const DAY = 86_400_000_000_000n;
export const HOUR = 3_600_000_000_000n;
export const RATE = Number(process.env['RATE'] ?? 1200);
export const SESSIONS = Number(process.env['SESSIONS'] ?? 40_000);
export const RECORDS = Number(process.env['RECORDS'] ?? RATE * 86_400);
const CHUNK = 10_000_000;
/** Rows per commit sequence number: the rollup folds whole commits, 2 M rows a slice. */
const PER_COMMIT = 100_000;

/** The raw records as generated (no tier rows): shared by every TIERS. */
export interface RawMeta {
  readonly now: string;
  readonly records: number;
  readonly sessions: number;
  readonly generatedAt: string;
  readonly loadMs: number;
  readonly fileBytes: number;
}

/** The raw file rolled up by the gateway's own rollup job with `tiers`. */
export interface BigMeta extends RawMeta {
  readonly tiers: string;
  readonly rolledAt: string;
  readonly rollupMs: number;
  readonly rolledUp: Record<string, number>;
  readonly rolledBytes: number;
}

/** Bumped when what the rollup writes changes (2: BIGINT tier counters). */
const TIER_FORMAT = 2;

export function cacheDir(): string {
  return process.env['BENCH_CACHE'] ?? join(homedir(), '.cache', 'session-analytics-gateway', 'bench');
}

function rawName(): string {
  return `big-${RECORDS}-${SESSIONS}`;
}

export function gatewayEnv(path: string, tiers: string): Record<string, string> {
  return {
    DUCKDB_PATH: path,
    QUERY_TIMEOUT: '30m',
    TIERS: tiers,
    DUCKDB_MEMORY_LIMIT: process.env['DUCKDB_MEMORY_LIMIT'] ?? '4GB',
  };
}

export async function openGateway(path: string, tiers: string, clock: () => bigint): Promise<Gateway> {
  return createGateway(parseConfig(gatewayEnv(path, tiers)), { runJobs: false, logLevel: 'error', clock });
}

/** The cached raw records, generated when absent. */
export async function rawDataset(): Promise<{ path: string; meta: RawMeta }> {
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${rawName()}.raw.duckdb`);
  const metaPath = join(dir, `${rawName()}.raw.json`);
  if (existsSync(path) && existsSync(metaPath)) return { path, meta: JSON.parse(readFileSync(metaPath, 'utf8')) as RawMeta };
  const tmp = join(dir, `${rawName()}.partial.duckdb`);
  rmSync(tmp, { force: true });
  rmSync(`${tmp}.wal`, { force: true });
  const now = (BigInt(Date.now()) / 1000n) * 1_000_000_000n;
  const from = now - DAY;
  // TIERS=none: the raw file holds no tier tables; each rolled copy makes its own.
  const gw = await openGateway(tmp, 'none', () => now);
  // One record through the real write path creates the label columns.
  await gw.services.sessions.write(
    encodeRecords([
      {
        time: from,
        vn: 'default-domain:k8s-ns-0:pod-network',
        vmi: 'vmi-0',
        remoteVn: 'default-domain:k8s-ns-0:pod-network',
        vrouterIp: '192.168.0.1',
        localIp: '10.244.0.0',
        clientPort: 40000,
        remoteIp: '10.244.0.1',
        serverPort: 80,
        protocol: 6,
        sessionType: 'client',
        localLabels: { app: 'app-0', namespace: 'ns-0' },
        remoteLabels: { app: 'app-1', namespace: 'ns-1' },
        forwardSampledBytes: 1n,
        forwardSampledPkts: 1n,
        reverseSampledBytes: 1n,
        reverseSampledPkts: 1n,
        totalBytes: 2n,
      },
    ]),
  );
  const db = gw.embedded!;
  const step = DAY / BigInt(RECORDS);
  console.log(`generating ${RECORDS} records over 24h (${SESSIONS} flows) into ${tmp}...`);
  const loadMs = await time(async () => {
    for (let start = 0; start < RECORDS; start += CHUNK) {
      const end = Math.min(RECORDS, start + CHUNK);
      const ms = await time(() =>
        db.query({
          params: [],
          text: `INSERT INTO sessions (seq, time_ns, vn, vmi, remote_vn, vrouter_ip, local_ip, client_port, remote_ip, server_port, protocol,
  session_type, forward_sampled_bytes, forward_sampled_pkts, reverse_sampled_bytes, reverse_sampled_pkts, total_bytes,
  "label.local.app", "label.local.namespace", "label.remote.app", "label.remote.namespace")
SELECT 2 + i // ${PER_COMMIT}, ${from} + i * ${step},
  'default-domain:k8s-ns-' || (c % 200 % 25) || ':pod-network', 'vmi-' || c,
  'default-domain:k8s-ns-' || (s % 200 % 25) || ':pod-network',
  '192.168.0.' || (1 + c % 100), '10.244.' || (c // 250) || '.' || (c % 250), 32768 + (h >> 20) % 28232,
  '10.244.' || (s // 250) || '.' || (s % 250), port, CASE WHEN port = 53 THEN 17 ELSE 6 END,
  CASE WHEN k % 2 = 0 THEN 'client' ELSE 'server' END,
  fsb, fsb // 800 + 1, rsb, rsb // 800 + 1, fsb + rsb,
  'app-' || (c % 200), 'ns-' || (c % 200 % 25), 'app-' || (s % 200), 'ns-' || (s % 200 % 25)
FROM (
  SELECT i, h, k, k % 3000 AS c, (hash(k) % 3000)::BIGINT AS s,
    (ARRAY[80, 443, 8080, 5432, 6379, 9092, 3306, 53])[1 + (hash(k) % 3000)::BIGINT % 200 % 8] AS port,
    64 + (h >> 8) % 20000 AS fsb, 64 + (h >> 24) % 200000 AS rsb
  FROM (
    SELECT i, h, least(${SESSIONS - 1}, floor(${SESSIONS} * pow((h % 1000003) / 1000003.0, 2)))::BIGINT AS k
    FROM (SELECT i, hash(i) AS h FROM range(${start}, ${end}) t(i))
  )
)`,
        }),
      );
      console.log(`  ${end} records (${fmt(ms)})`);
    }
  });
  await gw.close();
  const meta: RawMeta = {
    now: String(now),
    records: RECORDS + 1,
    sessions: SESSIONS,
    generatedAt: new Date().toISOString(),
    loadMs,
    fileBytes: statSync(tmp).size,
  };
  console.log(`loaded in ${fmt(loadMs)}; file ${(meta.fileBytes / 2 ** 30).toFixed(2)} GiB`);
  renameSync(tmp, path);
  writeFileSync(metaPath, JSON.stringify(meta, null, 2));
  return { path, meta };
}

/**
 * The raw records rolled up with `tiers` by the gateway's own rollup job
 * (one run over the whole day, timed), cached beside the raw file.
 */
export async function bigDataset(tiers: string): Promise<{ path: string; meta: BigMeta }> {
  const raw = await rawDataset();
  const dir = cacheDir();
  const name = `${rawName()}-${tiers.replace(/[^0-9a-z]+/gi, '_')}-v${TIER_FORMAT}`;
  const path = join(dir, `${name}.duckdb`);
  const metaPath = join(dir, `${name}.json`);
  if (existsSync(path) && existsSync(metaPath)) {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as BigMeta;
    console.log(`reusing ${path} (generated ${meta.generatedAt}, rolled up ${meta.rolledAt})`);
    return { path, meta };
  }
  const tmp = join(dir, `${name}.partial.duckdb`);
  rmSync(`${tmp}.wal`, { force: true });
  copyFileSync(raw.path, tmp);
  const now = BigInt(raw.meta.now);
  console.log(`rolling up ${raw.meta.records} records with TIERS=${tiers} (the gateway's rollup job, one run)...`);
  const gw = await openGateway(tmp, tiers, () => now);
  let rolledUp: Record<string, number> = {};
  const rollupMs = await time(async () => {
    rolledUp = (await gw.embedded!.rollup()).rolledUp;
  });
  await gw.close();
  console.log(`rollup in ${fmt(rollupMs)}: ${JSON.stringify(rolledUp)}`);
  const meta: BigMeta = { ...raw.meta, tiers, rolledAt: new Date().toISOString(), rollupMs, rolledUp, rolledBytes: statSync(tmp).size };
  renameSync(tmp, path);
  writeFileSync(metaPath, JSON.stringify(meta, null, 2));
  return { path, meta };
}

/** A working copy of the cached file, removed by the caller. */
export function workingCopy(path: string): string {
  const copy = path.replace(/\.duckdb$/, '.run.duckdb');
  rmSync(copy, { force: true });
  rmSync(`${copy}.wal`, { force: true });
  copyFileSync(path, copy);
  return copy;
}

if (process.argv[1]?.endsWith('big-dataset.ts')) {
  const { path, meta } = process.env['TIERS'] === 'none' ? await rawDataset() : await bigDataset(process.env['TIERS'] ?? '5m:7d,1h:90d');
  console.log(path, meta);
}
