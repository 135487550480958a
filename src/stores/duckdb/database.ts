import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckDBInstance, listValue, type DuckDBConnection, type DuckDBPreparedStatement, type DuckDBValue } from '@duckdb/node-api';
import { GatewayError, backendUnavailable, storeClosed, tooExpensive } from '../../model/index.js';
import type { SqlStatement } from './sql.js';

export interface DuckDbOptions {
  /** A file path, or `:memory:`. */
  readonly path: string;
  /** Reads taking longer are interrupted and answer QUERY_TOO_EXPENSIVE. */
  readonly queryTimeoutMs: number;
  /** DuckDB worker threads; default: DuckDB's own (the core count). */
  readonly threads?: number;
  /** DuckDB's memory_limit, e.g. `256MB`; default: DuckDB's own (80% of RAM). Data past it spills to disk. */
  readonly memoryLimit?: string;
  /** DuckDB's checkpoint_threshold (Config.duckdbCheckpointThreshold); default 256MB. */
  readonly checkpointThreshold?: string;
}

export type Row = Record<string, DuckDBValue>;

/**
 * One embedded DuckDB database shared by the session and UVE stores. Every
 * change runs on a single writer connection, one at a time (`exclusive`), so
 * commits happen in order; every read gets a fresh connection of its own
 * (cheap in DuckDB) and sees the last committed state. `close` lets
 * everything asked before it finish and refuses what comes after.
 */
export class DuckDb {
  private writer!: DuckDBConnection;
  private queue: Promise<unknown> = Promise.resolve();
  /** The connection of `lookup`, its prepared statements by text, and its queue. */
  private looker: DuckDBConnection | undefined;
  private readonly prepared = new Map<string, Promise<DuckDBPreparedStatement>>();
  private lookups: Promise<unknown> = Promise.resolve();
  /** Reads running on connections of their own: `close` waits for them. */
  private readonly reading = new Set<Promise<unknown>>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly options: DuckDbOptions,
  ) {}

  static async open(options: DuckDbOptions): Promise<DuckDb> {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    const config: Record<string, string> = {};
    if (options.threads !== undefined) config['threads'] = String(options.threads);
    if (options.memoryLimit !== undefined) config['memory_limit'] = options.memoryLimit;
    config['checkpoint_threshold'] = options.checkpointThreshold ?? '256MB';
    const instance = await DuckDBInstance.create(options.path, config);
    const db = new DuckDb(instance, options);
    db.writer = await instance.connect();
    return db;
  }

  /** Runs `fn` on the writer connection after every change queued before it; rejects with `storeError`. */
  exclusive<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.closing !== undefined) return Promise.reject(storeClosed('duckdb'));
    const run = this.queue.then(() => fn(this.writer));
    this.queue = run.catch(() => undefined);
    return run.catch((e: unknown) => {
      throw storeError(e, 'the embedded store failed to write');
    });
  }

  /** Runs `fn` inside BEGIN/COMMIT on the writer; rolls back on failure. */
  transaction<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.exclusive(async (conn) => {
      await conn.run('BEGIN TRANSACTION');
      try {
        const out = await fn(conn);
        await conn.run('COMMIT');
        return out;
      } catch (e) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  /** Runs a read on its own connection under the query timeout. */
  read(stmt: SqlStatement): Promise<Row[]> {
    if (this.closing !== undefined) return Promise.reject(storeClosed('duckdb'));
    const run = this.readOn(stmt);
    this.reading.add(run);
    void run.catch(() => undefined).then(() => this.reading.delete(run));
    return run;
  }

  private async readOn(stmt: SqlStatement): Promise<Row[]> {
    const conn = await this.instance.connect();
    const timer = setTimeout(() => conn.interrupt(), this.options.queryTimeoutMs);
    try {
      const reader = await conn.runAndReadAll(stmt.text, toDuckDb(stmt.params));
      return reader.getRowObjects();
    } catch (e) {
      if (/interrupt/i.test((e as Error).message)) {
        throw tooExpensive(`the query ran past the ${this.options.queryTimeoutMs} ms timeout; narrow the range or the grouping`);
      }
      throw storeError(e, 'the embedded store failed to run a query');
    } finally {
      clearTimeout(timer);
      conn.closeSync();
    }
  }

  /**
   * Runs a short read that the write path repeats with other parameters
   * (an idempotency key's lookup) as a prepared statement on a connection
   * kept for it, one at a time: no connection to open and no statement to
   * plan per call. Sees the last committed state, like `read`.
   */
  lookup(stmt: SqlStatement): Promise<Row[]> {
    if (this.closing !== undefined) return Promise.reject(storeClosed('duckdb'));
    const run = this.lookups.then(async () => {
      this.looker ??= await this.instance.connect();
      const looker = this.looker;
      let prepared = this.prepared.get(stmt.text);
      if (prepared === undefined) {
        prepared = looker.prepare(stmt.text);
        this.prepared.set(stmt.text, prepared);
        prepared.catch(() => this.prepared.delete(stmt.text));
      }
      const ps = await prepared;
      ps.bind(toDuckDb(stmt.params));
      return (await ps.runAndReadAll()).getRowObjects();
    });
    this.lookups = run.catch(() => undefined);
    return run.catch((e: unknown) => {
      throw storeError(e, 'the embedded store failed to run a query');
    });
  }

  async ping(): Promise<void> {
    await this.read({ text: 'SELECT 1', params: [] });
  }

  /**
   * Closes the database once every change, lookup and read asked before
   * it has settled; anything asked after it (say, the next step of a rollup
   * run under way) is refused at once with BACKEND_UNAVAILABLE "store
   * closed". A second call answers with the first.
   */
  close(): Promise<void> {
    this.closing ??= this.drainAndClose();
    return this.closing;
  }

  private async drainAndClose(): Promise<void> {
    // Nothing joins the queues once `closing` is set, so their tails are the last of them.
    await this.queue;
    await this.lookups;
    await Promise.all([...this.reading].map((r) => r.catch(() => undefined)));
    for (const p of this.prepared.values()) (await p.catch(() => undefined))?.destroySync();
    this.looker?.closeSync();
    this.writer.closeSync();
    this.instance.closeSync();
  }
}

/** DuckDB's error types that say the database cannot work now, whatever it is sent. */
const UNAVAILABLE = /^(IO|Out of Memory|FATAL) Error: /;

/**
 * The gateway's error for a failed call into the embedded database, with
 * the failure as its cause. BACKEND_UNAVAILABLE (a 503 that senders retry)
 * only when the database cannot work now: an I/O failure (a full or lost
 * disk), memory exhausted, or a fatal error that invalidated the database;
 * an operator can fix each, and the same call then succeeds. Anything else
 * (a constraint, a conversion, a value the store could not encode) is about
 * what was sent and would fail again: INTERNAL, with `message` as its public
 * message. DuckDB names the type at the start of each message
 * (`IO Error: ...`, `Constraint Error: ...`). A GatewayError passes through.
 */
export function storeError(e: unknown, message: string): GatewayError {
  if (e instanceof GatewayError) return e;
  if (e instanceof Error && UNAVAILABLE.test(e.message)) return backendUnavailable('duckdb', e);
  return new GatewayError('INTERNAL', message, { cause: e });
}

/** Binds string lists as DuckDB LIST values; scalars pass through. */
export function toDuckDb(params: SqlStatement['params']): DuckDBValue[] {
  return params.map((v) => (Array.isArray(v) ? listValue([...v]) : (v as DuckDBValue)));
}
