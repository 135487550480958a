import type { DuckDBConnection } from '@duckdb/node-api';
import { COUNTER_COLUMNS, type Clock, type Retention, type SourceStats, type TierSpec } from '../../model/index.js';
import type { DuckDb } from './database.js';
import { RAW_TABLE, STATE_TABLE, tierDimensions, tierTable } from './layout.js';
import { quoteIdent, windowStartSql } from './sql.js';
import { splitRows } from './tier-counters.js';

export interface RollupStats {
  readonly rolledUp: Record<string, number>;
  readonly deletedRaw: number;
  /** What the tiers hold over the last hour, for the source plan (model/sources.ts); null without tiers or rows. */
  readonly sources: SourceStats | null;
}

/**
 * A tier row read costs this many raw rows. With HUGEINT counters it was 12
 * (bench:duckdb:tiers, 2026-12-03: a 1m tier of 1.84 M rows took 991 ms
 * where raw's 2 M rows took 76 ms). With BIGINT counters (tier-counters.ts)
 * bench:duckdb:big measured 2.2: 23 whole hours of the top-10 label pairs
 * from the 1h tier, 22.3 ms over 1.0 M rows, against raw, 990 ms over
 * 99.4 M rows (docs/benchmarks.md "100 M records"). 3 leaves a margin for
 * the pieces each grouped on their own before the union.
 */
export const TIER_ROW_COST = 3;

/** The span the row counts of SourceStats are taken over. */
export const STATS_SPAN_NS = 3_600_000_000_000n;

/**
 * The embedded store's downsampling job (ARCHITECTURE §5). Every raw row
 * carries the sequence number of the commit that wrote it; each tier keeps
 * a watermark, and a run folds the rows past it into per-window partial sums
 * in the same transaction that moves the watermark: each row is counted
 * exactly once however late it arrived. Closed windows are then compacted
 * into one row per tag set, and rows past retention are deleted (raw rows
 * only once every tier has folded them in).
 */
export class Rollup {
  private running: Promise<RollupStats> | undefined;
  /**
   * Per commit of this process not yet folded into every tier: the label
   * and map columns its rows hold a value in. A slice made of such commits
   * only groups on (and inserts) those columns: the others are NULL in
   * every row of it. After a sender's flood of names the normal traffic
   * carries a few of the label columns, and grouping the rest, all NULL,
   * made the rollup 2.7x slower at 32 columns per side (docs/benchmarks.md).
   */
  private readonly carried = new Map<bigint, readonly string[]>();
  /** Commits after this one are in `carried`; null until the store opened (every column is grouped). */
  private knownAfter: bigint | null = null;
  /** The slice of a fold now: sliceRows, halved while folds run out of memory (foldIn). */
  private sliceLimit: number | undefined;
  private cleanPasses = 0;

  constructor(
    private readonly db: DuckDb,
    private readonly retention: Retention,
    private readonly clock: Clock,
    private readonly labelColumns: () => readonly string[],
    /** At most this many raw rows are folded in per transaction (one commit's rows may exceed it). */
    private readonly sliceRows = FOLD_SLICE_ROWS,
  ) {}

  /** The store opened with `seq` its last commit. */
  openedAt(seq: bigint): void {
    this.knownAfter = seq;
  }

  /** The commit `seq` held values in the label or map `columns` (and in no other). */
  committed(seq: bigint, columns: readonly string[]): void {
    if (this.retention.tiers.length > 0 && this.knownAfter !== null) this.carried.set(seq, columns);
  }

  /** The label and map columns a slice of commits (from, to] must group on: those its rows hold a value in, or every one. */
  private sliceTags(from: bigint, to: bigint): string[] {
    const all = this.labelColumns();
    if (this.knownAfter === null || from < this.knownAfter) return [...all];
    const held = new Set<string>();
    for (const [seq, columns] of this.carried) if (seq > from && seq <= to) for (const c of columns) held.add(c);
    return all.filter((c) => held.has(c));
  }

  /** One pass of rollup, compaction and retention; concurrent calls share a run. */
  run(): Promise<RollupStats> {
    this.running ??= this.runOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async runOnce(): Promise<RollupStats> {
    const now = this.clock();
    const rolledUp: Record<string, number> = {};
    for (const group of await this.foldGroups()) Object.assign(rolledUp, await this.foldIn(group));
    await this.forgetFolded();
    for (const tier of this.retention.tiers) await this.db.transaction((conn) => this.compact(conn, tier, now));
    const deletedRaw = await this.db.transaction((conn) => this.expire(conn, now));
    return { rolledUp, deletedRaw, sources: await this.sourceStats(now) };
  }

  /** Drops from `carried` the commits every tier has folded in. */
  private async forgetFolded(): Promise<void> {
    if (this.carried.size === 0) return;
    const marks = await this.db.exclusive(async (conn) => Promise.all(this.retention.tiers.map((t) => readState(conn, `watermark:${t.name}`))));
    const folded = marks.reduce((a, b) => (b < a ? b : a));
    for (const seq of this.carried.keys()) if (seq <= folded) this.carried.delete(seq);
  }

  /**
   * Rows per window of each tier over the last STATS_SPAN_NS (whole windows
   * only, compacted or not), and the raw records per second they sum up
   * (the finest tier's `sessions`): what a plan of each tier would read.
   */
  private async sourceStats(now: bigint): Promise<SourceStats | null> {
    if (this.retention.tiers.length === 0) return null;
    const tierRowsPerWindow: Record<string, number> = {};
    let rawPerSecond = 0;
    await this.db.exclusive(async (conn) => {
      for (const tier of this.retention.tiers) {
        const w = tier.window.ns;
        const end = now - (((now % w) + w) % w);
        const start = end - (STATS_SPAN_NS > w ? STATS_SPAN_NS - (STATS_SPAN_NS % w) : w);
        const r = await conn.runAndReadAll(
          `SELECT count(*) AS n, coalesce(sum(sessions), 0) AS records FROM ${tierTable(tier)} WHERE window_start >= $1::BIGINT AND window_start < $2::BIGINT`,
          [start, end],
        );
        const row = r.getRowObjects()[0]!;
        const windows = Number((end - start) / w);
        tierRowsPerWindow[tier.name] = Number(row['n']) / windows;
        if (rawPerSecond === 0) rawPerSecond = Number(row['records']) / (Number(end - start) / 1e9);
      }
    });
    return rawPerSecond > 0 ? { rawPerSecond, tierRowsPerWindow, tierRowCost: TIER_ROW_COST } : null;
  }

  /**
   * Tiers that fold in together: a tier whose watermark, window and columns
   * let it be summed from the finest tier's new partial rows joins that
   * tier's group (with the defaults, 1h from 5m), so the raw rows are read
   * and grouped once per run instead of once per tier. Any other tier (say,
   * one just added, still catching up) folds in from the raw rows alone.
   */
  private async foldGroups(): Promise<TierSpec[][]> {
    const tiers = [...this.retention.tiers].sort((a, b) => (a.window.ns < b.window.ns ? -1 : a.window.ns > b.window.ns ? 1 : 0));
    const marks = await this.db.exclusive(async (conn) => Promise.all(tiers.map((t) => readState(conn, `watermark:${t.name}`))));
    const [base, ...rest] = tiers;
    if (base === undefined) return [];
    const baseColumns = new Set(tierDimensions(base));
    const derivable = (t: TierSpec, i: number) =>
      marks[i + 1] === marks[0] && t.window.ns % base.window.ns === 0n && tierDimensions(t).every((c) => baseColumns.has(c));
    return [[base, ...rest.filter(derivable)], ...rest.filter((t, i) => !derivable(t, i)).map((t) => [t])];
  }

  /**
   * Folds the raw rows past the group's watermark into its tiers, a slice
   * of at most `sliceRows` rows per transaction, each moving the watermarks
   * with its rows. At full ingest rate a run finds millions of rows, and
   * folding them in one statement can need more memory than
   * DUCKDB_MEMORY_LIMIT allows (it failed at 64MB with 3 M rows); slices
   * also let ingest commits in between. Slices follow commit boundaries
   * (seq), so a commit is never split.
   */
  private async foldIn(group: readonly TierSpec[]): Promise<Record<string, number>> {
    const keys = group.map((t) => `watermark:${t.name}`);
    const folded: Record<string, number> = Object.fromEntries(group.map((t) => [t.name, 0]));
    const limit = (this.sliceLimit ??= this.sliceRows);
    for (;;) {
      const bounds = await this.db.exclusive(async (conn) => {
        const from = await readState(conn, keys[0]!);
        const rows = await conn.runAndReadAll(
          `SELECT seq, count(*) AS n FROM ${RAW_TABLE} WHERE seq > $1::BIGINT GROUP BY seq ORDER BY seq`,
          [from],
        );
        return sliceBounds(from, rows.getRowObjects().map((r) => ({ seq: BigInt(r['seq'] as bigint), rows: Number(r['n']) })), this.sliceLimit!);
      });
      try {
        for (let i = 1; i < bounds.length; i++) {
          const [from, to] = [bounds[i - 1]!, bounds[i]!];
          await this.db.transaction(async (conn) => {
            // The watermarks are read again: another run may have moved them meanwhile.
            for (const key of keys) if ((await readState(conn, key)) !== from) return;
            const counts = await this.foldSlice(conn, group, from, to);
            group.forEach((t, k) => (folded[t.name]! += counts[k]!));
            for (const key of keys) await writeState(conn, key, to);
          });
        }
        break;
      } catch (e) {
        // A slice that needs more than DUCKDB_MEMORY_LIMIT (other work holds memory too) is rolled back; the
        // slices before it are committed. Halve the slice and go on from the watermark, down to MIN_FOLD_SLICE_ROWS.
        if (!outOfMemory(e) || this.sliceLimit! <= MIN_FOLD_SLICE_ROWS) throw e;
        this.sliceLimit = Math.max(MIN_FOLD_SLICE_ROWS, Math.floor(this.sliceLimit! / 2));
        this.cleanPasses = 0;
      }
    }
    // Back towards sliceRows after CLEAN_PASSES_TO_GROW passes without a halving.
    if (this.sliceLimit === limit && limit < this.sliceRows && ++this.cleanPasses >= CLEAN_PASSES_TO_GROW) {
      this.sliceLimit = Math.min(this.sliceRows, limit * 2);
      this.cleanPasses = 0;
    }
    return folded;
  }

  /** The slice the folds use now (sliceRows, halved after a fold ran out of memory); for tests. */
  get foldSliceRows(): number {
    return this.sliceLimit ?? this.sliceRows;
  }

  /** The partial sums of one slice: the first tier's from the raw rows, the others' from those. */
  private async foldSlice(conn: DuckDBConnection, group: readonly TierSpec[], from: bigint, to: bigint): Promise<number[]> {
    const [base, ...derived] = group;
    const labels = this.sliceTags(from, to).map(quoteIdent);
    const tags = (t: TierSpec) => [...tierDimensions(t), 'session_type', ...labels];
    const counters = [...COUNTER_COLUMNS, 'sessions'];
    const insert = (t: TierSpec) => `INSERT INTO ${tierTable(t)} (window_start, ${tags(t).join(', ')}, ${counters.join(', ')})`;
    // The sums (HUGEINT) of the slice per window and tag set, then stored as BIGINT rows (splitRows).
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE folding AS SELECT ${windowStartSql('time_ns', '$1::BIGINT')} AS window_start, ${tags(base!).join(', ')}, ${COUNTER_COLUMNS.map((c) => `sum(${c}) AS ${c}`).join(', ')}, count(*) AS sessions
FROM ${RAW_TABLE} WHERE seq > $2::BIGINT AND seq <= $3::BIGINT
GROUP BY ALL`,
      [base!.window.ns, from, to],
    );
    const counts = [Number((await conn.run(`${insert(base!)} ${splitRows('folding', tags(base!))}`)).rowsChanged)];
    for (const t of derived) {
      const sums = counters.map((c) => `sum(${c}) AS ${c}`);
      await conn.run(
        `CREATE OR REPLACE TEMP TABLE folding_up AS SELECT ${windowStartSql('window_start', '$1::BIGINT')} AS window_start, ${tags(t).join(', ')}, ${sums.join(', ')} FROM folding GROUP BY ALL`,
        [t.window.ns],
      );
      counts.push(Number((await conn.run(`${insert(t)} ${splitRows('folding_up', tags(t))}`)).rowsChanged));
      await conn.run('DROP TABLE folding_up');
    }
    await conn.run('DROP TABLE folding');
    return counts;
  }

  /** Merges the partial sums of windows that closed since the last run. */
  private async compact(conn: DuckDBConnection, tier: TierSpec, now: bigint): Promise<void> {
    const key = `compacted:${tier.name}`;
    const from = await readState(conn, key);
    const w = tier.window.ns;
    const until = now - w - (now % w);
    if (until <= from) return;
    const table = tierTable(tier);
    const tags = [...tierDimensions(tier), 'session_type', ...this.labelColumns().map(quoteIdent)];
    const cols = `window_start, ${tags.join(', ')}, ${COUNTER_COLUMNS.join(', ')}, sessions`;
    const sums = [...COUNTER_COLUMNS, 'sessions'].map((c) => `sum(${c}) AS ${c}`);
    await conn.run(`CREATE OR REPLACE TEMP TABLE compacting AS
SELECT window_start, ${tags.join(', ')}, ${sums.join(', ')}
FROM ${table} WHERE window_start >= $1::BIGINT AND window_start < $2::BIGINT GROUP BY ALL`, [from, until]);
    await conn.run(`DELETE FROM ${table} WHERE window_start >= $1::BIGINT AND window_start < $2::BIGINT`, [from, until]);
    await conn.run(`INSERT INTO ${table} (${cols}) ${splitRows('compacting', tags)}`);
    await conn.run('DROP TABLE compacting');
    await writeState(conn, key, until);
  }

  private async expire(conn: DuckDBConnection, now: bigint): Promise<number> {
    let folded: bigint | null = null;
    for (const tier of this.retention.tiers) {
      const w = await readState(conn, `watermark:${tier.name}`);
      folded = folded === null || w < folded ? w : folded;
    }
    const cutoff = now - this.retention.raw.ns;
    const raw = await conn.run(
      folded === null
        ? `DELETE FROM ${RAW_TABLE} WHERE time_ns < $1::BIGINT`
        : `DELETE FROM ${RAW_TABLE} WHERE time_ns < $1::BIGINT AND seq <= $2::BIGINT`,
      folded === null ? [cutoff] : [cutoff, folded],
    );
    for (const tier of this.retention.tiers) {
      await conn.run(`DELETE FROM ${tierTable(tier)} WHERE window_start < $1::BIGINT`, [
        now - tier.retention.ns - tier.window.ns,
      ]);
    }
    return Number(raw.rowsChanged);
  }
}

/** Raw rows folded in per transaction by default. */
export const FOLD_SLICE_ROWS = 2_000_000;

/** The smallest slice a fold is halved to after running out of memory; one commit is never split, so a slice may hold more. */
export const MIN_FOLD_SLICE_ROWS = 10_000;

/** Folds in a row without running out of memory before the slice doubles again. */
const CLEAN_PASSES_TO_GROW = 10;

/** DuckDB's out-of-memory error, as thrown or as the cause of the store's error. */
function outOfMemory(e: unknown): boolean {
  for (let c: unknown = e, depth = 0; c instanceof Error && depth < 4; c = c.cause, depth++) {
    if (/Out of Memory Error/.test(c.message)) return true;
  }
  return false;
}

/**
 * Watermarks from `from` to the last commit: each step takes whole commits
 * up to `limit` rows (a single larger commit is a step of its own).
 */
export function sliceBounds(from: bigint, commits: readonly { readonly seq: bigint; readonly rows: number }[], limit: number): bigint[] {
  const bounds = [from];
  let rows = 0;
  for (let i = 0; i < commits.length; i++) {
    const c = commits[i]!;
    if (rows > 0 && rows + c.rows > limit) {
      bounds.push(commits[i - 1]!.seq);
      rows = 0;
    }
    rows += c.rows;
  }
  if (commits.length > 0) bounds.push(commits[commits.length - 1]!.seq);
  return bounds;
}

async function readState(conn: DuckDBConnection, key: string): Promise<bigint> {
  const r = await conn.runAndReadAll(`SELECT value FROM ${STATE_TABLE} WHERE key = $1`, [key]);
  const row = r.getRowObjects()[0];
  return row === undefined ? 0n : BigInt(row['value'] as bigint);
}

async function writeState(conn: DuckDBConnection, key: string, value: bigint): Promise<void> {
  await conn.run(`INSERT OR REPLACE INTO ${STATE_TABLE} (key, value) VALUES ($1, $2)`, [key, value]);
}
