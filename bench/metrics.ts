/**
 * The cost of /metrics: what one counted request adds (an HTTP answer, a
 * GraphQL operation's latency and an error code, the calls the hot path
 * makes) and what one scrape takes, with a registry holding a realistic set
 * of series (12 routes x 6 statuses, 40 root fields, 10 error codes). Run
 * against main's metrics.ts and this one to compare (docs/benchmarks.md).
 *
 *   npx tsx bench/metrics.ts
 */
import { Metrics } from '../src/server/metrics.js';

const ROUTES = ['/graphql', '/ingest/sessions', '/ingest/uves', '/health', '/ready', '/metrics', '/', 'unmatched', '/a', '/b', '/c', '/d'];
const STATUSES = [200, 400, 401, 413, 429, 503];
const FIELDS = Array.from({ length: 40 }, (_, i) => `field${i}`);
const CODES = ['BAD_USER_INPUT', 'INTERNAL', 'SATURATED', 'UNAUTHENTICATED', 'FORBIDDEN', 'QUERY_TOO_EXPENSIVE', 'BACKEND_UNAVAILABLE', 'TIMEOUT', 'NOT_FOUND', 'X'];

const m = new Metrics() as Metrics & Record<string, unknown>;
for (const r of ROUTES) for (const s of STATUSES) m.countHttp(r, s);
for (const f of FIELDS) m.observeOperation(f, 0.01);
for (const c of CODES) m.countError(c);

function perCall(n: number): number {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    m.countHttp(ROUTES[i % 3]!, 200);
    m.observeOperation(FIELDS[i % 40]!, (i % 100) / 1000);
    if (i % 10 === 0) m.countError(CODES[i % 10]!);
  }
  return Number(process.hrtime.bigint() - t) / n;
}

async function scrape(n: number): Promise<{ us: number; bytes: number }> {
  let bytes = 0;
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) bytes = (await m.render()).length;
  return { us: Number(process.hrtime.bigint() - t) / n / 1000, bytes };
}

perCall(200_000);
await scrape(200);
const calls: number[] = [];
const scrapes: number[] = [];
let size = 0;
for (let round = 0; round < 5; round++) {
  calls.push(perCall(1_000_000));
  const s = await scrape(1000);
  scrapes.push(s.us);
  size = s.bytes;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`per request (countHttp + observeOperation + 0.1 countError): median ${median(calls).toFixed(0)} ns  [${calls.map((x) => x.toFixed(0)).join(' ')}]`);
console.log(`scrape: median ${median(scrapes).toFixed(0)} us, ${size} bytes  [${scrapes.map((x) => x.toFixed(0)).join(' ')}]`);

// End to end: what a request through the whole app costs with this registry
// counting it (Fastify inject, the embedded store in memory, logs silent).
const { parseConfig } = await import('../src/config/index.js');
const { createGateway } = await import('../src/gateway.js');
const { mkdtempSync, rmSync } = await import('node:fs');
const { tmpdir } = await import('node:os');
const { join } = await import('node:path');
const dir = mkdtempSync(join(tmpdir(), 'bench-metrics-'));
const gw = await createGateway(parseConfig({ DUCKDB_PATH: ':memory:', DEAD_LETTER_PATH: join(dir, 'dl.ndjson') }), { runJobs: false, logLevel: 'silent' });
let seq = 0;
const body = () =>
  Array.from({ length: 10 }, () => {
    seq++;
    return JSON.stringify({
      time: `2026-11-25T10:00:00.${String(seq).padStart(9, '0')}Z`,
      vn: 'default-domain:k8s-shop:shop-pod-network', vmi: 'default-domain:k8s-shop:web-vmi', remote_vn: 'default-domain:k8s-billing:billing-pod-network',
      vrouter_ip: '192.168.0.11', local_ip: '10.244.1.5', client_port: 40000 + (seq % 20000), remote_ip: '10.244.7.9', server_port: 8443, protocol: 6,
      session_type: 'client', forward_sampled_bytes: 100, forward_sampled_pkts: 1, reverse_sampled_bytes: 200, reverse_sampled_pkts: 2,
    });
  }).join('\n');
async function e2e(n: number): Promise<{ health: number; ingest: number; scrape: number }> {
  let t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await gw.app.inject({ url: '/health' });
  const health = Number(process.hrtime.bigint() - t) / n / 1000;
  t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await gw.app.inject({ method: 'POST', url: '/ingest/sessions', headers: { 'content-type': 'application/x-ndjson' }, payload: body() });
  const ingest = Number(process.hrtime.bigint() - t) / n / 1000;
  t = process.hrtime.bigint();
  for (let i = 0; i < 200; i++) await gw.app.inject({ url: '/metrics' });
  return { health, ingest, scrape: Number(process.hrtime.bigint() - t) / 200 / 1000 };
}
await e2e(500);
const runs: { health: number; ingest: number; scrape: number }[] = [];
for (let round = 0; round < 5; round++) runs.push(await e2e(2000));
const col = (k: 'health' | 'ingest' | 'scrape') => `median ${median(runs.map((r) => r[k])).toFixed(1)} us [${runs.map((r) => r[k].toFixed(1)).join(' ')}]`;
console.log(`e2e GET /health: ${col('health')}`);
console.log(`e2e POST /ingest/sessions (10 records): ${col('ingest')}`);
console.log(`e2e GET /metrics: ${col('scrape')}`);
await gw.close();
rmSync(dir, { recursive: true, force: true });
