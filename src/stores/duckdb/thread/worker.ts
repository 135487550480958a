/**
 * The DuckDB thread: owns the embedded database, its session and UVE stores
 * and the rollup job, and answers the gateway's calls (protocol.ts). Every
 * DuckDB call of the process runs here, so appending records and waiting on
 * commits and checkpoints never hold the event loop that parses requests.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DuckDb } from '../database.js';
import { DuckDbSessionStore } from '../session-store.js';
import { DuckDbUveStore } from '../uve-store.js';
import type { SqlStatement } from '../sql.js';
import type { IdempotencyRecord } from '../../types.js';
import type {
  EpochNs,
  LabelNamesQuery,
  RecordBatch,
  RecordsQuery,
  SeriesQuery,
  TrafficQuery,
  UveListQuery,
  UveWrite,
  ValuesQuery,
} from '../../../model/index.js';
import { toThreadError, type ThreadHello, type ThreadOptions, type ThreadRequest, type ThreadResponse } from './protocol.js';

const port = parentPort!;
const options = workerData as ThreadOptions;
let now: EpochNs = options.now;
const clock = () => now;

type Op = (...args: never[]) => Promise<unknown>;

async function open(): Promise<Record<string, Op>> {
  const db = await DuckDb.open(options.db);
  const sessions = options.sessions ? await DuckDbSessionStore.open(db, { retention: options.retention, clock }) : undefined;
  const uves = options.uves ? await DuckDbUveStore.open(db, clock) : undefined;
  const need = <T>(store: T | undefined, what: string): T => {
    if (store === undefined) throw new Error(`the embedded database holds no ${what}`);
    return store;
  };
  return {
    write: (batch: RecordBatch, idempotency: IdempotencyRecord | undefined) =>
      need(sessions, 'sessions').write(batch, idempotency === undefined ? undefined : { idempotency }),
    traffic: (q: TrafficQuery) => need(sessions, 'sessions').traffic(q),
    series: (q: SeriesQuery) => need(sessions, 'sessions').series(q),
    values: (q: ValuesQuery) => need(sessions, 'sessions').values(q),
    labelNames: (q: LabelNamesQuery) => need(sessions, 'sessions').labelNames(q),
    records: (q: RecordsQuery) => need(sessions, 'sessions').records(q),
    findIdempotency: (key: string) => need(sessions, 'sessions').findIdempotency(key),
    rollup: () => need(sessions, 'sessions').rollup.run(),
    upsert: (type: string, name: string, document: Record<string, unknown>) => need(uves, 'UVEs').upsert(type, name, document),
    upsertMany: (writes: readonly UveWrite[]) => need(uves, 'UVEs').upsertMany(writes),
    delete: (type: string, name: string) => need(uves, 'UVEs').delete(type, name),
    get: (type: string, name: string) => need(uves, 'UVEs').get(type, name),
    getMany: (type: string, names: readonly string[]) => need(uves, 'UVEs').getMany(type, names),
    list: (q: UveListQuery) => need(uves, 'UVEs').list(q),
    types: () => need(uves, 'UVEs').types(),
    read: (stmt: SqlStatement) => db.read(stmt),
    ping: () => db.ping(),
    close: async () => {
      await sessions?.close();
      await uves?.close();
      await db.close();
    },
  };
}

/** Posts an answer; one that cannot cross threads becomes an error instead of ending the thread. */
function reply(answer: ThreadResponse): void {
  try {
    port.postMessage(answer);
  } catch (e) {
    port.postMessage({ id: answer.id, error: toThreadError(e) } satisfies ThreadResponse);
  }
}

try {
  const ops = await open();
  port.on('message', (m: ThreadRequest) => {
    now = m.now;
    const op = ops[m.op];
    const run = (async () => {
      if (op === undefined) throw new Error(`unknown call ${m.op}`);
      return op(...(m.args as never[]));
    })();
    run.then(
      (value) => {
        reply({ id: m.id, value });
        // The answer to `close` is the last message: the thread then ends.
        if (m.op === 'close') port.close();
      },
      (e: unknown) => reply({ id: m.id, error: toThreadError(e) }),
    );
  });
  port.postMessage({ ready: true } satisfies ThreadHello);
} catch (e) {
  port.postMessage({ ready: false, error: toThreadError(e) } satisfies ThreadHello);
}
