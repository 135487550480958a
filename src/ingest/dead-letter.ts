import type { EpochNs } from '../model/index.js';

/** Input that did not decode to a JSON value, kept as it came: text, or bytes when it is not UTF-8. */
export class UndecodedInput {
  private constructor(
    readonly text: string | undefined,
    readonly base64: string | undefined,
  ) {}

  static text(text: string): UndecodedInput {
    return new UndecodedInput(text, undefined);
  }

  static bytes(bytes: Uint8Array): UndecodedInput {
    return new UndecodedInput(undefined, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'));
  }

  static base64(base64: string): UndecodedInput {
    return new UndecodedInput(undefined, base64);
  }

  /** The input as a Buffer, whichever way it is kept. */
  toBuffer(): Buffer {
    return this.text !== undefined ? Buffer.from(this.text, 'utf8') : Buffer.from(this.base64 ?? '', 'base64');
  }
}

/** One rejected record, kept raw with its reason (ARCHITECTURE §2). */
export interface DeadLetter {
  /** Where it came in: `graphql`, `http:/ingest/sessions`, `http:/ingest/uves`, ... */
  readonly source: string;
  /** Its position in the request. */
  readonly index: number;
  readonly reason: string;
  /** The record as received (after JSON decoding), or the input that did not decode. */
  readonly raw: unknown;
}

/** A dead letter as read back from the log, with its id and the time it was rejected. */
export interface DeadLetterEntry extends DeadLetter {
  /** Stable and unique for as long as the entry is kept; the log chooses its form. */
  readonly id: string;
  readonly at: EpochNs;
}

export interface DeadLetterPage {
  readonly entries: readonly DeadLetterEntry[];
  /** The cursor for the next page, null at the end of the log. */
  readonly next: string | null;
}

/** What the log knows of an id: its entry, or that the entry was dropped by the log's bounds, or nothing. */
export type DeadLetterLookup =
  | { readonly kind: 'entry'; readonly entry: DeadLetterEntry }
  | { readonly kind: 'dropped' }
  | { readonly kind: 'absent' };

export interface DeadLetterSink {
  /** Resolves once the entries are durable. */
  append(entries: readonly DeadLetter[]): Promise<void>;
  close(): Promise<void>;
}

export interface DeadLetterReader {
  /** Up to `first` entries after the cursor (from the start when null), oldest first. */
  list(after: string | null, first: number): Promise<DeadLetterPage>;
  /** The entry with this id, or why there is none; an id that is not of the log's form is BAD_USER_INPUT. */
  read(id: string): Promise<DeadLetterLookup>;
}

/** Why entries left the log before anyone replayed them. */
export type DeadLetterDropReason = 'max_bytes' | 'max_age';

/** Entries the log dropped at once to stay within one of its bounds. */
export interface DeadLetterDrop {
  readonly reason: DeadLetterDropReason;
  readonly entries: number;
  readonly bytes: number;
}

/**
 * The whole dead-letter log as the gateway uses it: appended to by the write
 * paths, listed and read by the replay. `open` reads what an earlier run
 * left and applies the bounds before the first request; the other methods
 * open it themselves when it was not.
 */
export interface DeadLetterLog extends DeadLetterSink, DeadLetterReader {
  open(): Promise<void>;
}
