import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

export interface WatchedFileLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface WatchedFileOptions<T> {
  readonly path: string;
  /** The variable that names the file, for errors (AUTH_TOKENS_FILE). */
  readonly variable: string;
  /** What the file is, for the log (`tokens file`). */
  readonly what: string;
  /** What the file holds; throws an Error saying what is wrong (never quoting a secret). */
  readonly parse: (text: string) => T;
  /** How many entries a value holds, for the log. */
  readonly count: (value: T) => number;
  readonly log: WatchedFileLog;
  /** How often the file is read again in case no change event came (network and overlay file systems); default 10 s. */
  readonly pollMs?: number;
}

/**
 * A configuration file read again when it changes, without a restart:
 * fs.watch on its folder (a Kubernetes Secret update swaps a symlink there)
 * and a poll as a fallback. An edit that cannot be read or parsed leaves the
 * last good value in force and is logged, once per bad content. The tokens
 * file and the forward users file are both kept this way.
 */
export class WatchedFile<T> {
  private value: T;
  private text: string;
  private badText: string | null = null;
  private watcher: FSWatcher | null = null;
  private readonly timer: NodeJS.Timeout;
  private debounce: NodeJS.Timeout | null = null;
  private reading: Promise<void> | null = null;
  private readonly listeners = new Set<() => void>();

  private constructor(private readonly options: WatchedFileOptions<T>, text: string, value: T) {
    this.text = text;
    this.value = value;
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

  /** Reads the file once; throws an Error naming the variable when it cannot be read or parsed (start-up stops). */
  static async open<T>(options: WatchedFileOptions<T>): Promise<WatchedFile<T>> {
    let text: string;
    try {
      text = await readFile(options.path, 'utf8');
    } catch (e) {
      throw new Error(`${options.variable}: cannot read ${options.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    let value: T;
    try {
      value = options.parse(text);
    } catch (e) {
      throw new Error(`${options.variable} ${options.path}: ${(e as Error).message}`);
    }
    options.log.info({ path: options.path, entries: options.count(value) }, `${options.what} read`);
    return new WatchedFile(options, text, value);
  }

  /** The last good content. */
  get current(): T {
    return this.value;
  }

  /** Runs `listener` after each edit whose content took force (not after one that did not parse); returns its removal. */
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
    const { path, log, what } = this.options;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      // A Secret update can leave the path missing for a moment: keep the last good file.
      if (this.badText !== '\0missing') log.error({ path, code: (e as NodeJS.ErrnoException).code }, `${what} cannot be read; the last good one stays in force`);
      this.badText = '\0missing';
      return;
    }
    if (text === this.text || text === this.badText) return;
    try {
      this.value = this.options.parse(text);
      this.text = text;
      this.badText = null;
      log.info({ path, entries: this.options.count(this.value) }, `${what} read again`);
    } catch (e) {
      this.badText = text;
      log.error({ path, problem: (e as Error).message }, `${what} is not valid after an edit; the last good one stays in force`);
      return;
    }
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (e) {
        log.error({ path, err: e }, `a listener of the ${what} failed`);
      }
    }
  }
}
