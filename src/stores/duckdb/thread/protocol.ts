import {
  GatewayError,
  type EpochNs,
  type ErrorCode,
  type LabelNamesQuery,
  type NamespaceScope,
  type RecordBatch,
  type RecordsQuery,
  type Retention,
  type SeriesQuery,
  type TrafficQuery,
  type UveDocument,
  type UveListQuery,
  type UveWrite,
  type ValuesQuery,
} from '../../../model/index.js';
import type {
  IdempotencyRecord,
  LabelNamesResult,
  RecordsPage,
  SeriesResult,
  StoredLabelNames,
  TailPage,
  TailPosition,
  TailRead,
  TrafficPage,
  UvePage,
  ValuesResult,
} from '../../types.js';
import type { DuckDbOptions, Row } from '../database.js';
import type { RollupStats } from '../rollup.js';
import type { SqlStatement } from '../sql.js';

/** What the DuckDB thread opens (its `workerData`). */
export interface ThreadOptions {
  readonly db: DuckDbOptions;
  readonly retention: Retention;
  /** Which stores live in the embedded database. */
  readonly sessions: boolean;
  readonly uves: boolean;
  /** Label columns per side (DUCKDB_LABEL_COLUMNS); absent: the store's default. */
  readonly labelColumns?: number;
  /** The gateway's clock at start: the thread has no clock of its own. */
  readonly now: EpochNs;
}

/**
 * Every call the thread answers: its arguments (as they cross, in order)
 * and what it answers. The client's `call` and the worker's `Handlers`
 * both read this one map, so an operation one side lacks, or whose
 * arguments differ, fails the type check.
 */
export interface Operations {
  write: { args: [batch: RecordBatch, idempotency: IdempotencyRecord | undefined]; result: void };
  findIdempotency: { args: [key: string]; result: IdempotencyRecord | null };
  traffic: { args: [query: TrafficQuery]; result: TrafficPage };
  series: { args: [query: SeriesQuery]; result: SeriesResult };
  values: { args: [query: ValuesQuery]; result: ValuesResult };
  labelNames: { args: [query: LabelNamesQuery]; result: LabelNamesResult };
  records: { args: [query: RecordsQuery]; result: RecordsPage };
  storedLabelNames: { args: []; result: StoredLabelNames };
  tailHead: { args: []; result: TailPosition };
  tail: { args: [read: TailRead]; result: TailPage };
  /** One pass of the embedded rollup job. */
  rollup: { args: []; result: RollupStats };
  upsert: { args: [type: string, name: string, document: Record<string, unknown>]; result: UveDocument };
  upsertMany: { args: [writes: readonly UveWrite[]]; result: UveDocument[] };
  delete: { args: [type: string, name: string]; result: boolean };
  get: { args: [type: string, name: string, scope: NamespaceScope | null]; result: UveDocument | null };
  getMany: { args: [type: string, names: readonly string[], scope: NamespaceScope | null]; result: (UveDocument | null)[] };
  list: { args: [query: UveListQuery]; result: UvePage };
  types: { args: []; result: string[] };
  /** One statement on a read connection (tests and benchmarks). */
  read: { args: [stmt: SqlStatement]; result: Row[] };
  ping: { args: []; result: void };
  /**
   * The last call: answered once every call sent before it has been
   * answered and the database is closed; the thread then ends.
   */
  close: { args: []; result: void };
}

export type Operation = keyof Operations;
export type Args<K extends Operation> = Operations[K]['args'];
export type Result<K extends Operation> = Operations[K]['result'];

/** The worker's side of `Operations`: one handler per operation. */
export type Handlers = { readonly [K in Operation]: (...args: Args<K>) => Promise<Result<K>> };

/**
 * One call into the thread. `now` is the gateway's clock when the call was
 * made: everything the thread dates (idempotency records, UVE updates,
 * rollup windows) uses the last `now` it was given, so tests that fix the
 * clock fix it on both sides.
 */
export type ThreadRequest<K extends Operation = Operation> = {
  readonly [Op in K]: { readonly id: number; readonly op: Op; readonly args: Args<Op>; readonly now: EpochNs };
}[K];

export type ThreadResponse<K extends Operation = Operation> =
  | { readonly id: number; readonly value: Result<K> }
  | { readonly id: number; readonly error: ThreadError };

/** An error as it crosses threads: GatewayErrors keep their code and field, and their cause's message for the log. */
export interface ThreadError {
  readonly message: string;
  readonly code?: ErrorCode;
  readonly field?: string;
  readonly cause?: string;
}

/** The first message of the thread: ready, or why it could not open the database. */
export type ThreadHello = { readonly ready: true } | { readonly ready: false; readonly error: ThreadError };

export function toThreadError(e: unknown): ThreadError {
  if (e instanceof GatewayError) {
    return {
      message: e.message,
      code: e.code,
      ...(e.field === undefined ? {} : { field: e.field }),
      ...(e.cause instanceof Error ? { cause: e.cause.message } : {}),
    };
  }
  return { message: e instanceof Error ? e.message : String(e) };
}

export function fromThreadError(e: ThreadError): Error {
  if (e.code === undefined) return new Error(e.message);
  return new GatewayError(e.code, e.message, {
    ...(e.field === undefined ? {} : { field: e.field }),
    ...(e.cause === undefined ? {} : { cause: new Error(e.cause) }),
  });
}
