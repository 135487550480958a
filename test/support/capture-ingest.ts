import { decodeRecords, type RecordBatch, type SessionRecord } from '../../src/model/index.js';
import type { BodyFormat } from '../../src/ingest/body.js';
import type { DeadLetter } from '../../src/ingest/dead-letter.js';
import { SessionIngest } from '../../src/ingest/session-ingest.js';
import type { IngestResult } from '../../src/ingest/types.js';
import type { SessionStore } from '../../src/stores/types.js';

/** The time every record without its own is received at, in the differential tests. */
export const RECEIVED = 1_795_600_800_123_456_789n;

/** What one body did: the answer (or what was thrown), the records stored, the rejects kept. */
export interface Outcome {
  readonly result: IngestResult | { readonly thrown: string };
  readonly records: SessionRecord[];
  readonly rejects: DeadLetter[];
}

/**
 * A store that confirms every write at once and keeps the batches in
 * `batches` (without it, drops them); it answers nothing else and keeps no
 * idempotency keys. The ingest tests and benchmarks measure ingest on it.
 */
export function captureStore(batches?: RecordBatch[]): SessionStore {
  const unused = () => Promise.reject(new Error('not part of the ingest path'));
  return {
    backend: batches === undefined ? 'discard' : 'capture',
    write: (batch: RecordBatch) => {
      batches?.push(batch);
      return Promise.resolve();
    },
    traffic: unused,
    series: unused,
    values: unused,
    labelNames: unused,
    records: unused,
    storedLabelNames: () => Promise.resolve({ local: [], remote: [] }),
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

/**
 * SessionIngest over a capturing store and dead-letter log, with the fast
 * lanes on (`flatLane`) or off (the reference path): each call ingests one
 * body and says what it did, records decoded field by field from the
 * batches written.
 */
export function captureIngest(flatLane: boolean, maxLabels = 64): (body: Buffer, format?: BodyFormat) => Promise<Outcome> {
  const batches: RecordBatch[] = [];
  const rejects: DeadLetter[] = [];
  const ingest = new SessionIngest({
    store: captureStore(batches),
    deadLetters: {
      append: (entries) => {
        rejects.push(...entries);
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    },
    clock: () => RECEIVED,
    limits: { maxRecords: 1000, maxLabels },
    flatLane,
  });
  return async (body, format = 'ndjson') => {
    batches.length = 0;
    rejects.length = 0;
    let result: Outcome['result'];
    try {
      result = await ingest.ingestBody(body, format, 'http:/ingest/sessions');
    } catch (e) {
      result = { thrown: String(e) };
    }
    const records = batches.flatMap(decodeRecords).map((r) => ({ ...r, localLabels: { ...r.localLabels }, remoteLabels: { ...r.remoteLabels } }));
    return { result, records, rejects: [...rejects] };
  };
}
