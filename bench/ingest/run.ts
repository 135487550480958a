/**
 * Sustained ingest over HTTP into the embedded store (issue #3, issue 17
 * item 6, docs/benchmarks.md "Ingest"): requests of 5 000 records from
 * CLIENTS concurrent senders for SECONDS per body kind (KINDS, in turn:
 * flat NDJSON, the same records as a JSON array, SessionEndpoint messages
 * expanding to as many records), against one gateway in its own process,
 * whose RSS is sampled throughout (its high-water mark reset before each
 * kind). The gateway process also measures how fast it merely JSON.parses
 * the same bodies of each kind, before and after the run.
 *
 *   npm run bench:ingest                      (SECONDS=40 per kind, CLIENTS=4 IDEMPOTENCY=1 DUCKDB_THREADS=1)
 *   DUCKDB_THREADS=0 npm run bench:ingest     (DuckDB's own threads, one per core)
 *   KINDS=session SECONDS=20 npm run bench:ingest   (one kind)
 *   SECONDS=20 CLIENTS=32 npm run bench:ingest   (overload: 429s, bounded memory)
 *   DISCARD=1 npm run bench:ingest               (a store that confirms at once: the ingest layer alone)
 *   PROFILE=<dir>                                (CPU profiles of the gateway)
 *   NODE_FLAGS='... --trace-gc' GC_LOG=<file>    (the gateway's GC trace)
 *   CONTROL_SECONDS=15                           (the HTTP control after the run; 0 skips it)
 *
 * After the run, the same senders send the same requests for
 * CONTROL_SECONDS to a bare HTTP server in the gateway's process that
 * merely JSON.parses each line (server.ts): a second yardstick, HTTP plus
 * JSON.parse, beside the in-process JSON.parse rate.
 */
import { fork } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { machine, percentile } from '../support.js';
import { BODY_KINDS, RECORDS_PER_BODY, bodiesOf, type BodyKind } from './records.js';

const SECONDS = Number(process.env['SECONDS'] ?? 40);
const KINDS = (process.env['KINDS'] ?? BODY_KINDS.join(',')).split(',').filter((k): k is BodyKind => (BODY_KINDS as string[]).includes(k));
const CLIENTS = Number(process.env['CLIENTS'] ?? 4);
const IDEMPOTENCY = (process.env['IDEMPOTENCY'] ?? '1') !== '0';
/** The memory settings docs/ingest.md recommends for a gateway held to 512 MB. */
const NODE_FLAGS = process.env['NODE_FLAGS'] ?? '--max-semi-space-size=16 --max-old-space-size=256';
const DUCKDB_MEMORY_LIMIT = process.env['DUCKDB_MEMORY_LIMIT'] ?? '64MB';
/** One DuckDB thread, as docs/ingest.md recommends on two cores (DUCKDB_THREADS=0: DuckDB's own, one per core). */
const DUCKDB_THREADS = process.env['DUCKDB_THREADS'] ?? '1';
const CONTROL_SECONDS = Number(process.env['CONTROL_SECONDS'] ?? 15);
const BY_THREAD = process.env['BY_THREAD'] === '1';

interface KindBaseline {
  readonly jsonParse: number;
  readonly gatewayParser: number;
}
type Baseline = Record<BodyKind, KindBaseline>;

interface Answer {
  readonly status: number;
  readonly ms: number;
  readonly accepted: number;
}

const dir = mkdtempSync(join(tmpdir(), 'sag-ingest-bench-'));
const gatewayErrors: string[] = [];
const child = fork(join(import.meta.dirname, 'server.ts'), [], {
  execArgv: [
    '--import',
    'tsx',
    ...NODE_FLAGS.split(' ').filter((f) => f !== ''),
    ...(process.env['PROFILE'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${process.env['PROFILE']}`]),
  ],
  env: {
    DUCKDB_MEMORY_LIMIT,
    DUCKDB_THREADS,
    ...process.env,
    DUCKDB_PATH: join(dir, 'gateway.duckdb'),
    DEAD_LETTER_PATH: join(dir, 'dead-letter.ndjson'),
  },
  stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
});

try {
  const first = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const first = (l: string) => {
      if (!l.startsWith('{')) return;
      lines.off('line', first);
      resolve(l);
    };
    lines.on('line', first);
    // With --trace-gc in NODE_FLAGS, GC_LOG=<file> keeps what the gateway prints after its address.
    const gcLog = process.env['GC_LOG'];
    if (gcLog !== undefined) {
      writeFileSync(gcLog, '');
      lines.on('line', (l) => appendFileSync(gcLog, `${l}\n`));
    }
    // The gateway logs to stdout: an error there (say, a failing rollup) must not pass unseen.
    lines.on('line', (l) => {
      if (/"level":(50|60)/.test(l)) gatewayErrors.push(errorLine(l));
    });
    child.once('exit', (code) => reject(new Error(`the gateway exited (${code}) before listening`)));
  });
  const { port, controlPort, baseline: before } = JSON.parse(first) as { port: number; controlPort: number; baseline: Baseline };
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const load = [loadavg()[0]!];
  const kinds: Record<string, unknown> = {};
  const summary: string[] = [];
  const runs: { kind: BodyKind; rate: number; controlRate: number; answers: Answer[]; rssMax: number; rssSamples: number[]; hwm: number; cpu: Record<string, number> }[] = [];
  for (const kind of KINDS) {
    const payloads = bodiesOf(kind).map((b) => Buffer.from(b));
    resetHwm(child.pid!);
    const threadsBefore = threadCpu(child.pid!);
    const senderBefore = process.cpuUsage();
    let rssMax = 0;
    const rssSamples: number[] = [];
    const sampler = setInterval(() => {
      const rss = rssMb(child.pid!);
      rssSamples.push(rss);
      rssMax = Math.max(rssMax, rss);
    }, 200);
    const answers: Answer[] = [];
    const start = performance.now();
    await sendFor(agent, port, payloads, kind, SECONDS, answers);
    const elapsed = (performance.now() - start) / 1000;
    clearInterval(sampler);
    const hwm = hwmMb(child.pid!);
    const cpu = cpuShares(threadsBefore, threadCpu(child.pid!), process.cpuUsage(senderBefore), elapsed);
    load.push(loadavg()[0]!);
    // The control runs after the gateway's run, so the two do not share the cores.
    const controlAnswers: Answer[] = [];
    const controlStart = performance.now();
    if (CONTROL_SECONDS > 0) await sendFor(agent, controlPort, payloads, kind, CONTROL_SECONDS, controlAnswers);
    const controlRate = controlAnswers.reduce((s, a) => s + a.accepted, 0) / ((performance.now() - controlStart) / 1000);
    const rate = answers.reduce((s, a) => s + a.accepted, 0) / elapsed;
    runs.push({ kind, rate, controlRate, answers, rssMax, rssSamples, hwm, cpu });
  }
  const after = await new Promise<Baseline>((resolve) => {
    child.once('message', (m) => resolve(m as Baseline));
    child.send('baseline');
  });
  agent.destroy();

  for (const { kind, rate, controlRate, answers, rssMax, rssSamples, hwm, cpu } of runs) {
    const ok = answers.filter((a) => a.status === 200).map((a) => a.ms);
    const jsonParse = Math.min(before[kind].jsonParse, after[kind].jsonParse);
    const ratio = Number((rate / jsonParse).toFixed(3));
    kinds[kind] = {
      requests: countBy(answers.map((a) => String(a.status))),
      recordsPerSecond: Math.round(rate),
      jsonParseRecordsPerSecond: { before: Math.round(before[kind].jsonParse), after: Math.round(after[kind].jsonParse) },
      gatewayParserRecordsPerSecond: { before: Math.round(before[kind].gatewayParser), after: Math.round(after[kind].gatewayParser) },
      ratioToJsonParse: ratio,
      httpParseOnlyRecordsPerSecond: CONTROL_SECONDS > 0 ? Math.round(controlRate) : null,
      ratioToHttpParseOnly: CONTROL_SECONDS > 0 ? Number((rate / controlRate).toFixed(3)) : null,
      ackLatencyMs: ok.length === 0 ? null : { p50: round(percentile(ok, 50)), p99: round(percentile(ok, 99)), max: round(Math.max(...ok)) },
      gatewayRssMb: { max: Math.round(rssMax), p50: Math.round(percentile(rssSamples, 50)), peakHwm: Math.round(hwm) },
      cpuCoresUsed: cpu,
    };
    summary.push(`${kind}: ${Math.round(rate)} records/s, ratio ${ratio}, RSS HWM ${Math.round(hwm)} MB, cores ${JSON.stringify(cpu)}`);
  }
  const result = {
    date: new Date().toISOString(),
    machine: machine(),
    cpuModel: cpuModel(),
    loadavg1: load.map((l) => l.toFixed(2)),
    settings: {
      seconds: SECONDS,
      kinds: KINDS,
      clients: CLIENTS,
      recordsPerRequest: RECORDS_PER_BODY,
      idempotencyKeys: IDEMPOTENCY,
      nodeFlags: NODE_FLAGS,
      duckdbMemoryLimit: process.env['DUCKDB_MEMORY_LIMIT'] ?? DUCKDB_MEMORY_LIMIT,
      duckdbThreads: DUCKDB_THREADS,
      store: process.env['DISCARD'] === '1' ? 'discard (ingest layer alone)' : 'duckdb file',
      rollupInterval: process.env['ROLLUP_INTERVAL'] ?? '30s',
    },
    kinds,
    gatewayRssMbLifetimeHwm: Math.round(Math.max(...runs.map((r) => r.hwm))),
    gatewayErrors: { count: gatewayErrors.length, first: gatewayErrors[0] ?? null },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n${summary.join('\n')}\n`);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(join('bench/results', `ingest-${result.date.replace(/[:.]/g, '-')}.json`), JSON.stringify(result, null, 2));
  if (gatewayErrors.length > 0) {
    process.stderr.write(`the gateway logged ${gatewayErrors.length} error(s) during the run; the figures do not stand\n`);
    process.exitCode = 1;
  }
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}

/** CLIENTS senders posting the bodies in turn to `port` for `seconds`; each answer goes to `answers`. */
async function sendFor(agent: Agent, port: number, payloads: readonly Buffer[], kind: BodyKind, seconds: number, answers: Answer[]): Promise<void> {
  let sent = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < deadline) {
        const n = sent++;
        const answer = await post(agent, port, payloads[n % payloads.length]!, kind, IDEMPOTENCY ? `bench-${port}-${kind}-${n}` : undefined);
        answers.push(answer);
        if (answer.status === 429 || answer.status === 503 || answer.status === 0) await new Promise((r) => setTimeout(r, 50));
      }
    }),
  );
}

function post(agent: Agent, port: number, body: Buffer, kind: BodyKind, key: string | undefined): Promise<Answer> {
  const start = performance.now();
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/ingest/sessions',
        method: 'POST',
        agent,
        headers: {
          'content-type': kind === 'ndjson' ? 'application/x-ndjson' : 'application/json',
          'content-length': body.length,
          ...(key === undefined ? {} : { 'idempotency-key': key }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const accepted = res.statusCode === 200 ? (JSON.parse(text) as { accepted: number }).accepted : 0;
          resolve({ status: res.statusCode ?? 0, ms: performance.now() - start, accepted });
        });
      },
    );
    // A refused request may find its connection closed mid-body: counted as status 0, then retried.
    req.on('error', () => resolve({ status: 0, ms: performance.now() - start, accepted: 0 }));
    req.end(body);
  });
}

/** What the gateway logged at error level: its message first (what failed), then the error's. */
function errorLine(l: string): string {
  try {
    const o = JSON.parse(l) as { msg?: string; err?: { message?: string } };
    return `${o.msg ?? ''}: ${o.err?.message ?? ''}`.slice(0, 400);
  } catch {
    return l.slice(0, 400);
  }
}

/** CPU seconds (user + system) of each thread of `pid` so far, by thread id, with its name. */
function threadCpu(pid: number): Map<string, { name: string; seconds: number }> {
  const out = new Map<string, { name: string; seconds: number }>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name and state; in clock ticks (100 a second on Linux).
      out.set(tid, { name: tid === String(pid) ? 'main' : name, seconds: (Number(fields[11]) + Number(fields[12])) / 100 });
    } catch {
      // the thread ended
    }
  }
  return out;
}

/**
 * Cores used during a kind's run (CPU seconds / wall seconds): the
 * gateway's threads grouped by name (`main` is its JavaScript thread; the
 * DuckDB store's worker and DuckDB's own threads have theirs), or one by
 * one with BY_THREAD=1 (name:tid), and the load generator (this process).
 */
function cpuShares(
  before: Map<string, { name: string; seconds: number }>,
  after: Map<string, { name: string; seconds: number }>,
  sender: NodeJS.CpuUsage,
  elapsed: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [tid, t] of after) {
    const key = BY_THREAD ? `${t.name}:${tid}` : t.name;
    out[key] = (out[key] ?? 0) + t.seconds - (before.get(tid)?.seconds ?? 0);
  }
  out['loadGenerator'] = (sender.user + sender.system) / 1e6;
  for (const k of Object.keys(out)) out[k] = Number((out[k]! / elapsed).toFixed(3));
  return out;
}

/** Resets the process's RSS high-water mark (VmHWM), so that each kind reports its own; Linux's clear_refs. */
function resetHwm(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // not permitted here: the mark then covers every kind so far
  }
}

function rssMb(pid: number): number {
  return statusField(pid, 'VmRSS');
}

function hwmMb(pid: number): number {
  return statusField(pid, 'VmHWM');
}

function statusField(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]) / 1024;
  } catch {
    return 0;
  }
}

function cpuModel(): string {
  try {
    return /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function countBy(xs: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
