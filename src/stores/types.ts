import type {
  EpochNs,
  Folding,
  LabelNamesQuery,
  SourceStats,
  NamespaceScope,
  Predicate,
  RecordsPosition,
  RecordsQuery,
  SessionRecord,
  SeriesQuery,
  ValuesQuery,
  RecordBatch,
  Traffic,
  TrafficQuery,
  UveDocument,
  UveListQuery,
  UveWrite,
} from '../model/index.js';

/** The label names a store holds, per side. */
export interface StoredLabelNames {
  readonly local: readonly string[];
  readonly remote: readonly string[];
}

/** How an answer was computed (GraphQL `QueryMeta`). */
export interface QueryMeta {
  readonly backend: string;
  readonly tier: string;
  /** The exact text sent to the backend, values included. */
  readonly query: string;
  readonly from: EpochNs;
  readonly to: EpochNs;
}

/** Traffic fields not in the query's `needs` may be zero in these rows. */
export interface TrafficGroupRow {
  /** One value per group key, in groupBy order; null where the label is missing. */
  readonly values: readonly (string | null)[];
  readonly traffic: Traffic;
  /** With compareTo: the group's traffic over the compared span (zeros where it had none). */
  readonly previous?: Traffic;
}

export interface TrafficPage {
  readonly groups: readonly TrafficGroupRow[];
  /** Matching groups over all pages (with compareTo: of either span). */
  readonly totalCount: number;
  /** Traffic over every matching record. */
  readonly total: Traffic;
  /** With compareTo: traffic over every matching record of the compared span. */
  readonly previousTotal?: Traffic;
  /** With compareTo, one entry per statement sent: `meta.query` shows them all. */
  readonly meta: QueryMeta;
}

export interface SeriesPointRow {
  readonly time: EpochNs;
  readonly value: bigint;
}

export interface SeriesRow {
  readonly values: readonly (string | null)[];
  readonly points: readonly SeriesPointRow[];
  /** The series of every group past the limit (its values all null). */
  readonly other?: boolean;
}

/** One value of a `sessionValues` answer. */
export interface ValueRow {
  readonly value: string | null;
  readonly total: bigint;
}

export interface ValuesResult {
  readonly values: readonly ValueRow[];
  readonly meta: QueryMeta;
}

export interface LabelNameRow {
  readonly name: string;
  readonly records: bigint;
}

export interface LabelNamesResult {
  readonly names: readonly LabelNameRow[];
  readonly meta: QueryMeta;
}

export interface RecordsPage {
  readonly records: readonly SessionRecord[];
  /** Where the next page starts; null when this page holds the last record. */
  readonly next: RecordsPosition | null;
  readonly meta: QueryMeta;
}

/**
 * A place in a store's tail order (docs/live.md): the embedded store's
 * commit sequence, InfluxDB's record time. Everything before it has been
 * read: every record whose `at` is lower, and the first `within` records
 * whose `at` is equal, in the store's order among them.
 */
export interface TailPosition {
  readonly at: bigint;
  readonly within: number;
}

/** One read of the tail: records after `from`, in tail order, up to `limit`. */
export interface TailRead {
  /** Applied in the store: TRUE for the shared live read, the subscriber's filter for a backfill. */
  readonly filter: Predicate;
  /** Null: from the start of the backfill (`since`). */
  readonly from: TailPosition | null;
  /** Only records whose `at` is below this (the seam of a backfill: a head's `at`); null: up to what is stored now. */
  readonly until: bigint | null;
  /** With a backfill: only records whose time is at least this. */
  readonly since: EpochNs | null;
  readonly limit: number;
}

export interface TailPage {
  readonly records: readonly SessionRecord[];
  /** Where the next read starts: after the last record read, or `from` when none was. */
  readonly next: TailPosition;
  /** The read stopped at `limit`: more may be there already. */
  readonly full: boolean;
}

export interface SeriesResult {
  readonly series: readonly SeriesRow[];
  readonly meta: QueryMeta;
}

/** What an idempotent ingest request leaves behind: its key, what it held, and its answer. */
export interface IdempotencyRecord {
  readonly key: string;
  /** A digest of the request's content: the same key with other content is refused. */
  readonly fingerprint: string;
  /** The answer given, as JSON: a retry gets it back. */
  readonly answer: string;
}

export interface WriteOptions {
  /** Committed together with the records (or alone, when there are none). */
  readonly idempotency?: IdempotencyRecord;
}

/**
 * Where session records live. `write` resolves only once the backend has
 * confirmed the records durable and rejects (BACKEND_UNAVAILABLE) otherwise;
 * queries take validated models and throw GatewayErrors.
 */
export interface SessionStore {
  readonly backend: string;
  /**
   * How the store knows what its tiers hold, for the source plan
   * (model/sources.ts); absent: exactly, by commit sequence (the embedded store).
   */
  readonly folding?: Folding;
  /** What the store last learnt of its row counts (model/sources.ts SourceStats); null or absent: defaults. */
  sourceStats?(): SourceStats | null;
  /** Stores the valid records of `batch` (laid out by `RecordBatchBuilder` or `encodeRecords`). */
  write(batch: RecordBatch, options?: WriteOptions): Promise<void>;
  /**
   * Optional (ingest idempotency, docs/ingest.md): the record stored by an
   * earlier write under this key, or null. A store that has it commits
   * `options.idempotency` with the records of that write; a store without it
   * ignores `options.idempotency`.
   */
  findIdempotency?(key: string): Promise<IdempotencyRecord | null>;
  traffic(query: TrafficQuery): Promise<TrafficPage>;
  series(query: SeriesQuery): Promise<SeriesResult>;
  /** Filter hints: the values of one key with the metric summed. */
  values(query: ValuesQuery): Promise<ValuesResult>;
  /** Filter hints: the label names of one side with the records carrying each. */
  labelNames(query: LabelNamesQuery): Promise<LabelNamesResult>;
  /** Raw records newest first, one page. */
  records(query: RecordsQuery): Promise<RecordsPage>;
  /**
   * The position of the tail now (docs/live.md): a live read from here on
   * returns every record stored later, and a backfill `until` here every
   * record stored before. The embedded store: after its last commit;
   * InfluxDB: now minus the tail's lateness window. Optional like
   * findIdempotency, so that test doubles need not have it; both real
   * stores do, and a gateway on a store without it refuses sessionTail.
   */
  tailHead?(): Promise<TailPosition>;
  /** One read of the tail (sessionTail): the records after `read.from`, in tail order. */
  tail?(read: TailRead): Promise<TailPage>;
  /**
   * Every label name the store holds records of, per side: what the ingest
   * path's label bound (INGEST_MAX_LABEL_NAMES) starts from, and learns
   * other replicas' names from.
   */
  storedLabelNames(): Promise<StoredLabelNames>;
  /** Resolves when the backend answers; used by /ready. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface UvePage {
  readonly nodes: readonly UveDocument[];
  readonly hasNextPage: boolean;
  readonly totalCount: number;
  readonly meta: QueryMeta;
}

/** Where UVE documents live: one index (or key space) per UVE type. */
export interface UveStore {
  readonly backend: string;
  /** Creates or replaces; a read after the promise resolves sees the document. */
  upsert(type: string, name: string, document: Record<string, unknown>): Promise<UveDocument>;
  /**
   * Creates or replaces many at once (the last write of a name wins), with
   * the same visibility promise as `upsert` once it resolves.
   */
  upsertMany(writes: readonly UveWrite[]): Promise<UveDocument[]>;
  delete(type: string, name: string): Promise<boolean>;
  /**
   * One UVE, null when absent. With a scope (the caller's namespaces), the
   * store's query itself keeps only a UVE whose name belongs to one of them,
   * so one outside answers null, as if absent.
   */
  get(type: string, name: string, scope?: NamespaceScope | null): Promise<UveDocument | null>;
  /** One batched lookup: the documents of `names`, null where absent (or outside `scope`), in order. */
  getMany(type: string, names: readonly string[], scope?: NamespaceScope | null): Promise<(UveDocument | null)[]>;
  /** One page; `query.scope` is compiled into the store's query, for the page and its totalCount. */
  list(query: UveListQuery): Promise<UvePage>;
  /** The types holding at least one document, sorted. */
  types(): Promise<string[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
