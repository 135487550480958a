import type { RecordBatch } from '../model/index.js';
import type { SessionStore, TailRead, UveStore, WriteOptions } from '../stores/types.js';
import type { Metrics } from './metrics.js';

/**
 * The one seam where store calls are timed (sag_store_call_seconds by
 * backend, operation and outcome): the gateway wraps the session and UVE
 * stores it opened, so every caller (ingest, GraphQL, /ready, replays) is
 * measured and no store measures itself. `close` is not timed.
 */
export function timedSessionStore(store: SessionStore, metrics: Metrics): SessionStore {
  const time = timer(store.backend, metrics);
  return {
    backend: store.backend,
    write: (batch: RecordBatch, options?: WriteOptions) => time('write', () => store.write(batch, options)),
    // Present only when the store has it: the ingest path asks whether it does.
    // Looked up at each call, like the other methods, so that a decorator or spy set later is honoured.
    ...(store.findIdempotency === undefined ? {} : { findIdempotency: (key: string) => time('findIdempotency', () => store.findIdempotency!(key)) }),
    traffic: (q) => time('traffic', () => store.traffic(q)),
    series: (q) => time('series', () => store.series(q)),
    values: (q) => time('values', () => store.values(q)),
    labelNames: (q) => time('labelNames', () => store.labelNames(q)),
    records: (q) => time('records', () => store.records(q)),
    // The live tail reads (optional, like findIdempotency).
    ...(store.tailHead === undefined ? {} : { tailHead: () => time('tailHead', () => store.tailHead!()) }),
    ...(store.tail === undefined ? {} : { tail: (read: TailRead) => time('tail', () => store.tail!(read)) }),
    storedLabelNames: () => time('storedLabelNames', () => store.storedLabelNames()),
    ping: () => time('ping', () => store.ping()),
    close: () => store.close(),
  };
}

export function timedUveStore(store: UveStore, metrics: Metrics): UveStore {
  const time = timer(store.backend, metrics);
  return {
    backend: store.backend,
    upsert: (type, name, document) => time('upsert', () => store.upsert(type, name, document)),
    upsertMany: (writes) => time('upsertMany', () => store.upsertMany(writes)),
    delete: (type, name) => time('delete', () => store.delete(type, name)),
    get: (type, name, scope) => time('get', () => store.get(type, name, scope)),
    getMany: (type, names, scope) => time('getMany', () => store.getMany(type, names, scope)),
    list: (q) => time('list', () => store.list(q)),
    types: () => time('types', () => store.types()),
    ping: () => time('ping', () => store.ping()),
    close: () => store.close(),
  };
}

function timer(backend: string, metrics: Metrics) {
  return async <T>(operation: string, call: () => Promise<T>): Promise<T> => {
    const start = process.hrtime.bigint();
    try {
      const result = await call();
      metrics.observeStoreCall(backend, operation, 'ok', Number(process.hrtime.bigint() - start) / 1e9);
      return result;
    } catch (e) {
      metrics.observeStoreCall(backend, operation, 'error', Number(process.hrtime.bigint() - start) / 1e9);
      throw e;
    }
  };
}
