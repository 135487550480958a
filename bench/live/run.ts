/**
 * Live views under ingest (issue 14, docs/benchmarks.md "Live views"), one
 * run, a gateway in its own process on a DuckDB file:
 *
 * 1. Tail latency: ingest paced at RATE records/s (default 50 000, requests
 *    of 5 000) for LATENCY_SECONDS while one tail matches 1% of them; the
 *    latency of each record is the moment it is delivered minus its time,
 *    which is stamped when its request is built (so it includes the ingest
 *    itself: stored -> delivered is at most this).
 * 2. Ingest rate with no tail, then with TAILS (1 000) tails of distinct
 *    `clientPort: {eq}` filters over TAIL_CONNECTIONS connections, each for
 *    RATE_SECONDS, CLIENTS senders as fast as they are answered; the
 *    gateway's RSS is sampled throughout.
 *
 *   npm run bench:live
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { machine, percentile } from '../support.js';
import { freePort } from '../../test/support/free-port.js';

const RATE = Number(process.env['RATE'] ?? 50_000);
const LATENCY_SECONDS = Number(process.env['LATENCY_SECONDS'] ?? 20);
const RATE_SECONDS = Number(process.env['RATE_SECONDS'] ?? 20);
const TAILS = Number(process.env['TAILS'] ?? 1000);
const TAIL_CONNECTIONS = Number(process.env['TAIL_CONNECTIONS'] ?? 10);
const CLIENTS = Number(process.env['CLIENTS'] ?? 4);
const PER_BODY = 5000;

const APPS = ['web', 'api', 'db', 'cache', 'auth', 'billing', 'search', 'cart'];
/** Each record's line after its time; 1 in 100 carries the probe vmi the latency tail follows. */
const RESTS = Array.from({ length: PER_BODY }, (_, n) => {
  const app = APPS[n % APPS.length]!;
  return (
    `,"vn":"default-domain:k8s-shop:shop-pod-network","vmi":"${n % 100 === 0 ? 'probe' : `default-domain:k8s-shop:${app}-${n % 40}-vmi`}",` +
    `"remote_vn":"default-domain:k8s-billing:billing-pod-network","vrouter_ip":"192.168.0.${10 + (n % 16)}",` +
    `"local_ip":"10.244.${(n >> 8) & 255}.${n & 255}","client_port":CP,"remote_ip":"10.245.${n % 7}.${n % 200}",` +
    `"server_port":${[80, 443, 8443, 5432][n % 4]},"protocol":6,"session_type":"client",` +
    `"labels":{"local":{"app":"${app}","namespace":"shop"},"remote":{"app":"ledger","namespace":"billing"}},` +
    `"forward_sampled_bytes":${1000 + (n % 5000)},"forward_sampled_pkts":8,"reverse_sampled_bytes":6000,"reverse_sampled_pkts":13}`
  );
});
let serial = 0;
/** The client port tail i follows, and the ports some tail follows. */
const tailPort = (i: number): number => 30000 + i * 29;
const TAIL_PORTS = new Set(Array.from({ length: TAILS }, (_, i) => tailPort(i)));
/** Records sent (in bodies the gateway acknowledged) whose client port some tail follows: what the tails should get. */
let sentToTails = 0;

/** One request body stamped now: distinct nanoseconds, client ports cycling over 30 000 values; and how many of its records a tail follows. */
function body(): { text: string; followed: number } {
  const base = BigInt(Date.now()) * 1_000_000n;
  const lines = new Array<string>(PER_BODY);
  let followed = 0;
  for (let i = 0; i < PER_BODY; i++) {
    const cp = 30000 + (serial++ % 30000);
    if (TAIL_PORTS.has(cp)) followed++;
    lines[i] = `{"time":${base + BigInt(i)}${RESTS[i]!.replace('CP', String(cp))}`;
  }
  return { text: `${lines.join('\n')}\n`, followed };
}


const dir = mkdtempSync(join(tmpdir(), 'sag-live-bench-'));
const port = await freePort();
const child = fork(join(import.meta.dirname, '..', '..', 'src', 'main.ts'), [], {
  // CPU_PROF=dir: the gateway writes V8 CPU profiles (one per thread) there at exit.
  execArgv: ['--import', 'tsx', ...(process.env['CPU_PROF'] === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', process.env['CPU_PROF']])],
  env: {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    DUCKDB_PATH: join(dir, 'gateway.duckdb'),
    LOG_LEVEL: 'warn',
    LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION: String(Math.ceil(TAILS / TAIL_CONNECTIONS) + 1),
    LIVE_MAX_SUBSCRIPTIONS_PER_CALLER: String(TAILS + 10),
    LIVE_TAIL_INTERVAL: process.env['LIVE_TAIL_INTERVAL'] ?? '1s',
  },
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS + 2 });
let rssMax = 0;
const rssTimer = setInterval(() => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    if (m !== null) rssMax = Math.max(rssMax, Number(m[1]) / 1024);
  } catch {
    // gone
  }
}, 250);

function post(text: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/ingest/sessions', method: 'POST', agent, headers: { 'content-type': 'application/x-ndjson' } }, (res) => {
      let data = '';
      res.on('data', (d) => (data += String(d)));
      res.on('end', () => resolve(res.statusCode === 200 ? (JSON.parse(data) as { accepted: number }).accepted : 0));
    });
    req.on('error', reject);
    req.end(text);
  });
}

async function waitReady(): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return;
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the gateway did not start');
}

/** The shared tail reads so far (the gateway's /metrics): count, records, seconds. */
async function tailReads(): Promise<{ reads: number; records: number; seconds: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { reads: value('sag_live_tail_reads_total'), records: value('sag_live_tail_read_records_total'), seconds: value('sag_live_tail_read_seconds_total') };
}

const client = (): Client => createClient({ url: `ws://127.0.0.1:${port}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });

/** Ingest as fast as answered for `seconds`: records per second accepted. */
async function maxRate(seconds: number): Promise<number> {
  const until = Date.now() + seconds * 1000;
  let accepted = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < until) {
        const b = body();
        const n = await post(b.text);
        accepted += n;
        if (n === PER_BODY) sentToTails += b.followed;
      }
    }),
  );
  return accepted / ((Date.now() - started) / 1000);
}

try {
  await waitReady();
  console.log(`machine: ${machine()}; load before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  // 1. Latency at RATE records/s.
  const latency: number[] = [];
  const probe = client();
  probe.subscribe(
    { query: 'subscription { sessionTail(where: {vmi: {eq: "probe"}}) { time } }' },
    {
      next: (r) => {
        const t = (r.data as { sessionTail: { time: string } }).sessionTail.time;
        latency.push(Date.now() - Date.parse(t));
      },
      error: (e) => console.error('latency tail ended', e),
      complete: () => undefined,
    },
  );
  await new Promise((r) => setTimeout(r, 1500));
  const intervalMs = (PER_BODY / RATE) * 1000;
  const end = Date.now() + LATENCY_SECONDS * 1000;
  let sent = 0;
  let behind = 0;
  const inflight: Promise<number>[] = [];
  for (let next = Date.now(); next < end; next += intervalMs) {
    const wait = next - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else behind++;
    inflight.push(post(body().text).then((n) => ((sent += n), n)));
    if (inflight.length > 16) await inflight.shift();
  }
  await Promise.all(inflight);
  await new Promise((r) => setTimeout(r, 3000));
  await probe.dispose();
  const achieved = sent / LATENCY_SECONDS;
  console.log(
    `tail latency at ${RATE} records/s offered (${achieved.toFixed(0)}/s accepted, ${behind} sends late): ` +
      `${latency.length} records, p50 ${percentile(latency, 50)} ms, p99 ${percentile(latency, 99)} ms, max ${Math.max(...latency)} ms`,
  );

  // 2. Ingest rate, none then TAILS tails.
  const none = await maxRate(RATE_SECONDS);
  const rssNone = rssMax;
  console.log(`ingest with no tail: ${none.toFixed(0)} records/s, gateway RSS max ${rssNone.toFixed(0)} MB`);
  const clients = Array.from({ length: TAIL_CONNECTIONS }, client);
  let delivered = 0;
  let wrong = 0;
  let duplicates = 0;
  let ended = 0;
  for (let i = 0; i < TAILS; i++) {
    const seen = new Set<string>();
    clients[i % TAIL_CONNECTIONS]!.subscribe(
      { query: `subscription { sessionTail(where: {clientPort: {eq: ${tailPort(i)}}}) { time clientPort } }` },
      {
        next: (r) => {
          delivered++;
          const rec = (r.data as { sessionTail: { time: string; clientPort: number } }).sessionTail;
          if (rec.clientPort !== tailPort(i)) wrong++;
          if (seen.has(rec.time)) duplicates++;
          else seen.add(rec.time);
        },
        error: () => ended++,
        complete: () => ended++,
      },
    );
  }
  await new Promise((r) => setTimeout(r, 3000));
  sentToTails = 0;
  const readsBefore = await tailReads();
  const withTails = await maxRate(RATE_SECONDS);
  const readsAfter = await tailReads();
  const deliveredInRun = delivered;
  // What the last reads bring after the senders stopped.
  await new Promise((r) => setTimeout(r, 3000));
  console.log(
    `ingest with ${TAILS} tails: ${withTails.toFixed(0)} records/s (${(withTails / none).toFixed(2)}x of none), ` +
      `${deliveredInRun} records delivered during the run, ${delivered} by 3 s after it, of ${sentToTails} sent that the tails' filters match ` +
      `(${wrong} not matching their tail's filter, ${duplicates} delivered twice), ${ended} tails ended, gateway RSS max ${rssMax.toFixed(0)} MB`,
  );
  await Promise.all(clients.map((c) => c.dispose()));
  const reads = readsAfter.reads - readsBefore.reads;
  console.log(
    `shared tail reads during the run: ${reads}, ${((readsAfter.records - readsBefore.records) / Math.max(1, reads)).toFixed(0)} records and ` +
      `${((1000 * (readsAfter.seconds - readsBefore.seconds)) / Math.max(1, reads)).toFixed(0)} ms each on average`,
  );
  console.log(`load after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  clearInterval(rssTimer);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  agent.destroy();
  await Promise.race([exited, new Promise((r) => setTimeout(r, process.env['CPU_PROF'] === undefined ? 500 : 15_000))]);
  rmSync(dir, { recursive: true, force: true });
}
