/**
 * The data set of the embedded-store benchmarks: `records` raw records spread
 * evenly over `span` before now, 20 networks, 60 client and server apps, 12
 * namespaces, loaded into a gateway's DuckDB file by one INSERT ... SELECT
 * (after one record through the real write path creates the label columns).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/index.js';
import { encodeRecords } from '../../src/model/index.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { fmt, time } from '../support.js';

export const HOUR = 3_600_000_000_000n;

export interface Dataset {
  readonly gw: Gateway;
  readonly db: NonNullable<Gateway['embedded']>;
  readonly now: bigint;
  close(): Promise<void>;
}

export async function loadDataset(records: number, span: bigint, env: Record<string, string> = {}, sessions?: number): Promise<Dataset> {
  const now = BigInt(Date.now()) * 1_000_000n;
  const dir = mkdtempSync(join(tmpdir(), 'sag-bench-'));
  const gw = await createGateway(parseConfig({ DUCKDB_PATH: join(dir, 'bench.duckdb'), QUERY_TIMEOUT: '10m', ...env }), {
    runJobs: false,
    logLevel: 'error',
    clock: () => now,
  });
  await gw.services.sessions.write(
    encodeRecords([
      {
        time: now - span,
        vn: 'vn',
        vmi: null,
        remoteVn: 'vn',
        vrouterIp: '10.0.0.1',
        localIp: '10.0.0.1',
        clientPort: 1,
        remoteIp: '10.0.0.2',
        serverPort: 2,
        protocol: 6,
        sessionType: 'client',
        localLabels: { app: 'a', namespace: 'n' },
        remoteLabels: { app: 'b', namespace: 'n' },
        forwardSampledBytes: 1n,
        forwardSampledPkts: 1n,
        reverseSampledBytes: 1n,
        reverseSampledPkts: 1n,
        totalBytes: 2n,
      },
    ]),
  );
  const db = gw.embedded!;
  console.log(`loading ${records} records spread over the last ${span / HOUR}h...`);
  const loadMs = await time(() =>
    db.query({
      params: [],
      // k names the session (tag set): with `sessions` below records, each is reported again and again, as agents do.
      text: `INSERT INTO sessions
SELECT 2, ${now - span} + i * ${span / BigInt(records)},
  'default-domain:k8s-ns' || (k % 20) || ':pod-network', 'vmi-' || (k % 500),
  'default-domain:k8s-ns' || ((k * 7) % 20) || ':pod-network',
  '192.168.0.' || (k % 50), '10.244.' || (k % 200) || '.' || (k % 250), 30000 + (k % 30000),
  '10.245.' || ((k * 13) % 200) || '.' || (k % 251), (ARRAY[80, 443, 8443, 5432, 6379])[1 + k % 5], 6,
  CASE WHEN k % 5 = 0 THEN 'server' ELSE 'client' END,
  i % 100000, i % 1000, (i * 3) % 100000, i % 997, i % 100000 + (i * 3) % 100000,
  'app-' || (hash(k) % 60), 'ns-' || (k % 12),
  'app-' || (hash(k + 1) % 60), 'ns-' || ((k * 5) % 12)
FROM (SELECT i, i % ${sessions ?? records} AS k FROM range(${records}) t(i))`,
    }),
  );
  console.log(`loaded in ${fmt(loadMs)}`);
  return {
    gw,
    db,
    now,
    async close() {
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
