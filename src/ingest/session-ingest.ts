import {
  GatewayError,
  backendUnavailable,
  badInput,
  tooExpensive,
  validateSessionRecord,
  type Clock,
  type FieldNaming,
  type RecordLimits,
  type SessionRecord,
} from '../model/index.js';
import type { IdempotencyRecord, SessionStore } from '../stores/types.js';
import type { BodyFormat } from './body.js';
import type { DeadLetter, DeadLetterSink } from './dead-letter.js';
import { keepRejects, splitOrReject } from './rejects.js';
import type { IncomingRecord, IngestError, IngestOptions, IngestResult } from './types.js';
import { expandSessionItem } from './session-decoder.js';

export interface SessionIngestOptions {
  readonly store: SessionStore;
  readonly deadLetters: DeadLetterSink;
  readonly clock: Clock;
  readonly limits: RecordLimits & { readonly maxRecords: number };
}


/**
 * The one write path for session records, behind both the mutation and the
 * HTTP listener: validate each record, dead-letter the rejects, store the
 * valid ones, and resolve only after the store confirmed them. A store
 * failure rejects with BACKEND_UNAVAILABLE and nothing is reported accepted.
 */
export class SessionIngest {
  private readonly pendingKeys = new Map<string, Promise<IngestResult>>();

  constructor(private readonly options: SessionIngestOptions) {}

  /** Ingests decoded records (the mutation, a replay). `naming` says how errors name fields. */
  ingest(
    records: readonly IncomingRecord[],
    naming: FieldNaming,
    source: string,
    options: IngestOptions = {},
  ): Promise<IngestResult> {
    return this.once(options, () => {
      this.checkCount(records.length);
      options.admit?.(records.length);
      return this.write(records, naming, source, options);
    });
  }

  /**
   * Ingests a request body of flat records and SessionEndpoint messages
   * (ARCHITECTURE §2). Records are numbered in the order they come out of the
   * body, after SessionEndpoint messages are expanded. A body that is not
   * JSON at all is kept in the dead-letter log whole and answered as one
   * rejected record.
   */
  ingestBody(body: Buffer, format: BodyFormat, source: string, options: IngestOptions = {}): Promise<IngestResult> {
    return this.once(options, async () => {
      const items = await splitOrReject(body, format, source, this.options.deadLetters, options);
      if (!Array.isArray(items)) return items;
      const records: IncomingRecord[] = [];
      for (const item of items) {
        if (item.error !== undefined) {
          records.push({ candidate: {}, raw: item.raw, error: item.error, context: item.where });
        } else {
          expandSessionItem(item.value, item.where, records);
        }
        this.checkCount(records.length);
      }
      options.admit?.(records.length);
      return this.write(records, 'snake', source, options);
    });
  }

  /** Validates, keeps the rejects, then writes the valid records (with the answer, when idempotent). */
  private async write(
    records: readonly IncomingRecord[],
    naming: FieldNaming,
    source: string,
    options: IngestOptions,
  ): Promise<IngestResult> {
    const { limits, clock, store } = this.options;
    const ctx = { receivedAt: clock(), limits, naming };
    const valid: SessionRecord[] = [];
    const errors: IngestError[] = [];
    const rejects: DeadLetter[] = [];
    for (let index = 0; index < records.length; index++) {
      const r = records[index]!;
      let problem = r.error;
      if (problem === undefined) {
        try {
          valid.push(validateSessionRecord(r.candidate, ctx));
          continue;
        } catch (e) {
          if (!(e instanceof GatewayError)) throw e;
          problem = e.message;
        }
      }
      const message = r.context === undefined || r.context === '' ? problem : `${r.context}: ${problem}`;
      errors.push({ index, message });
      rejects.push({ source, index, reason: message, raw: r.raw });
    }
    // Rejects are kept first: a 503 after this makes the sender retry, and a
    // reject kept twice is better than one lost.
    await keepRejects(this.options.deadLetters, rejects, options);
    const answer: IngestResult = { accepted: valid.length, rejected: errors.length, errors };
    const key = options.idempotencyKey;
    const idempotency: IdempotencyRecord | undefined =
      key === undefined || store.findIdempotency === undefined
        ? undefined
        : { key, fingerprint: options.fingerprint ?? '', answer: JSON.stringify(answer) };
    // The answer is remembered only with stored records: a request that stored
    // nothing can simply be sent again (say, replayed after a limit was raised).
    if (valid.length > 0) await store.write(valid, idempotency === undefined ? undefined : { idempotency });
    return answer;
  }

  private checkCount(n: number): void {
    const max = this.options.limits.maxRecords;
    if (n > max) throw tooExpensive(`more than ${max} records in one request; send at most ${max} (INGEST_MAX_RECORDS)`);
  }

  /**
   * Runs `work` at most once per idempotency key: requests with the same key
   * run one after the other, and each first looks for a stored answer. A
   * store that keeps no idempotency records (no `findIdempotency`) ignores
   * the key.
   */
  private once(options: IngestOptions, work: () => Promise<IngestResult>): Promise<IngestResult> {
    const key = options.idempotencyKey;
    const store = this.options.store;
    if (key === undefined || store.findIdempotency === undefined) return work();
    const find = store.findIdempotency.bind(store);
    const before = this.pendingKeys.get(key) ?? Promise.resolve(undefined);
    const run = before
      .catch(() => undefined)
      .then(async (): Promise<IngestResult> => {
        let stored;
        try {
          stored = await find(key);
        } catch (e) {
          throw e instanceof GatewayError ? e : backendUnavailable(store.backend, e);
        }
        if (stored === null) return work();
        if (stored.fingerprint !== (options.fingerprint ?? '')) {
          throw badInput('Idempotency-Key', 'was already used for a different request; send new records under a new key');
        }
        return { ...(JSON.parse(stored.answer) as IngestResult), replayed: true };
      });
    this.pendingKeys.set(key, run);
    const forget = () => {
      if (this.pendingKeys.get(key) === run) this.pendingKeys.delete(key);
    };
    run.then(forget, forget);
    return run;
  }
}
