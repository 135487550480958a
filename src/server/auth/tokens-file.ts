import { createHash, timingSafeEqual } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Caller } from '../../model/index.js';
import { parseTokenEntries, type TokenEntry } from './token-entries.js';

export interface TokensFileLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface TokensFileOptions {
  readonly path: string;
  readonly log: TokensFileLog;
  /** How often the file is read again in case no change event came (network and overlay file systems); default 10 s. */
  readonly pollMs?: number;
}

/**
 * The static tokens of AUTH_TOKENS_FILE (docs/security.md). The file is read
 * again when it changes, without a restart: fs.watch on its folder (a
 * Kubernetes Secret update swaps a symlink there) and a poll as a fallback.
 * An edit that does not parse leaves the last good entries in force and is
 * logged, once per bad content.
 */
export class TokensFile {
  private entries: readonly TokenEntry[];
  private text: string;
  private badText: string | null = null;
  private watcher: FSWatcher | null = null;
  private readonly timer: NodeJS.Timeout;
  private debounce: NodeJS.Timeout | null = null;
  private reading: Promise<void> | null = null;
  private readonly listeners = new Set<() => void>();

  private constructor(private readonly options: TokensFileOptions, text: string, entries: readonly TokenEntry[]) {
    this.text = text;
    this.entries = entries;
    this.timer = setInterval(() => void this.reload(), options.pollMs ?? 10_000).unref();
    try {
      const name = basename(options.path);
      this.watcher = watch(dirname(options.path), { persistent: false }, (_event, file) => {
        // Kubernetes replaces `..data`, not the file itself; any change in the folder may be ours.
        if (file === null || file === name || file.startsWith('..')) this.soon();
      });
      this.watcher.on('error', () => this.closeWatcher());
    } catch {
      this.watcher = null; // the poll still runs
    }
  }

  /** Reads the file once; throws an Error naming AUTH_TOKENS_FILE when it cannot be read or parsed (start-up stops). */
  static async open(options: TokensFileOptions): Promise<TokensFile> {
    let text: string;
    try {
      text = await readFile(options.path, 'utf8');
    } catch (e) {
      throw new Error(`AUTH_TOKENS_FILE: cannot read ${options.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    let entries;
    try {
      entries = parseTokenEntries(text);
    } catch (e) {
      throw new Error(`AUTH_TOKENS_FILE ${options.path}: ${(e as Error).message}`);
    }
    options.log.info({ path: options.path, entries: entries.length }, 'tokens file read');
    return new TokensFile(options, text, entries);
  }

  /** How many callers the file names now. */
  get size(): number {
    return this.entries.length;
  }

  /**
   * The caller whose token this is, or null. Compares the token's SHA-256
   * with every entry in constant time, without stopping at a match.
   */
  match(token: string): Caller | null {
    const digest = createHash('sha256').update(token, 'utf8').digest();
    let found: Caller | null = null;
    for (const e of this.entries) if (timingSafeEqual(digest, e.digest) && found === null) found = e.caller;
    return found;
  }

  /** Runs `listener` after each edit whose entries took force (not after one that did not parse); returns its removal. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads the file again now (also what the watcher and the poll call); resolves when done. */
  reload(): Promise<void> {
    this.reading ??= this.read().finally(() => (this.reading = null));
    return this.reading;
  }

  close(): void {
    clearInterval(this.timer);
    if (this.debounce !== null) clearTimeout(this.debounce);
    this.closeWatcher();
  }

  private soon(): void {
    if (this.debounce !== null) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.reload();
    }, 50).unref();
  }

  private closeWatcher(): void {
    this.watcher?.close();
    this.watcher = null;
  }

  private async read(): Promise<void> {
    const { path, log } = this.options;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      // A Secret update can leave the path missing for a moment: keep the last good file.
      if (this.badText !== '\0missing') log.error({ path, code: (e as NodeJS.ErrnoException).code }, 'tokens file cannot be read; the last good one stays in force');
      this.badText = '\0missing';
      return;
    }
    if (text === this.text || text === this.badText) return;
    try {
      const entries = parseTokenEntries(text);
      this.entries = entries;
      this.text = text;
      this.badText = null;
      log.info({ path, entries: entries.length }, 'tokens file read again');
    } catch (e) {
      this.badText = text;
      log.error({ path, problem: (e as Error).message }, 'tokens file is not valid after an edit; the last good one stays in force');
      return;
    }
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (e) {
        log.error({ path, err: e }, 'a listener of the tokens file failed');
      }
    }
  }
}
