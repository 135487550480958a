import {
  GatewayError,
  badInput,
  tooExpensive,
  validateSessionRecord,
  scopeCoversSession,
  RecordBatchBuilder,
  type NamespaceScope,
  type Clock,
  type FieldNaming,
  type RecordContext,
  type RecordLimits,
} from '../model/index.js';
import type { IdempotencyRecord, SessionStore } from '../stores/types.js';
import { ndjsonEncoding, ndjsonLineItem, type BodyFormat, type BodyItem, type NdjsonEncoding } from './body.js';
import { FlatLineReader } from './flat-line.js';
import { SessionBytesReader } from './session-bytes.js';
import type { DeadLetter, DeadLetterSink } from './dead-letter.js';
import type { InflightBudget, Reservation } from './inflight-budget.js';
import { isAnswer, keepRejects, keepRejectsDuring, splitOrReject } from './rejects.js';
import type { IncomingRecord, IngestError, IngestOptions, IngestResult } from './types.js';
import { expandSessionEndpoint, expandSessionItem, isObject, join } from './session-decoder.js';
import { SessionEndpointLane } from './session-lane.js';
import type { LabelNames } from './label-names.js';
import { refuseRecords } from './refusals.js';

export interface SessionIngestOptions {
  readonly store: SessionStore;
  readonly deadLetters: DeadLetterSink;
  readonly clock: Clock;
  readonly limits: RecordLimits & { readonly maxRecords: number };
  /**
   * The in-flight budget every way in shares (the HTTP routes hold theirs
   * and pass it as `reservation`). Without one, a call that brings no
   * reservation is not bounded: for tests and benchmarks only.
   */
  readonly budget?: InflightBudget;
  /**
   * False reads every NDJSON line on the reference path, without the flat
   * record lane (FlatLineReader): for the differential test and for
   * benchmarks that compare the two. Default true.
   */
  readonly flatLane?: boolean;
  /**
   * The label names the store keeps and their bound (INGEST_MAX_LABEL_NAMES):
   * a record bringing a new name past it is rejected. Without one, every
   * name is stored: for tests and benchmarks only.
   */
  readonly labelNames?: LabelNames;
}


/**
 * The one write path for session records, behind both the mutation and the
 * HTTP listener: validate each record, dead-letter the rejects, store the
 * valid ones, and resolve only after the store confirmed them. A store
 * failure rejects with the store's error (BACKEND_UNAVAILABLE when the
 * store is unavailable) and nothing is reported accepted.
 * Every call holds its records (and bytes) in the in-flight budget until it
 * settles; past the budget it rejects with Saturated (SATURATED, HTTP 429).
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
    return this.once(options, () =>
      this.holding(options, options.bytes ?? 0, (held) => {
        new Admission(this.options.limits.maxRecords, held).finish(records.length);
        const intake = this.intake(naming, source, undefined, options);
        for (const r of records) intake.add(r);
        return this.commit(intake, options);
      }),
    );
  }

  /**
   * Ingests a request body of flat records and SessionEndpoint messages
   * (ARCHITECTURE §2). Records are numbered in the order they come out of the
   * body, after SessionEndpoint messages are expanded. A body that is not
   * JSON at all is kept in the dead-letter log whole and answered as one
   * rejected record. NDJSON is read a line at a time, each record validated
   * and laid out for the store before the next line is decoded. The body is
   * only read while the call runs: nothing kept refers to it (the HTTP
   * route gives its buffer to the next request once the answer is known).
   */
  ingestBody(body: Buffer, format: BodyFormat, source: string, options: IngestOptions = {}): Promise<IngestResult> {
    return this.once(options, () => this.holding(options, options.bytes ?? body.length, async (held) => {
      // Room for the records the body likely holds (a flat record is some 300-700 bytes), so the batch's arrays are made once.
      const expected = Math.min(this.options.limits.maxRecords, Math.ceil(body.length / 400));
      let intake = this.intake('snake', source, expected, options);
      const admission = new Admission(this.options.limits.maxRecords, held);
      // The lanes lay records out without looking at them: a scoped caller's are each checked on the reference path.
      const flat = this.options.flatLane !== false && options.scope == null;
      if (flat) intake.useSessionLane();
      if (format === 'ndjson') this.readNdjson(body, intake, admission, flat);
      else {
        // A JSON body of flat records (fluentd's json_array) or SessionEndpoint messages is taken by the byte lanes whole, or read again on the reference path.
        const taken = flat
          ? new FlatLineReader(intake.ctx, intake.valid).readJson(body, (n) => admission.step(n), new SessionBytesReader(intake.ctx, intake.valid))
          : -1;
        if (taken >= 0) intake.count = taken;
        else {
          intake = this.intake('snake', source, expected, options);
          if (flat) intake.useSessionLane();
          const items = await splitOrReject(body, format, source, this.options.deadLetters, options);
          if (isAnswer(items)) return items;
          for (const item of items) {
            intake.addItem(item);
            admission.step(intake.count);
          }
        }
      }
      admission.finish(intake.count);
      return this.commit(intake, options);
    }));
  }

  /**
   * Runs `work` holding the caller's reservation, or one of its own from the
   * budget with `bytes` taken at once, given back when `work` settles.
   */
  private async holding<T>(options: IngestOptions, bytes: number, work: (held: Reservation | undefined) => Promise<T>): Promise<T> {
    const budget = this.options.budget;
    if (options.reservation !== undefined || budget === undefined) return work(options.reservation);
    const held = budget.reserve();
    try {
      held.addBytes(bytes);
      return await work(held);
    } finally {
      held.release();
    }
  }

  /**
   * An NDJSON body, a line at a time: the usual flat record takes the lane
   * from bytes to columns (FlatLineReader), the usual SessionEndpoint
   * message its own (SessionBytesReader), any other line is decoded and
   * validated on the reference path.
   */
  private readNdjson(body: Buffer, intake: Intake, admission: Admission, flat: boolean): void {
    const lane = flat ? new FlatLineReader(intake.ctx, intake.valid) : undefined;
    const messages = flat ? new SessionBytesReader(intake.ctx, intake.valid) : undefined;
    let encoding: NdjsonEncoding | undefined;
    let line = 0;
    let pos = 0;
    while (pos < body.length) {
      let end = body.indexOf(0x0a, pos);
      if (end < 0) end = body.length;
      line++;
      if (lane !== undefined && lane.read(body, pos, end)) intake.count++;
      else if (messages !== undefined && messages.item(body, pos, end, true) >= 0) intake.count += messages.added;
      else {
        encoding ??= ndjsonEncoding(body);
        const item = ndjsonLineItem(body, pos, end, line, encoding);
        if (item !== null) intake.addItem(item);
      }
      pos = end + 1;
      admission.step(intake.count);
    }
  }

  private intake(naming: FieldNaming, source: string, expectedRecords: number | undefined, options: IngestOptions): Intake {
    return new Intake({ receivedAt: options.receivedAt ?? this.options.clock(), limits: this.options.limits, naming }, source, expectedRecords, options.scope ?? null);
  }

  /**
   * Keeps the rejects and writes the valid records (with the answer, when
   * idempotent), and answers once both are durable. A 503 after the rejects
   * were kept makes the sender retry, and a reject kept twice is better than
   * one lost.
   */
  private async commit(intake: Intake, options: IngestOptions): Promise<IngestResult> {
    const { store, deadLetters, labelNames } = this.options;
    let batch = intake.valid.finish();
    let { errors, rejects } = intake;
    const refusals = labelNames?.screen(batch) ?? [];
    if (refusals.length > 0) {
      const refused = refuseRecords(batch, refusals, errors, intake.ctx.naming, intake.source, labelNames!.max);
      batch = refused.batch;
      errors = refused.errors;
      rejects = [...rejects, ...refused.rejects];
    }
    const answer: IngestResult = { accepted: batch.length, rejected: errors.length, errors };
    const key = options.idempotencyKey;
    const idempotency: IdempotencyRecord | undefined =
      key === undefined || store.findIdempotency === undefined
        ? undefined
        : { key, fingerprint: options.fingerprint ?? '', answer: JSON.stringify(answer) };
    // The answer is remembered only with stored records: a request that stored
    // nothing can simply be sent again (say, replayed after a limit was raised).
    if (batch.length === 0) await keepRejects(deadLetters, rejects, options);
    else if (idempotency === undefined) await keepRejectsDuring(deadLetters, rejects, options, () => store.write(batch));
    else {
      // A stored answer is given back to a retry without a new write: the rejects it reports must be kept before it is stored.
      await keepRejects(deadLetters, rejects, options);
      await store.write(batch, { idempotency });
    }
    return answer;
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
        // The store says when it is unavailable; any other failure stays INTERNAL.
        const stored = await find(key);
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

/** How many records at a time a body's records are admitted to the in-flight budget. */
const ADMIT_STEP = 1000;

/**
 * A request's records against its limits as they are decoded: more than
 * `maxRecords` is refused, and the in-flight budget is asked a thousand
 * records at a time, so that an overloaded gateway stops decoding early.
 */
class Admission {
  private admitted = 0;

  constructor(
    private readonly maxRecords: number,
    private readonly held: Reservation | undefined,
  ) {}

  /** Called with the count so far, after each item. */
  step(count: number): void {
    if (count > this.maxRecords) {
      throw tooExpensive(`more than ${this.maxRecords} records in one request; send at most ${this.maxRecords} (INGEST_MAX_RECORDS)`);
    }
    if (count - this.admitted >= ADMIT_STEP) this.admit(count);
  }

  /** Called once with the final count. */
  finish(count: number): void {
    this.step(count);
    this.admit(count);
  }

  /** Asks for the records past those already admitted (a body read again on the reference path counts from 0 again). */
  private admit(count: number): void {
    if (count <= this.admitted) return;
    this.held?.addRecords(count - this.admitted);
    this.admitted = count;
  }
}

/**
 * One request's records on their way to the store: each is validated as it
 * comes and, when valid, laid out in the batch at once, so that what a
 * request holds while it waits for the commit is a few arrays rather than
 * its decoded records (docs/decisions.md).
 */
class Intake {
  readonly valid: RecordBatchBuilder;
  readonly errors: IngestError[] = [];
  readonly rejects: DeadLetter[] = [];
  count = 0;
  private readonly expanded: IncomingRecord[] = [];
  private sessionLane: SessionEndpointLane | undefined;

  constructor(
    readonly ctx: RecordContext,
    readonly source: string,
    expectedRecords?: number,
    private readonly scope: NamespaceScope | null = null,
  ) {
    this.valid = new RecordBatchBuilder(expectedRecords);
  }

  /** SessionEndpoint messages of the body take the lane to columns (SessionEndpointLane) when it can read them. */
  useSessionLane(): void {
    this.sessionLane = new SessionEndpointLane(this.ctx, this.valid);
  }

  /** One item of a body: a bad one as one reject, else every record it expands to. */
  addItem(item: BodyItem): void {
    if (item.error !== undefined) {
      this.add({ candidate: {}, raw: item.raw, error: item.error, context: item.where });
      return;
    }
    const value = item.value;
    const lane = this.sessionLane;
    // The order of expandSessionItem: a list of messages first, then a message, then a flat record.
    if (lane !== undefined && isObject(value)) {
      const list = value['session_data'];
      if (Array.isArray(list)) {
        for (let i = 0; i < list.length; i++) this.addMessage(lane, list[i], join(item.where, `session_data[${i}]`));
        return;
      }
      if (list === undefined && value['sess_agg_info'] !== undefined) {
        this.addMessage(lane, value, item.where);
        return;
      }
    }
    const expanded = this.expanded;
    expandSessionItem(value, item.where, expanded);
    for (const r of expanded) this.add(r);
    expanded.length = 0;
  }

  /** One SessionEndpoint message: on the lane, or expanded on the reference path when the lane declines it. */
  private addMessage(lane: SessionEndpointLane, m: unknown, where: string): void {
    const added = lane.add(m);
    if (added >= 0) {
      this.count += added;
      return;
    }
    const expanded = this.expanded;
    expandSessionEndpoint(m, where, expanded);
    for (const r of expanded) this.add(r);
    expanded.length = 0;
  }

  add(r: IncomingRecord): void {
    const index = this.count++;
    let problem = r.error;
    if (problem === undefined) {
      try {
        const record = validateSessionRecord(r.candidate, this.ctx);
        if (this.scope !== null && !scopeCoversSession(this.scope, record.vn, record.remoteVn)) throw namespaceForbidden(this.ctx.naming);
        this.valid.add(record);
        return;
      } catch (e) {
        if (!(e instanceof GatewayError)) throw e;
        problem = e.message;
      }
    }
    const message = r.context === undefined || r.context === '' ? problem : `${r.context}: ${problem}`;
    this.errors.push({ index, message });
    this.rejects.push({ source: this.source, index, reason: message, raw: r.raw });
  }
}

/**
 * A record of a scoped caller's ingest neither of whose VNs belongs to the
 * caller's namespaces (docs/security.md "Namespaces"): rejected, kept in
 * the dead-letter log under this stable name.
 */
function namespaceForbidden(naming: FieldNaming): GatewayError {
  const [vn, remote] = naming === 'camel' ? ['vn', 'remoteVn'] : ['vn', 'remote_vn'];
  return new GatewayError('FORBIDDEN', `${vn}: NAMESPACE_FORBIDDEN: neither ${vn} nor ${remote} belongs to a namespace this caller may write`, { field: vn });
}
