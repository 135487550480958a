import { mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatDateTime, type Clock } from '../model/index.js';

/** One rejected record, kept raw with its reason (ARCHITECTURE §2). */
export interface DeadLetter {
  /** Where it came in: `graphql`, `http:/ingest/sessions`, ... */
  readonly source: string;
  /** Its position in the request. */
  readonly index: number;
  readonly reason: string;
  /** The record as received (after JSON decoding). */
  readonly raw: unknown;
}

export interface DeadLetterSink {
  /** Resolves once the entries are durable. */
  append(entries: readonly DeadLetter[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * An append-only NDJSON file: one line per rejected record with the time it
 * was rejected. Appends are serialised and synced to disk before they
 * resolve, so a request is answered only after its rejects are kept.
 */
export class FileDeadLetterSink implements DeadLetterSink {
  private handle: Promise<FileHandle> | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly clock: Clock,
  ) {}

  append(entries: readonly DeadLetter[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const at = formatDateTime(this.clock());
    const text = entries
      .map((e) => JSON.stringify({ at, source: e.source, index: e.index, reason: e.reason, raw: e.raw }, bigintAsString))
      .join('\n');
    const run = this.chain.then(async () => {
      const fh = await this.file();
      await fh.appendFile(`${text}\n`, 'utf8');
      await fh.datasync();
    });
    this.chain = run.catch(() => undefined);
    return run;
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
}

function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
