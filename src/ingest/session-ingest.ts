import {
  GatewayError,
  badInput,
  validateSessionRecord,
  type Clock,
  type FieldNaming,
  type RecordCandidate,
  type RecordLimits,
  type SessionRecord,
} from '../model/index.js';
import type { SessionStore } from '../stores/types.js';
import type { DeadLetterSink } from './dead-letter.js';

export interface IngestError {
  readonly index: number;
  readonly message: string;
}

export interface IngestResult {
  readonly accepted: number;
  readonly rejected: number;
  readonly errors: readonly IngestError[];
}

/** A candidate and what was received for it, kept for the dead-letter log. */
export interface IncomingRecord {
  readonly candidate: RecordCandidate;
  readonly raw: unknown;
  /** Set by a decoder that already knows the record is bad. */
  readonly error?: string;
}

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
  constructor(private readonly options: SessionIngestOptions) {}

  async ingest(records: readonly IncomingRecord[], naming: FieldNaming, source: string): Promise<IngestResult> {
    const { limits, clock, store, deadLetters } = this.options;
    if (records.length > limits.maxRecords) {
      throw badInput('records', `${records.length} records in one request; at most ${limits.maxRecords} are allowed`);
    }
    const ctx = { receivedAt: clock(), limits, naming };
    const valid: SessionRecord[] = [];
    const errors: IngestError[] = [];
    records.forEach((r, index) => {
      if (r.error !== undefined) {
        errors.push({ index, message: r.error });
        return;
      }
      try {
        valid.push(validateSessionRecord(r.candidate, ctx));
      } catch (e) {
        if (!(e instanceof GatewayError)) throw e;
        errors.push({ index, message: e.message });
      }
    });
    const rejects = errors.map((e) => ({ source, index: e.index, reason: e.message, raw: records[e.index]!.raw }));
    await Promise.all([store.write(valid), deadLetters.append(rejects)]);
    return { accepted: valid.length, rejected: errors.length, errors };
  }
}
