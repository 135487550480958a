import { mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { badInput, formatDateTime, parseDateTime, type Clock, type EpochNs } from '../model/index.js';

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
  /** The byte offset of its line in the log: stable, since the log is only appended to. */
  readonly id: string;
  readonly at: EpochNs;
}

export interface DeadLetterPage {
  readonly entries: readonly DeadLetterEntry[];
  /** The cursor for the next page, null at the end of the log. */
  readonly next: string | null;
}

export interface DeadLetterSink {
  /** Resolves once the entries are durable. */
  append(entries: readonly DeadLetter[]): Promise<void>;
  close(): Promise<void>;
}

export interface DeadLetterReader {
  /** Up to `first` entries after the cursor (from the start when null), oldest first. */
  list(after: string | null, first: number): Promise<DeadLetterPage>;
  /** The entry with this id, or null when there is none. */
  read(id: string): Promise<DeadLetterEntry | null>;
}

const CHUNK = 1 << 16;

/**
 * An append-only NDJSON file: one line per rejected record,
 * `{"at", "source", "index", "reason", "raw"}` where `raw` is the record as
 * received, or `"rawText"` / `"rawBase64"` in its place for input that was
 * not JSON / not UTF-8. Appends are serialised and synced to disk before
 * they resolve, so a request is answered only after its rejects are kept.
 * An entry's id is the byte offset of its line.
 */
export class FileDeadLetterSink implements DeadLetterSink, DeadLetterReader {
  private handle: Promise<FileHandle> | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly clock: Clock,
  ) {}

  append(entries: readonly DeadLetter[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const at = formatDateTime(this.clock());
    const text = entries.map((e) => serialize(at, e)).join('\n');
    const run = this.chain.then(async () => {
      const fh = await this.file();
      await fh.appendFile(`${text}\n`, 'utf8');
      await fh.datasync();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  async list(after: string | null, first: number): Promise<DeadLetterPage> {
    let offset = after === null ? 0 : parseOffset(after, 'after');
    return this.reading(async (fh, size) => {
      const entries: DeadLetterEntry[] = [];
      while (offset < size) {
        if (entries.length === first) return { entries, next: String(offset) };
        const line = await lineAt(fh, offset, size);
        if (line === null) break; // the last line is still being written
        entries.push(parseEntry(line.text, offset));
        offset = line.next;
      }
      return { entries, next: null };
    });
  }

  async read(id: string): Promise<DeadLetterEntry | null> {
    const offset = parseOffset(id, 'id');
    return this.reading(async (fh, size) => {
      if (offset >= size) return null;
      if (offset > 0 && (await bytesAt(fh, offset - 1, 1))[0] !== 0x0a) return null; // not the start of a line
      const line = await lineAt(fh, offset, size);
      return line === null ? null : parseEntry(line.text, offset);
    });
  }

  async close(): Promise<void> {
    await this.chain;
    if (this.handle !== undefined) await (await this.handle).close();
  }

  private file(): Promise<FileHandle> {
    if (this.handle === undefined) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.handle = open(this.path, 'a');
    }
    return this.handle;
  }

  /** Runs `fn` on a read handle of the log and its size; an absent log reads as empty. */
  private async reading<T>(fn: (fh: FileHandle, size: number) => Promise<T>): Promise<T> {
    let fh: FileHandle;
    try {
      fh = await open(this.path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      return fn(EMPTY, 0);
    }
    try {
      return await fn(fh, (await fh.stat()).size);
    } finally {
      await fh.close();
    }
  }
}

const EMPTY = undefined as unknown as FileHandle; // never read: its size is 0

async function bytesAt(fh: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, offset);
  return buf.subarray(0, bytesRead);
}

/** The complete line starting at `offset` and where the next starts; null for a line still being written. */
async function lineAt(fh: FileHandle, offset: number, size: number): Promise<{ text: string; next: number } | null> {
  const parts: Buffer[] = [];
  let pos = offset;
  while (pos < size) {
    const chunk = await bytesAt(fh, pos, Math.min(CHUNK, size - pos));
    if (chunk.length === 0) break;
    const nl = chunk.indexOf(0x0a);
    if (nl >= 0) {
      parts.push(chunk.subarray(0, nl));
      return { text: Buffer.concat(parts).toString('utf8'), next: pos + nl + 1 };
    }
    parts.push(chunk);
    pos += chunk.length;
  }
  return null;
}

function serialize(at: string, e: DeadLetter): string {
  const head = { at, source: e.source, index: e.index, reason: e.reason };
  if (e.raw instanceof UndecodedInput) {
    return JSON.stringify(e.raw.text !== undefined ? { ...head, rawText: e.raw.text } : { ...head, rawBase64: e.raw.base64 });
  }
  return JSON.stringify({ ...head, raw: e.raw }, bigintAsString);
}

function parseEntry(line: string, offset: number): DeadLetterEntry {
  const o = JSON.parse(line) as {
    at: string;
    source: string;
    index: number;
    reason: string;
    raw?: unknown;
    rawText?: string;
    rawBase64?: string;
  };
  const raw =
    o.rawText !== undefined
      ? UndecodedInput.text(o.rawText)
      : o.rawBase64 !== undefined
        ? UndecodedInput.base64(o.rawBase64)
        : o.raw;
  return { id: String(offset), at: parseDateTime(o.at, 'at'), source: o.source, index: o.index, reason: o.reason, raw };
}

function parseOffset(text: string, field: string): number {
  if (!/^[0-9]{1,15}$/.test(text)) throw badInput(field, `"${text.slice(0, 32)}" is not a dead-letter id`);
  return Number(text);
}

/** Integers past 2^53 were decoded as bigints; the log keeps them as exact decimal strings. */
function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
