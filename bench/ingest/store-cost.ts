/**
 * What the embedded store's side of ingest costs per record, and what in
 * the table layout makes it cost (issue 17 item 6, docs/benchmarks.md):
 * in one process, no HTTP and no worker thread, the CPU time (this
 * process's, DuckDB's threads included) per record of
 *
 * - `DuckDbSessionStore.write`, CONCURRENT writes of 5 000 records at a
 *   time (4 unless told), each with an idempotency key when IDEMPOTENCY=1,
 *   of the ingest benchmark's flat records as they are (five label columns),
 *   without their labels, and of its SessionEndpoint records; the closing
 *   CHECKPOINT is part of the write, since the gateway pays it too;
 * - one rollup run (fold into both tiers, compaction) over what was written.
 *
 *   flock /tmp/sag-bench.lock npx tsx bench/ingest/store-cost.ts
 *   WRITE_MS=6000 DUCKDB_THREADS=1 ...   (DuckDB on one thread; 0: DuckDB's own)
 *   CONCURRENT=1 IDEMPOTENCY=1 ...
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/index.js';
import { SessionIngest } from '../../src/ingest/index.js';
import type { RecordBatch } from '../../src/model/index.js';
import { DuckDb, DuckDbSessionStore } from '../../src/stores/duckdb/index.js';
import { bodies, bodiesOf } from './records.js';
import { machine } from '../support.js';
import { captureStore } from '../../test/support/capture-ingest.js';

const MS = Number(process.env['WRITE_MS'] ?? 6000);
const CONCURRENT = Number(process.env['CONCURRENT'] ?? 4);
const IDEMPOTENCY = process.env['IDEMPOTENCY'] === '1';
const THREADS = Number(process.env['DUCKDB_THREADS'] ?? 1);
const config = parseConfig({ DUCKDB_MEMORY_LIMIT: process.env['DUCKDB_MEMORY_LIMIT'] ?? '64MB' });
const NOW = 1_795_600_800_000_000_000n;

async function batchesOf(texts: readonly string[], format: 'ndjson' | 'json', strip = false): Promise<RecordBatch[]> {
  const batches: RecordBatch[] = [];
  const ingest = new SessionIngest({
    store: captureStore(batches),
    deadLetters: { append: () => Promise.resolve(), close: () => Promise.resolve() },
    clock: () => NOW,
    limits: { maxRecords: 50_000, maxLabels: 64 },
  });
  for (const text of texts) {
    const body = strip ? text.replace(/"labels":\{"local":\{[^}]*\},"remote":\{[^}]*\}\},/g, '') : text;
    await ingest.ingestBody(Buffer.from(body), format, 'bench');
  }
  return batches;
}

/** CPU microseconds per record (user + system, every thread) and records per second of writing `batches` for MS, then of one rollup run. */
async function measure(batches: readonly RecordBatch[]): Promise<{ writeUsPerRecord: number; writePerSecond: number; rollupUsPerRecord: number; records: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'sag-store-cost-'));
  try {
    const db = await DuckDb.open({
      path: join(dir, 'cost.duckdb'),
      queryTimeoutMs: 600_000,
      ...(config.duckdbMemoryLimit === null ? {} : { memoryLimit: config.duckdbMemoryLimit }),
      checkpointThreshold: config.duckdbCheckpointThreshold,
      ...(THREADS > 0 ? { threads: THREADS } : {}),
    });
    const store = await DuckDbSessionStore.open(db, { retention: config.retention, clock: () => NOW });
    let records = 0;
    let round = 0;
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    while (performance.now() - start < MS) {
      const group = Array.from({ length: CONCURRENT }, (_, i) => batches[(round * CONCURRENT + i) % batches.length]!);
      await Promise.all(group.map((b, i) => store.write(b, IDEMPOTENCY ? { idempotency: keyOf(round, i, b) } : undefined)));
      records += group.reduce((n, b) => n + b.length, 0);
      round++;
    }
    await db.exclusive((c) => c.run('CHECKPOINT'));
    const seconds = (performance.now() - start) / 1000;
    const cpu1 = process.cpuUsage(cpu0);
    await store.rollup.run();
    const cpu2 = process.cpuUsage(cpu0);
    await db.close();
    const us = (c: NodeJS.CpuUsage) => c.user + c.system;
    return {
      writeUsPerRecord: round2(us(cpu1) / records),
      writePerSecond: Math.round(records / seconds),
      rollupUsPerRecord: round2((us(cpu2) - us(cpu1)) / records),
      records,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A distinct key per write, as an HTTP client's Idempotency-Key would be. */
function keyOf(round: number, i: number, batch: RecordBatch): { key: string; fingerprint: string; answer: string } {
  return { key: `bench-${round}-${i}`, fingerprint: 'f'.repeat(64), answer: JSON.stringify({ accepted: batch.length }) };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

const flat = await batchesOf(bodies(), 'ndjson');
const unlabelled = await batchesOf(bodies(), 'ndjson', true);
const sessions = await batchesOf(bodiesOf('session'), 'json');
if (unlabelled.some((b) => b.ints[3] !== 0)) throw new Error('the labels were not stripped');
await measure(flat.slice(0, 2)); // warm up
const result = {
  date: new Date().toISOString(),
  machine: machine(),
  duckdbThreads: THREADS > 0 ? THREADS : "DuckDB's own",
  duckdbMemoryLimit: config.duckdbMemoryLimit,
  concurrentWrites: CONCURRENT,
  idempotencyKeys: IDEMPOTENCY,
  flatRecords: await measure(flat),
  flatWithoutLabels: await measure(unlabelled),
  sessionEndpointRecords: await measure(sessions),
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
