import { DuckDBMapValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import {
  FIXED_STRINGS,
  INTS_PER_RECORD,
  labelColumn,
  tierName,
  tooExpensive,
  zeroTraffic,
  type Clock,
  type LabelNamesQuery,
  type RecordsPosition,
  type RecordsQuery,
  type Retention,
  type SeriesQuery,
  type SessionRecord,
  type Source,
  type SourcePlan,
  type RecordBatch,
  type Traffic,
  type TrafficQuery,
  type GatewayError,
  type ValuesQuery,
} from '../../model/index.js';
import type {
  IdempotencyRecord,
  LabelNamesResult,
  QueryMeta,
  RecordsPage,
  SeriesResult,
  SessionStore,
  StoredLabelNames,
  TailPage,
  TailPosition,
  TailRead,
  TrafficPage,
  ValuesResult,
  WriteOptions,
} from '../types.js';
import { NO_MARKS, TRAFFIC_ALIASES, compileSeries, compileTraffic, planWatermarkTiers, type Watermarks } from './compile.js';
import { compileLabelNames, compileMappedLabelNames, compileValues, labelNameCandidates } from './compile-hints.js';
import { compileRecords, compileRecordsCut } from './compile-records.js';
import { compileTail } from './compile-tail.js';
import { storeError, type DuckDb, type Row } from './database.js';
import {
  DEFAULT_LABEL_COLUMNS,
  LABEL_MAP_COLUMNS,
  LABEL_MAP_TYPE,
  RAW_DDL,
  RAW_TABLE,
  STATE_DDL,
  STATE_TABLE,
  tierDdl,
  tierDimensions,
  tierTable,
  type StoreSchema,
} from './layout.js';
import { migrateTierCounters } from './tier-counters.js';
import { IDEMPOTENCY_DDL, findIdempotency, insertIdempotency, pruneIdempotency } from './idempotency.js';
import { Rollup } from './rollup.js';
import { RawChunkWriter, type RawSlot } from './raw-chunks.js';
import { inlineSql, quoteIdent } from './sql.js';

export interface DuckDbSessionStoreOptions {
  readonly retention: Retention;
  readonly clock: Clock;
  /** Raw rows the rollup folds in per transaction (default FOLD_SLICE_ROWS). */
  readonly foldSliceRows?: number;
  /**
   * Label names per side that get a column of their own (DUCKDB_LABEL_COLUMNS,
   * default DEFAULT_LABEL_COLUMNS); later names are keys of the side's map
   * column (layout.ts).
   */
  readonly labelColumns?: number;
}

type SideNames = { readonly local: ReadonlySet<string>; readonly remote: ReadonlySet<string> };

interface PendingWrite {
  readonly batch: RecordBatch;
  readonly idempotency: IdempotencyRecord | undefined;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Session records in the embedded DuckDB database: the raw table, one rollup
 * table per tier kept by `Rollup`, and the SQL compiler. Concurrent writes
 * are group-committed: whatever arrived while a flush ran goes into the next
 * one, and every caller's promise resolves after its records are committed.
 */
export class DuckDbSessionStore implements SessionStore {
  readonly backend = 'duckdb';
  readonly rollup: Rollup;
  /** The raw table's columns after the fixed ones, in table order: label columns and the two map columns. */
  private rawColumns: string[] = [];
  private labelColumns: string[] = [];
  /** What the rollup groups on past the dimensions: the label columns, and the map column of each side that holds names. */
  private tagColumns: string[] = [];
  private schema: StoreSchema = { labelColumns: new Set() };
  /** Lays raw rows out for the current label columns; its chunk and scratch arrays are reused by every commit. */
  private writer = new RawChunkWriter([]);
  /** Per side, the names that have a column. */
  private knownLabels: SideNames = { local: new Set(), remote: new Set() };
  /** Per side, the names kept in its map column. */
  private mappedLabels: SideNames = { local: new Set(), remote: new Set() };
  private pending: PendingWrite[] = [];
  private flushing = false;
  private seq = 0n;
  private prunedAt = 0n;

  private constructor(
    private readonly db: DuckDb,
    private readonly options: DuckDbSessionStoreOptions,
  ) {
    this.rollup = new Rollup(db, options.retention, options.clock, () => this.tagColumns, options.foldSliceRows);
  }

  /** Creates the tables that are missing and reads the label columns. */
  static async open(db: DuckDb, options: DuckDbSessionStoreOptions): Promise<DuckDbSessionStore> {
    const store = new DuckDbSessionStore(db, options);
    await db.exclusive(async (conn) => {
      await conn.run(RAW_DDL);
      await conn.run(STATE_DDL);
      await conn.run(IDEMPOTENCY_DDL);
      for (const tier of options.retention.tiers) await conn.run(tierDdl(tier));
      // A store written before the map columns (every label a column) gets them, after its label columns.
      const tables = [RAW_TABLE, ...options.retention.tiers.map(tierTable)];
      for (const map of Object.values(LABEL_MAP_COLUMNS)) {
        for (const t of tables) await conn.run(`ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS ${map} ${LABEL_MAP_TYPE}`);
      }
      const cols = await conn.runAndReadAll(
        `SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND (column_name LIKE 'label.%' OR column_name IN ($2, $3)) ORDER BY ordinal_position`,
        [RAW_TABLE, LABEL_MAP_COLUMNS.local, LABEL_MAP_COLUMNS.remote],
      );
      const rawColumns = cols.getRowObjects().map((r) => String(r['column_name']));
      // Tiers added to TIERS after labels were first seen lack those columns.
      for (const tier of options.retention.tiers) {
        for (const c of rawColumns.filter(isLabelColumn)) {
          await conn.run(`ALTER TABLE ${tierTable(tier)} ADD COLUMN IF NOT EXISTS ${quoteIdent(c)} VARCHAR`);
        }
      }
      // The names in the map columns, wherever a row still holds them (a tier keeps rows longer than raw).
      const mapped = { local: new Set<string>(), remote: new Set<string>() };
      for (const side of ['local', 'remote'] as const) {
        const map = LABEL_MAP_COLUMNS[side];
        const keys = await conn.runAndReadAll(
          tables.map((t) => `SELECT DISTINCT unnest(map_keys(${map})) AS k FROM ${t} WHERE ${map} IS NOT NULL`).join('\nUNION\n'),
        );
        for (const r of keys.getRowObjects()) mapped[side].add(String(r['k']));
      }
      store.setLayout(rawColumns, mapped);
      // Tier tables of an older gateway have HUGEINT counters, which read slowly.
      for (const tier of options.retention.tiers) {
        await migrateTierCounters(conn, tier, [...tierDimensions(tier), 'session_type', ...store.tagColumns.map(quoteIdent)]);
      }
      const seq = await conn.runAndReadAll(`SELECT coalesce(max(seq), 0) AS s FROM ${RAW_TABLE}`);
      store.seq = BigInt(seq.getRowObjects()[0]!['s'] as bigint);
      store.rollup.openedAt(store.seq);
    });
    return store;
  }

  write(batch: RecordBatch, options?: WriteOptions): Promise<void> {
    const idempotency = options?.idempotency;
    if (batch.length === 0 && idempotency === undefined) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.pending.push({ batch, idempotency, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        this.db.exclusive((conn) => this.flush(conn)).catch((e: unknown) => this.refusePending(e));
      }
    });
  }

  async traffic(q: TrafficQuery): Promise<TrafficPage> {
    const marks = await this.watermarks([q.source, ...(q.compare === null ? [] : [q.compare.source])]);
    const stmt = compileTraffic(q, this.schema, marks);
    const rows = await this.db.read(stmt);
    // An empty page (first: 0, or past the last group) has no row carrying
    // the totals: read them off the first group instead.
    const probe = rows.length === 0 && (q.offset > 0 || q.first === 0);
    const head = probe ? (await this.db.read(compileTraffic({ ...q, offset: 0, first: 1 }, this.schema, marks)))[0] : rows[0];
    const totalCount = head === undefined ? 0 : Number(head['group_count']);
    if (totalCount > q.maxGroups) {
      throw tooExpensive(`the query matches ${totalCount} groups; at most ${q.maxGroups} are allowed: filter more or group on fewer keys`);
    }
    const compared = q.compare !== null;
    return {
      groups: rows.map((r) => ({
        values: q.groupBy.map((_, i) => groupValue(r[`k${i}`])),
        traffic: traffic(r, ''),
        ...(compared ? { previous: traffic(r, 'p_') } : {}),
      })),
      totalCount,
      total: head === undefined ? zeroTraffic() : traffic(head, 'total_'),
      ...(compared ? { previousTotal: head === undefined ? zeroTraffic() : traffic(head, 'ptotal_') } : {}),
      meta: this.planMeta(q.source, inlineSql(stmt)),
    };
  }

  async series(q: SeriesQuery): Promise<SeriesResult> {
    const stmt = compileSeries(q, this.schema, await this.watermarks([q.source]));
    const rows = await this.db.read(stmt);
    const series: { values: (string | null)[]; points: { time: bigint; value: bigint }[]; other: boolean }[] = [];
    let rank: unknown = undefined;
    for (const r of rows) {
      if (r['rk'] !== rank) {
        rank = r['rk'];
        const other = BigInt(r['rk'] as bigint) > BigInt(q.limit);
        series.push({ values: q.groupBy.map((_, i) => (other ? null : groupValue(r[`k${i}`]))), points: [], other });
      }
      series[series.length - 1]!.points.push({ time: BigInt(r['bucket'] as bigint), value: BigInt(r['v'] as bigint) });
    }
    return { series, meta: this.planMeta(q.source, inlineSql(stmt)) };
  }

  async values(q: ValuesQuery): Promise<ValuesResult> {
    const stmt = compileValues(q, this.schema);
    const rows = await this.db.read(stmt);
    return {
      values: rows.map((r) => ({ value: groupValue(r['v']), total: BigInt(r['total'] as bigint) })),
      meta: this.meta(q, inlineSql(stmt)),
    };
  }

  async labelNames(q: LabelNamesQuery): Promise<LabelNamesResult> {
    const schema = this.schema;
    const stmt = compileLabelNames(q, schema);
    const mappedStmt = compileMappedLabelNames(q, schema);
    if (stmt === null && mappedStmt === null) return { names: [], meta: this.meta(q, '') };
    const skip = `label.${q.side}.`.length;
    const counted: { name: string; records: bigint }[] = [];
    if (stmt !== null) {
      const [row] = await this.db.read(stmt);
      labelNameCandidates(q, schema).forEach((c, i) => counted.push({ name: c.slice(skip), records: BigInt((row?.[`c${i}`] ?? 0n) as bigint) }));
    }
    if (mappedStmt !== null) {
      for (const r of await this.db.read(mappedStmt)) counted.push({ name: String(r['k']), records: BigInt(r['n'] as bigint) });
    }
    const query = [stmt, mappedStmt].flatMap((x) => (x === null ? [] : [inlineSql(x)])).join(';\n');
    const names = counted
      .filter((n) => n.records > 0n)
      .sort((a, b) => (a.records === b.records ? (a.name < b.name ? -1 : 1) : a.records > b.records ? -1 : 1))
      .slice(0, q.first);
    return { names, meta: this.meta(q, query) };
  }

  async records(q: RecordsQuery): Promise<RecordsPage> {
    const cut = compileRecordsCut(q, this.schema);
    const [edge] = await this.db.read(cut);
    const stmt = compileRecords(q, this.schema, edge === undefined ? null : BigInt(edge['time_ns'] as bigint));
    const rows = await this.db.read(stmt);
    const page = rows.slice(0, q.first);
    let next: RecordsPosition | null = null;
    const last = page[page.length - 1];
    if (rows.length > q.first && last !== undefined) {
      const time = BigInt(last['time_ns'] as bigint);
      const tie = BigInt(last['seq'] as bigint);
      let within = page.filter((r) => BigInt(r['time_ns'] as bigint) === time && BigInt(r['seq'] as bigint) === tie).length;
      if (q.after !== null && q.after.time === time && q.after.tie === tie) within += q.after.within;
      next = { time, tie, within };
    }
    return {
      records: page.map((r) => this.recordOf(r)),
      next,
      meta: { backend: this.backend, tier: 'raw', query: `${inlineSql(cut)};\n${inlineSql(stmt)}`, from: q.span.from, to: q.span.to },
    };
  }

  /** After the last commit: a read from here sees only later commits, a backfill until here only earlier ones. */
  tailHead(): Promise<TailPosition> {
    return Promise.resolve({ at: this.seq + 1n, within: 0 });
  }

  async tail(read: TailRead): Promise<TailPage> {
    const rows = await this.db.read(compileTail(read, this.schema));
    const page = rows.slice(0, read.limit);
    const from = read.from ?? { at: 0n, within: 0 };
    let next = from;
    const last = page[page.length - 1];
    if (last !== undefined) {
      const at = BigInt(last['seq'] as bigint);
      let within = 0;
      for (let i = page.length - 1; i >= 0 && BigInt(page[i]!['seq'] as bigint) === at; i--) within++;
      if (at === from.at) within += from.within;
      next = { at, within };
    }
    return { records: page.map((r) => this.recordOf(r)), next, full: rows.length > read.limit };
  }

  /** Every name a record ever brought: the label columns (they stay for good) and the names in the map columns. */
  storedLabelNames(): Promise<StoredLabelNames> {
    const { local, remote } = this.knownLabels;
    const mapped = this.mappedLabels;
    return Promise.resolve({ local: [...local, ...mapped.local], remote: [...remote, ...mapped.remote] });
  }

  findIdempotency(key: string): Promise<IdempotencyRecord | null> {
    return findIdempotency(this.db, key);
  }

  ping(): Promise<void> {
    return this.db.ping();
  }

  async close(): Promise<void> {}

  private meta(q: { readonly source: Source }, query: string): QueryMeta {
    return { backend: this.backend, tier: tierName(q.source), query, from: q.source.span.from, to: q.source.span.to };
  }

  /** meta of a planned query: every source it read (`raw+5m`) and the range it covers. */
  private planMeta(plan: SourcePlan, query: string): QueryMeta {
    return { backend: this.backend, tier: plan.name, query, from: plan.span.from, to: plan.span.to };
  }

  /**
   * The watermarks of the tiers whose unfolded records the plans read, as
   * committed now: a lower bound of what the statement will see (compile.ts
   * Watermarks). No read when no plan has an unfolded piece.
   */
  private async watermarks(plans: readonly SourcePlan[]): Promise<Watermarks> {
    const tiers = planWatermarkTiers(plans);
    if (tiers.length === 0) return NO_MARKS;
    const rows = await this.db.read({
      text: `SELECT key, value FROM ${STATE_TABLE} WHERE key IN (${tiers.map((_, i) => `$${i + 1}`).join(', ')})`,
      params: tiers.map((t) => `watermark:${t}`),
    });
    return new Map(rows.map((r) => [String(r['key']).slice('watermark:'.length), BigInt(r['value'] as bigint)]));
  }

  /** A raw row back as a record; label columns that hold a value, and the entries of the map columns, become its labels. */
  private recordOf(r: Row): SessionRecord {
    const localLabels: Record<string, string> = {};
    const remoteLabels: Record<string, string> = {};
    for (const c of this.labelColumns) {
      const v = r[c];
      if (v === null || v === undefined) continue;
      if (c.startsWith('label.local.')) localLabels[c.slice(12)] = String(v);
      else remoteLabels[c.slice(13)] = String(v);
    }
    mapLabels(r[LABEL_MAP_COLUMNS.local], localLabels);
    mapLabels(r[LABEL_MAP_COLUMNS.remote], remoteLabels);
    return {
      time: BigInt(r['time_ns'] as bigint),
      vn: String(r['vn']),
      vmi: r['vmi'] === null ? null : String(r['vmi']),
      remoteVn: String(r['remote_vn']),
      vrouterIp: String(r['vrouter_ip']),
      localIp: String(r['local_ip']),
      clientPort: Number(r['client_port']),
      remoteIp: String(r['remote_ip']),
      serverPort: Number(r['server_port']),
      protocol: Number(r['protocol']),
      sessionType: r['session_type'] === 'server' ? 'server' : 'client',
      localLabels,
      remoteLabels,
      forwardSampledBytes: BigInt(r['forward_sampled_bytes'] as bigint),
      forwardSampledPkts: BigInt(r['forward_sampled_pkts'] as bigint),
      reverseSampledBytes: BigInt(r['reverse_sampled_bytes'] as bigint),
      reverseSampledPkts: BigInt(r['reverse_sampled_pkts'] as bigint),
      totalBytes: BigInt(r['total_bytes'] as bigint),
    };
  }

  /** Publishes a layout: the raw table's label and map columns in table order, and the names in the maps. */
  private setLayout(rawColumns: string[], mapped: SideNames, writer = new RawChunkWriter(rawSlots(rawColumns))): void {
    this.rawColumns = rawColumns;
    this.labelColumns = rawColumns.filter(isLabelColumn);
    this.mappedLabels = mapped;
    const maps = (['local', 'remote'] as const).filter((side) => mapped[side].size > 0).map((side) => LABEL_MAP_COLUMNS[side]);
    this.tagColumns = [...this.labelColumns, ...maps];
    this.schema = { labelColumns: new Set(this.labelColumns), mappedLabels: mapped };
    this.writer = writer;
    const local = this.labelColumns.filter((c) => c.startsWith('label.local.')).map((c) => c.slice(12));
    const remote = this.labelColumns.filter((c) => c.startsWith('label.remote.')).map((c) => c.slice(13));
    this.knownLabels = { local: new Set(local), remote: new Set(remote) };
  }

  /**
   * Appends every pending write, and the idempotency records that came with
   * them, in one transaction; settles each caller. When the group fails for
   * a reason other than the database being unavailable, the cause is in
   * what some write holds, so each write is then committed on its own: the
   * one at fault fails alone (INTERNAL) and its neighbours are stored.
   */
  private async flush(conn: DuckDBConnection): Promise<void> {
    const group = this.pending;
    this.pending = [];
    this.flushing = false;
    const err = await this.commit(conn, group);
    if (err === null) for (const w of group) w.resolve();
    else if (group.length === 1 || err.code === 'BACKEND_UNAVAILABLE') for (const w of group) w.reject(err);
    else {
      for (const w of group) {
        const alone = await this.commit(conn, [w]);
        if (alone === null) w.resolve();
        else w.reject(alone);
      }
    }
  }

  /**
   * Commits the writes in one transaction: null once committed, or the
   * store's error with nothing of them kept, new label columns included.
   */
  private async commit(conn: DuckDBConnection, writes: readonly PendingWrite[]): Promise<GatewayError | null> {
    try {
      await conn.run('BEGIN TRANSACTION');
      // New label columns are published to queries and the rollup only once committed (issue 15, item 4).
      const layout = await this.addLabelColumns(conn, writes);
      const writer = layout?.columns === undefined ? this.writer : new RawChunkWriter(rawSlots(layout.columns));
      const seq = this.seq + 1n;
      const columns = layout?.columns ?? this.rawColumns;
      const carried = new Uint8Array(columns.length);
      if (writes.some((w) => w.batch.length > 0)) {
        const appender = await conn.createAppender(RAW_TABLE);
        try {
          for (const w of writes) writer.append(appender, w.batch, seq, carried);
          appender.flushSync();
        } finally {
          appender.closeSync();
        }
      }
      const keys = writes.flatMap((w) => (w.idempotency === undefined ? [] : [w.idempotency]));
      if (keys.length > 0) await this.rememberKeys(conn, keys);
      await conn.run('COMMIT');
      this.seq = seq;
      this.rollup.committed(seq, columns.filter((_, l) => carried[l] === 1));
      if (layout !== null) this.setLayout(layout.columns ?? this.rawColumns, layout.mapped, writer);
      return null;
    } catch (e) {
      await conn.run('ROLLBACK').catch(() => undefined);
      return storeError(e, 'the embedded store failed to write');
    }
  }

  /** The database refused the flush (it is closed): nothing pending was stored. */
  private refusePending(e: unknown): void {
    const batch = this.pending;
    this.pending = [];
    this.flushing = false;
    for (const w of batch) w.reject(e);
  }

  /** Inserts idempotency records and, once a minute, forgets those older than the raw retention. */
  private async rememberKeys(conn: DuckDBConnection, keys: readonly IdempotencyRecord[]): Promise<void> {
    const now = this.options.clock();
    await insertIdempotency(conn, keys, now);
    if (now - this.prunedAt > 60_000_000_000n) {
      await pruneIdempotency(conn, now - this.options.retention.raw.ns);
      this.prunedAt = now;
    }
  }

  /**
   * Places the label names the writes bring that the store does not hold
   * yet (in the open transaction): a name gets a column of its own while
   * its side has fewer than `labelColumns` (in the order the writes bring
   * them), else it is a key of the side's map column. Returns the raw
   * table's columns when a column was added, and the names in the maps; null
   * when no name is new.
   */
  private async addLabelColumns(conn: DuckDBConnection, batch: readonly PendingWrite[]): Promise<{ columns?: string[]; mapped: SideNames } | null> {
    const known = [this.knownLabels.local, this.knownLabels.remote] as const;
    const mapped = [this.mappedLabels.local, this.mappedLabels.remote] as const;
    const fresh = [new Set<string>(), new Set<string>()] as const;
    for (const w of batch) {
      const { ints, strings, dictionary } = w.batch;
      // Each label name of a batch is looked up once per side: bit 1 local, bit 2 remote.
      const looked = new Uint8Array(dictionary.length);
      let s = 0;
      for (let i = 0; i < w.batch.length; i++) {
        const k = i * INTS_PER_RECORD;
        s += FIXED_STRINGS;
        for (let side = 0; side < 2; side++) {
          const bit = 1 << side;
          for (let end = s + 2 * ints[k + 3 + side]!; s < end; s += 2) {
            const d = strings[s]!;
            if ((looked[d]! & bit) !== 0) continue;
            looked[d]! |= bit;
            const name = dictionary[d]!;
            if (!known[side]!.has(name) && !mapped[side]!.has(name)) fresh[side]!.add(name);
          }
        }
      }
    }
    if (fresh[0].size === 0 && fresh[1].size === 0) return null;
    const budget = this.options.labelColumns ?? DEFAULT_LABEL_COLUMNS;
    const added: string[] = [];
    const nextMapped = { local: new Set(this.mappedLabels.local), remote: new Set(this.mappedLabels.remote) };
    (['local', 'remote'] as const).forEach((side, i) => {
      let room = budget - known[i]!.size;
      for (const name of fresh[i]!) {
        if (room > 0) {
          added.push(labelColumn(side, name));
          room--;
        } else nextMapped[side].add(name);
      }
    });
    for (const c of added) {
      await conn.run(`ALTER TABLE ${RAW_TABLE} ADD COLUMN IF NOT EXISTS ${quoteIdent(c)} VARCHAR`);
      for (const tier of this.options.retention.tiers) {
        await conn.run(`ALTER TABLE ${tierTable(tier)} ADD COLUMN IF NOT EXISTS ${quoteIdent(c)} VARCHAR`);
      }
    }
    return added.length === 0 ? { mapped: nextMapped } : { columns: [...this.rawColumns, ...added], mapped: nextMapped };
  }
}

function isLabelColumn(c: string): boolean {
  return c.startsWith('label.');
}

/** A map column's value (DuckDBMapValue: entries of key and value) into `out`. */
function mapLabels(v: DuckDBValue | undefined, out: Record<string, string>): void {
  if (v === null || v === undefined || !(v instanceof DuckDBMapValue)) return;
  for (const { key, value } of v.entries) if (value !== null) out[String(key)] = String(value);
}

/** Per column, which side and label it holds, or which side's map: the write path looks labels up by name, not by column text. */
function rawSlots(cols: readonly string[]): RawSlot[] {
  return cols.map((c) => {
    if (c === LABEL_MAP_COLUMNS.local) return { local: true, map: true };
    if (c === LABEL_MAP_COLUMNS.remote) return { local: false, map: true };
    return c.startsWith('label.local.') ? { local: true, name: c.slice(12) } : { local: false, name: c.slice(13) };
  });
}

function groupValue(v: DuckDBValue | undefined): string | null {
  return v === null || v === undefined ? null : String(v);
}

function traffic(r: Row, prefix: string): Traffic {
  if (r[`${prefix}n`] === null) return zeroTraffic();
  const get = (alias: string) => BigInt(r[`${prefix}${alias}`] as bigint);
  const [fsb, fsp, rsb, rsp, tb, n] = TRAFFIC_ALIASES;
  return {
    forwardSampledBytes: get(fsb),
    forwardSampledPkts: get(fsp),
    reverseSampledBytes: get(rsb),
    reverseSampledPkts: get(rsp),
    totalBytes: get(tb),
    sessions: get(n),
  };
}
