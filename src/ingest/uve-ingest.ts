import {
  GatewayError,
  assertUveWritable,
  tooExpensive,
  validateUveDocument,
  validateUveName,
  validateUveType,
} from '../model/index.js';
import type { UveStore } from '../stores/types.js';
import type { BodyFormat, BodyItem } from './body.js';
import type { DeadLetter, DeadLetterSink } from './dead-letter.js';
import { isAnswer, keepRejectsDuring, splitOrReject } from './rejects.js';
import type { IngestError, IngestOptions, IngestResult } from './types.js';

export interface UveIngestOptions {
  readonly store: UveStore;
  readonly deadLetters: DeadLetterSink;
  /** Most documents in one request (INGEST_MAX_RECORDS). */
  readonly maxRecords: number;
}

/**
 * The write path of `POST /ingest/uves` (ARCHITECTURE §2, §6): each item a
 * `{type, name, document}` object, validated like the upsertUve mutation;
 * rejects go to the dead-letter log, valid documents are upserted in order
 * (the last of two with one name wins), and the answer waits for the store.
 * An upsert replaces the whole document, so a retried request does no harm:
 * idempotency keys are not needed here. With `options.scope` (a caller
 * limited to namespaces), a UVE outside them is rejected like an invalid one.
 */
export class UveIngest {
  constructor(private readonly options: UveIngestOptions) {}

  async ingestBody(body: Buffer, format: BodyFormat, source: string, options: IngestOptions = {}): Promise<IngestResult> {
    const items = await splitOrReject(body, format, source, this.options.deadLetters, options);
    return isAnswer(items) ? items : this.ingest([...items], source, options);
  }

  /** Validates and upserts decoded items; `where` of each prefixes its error. */
  async ingest(items: readonly BodyItem[], source: string, options: IngestOptions = {}): Promise<IngestResult> {
    const max = this.options.maxRecords;
    if (items.length > max) throw tooExpensive(`more than ${max} UVEs in one request; send at most ${max} (INGEST_MAX_RECORDS)`);
    options.reservation?.addRecords(items.length);
    const valid: { type: string; name: string; document: Record<string, unknown> }[] = [];
    const errors: IngestError[] = [];
    const rejects: DeadLetter[] = [];
    items.forEach((item, index) => {
      let problem = item.error;
      if (problem === undefined) {
        try {
          const uve = validateUve(item.value);
          // A scoped caller writes only its namespaces' UVEs, as with upsertUve: FORBIDDEN, kept as a dead letter.
          assertUveWritable(options.scope, uve.type, uve.name);
          valid.push(uve);
          return;
        } catch (e) {
          if (!(e instanceof GatewayError)) throw e;
          problem = e.message;
        }
      }
      const message = item.where === '' ? problem : `${item.where}: ${problem}`;
      errors.push({ index, message });
      rejects.push({ source, index, reason: message, raw: item.raw });
    });
    const { store } = this.options;
    // One batch: an acknowledged OpenSearch write waits for a refresh, once.
    // An upsert repeated by a retry does no harm, so the rejects are kept meanwhile.
    // Only the store says when it is unavailable (a 503 that senders retry);
    // any other failure stays what it is, INTERNAL at the edge.
    await keepRejectsDuring(this.options.deadLetters, rejects, options, async () => {
      await store.upsertMany(valid);
    });
    return { accepted: valid.length, rejected: errors.length, errors };
  }
}

function validateUve(v: unknown): { type: string; name: string; document: Record<string, unknown> } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new GatewayError('BAD_USER_INPUT', 'expected a JSON object {"type", "name", "document"}');
  }
  const o = v as Record<string, unknown>;
  return {
    type: validateUveType(o['type'], 'type'),
    name: validateUveName(o['name'], 'name'),
    document: validateUveDocument(o['document'], 'document'),
  };
}
