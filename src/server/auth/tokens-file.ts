import { createHash, timingSafeEqual } from 'node:crypto';
import type { Caller } from '../../model/index.js';
import { WatchedFile, type WatchedFileLog } from '../watched-file.js';
import { parseTokenEntries, type TokenEntry } from './token-entries.js';

export type TokensFileLog = WatchedFileLog;

export interface TokensFileOptions {
  readonly path: string;
  readonly log: TokensFileLog;
  /** How often the file is read again in case no change event came (network and overlay file systems); default 10 s. */
  readonly pollMs?: number;
}

/**
 * The static tokens of AUTH_TOKENS_FILE (docs/security.md), read again when
 * the file changes (watched-file.ts: a bad edit keeps the last good entries).
 */
export class TokensFile {
  private constructor(private readonly file: WatchedFile<readonly TokenEntry[]>) {}

  /** Reads the file once; throws an Error naming AUTH_TOKENS_FILE when it cannot be read or parsed (start-up stops). */
  static async open(options: TokensFileOptions): Promise<TokensFile> {
    const file = await WatchedFile.open<readonly TokenEntry[]>({
      ...options,
      variable: 'AUTH_TOKENS_FILE',
      what: 'tokens file',
      parse: parseTokenEntries,
      count: (entries) => entries.length,
    });
    return new TokensFile(file);
  }

  /** How many callers the file names now. */
  get size(): number {
    return this.file.current.length;
  }

  /**
   * The caller whose token this is, or null. Compares the token's SHA-256
   * with every entry in constant time, without stopping at a match.
   */
  match(token: string): Caller | null {
    const digest = createHash('sha256').update(token, 'utf8').digest();
    let found: Caller | null = null;
    for (const e of this.file.current) if (timingSafeEqual(digest, e.digest) && found === null) found = e.caller;
    return found;
  }

  /** Runs `listener` after each edit whose entries took force (not after one that did not parse); returns its removal. */
  onChange(listener: () => void): () => void {
    return this.file.onChange(listener);
  }

  /** Reads the file again now (also what the watcher and the poll call); resolves when done. */
  reload(): Promise<void> {
    return this.file.reload();
  }

  close(): void {
    this.file.close();
  }
}
