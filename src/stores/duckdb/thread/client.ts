import { Worker } from 'node:worker_threads';
import {
  GatewayError,
  backendUnavailable,
  storeClosed,
  type Clock,
  type LabelNamesQuery,
  type NamespaceScope,
  type RecordsQuery,
  type Retention,
  type SeriesQuery,
  type SourceStats,
  type RecordBatch,
  type TrafficQuery,
  type ValuesQuery,
  type UveDocument,
  type UveListQuery,
  type UveWrite,
} from '../../../model/index.js';
import type {
  IdempotencyRecord,
  LabelNamesResult,
  RecordsPage,
  SeriesResult,
  SessionStore,
  StoredLabelNames,
  TailPage,
  TailPosition,
  TailRead,
  TrafficPage,
  UvePage,
  UveStore,
  ValuesResult,
  WriteOptions,
} from '../../types.js';
import type { DuckDbOptions, Row } from '../database.js';
import type { RollupStats } from '../rollup.js';
import type { SqlStatement } from '../sql.js';
import {
  fromThreadError,
  type Args,
  type Operation,
  type Result,
  type ThreadHello,
  type ThreadOptions,
  type ThreadRequest,
  type ThreadResponse,
} from './protocol.js';

export interface DuckDbThreadOptions {
  readonly db: DuckDbOptions;
  readonly retention: Retention;
  readonly sessions: boolean;
  readonly uves: boolean;
  /** Label columns per side (DUCKDB_LABEL_COLUMNS); absent: the store's default. */
  readonly labelColumns?: number;
  readonly clock: Clock;
  /** Told once when the thread dies; every call after that answers BACKEND_UNAVAILABLE. */
  readonly onFailure?: (e: Error) => void;
}

interface Call {
  readonly resolve: (value: unknown) => void;
  readonly reject: (e: Error) => void;
}

/**
 * The embedded database, run on a thread of its own (worker.ts): the gateway
 * talks to it through `sessions()`, `uves()` and a few calls for the rollup
 * job and tests. Records cross as a column batch (batch.ts) whose typed
 * arrays are moved, not copied. `close` settles every call made before it;
 * calls after it are refused at once (BACKEND_UNAVAILABLE "store closed").
 */
export class DuckDbThread {
  private readonly calls = new Map<number, Call>();
  private nextId = 1;
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly options: DuckDbThreadOptions,
  ) {
    worker.on('message', (m: ThreadResponse) => this.settle(m));
    worker.on('error', (e) => this.fail(e));
    // After a clean close nothing is left to answer; calls still owed an answer fail.
    worker.on('exit', (code) => {
      if (this.closing === undefined || this.calls.size > 0) this.fail(new Error(`the DuckDB thread exited with code ${code}`));
    });
    worker.unref();
  }

  /** Starts the thread and waits until the database is open. */
  static async start(options: DuckDbThreadOptions): Promise<DuckDbThread> {
    const data: ThreadOptions = {
      db: options.db,
      retention: options.retention,
      sessions: options.sessions,
      uves: options.uves,
      ...(options.labelColumns === undefined ? {} : { labelColumns: options.labelColumns }),
      now: options.clock(),
    };
    const worker = spawn(data);
    let onMessage!: (m: ThreadHello) => void;
    let onError!: (e: Error) => void;
    let onExit!: (code: number) => void;
    const hello = await new Promise<ThreadHello>((resolve, reject) => {
      onMessage = resolve;
      onError = reject;
      onExit = (code) => reject(new Error(`the DuckDB thread exited with code ${code} while opening`));
      worker.once('message', onMessage).once('error', onError).once('exit', onExit);
    }).finally(() => worker.off('message', onMessage).off('error', onError).off('exit', onExit));
    if (!hello.ready) {
      await worker.terminate();
      throw fromThreadError(hello.error);
    }
    return new DuckDbThread(worker, options);
  }

  sessions(): SessionStore {
    return new ThreadSessionStore(this);
  }

  uves(): UveStore {
    return new ThreadUveStore(this);
  }

  /** One pass of the embedded rollup job (ARCHITECTURE §5). */
  rollup(): Promise<RollupStats> {
    return this.call('rollup', []).then((stats) => {
      if (stats.sources !== null) this.sources = stats.sources;
      return stats;
    });
  }

  /** What the last rollup run learnt of the tiers' row counts (model/sources.ts), for the source plans. */
  sources: SourceStats | null = null;

  /**
   * Runs the rollup job every `intervalMs` until `close`; a failed run is
   * retried next time. A run that `close` cuts short is not a failure: each
   * of its steps commits on its own, and the next start resumes from there.
   */
  startRollup(intervalMs: number, onError: (e: unknown) => void): void {
    this.timer = setInterval(() => {
      this.rollup().catch((e: unknown) => {
        if (this.closing === undefined || !(e instanceof GatewayError && e.code === 'BACKEND_UNAVAILABLE')) onError(e);
      });
    }, intervalMs);
    this.timer.unref();
  }

  /** Runs one statement on a connection of its own, under the query timeout (tests and benchmarks). */
  query(stmt: SqlStatement): Promise<Row[]> {
    return this.call('read', [stmt]);
  }

  /**
   * Stops the rollup timer and closes the database: resolves once every call
   * made before it has settled (resolved if it ran, BACKEND_UNAVAILABLE
   * "store closed" if the database refused it, like the rest of a rollup run
   * under way), the database is closed and the thread has ended. A second
   * call answers with the first.
   */
  close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.failure !== undefined) return Promise.resolve();
    this.closing ??= this.closeThread();
    return this.closing;
  }

  private async closeThread(): Promise<void> {
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    await this.send('close', []);
    await exited;
  }

  /** One call into the thread; refused at once after `close` or once the thread is gone. */
  call<K extends Operation>(op: K, args: Args<K>, transfer: readonly ArrayBuffer[] = []): Promise<Result<K>> {
    if (this.failure !== undefined) return Promise.reject(backendUnavailable('duckdb', this.failure));
    if (this.closing !== undefined) return Promise.reject(storeClosed('duckdb'));
    return this.send(op, args, transfer);
  }

  private send<K extends Operation>(op: K, args: Args<K>, transfer: readonly ArrayBuffer[] = []): Promise<Result<K>> {
    if (this.failure !== undefined) return Promise.reject(backendUnavailable('duckdb', this.failure));
    const id = this.nextId++;
    return new Promise<Result<K>>((resolve, reject) => {
      this.worker.postMessage({ id, op, args, now: this.options.clock() } satisfies ThreadRequest<K>, [...transfer]);
      this.calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
      // The thread keeps the process alive only while it owes an answer.
      if (this.calls.size === 1) this.worker.ref();
    });
  }

  private settle(m: ThreadResponse): void {
    const call = this.calls.get(m.id);
    if (call === undefined) return;
    this.calls.delete(m.id);
    if (this.calls.size === 0 && this.closing === undefined) this.worker.unref();
    if ('error' in m) call.reject(fromThreadError(m.error));
    else call.resolve(m.value);
  }

  private fail(e: Error): void {
    if (this.failure !== undefined) return;
    this.failure = e;
    const err = backendUnavailable('duckdb', e);
    for (const call of this.calls.values()) call.reject(err);
    this.calls.clear();
    this.options.onFailure?.(e);
  }
}

/** The thread's entry module: TypeScript through tsx when running from source, plain JavaScript when built. */
function spawn(workerData: ThreadOptions): Worker {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const entry = new URL(`./worker${ext}`, import.meta.url);
  if (ext === '.js') return new Worker(entry, { workerData });
  const boot = `import('tsx/esm/api').then((api) => api.tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(import.meta.url)}))`;
  return new Worker(boot, { eval: true, workerData });
}

class ThreadSessionStore implements SessionStore {
  readonly backend = 'duckdb';

  constructor(private readonly thread: DuckDbThread) {}

  sourceStats(): SourceStats | null {
    return this.thread.sources;
  }

  /** The batch's arrays move to the thread: the caller must not use it afterwards. */
  write(batch: RecordBatch, options?: WriteOptions): Promise<void> {
    const idempotency = options?.idempotency;
    if (batch.length === 0 && idempotency === undefined) return Promise.resolve();
    return this.thread.call('write', [batch, idempotency], [batch.bigints.buffer as ArrayBuffer, batch.ints.buffer as ArrayBuffer, batch.strings.buffer as ArrayBuffer]);
  }

  findIdempotency(key: string): Promise<IdempotencyRecord | null> {
    return this.thread.call('findIdempotency', [key]);
  }

  traffic(query: TrafficQuery): Promise<TrafficPage> {
    return this.thread.call('traffic', [query]);
  }

  series(query: SeriesQuery): Promise<SeriesResult> {
    return this.thread.call('series', [query]);
  }

  values(query: ValuesQuery): Promise<ValuesResult> {
    return this.thread.call('values', [query]);
  }

  labelNames(query: LabelNamesQuery): Promise<LabelNamesResult> {
    return this.thread.call('labelNames', [query]);
  }

  records(query: RecordsQuery): Promise<RecordsPage> {
    return this.thread.call('records', [query]);
  }

  tailHead(): Promise<TailPosition> {
    return this.thread.call('tailHead', []);
  }

  tail(read: TailRead): Promise<TailPage> {
    return this.thread.call('tail', [read]);
  }

  storedLabelNames(): Promise<StoredLabelNames> {
    return this.thread.call('storedLabelNames', []);
  }

  ping(): Promise<void> {
    return this.thread.call('ping', []);
  }

  /** The thread closes with the gateway, after both stores. */
  async close(): Promise<void> {}
}

class ThreadUveStore implements UveStore {
  readonly backend = 'duckdb';

  constructor(private readonly thread: DuckDbThread) {}

  upsert(type: string, name: string, document: Record<string, unknown>): Promise<UveDocument> {
    return this.thread.call('upsert', [type, name, document]);
  }

  upsertMany(writes: readonly UveWrite[]): Promise<UveDocument[]> {
    return this.thread.call('upsertMany', [writes]);
  }

  delete(type: string, name: string): Promise<boolean> {
    return this.thread.call('delete', [type, name]);
  }

  get(type: string, name: string, scope: NamespaceScope | null = null): Promise<UveDocument | null> {
    return this.thread.call('get', [type, name, scope]);
  }

  getMany(type: string, names: readonly string[], scope: NamespaceScope | null = null): Promise<(UveDocument | null)[]> {
    return this.thread.call('getMany', [type, names, scope]);
  }

  list(query: UveListQuery): Promise<UvePage> {
    return this.thread.call('list', [query]);
  }

  types(): Promise<string[]> {
    return this.thread.call('types', []);
  }

  ping(): Promise<void> {
    return this.thread.call('ping', []);
  }

  async close(): Promise<void> {}
}
