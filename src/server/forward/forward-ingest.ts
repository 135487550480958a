import type { BodyItem, DeadLetterSink, IncomingRecord, InflightBudget, IngestOptions, IngestResult, Reservation } from '../../ingest/index.js';
import { expandSessionItem } from '../../ingest/index.js';
import { namespaceScopeOf, type Caller, type FieldNaming } from '../../model/index.js';
import type { ForwardEvent, ForwardFrame, RejectedFrame } from './forward-frame.js';

/** The write paths a frame goes to (SessionIngest and UveIngest). */
export interface ForwardWritePaths {
  readonly sessions: { ingest(records: readonly IncomingRecord[], naming: FieldNaming, source: string, options?: IngestOptions): Promise<IngestResult> };
  readonly uves: { ingest(items: readonly BodyItem[], source: string, options?: IngestOptions): Promise<IngestResult> };
}

export interface ForwardIngestOptions extends ForwardWritePaths {
  readonly deadLetters: DeadLetterSink;
  readonly budget: InflightBudget;
  /** INGEST_MAX_RECORDS: a frame with more records is written in slices of this many, one after the other. */
  readonly maxRecords: number;
  readonly namespacePrefix: string;
}

export type ForwardTarget = 'sessions' | 'uves';

/**
 * The tag rule (docs/fluentd.md, "Forward protocol"): a tag whose last
 * dot-separated part is `uve` or `uves` carries UVEs, every other tag
 * session records.
 */
export function targetOf(tag: string): ForwardTarget {
  const last = tag.slice(tag.lastIndexOf('.') + 1);
  return last === 'uve' || last === 'uves' ? 'uves' : 'sessions';
}

/** The dead-letter source of a frame's records: `forward:sessions:<tag>` or `forward:uves:<tag>` (the tag cut at 128 characters). */
export function forwardSource(target: ForwardTarget, tag: string): string {
  return `forward:${target}:${tag.slice(0, 128)}`;
}

/**
 * Writes a frame's events through the same write paths, validation,
 * dead-letter log and namespace scope as HTTP ingest, and resolves once the
 * store confirmed them: the caller acknowledges the chunk only then. A
 * Saturated or store error rejects, and nothing may be acknowledged.
 */
export class ForwardIngest {
  constructor(private readonly options: ForwardIngestOptions) {}

  get budget(): InflightBudget {
    return this.options.budget;
  }

  /**
   * `key`: the frame's idempotency key (its chunk id and digest); each slice
   * of its session records is written under `<key>:<first record>`, so a
   * frame sent again is answered from the store instead of stored twice.
   */
  async ingestFrame(frame: ForwardFrame, caller: Caller, key?: string): Promise<{ accepted: number; rejected: number }> {
    const target = targetOf(frame.tag);
    const source = forwardSource(target, frame.tag);
    const scope = namespaceScopeOf(caller, this.options.namespacePrefix);
    const where = (i: number) => (frame.mode === 'message' ? 'event' : `entries[${i}]`);
    let accepted = 0;
    let rejected = 0;
    const add = (r: IngestResult) => {
      accepted += r.accepted;
      rejected += r.rejected;
    };
    const max = this.options.maxRecords;
    if (target === 'uves') {
      const items = frame.events.map((e, i): BodyItem => (e.error === undefined ? { where: where(i), value: e.record, raw: e.record } : { where: '', value: null, raw: e.raw, error: e.error }));
      for (let at = 0; at < items.length; at += max) add(await this.slice((held) => this.options.uves.ingest(items.slice(at, at + max), source, { reservation: held, scope })));
      return { accepted, rejected };
    }
    const records: IncomingRecord[] = [];
    frame.events.forEach((e, i) => sessionRecords(e, where(i), records));
    for (let at = 0; at < records.length; at += max) {
      const once = key === undefined ? {} : { idempotencyKey: `${key}:${at}`, fingerprint: key };
      add(await this.slice((held) => this.options.sessions.ingest(records.slice(at, at + max), 'snake', source, { reservation: held, scope, ...once })));
    }
    return { accepted, rejected };
  }

  /** Keeps a frame that is not a forward message as one dead letter. */
  async rejectFrame(frame: RejectedFrame): Promise<void> {
    const source = frame.tag === null ? 'forward' : forwardSource(targetOf(frame.tag), frame.tag);
    await this.options.deadLetters.append([{ source, index: 0, reason: frame.reason, raw: frame.raw }]);
  }

  /** One slice of a frame's records holds its own records of the budget, so that a frame larger than the budget still passes. */
  private async slice(work: (held: Reservation) => Promise<IngestResult>): Promise<IngestResult> {
    const held = this.options.budget.reserve();
    try {
      return await work(held);
    } finally {
      held.release();
    }
  }
}

/**
 * One event as session records: a flat record without its own `time` takes
 * the event's (epoch nanoseconds, kept so in the dead-letter log too); a
 * SessionEndpoint message or `session_data` wrapper is expanded as over HTTP.
 */
function sessionRecords(e: ForwardEvent, where: string, out: IncomingRecord[]): void {
  if (e.error !== undefined) {
    out.push({ candidate: {}, raw: e.raw, error: e.error });
    return;
  }
  const r = e.record;
  const flat = r['sess_agg_info'] === undefined && r['session_data'] === undefined;
  expandSessionItem(flat && (r['time'] === undefined || r['time'] === null) ? { ...r, time: e.time.toString() } : r, where, out);
}
