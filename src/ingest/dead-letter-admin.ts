import { createHash } from 'node:crypto';
import { tooExpensive, type RecordCandidate } from '../model/index.js';
import { UndecodedInput, type DeadLetterPage, type DeadLetterReader } from './dead-letter.js';
import { expandSessionItem } from './session-decoder.js';
import type { SessionIngest } from './session-ingest.js';
import type { IncomingRecord, IngestError, IngestOptions, IngestResult } from './types.js';
import type { UveIngest } from './uve-ingest.js';

export interface DeadLetterAdminOptions {
  readonly log: DeadLetterReader;
  readonly sessions: SessionIngest;
  readonly uves: UveIngest;
  /** Most ids in one replay, and most entries in one page (INGEST_MAX_RECORDS). */
  readonly maxRecords: number;
}

const UVE_SOURCE = 'http:/ingest/uves';

/** UVEs came in over HTTP or a forward tag that names UVEs (`forward:uves:<tag>`). */
function isUveSource(source: string): boolean {
  return source === UVE_SOURCE || source.startsWith('forward:uves:');
}
const DROPPED = 'was dropped from the dead-letter log by its bounds (DEAD_LETTER_MAX_BYTES, DEAD_LETTER_MAX_AGE) before it was replayed';
const CONCURRENCY = 32;

/**
 * Lists the dead-letter log and replays entries through the one write path
 * (docs/ingest.md). A replayed entry is decoded as it was first received
 * (an agent record, a GraphQL input, a UVE, or text that was not JSON) and
 * validated anew; a record rejected again is not logged a second time, and
 * an entry whose records were stored is not stored twice within the
 * idempotency window (its key is `dead-letter:<id>`).
 */
export class DeadLetterAdmin {
  constructor(private readonly options: DeadLetterAdminOptions) {}

  list(first: number, after: string | null): Promise<DeadLetterPage> {
    return this.options.log.list(after, Math.min(Math.max(first, 0), this.options.maxRecords));
  }

  /** Replays the entries with these ids; `errors[].index` is a position in `ids`. */
  async replay(ids: readonly string[]): Promise<IngestResult> {
    if (ids.length > this.options.maxRecords) {
      throw tooExpensive(`more than ${this.options.maxRecords} dead letters in one replay (INGEST_MAX_RECORDS)`);
    }
    const results: IngestResult[] = new Array(ids.length);
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const i = next++;
        results[i] = await this.replayOne(ids[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, ids.length) }, worker));
    let accepted = 0;
    let rejected = 0;
    const errors: IngestError[] = [];
    results.forEach((r, index) => {
      accepted += r.accepted;
      rejected += r.rejected;
      for (const e of r.errors) errors.push({ index, message: `dead letter ${ids[index]}: ${e.message}` });
    });
    return { accepted, rejected, errors };
  }

  private async replayOne(id: string): Promise<IngestResult> {
    const found = await this.options.log.read(id);
    if (found.kind === 'dropped') return notReplayed(DROPPED);
    if (found.kind === 'absent') return notReplayed('no entry has this id');
    const { entry } = found;
    const source = `replay:${entry.source}`;
    const options: IngestOptions = {
      keepRejects: false,
      // The entry's own id: another spelling of it (leading zeros) is the same entry.
      idempotencyKey: `dead-letter:${entry.id}`,
      // A record without time gets the time it first came in, not the replay's: replayed twice, it is the same point.
      receivedAt: entry.at,
      fingerprint: createHash('sha256').update(`${entry.at}\n${entry.source}\n${entry.index}\n${entry.reason}`).digest('base64url'),
    };
    const { sessions, uves } = this.options;
    if (entry.raw instanceof UndecodedInput) {
      const body = entry.raw.toBuffer();
      return isUveSource(entry.source) ? uves.ingestBody(body, 'json', source, options) : sessions.ingestBody(body, 'json', source, options);
    }
    if (isUveSource(entry.source)) return uves.ingest([{ where: '', value: entry.raw, raw: entry.raw }], source, options);
    if (entry.source === 'graphql') {
      return sessions.ingest([{ candidate: entry.raw as RecordCandidate, raw: entry.raw }], 'camel', source, options);
    }
    const records: IncomingRecord[] = [];
    expandSessionItem(entry.raw, '', records);
    return sessions.ingest(records, 'snake', source, options);
  }
}

function notReplayed(message: string): IngestResult {
  return { accepted: 0, rejected: 1, errors: [{ index: 0, message }] };
}
