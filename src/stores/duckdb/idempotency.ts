import type { DuckDBConnection } from '@duckdb/node-api';
import type { EpochNs } from '../../model/index.js';
import type { IdempotencyRecord } from '../types.js';
import type { DuckDb } from './database.js';

/**
 * The embedded store's memory of idempotent ingest requests: key ->
 * fingerprint and answer, inserted in the same transaction as the records
 * of the request, so that either both are committed or neither is. Rows are
 * kept as long as raw records are (RAW_RETENTION).
 */
export const IDEMPOTENCY_TABLE = 'ingest_idempotency';

export const IDEMPOTENCY_DDL = `CREATE TABLE IF NOT EXISTS ${IDEMPOTENCY_TABLE} (
  key VARCHAR PRIMARY KEY,
  fingerprint VARCHAR NOT NULL,
  answer VARCHAR NOT NULL,
  created_ns BIGINT NOT NULL
)`;

/**
 * Inserts the records in one statement; a key already there is kept as it
 * is (the ingest path serialises requests per key, so a key comes once per
 * commit; should it come twice, its first record is the one inserted).
 */
export async function insertIdempotency(conn: DuckDBConnection, records: readonly IdempotencyRecord[], now: EpochNs): Promise<void> {
  const seen = new Set<string>();
  const rows: string[] = [];
  const params: (string | bigint)[] = [];
  for (const r of records) {
    if (seen.has(r.key)) continue;
    seen.add(r.key);
    const n = params.length;
    rows.push(`($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4})`);
    params.push(r.key, r.fingerprint, r.answer, now);
  }
  if (rows.length === 0) return;
  await conn.run(
    `INSERT INTO ${IDEMPOTENCY_TABLE} (key, fingerprint, answer, created_ns) VALUES ${rows.join(', ')} ON CONFLICT DO NOTHING`,
    params,
  );
}

/** Forgets the keys created before `before`. */
export async function pruneIdempotency(conn: DuckDBConnection, before: EpochNs): Promise<void> {
  await conn.run(`DELETE FROM ${IDEMPOTENCY_TABLE} WHERE created_ns < $1`, [before]);
}

export async function findIdempotency(db: DuckDb, key: string): Promise<IdempotencyRecord | null> {
  const rows = await db.lookup({
    text: `SELECT key, fingerprint, answer FROM ${IDEMPOTENCY_TABLE} WHERE key = $1`,
    params: [key],
  });
  const row = rows[0];
  return row === undefined
    ? null
    : { key: String(row['key']), fingerprint: String(row['fingerprint']), answer: String(row['answer']) };
}
