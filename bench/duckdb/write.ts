/**
 * The embedded store's write path alone, in one process, no HTTP and no
 * worker thread: how many records per second `DuckDbSessionStore.write`
 * commits to a database file, four writes of 5 000 records at a time (what
 * four concurrent ingest requests give the group commit). The batches are
 * those the ingest layer makes from the ingest benchmark's records, made
 * once before the clock starts.
 *
 *   npm run bench:duckdb:write                   (WRITE_MS=8000 DUCKDB_MEMORY_LIMIT=64MB)
 *   CHECKPOINT_THRESHOLD=16MB npm run bench:duckdb:write   (instead of the configured half of the memory limit)
 *   node --cpu-prof --import tsx bench/duckdb/write.ts   (profile it)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/index.js';
import { SessionIngest } from '../../src/ingest/index.js';
import type { RecordBatch } from '../../src/model/index.js';
import { DuckDb, DuckDbSessionStore } from '../../src/stores/duckdb/index.js';
import { bodies } from '../ingest/records.js';
import { machine } from '../support.js';
import { captureStore } from '../../test/support/capture-ingest.js';

const MS = Number(process.env['WRITE_MS'] ?? 8000);
const CONCURRENT = 4;
const config = parseConfig({ DUCKDB_MEMORY_LIMIT: process.env['DUCKDB_MEMORY_LIMIT'] ?? '64MB' });
const THRESHOLD = process.env['CHECKPOINT_THRESHOLD'] ?? config.duckdbCheckpointThreshold;

// The ingest layer lays the records out; a store that keeps the batches collects them.
const batches: RecordBatch[] = [];
const collect = captureStore(batches);
const ingest = new SessionIngest({
  store: collect,
  deadLetters: { append: () => Promise.resolve(), close: () => Promise.resolve() },
  clock: () => 1_795_600_800_000_000_000n,
  limits: { maxRecords: 50_000, maxLabels: 64 },
});
for (const text of bodies()) await ingest.ingestBody(Buffer.from(text), 'ndjson', 'bench');

const dir = mkdtempSync(join(tmpdir(), 'sag-write-bench-'));
try {
  const db = await DuckDb.open({
    path: join(dir, 'write.duckdb'),
    queryTimeoutMs: 60_000,
    ...(config.duckdbMemoryLimit === null ? {} : { memoryLimit: config.duckdbMemoryLimit }),
    checkpointThreshold: THRESHOLD,
  });
  const store = await DuckDbSessionStore.open(db, { retention: config.retention, clock: () => 1_795_600_800_000_000_000n });
  let records = 0;
  let round = 0;
  const start = performance.now();
  while (performance.now() - start < MS) {
    const group = Array.from({ length: CONCURRENT }, (_, i) => batches[(round * CONCURRENT + i) % batches.length]!);
    await Promise.all(group.map((b) => store.write(b)));
    records += group.reduce((n, b) => n + b.length, 0);
    round++;
  }
  const seconds = (performance.now() - start) / 1000;
  await db.close();
  process.stdout.write(
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: machine(),
        duckdbMemoryLimit: config.duckdbMemoryLimit,
        checkpointThreshold: THRESHOLD,
        records,
        recordsPerSecond: Math.round(records / seconds),
      },
      null,
      2,
    )}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
