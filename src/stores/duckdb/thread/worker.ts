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
import { storeClosed, type EpochNs } from '../../../model/index.js';
import {
  toThreadError,
  type Args,
  type Handlers,
  type Operation,
  type Result,
  type ThreadHello,
  type ThreadOptions,
  type ThreadRequest,
  type ThreadResponse,
} from './protocol.js';

const port = parentPort!;
const options = workerData as ThreadOptions;
let now: EpochNs = options.now;
const clock = () => now;

async function open(): Promise<Handlers> {
  const db = await DuckDb.open(options.db);
  const sessions = options.sessions ? await DuckDbSessionStore.open(db, {
        retention: options.retention,
        clock,
        ...(options.labelColumns === undefined ? {} : { labelColumns: options.labelColumns }),
      }) : undefined;
  const uves = options.uves ? await DuckDbUveStore.open(db, clock) : undefined;
  const need = <T>(store: T | undefined, what: string): T => {
    if (store === undefined) throw new Error(`the embedded database holds no ${what}`);
    return store;
  };
  return {
    write: (batch, idempotency) => need(sessions, 'sessions').write(batch, idempotency === undefined ? undefined : { idempotency }),
    traffic: (q) => need(sessions, 'sessions').traffic(q),
    series: (q) => need(sessions, 'sessions').series(q),
    values: (q) => need(sessions, 'sessions').values(q),
    labelNames: (q) => need(sessions, 'sessions').labelNames(q),
    records: (q) => need(sessions, 'sessions').records(q),
    tailHead: () => need(sessions, 'sessions').tailHead(),
    tail: (read) => need(sessions, 'sessions').tail(read),
    storedLabelNames: () => need(sessions, 'sessions').storedLabelNames(),
    findIdempotency: (key) => need(sessions, 'sessions').findIdempotency(key),
    rollup: () => need(sessions, 'sessions').rollup.run(),
    upsert: (type, name, document) => need(uves, 'UVEs').upsert(type, name, document),
    upsertMany: (writes) => need(uves, 'UVEs').upsertMany(writes),
    delete: (type, name) => need(uves, 'UVEs').delete(type, name),
    get: (type, name, scope) => need(uves, 'UVEs').get(type, name, scope),
    getMany: (type, names, scope) => need(uves, 'UVEs').getMany(type, names, scope),
    list: (q) => need(uves, 'UVEs').list(q),
    types: () => need(uves, 'UVEs').types(),
    read: (stmt) => db.read(stmt),
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

/** Runs one call; a handler that throws (say, `need`) answers as if it had rejected. */
async function dispatch<K extends Operation>(handlers: Handlers, op: K, args: Args<K>): Promise<Result<K>> {
  const handler: (...args: Args<K>) => Promise<Result<K>> = handlers[op];
  return handler(...args);
}

try {
  const handlers = await open();
  /** Calls whose answer is not posted yet: `close` is answered after them. */
  const answering = new Set<Promise<void>>();
  let closed = false;
  port.on('message', (m: ThreadRequest) => {
    now = m.now;
    // The client sends nothing after close; were it to, the call still gets its answer.
    if (closed) return reply({ id: m.id, error: toThreadError(storeClosed('duckdb')) });
    const answer = dispatch(handlers, m.op, m.args).then(
      (value): ThreadResponse => ({ id: m.id, value }),
      (e: unknown): ThreadResponse => ({ id: m.id, error: toThreadError(e) }),
    );
    if (m.op === 'close') {
      // The database lets what was asked before close finish and refuses the
      // rest (a rollup run's next step), so every earlier call is answered;
      // the answer to close is the thread's last message.
      closed = true;
      void Promise.all([answer, ...answering]).then(([last]) => {
        reply(last);
        port.close();
      });
      return;
    }
    const answered = answer.then(reply);
    answering.add(answered);
    void answered.then(() => answering.delete(answered));
  });
  port.postMessage({ ready: true } satisfies ThreadHello);
} catch (e) {
  port.postMessage({ ready: false, error: toThreadError(e) } satisfies ThreadHello);
}
