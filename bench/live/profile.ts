/**
 * Where one shared tail read's time goes on the embedded store, in one
 * process (no HTTP, no worker thread), for READ_RECORDS stored records
 * (default 50 000: one second of the bench:live ingest): the SQL with its
 * rows as objects (DuckDB's getRowObjects) apart, the whole store.tail
 * (with the row -> SessionRecord conversion), the structured clone a thread crossing costs, and the
 * matching for 1 000 `clientPort: {eq}` tails; then the same read with the
 * tails' terms pushed down (client_port IN (...), docs/live.md).
 *
 *   npm run bench:live:profile
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/index.js';
import { SessionIngest } from '../../src/ingest/index.js';
import { TRUE, buildFilter, compileMatcher, type RecordBatch, type SessionRecord } from '../../src/model/index.js';
import { DuckDb, DuckDbSessionStore } from '../../src/stores/duckdb/index.js';
import { compileTail } from '../../src/stores/duckdb/compile-tail.js';
import { toDuckDb } from '../../src/stores/duckdb/database.js';
import { SubscriberIndex } from '../../src/live/subscriber-index.js';
import { bodies } from '../ingest/records.js';
import { machine } from '../support.js';
import { captureStore } from '../../test/support/capture-ingest.js';

const READ_RECORDS = Number(process.env['READ_RECORDS'] ?? 50_000);
/** Records stored before the read's start, in commits of 5 000 (a gateway that has run a while: the read must not scan them). */
const PRIOR_RECORDS = Number(process.env['PRIOR_RECORDS'] ?? 1_000_000);
const TAILS = 1000;
const batches: RecordBatch[] = [];
const collect = captureStore(batches);
const clock = () => 1_795_600_800_000_000_000n;
const ingest = new SessionIngest({ store: collect, deadLetters: { append: () => Promise.resolve(), close: () => Promise.resolve() }, clock, limits: { maxRecords: 50_000, maxLabels: 64 } });
for (const text of bodies()) await ingest.ingestBody(Buffer.from(text), 'ndjson', 'bench');

const dir = mkdtempSync(join(tmpdir(), 'sag-tail-profile-'));
const ms = async <T>(f: () => Promise<T> | T): Promise<[T, number]> => {
  const t = performance.now();
  const v = await f();
  return [v, performance.now() - t];
};
try {
  const config = parseConfig({});
  const db = await DuckDb.open({ path: join(dir, 'p.duckdb'), queryTimeoutMs: 60_000, ...(config.duckdbMemoryLimit === null ? {} : { memoryLimit: config.duckdbMemoryLimit }) });
  const store = await DuckDbSessionStore.open(db, { retention: config.retention, clock });
  for (let stored = 0, i = 0; stored < PRIOR_RECORDS; i++) {
    const b = batches[i % batches.length]!;
    await store.write(b);
    stored += b.length;
  }
  const from = await store.tailHead();
  let stored = 0;
  for (let i = 0; stored < READ_RECORDS; i++) {
    const b = batches[i % batches.length]!;
    await store.write(b);
    stored += b.length;
  }
  const schema = (store as unknown as { schema: Parameters<typeof compileTail>[1] }).schema;
  const ports = new Set<number>();
  const index = new SubscriberIndex<number>();
  const matchers: ((r: SessionRecord) => boolean)[] = [];
  for (let i = 0; i < TAILS; i++) {
    const port = 30000 + i * 29;
    ports.add(port);
    const f = buildFilter({ clientPort: { eq: port } });
    index.add(i, f);
    matchers.push(compileMatcher(f));
  }
  const read = { filter: TRUE, from, until: null, since: null, limit: 1_000_000 };
  await db.read(compileTail(read, schema)); // warm
  const [rows, sqlMs] = await ms(() => db.read(compileTail(read, schema)));
  const instance = (db as unknown as { instance: { connect(): Promise<{ runAndReadAll(t: string, p: unknown): Promise<{ getRowObjects(): unknown[] }>; closeSync(): void }> } }).instance;
  const conn = await instance.connect();
  const stmt = compileTail(read, schema);
  const [reader, runMs] = await ms(() => conn.runAndReadAll(stmt.text, toDuckDb(stmt.params)));
  const [, objectsMs] = await ms(() => reader.getRowObjects());
  const unordered = stmt.text.replace(/ORDER BY [^\n]*\n/, 'ORDER BY seq ASC\n');
  const [, unorderedMs] = await ms(() => conn.runAndReadAll(unordered, toDuckDb(stmt.params)));
  const pushedStmt = compileTail({ ...read, filter: index.readFilter() }, schema);
  await conn.runAndReadAll(pushedStmt.text, toDuckDb(pushedStmt.params));
  const [, pushedSqlMs] = await ms(() => conn.runAndReadAll(pushedStmt.text, toDuckDb(pushedStmt.params)));
  const plan = await conn.runAndReadAll(`EXPLAIN ANALYZE ${pushedStmt.text}`, toDuckDb(pushedStmt.params));
  const explain = plan.getRowObjects().map((r) => String((r as Record<string, unknown>)['explain_value'])).join('\n');
  conn.closeSync();
  const [page, tailMs] = await ms(() => store.tail(read));
  const [, cloneMs] = await ms(() => structuredClone(page.records));
  let matched = 0;
  const [, matchMs] = await ms(() => {
    for (const r of page.records) index.candidates(r, (s) => void (matchers[s]!(r) && matched++));
  });
  const pushed = { ...read, filter: index.readFilter() };
  const [pushedPage, pushedMs] = await ms(() => store.tail(pushed));
  const [, pushedCloneMs] = await ms(() => structuredClone(pushedPage.records));
  await db.close();
  console.log(
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: machine(),
        records: rows.length,
        unfiltered: { sqlAndRowObjectsMs: Math.round(sqlMs), sqlMs: Math.round(runMs), rowObjectsMs: Math.round(objectsMs), sqlOrderedBySeqOnlyMs: Math.round(unorderedMs), storeTailMs: Math.round(tailMs), structuredCloneMs: Math.round(cloneMs), match1000TailsMs: Math.round(matchMs), matched },
        pushedDown: { records: pushedPage.records.length, sqlMs: Math.round(pushedSqlMs), readMs: Math.round(pushedMs), structuredCloneMs: Math.round(pushedCloneMs) },
      },
      null,
      2,
    ),
  );
  if (process.env['EXPLAIN'] !== undefined) console.log(explain);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
