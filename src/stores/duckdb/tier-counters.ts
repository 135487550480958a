import type { DuckDBConnection } from '@duckdb/node-api';
import { COUNTER_COLUMNS, type TierSpec } from '../../model/index.js';
import { tierTable } from './layout.js';

/**
 * The largest counter a tier row holds: tier counters are BIGINT, like the
 * raw ones (docs/decisions.md "Tier counters"). A partial sum past it is
 * carried as several rows of the same window and tag set, each at most
 * this much (splitRows): a tier row is a partial sum already, and every
 * read sums the rows of a group, exactly, into a HUGEINT. HUGEINT counters
 * read 3x to 20x slower (docs/benchmarks.md "100 M records").
 */
export const TIER_COUNTER_MAX = 9_223_372_036_854_775_807n;

const MAX = String(TIER_COUNTER_MAX);

/**
 * A SELECT of tier rows from `source` (a table whose columns are
 * window_start, the tags, the counters and `sessions`, sums of any size),
 * each row whose largest counter exceeds TIER_COUNTER_MAX split into as
 * many rows as it takes, the first of them carrying the row's sessions.
 * Counters are non-negative (record validation), so part j of a sum s is
 * least(MAX, greatest(0, s - j * MAX)).
 */
export function splitRows(source: string, tags: readonly string[]): string {
  const largest = `greatest(${COUNTER_COLUMNS.join(', ')})`;
  const direct = ['window_start', ...tags, ...COUNTER_COLUMNS.map((c) => `${c}::BIGINT`), 'sessions::BIGINT'];
  const split = [
    'window_start',
    ...tags,
    ...COUNTER_COLUMNS.map((c) => `least(${MAX}, greatest(0, ${c} - j * ${MAX}::HUGEINT))::BIGINT`),
    'CASE WHEN j = 0 THEN sessions ELSE 0 END::BIGINT',
  ];
  return `SELECT ${direct.join(', ')} FROM ${source} WHERE ${largest} <= ${MAX}
UNION ALL
SELECT ${split.join(', ')}
FROM (SELECT *, unnest(range(((${largest} + ${MAX} - 1) // ${MAX})::BIGINT)) AS j FROM ${source} WHERE ${largest} > ${MAX})`;
}

/**
 * Tier tables made before tier counters were BIGINT hold HUGEINT ones:
 * their rows past TIER_COUNTER_MAX are split (splitRows) in one
 * transaction, then each column is changed to BIGINT (one ALTER each: a
 * run stopped in between leaves columns that the next open changes). A
 * no-op on BIGINT tables. Runs on the writer, outside any transaction.
 */
export async function migrateTierCounters(conn: DuckDBConnection, tier: TierSpec, tags: readonly string[]): Promise<boolean> {
  const table = tierTable(tier);
  const types = await conn.runAndReadAll(
    `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 AND data_type = 'HUGEINT'`,
    [table],
  );
  const huge = types.getRowObjects().map((r) => String(r['column_name']));
  if (!huge.some((c) => (COUNTER_COLUMNS as readonly string[]).includes(c))) return false;
  const largest = `greatest(${COUNTER_COLUMNS.join(', ')})`;
  const cols = ['window_start', ...tags, ...COUNTER_COLUMNS, 'sessions'];
  // DuckDB refuses to commit a change of rows and an ALTER of the same table in one transaction: the rows first.
  await conn.run('BEGIN TRANSACTION');
  try {
    await conn.run(`CREATE OR REPLACE TEMP TABLE oversized AS SELECT ${cols.join(', ')} FROM ${table} WHERE ${largest} > ${MAX}`);
    await conn.run(`DELETE FROM ${table} WHERE ${largest} > ${MAX}`);
    await conn.run(`INSERT INTO ${table} (${cols.join(', ')}) ${splitRows('oversized', tags)}`);
    await conn.run('DROP TABLE oversized');
    await conn.run('COMMIT');
  } catch (e) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw e;
  }
  // Every live row now fits; the clamp is for the deleted rows, which DuckDB's ALTER ... TYPE converts as well.
  for (const c of COUNTER_COLUMNS) {
    if (huge.includes(c)) await conn.run(`ALTER TABLE ${table} ALTER COLUMN ${c} TYPE BIGINT USING least(${c}, ${MAX})::BIGINT`);
  }
  return true;
}
