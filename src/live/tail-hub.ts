import { GatewayError, TRUE, compileMatcher, type Predicate, tooExpensive, type RecordMatcher, type SessionRecord, type TailQuery } from '../model/index.js';
import type { SessionStore, TailPosition } from '../stores/types.js';
import { SubscriberIndex } from './subscriber-index.js';

/** Where a tail's records go: a LiveStream of the subscription. */
export interface TailSink {
  /** False when the subscriber is gone, or its connection refused more (slow consumer). */
  push(records: readonly SessionRecord[]): boolean;
  fail(error: unknown): void;
  whenDrained(): Promise<void>;
  readonly isOpen: boolean;
}

export interface TailHubOptions {
  readonly store: SessionStore;
  /** LIVE_TAIL_INTERVAL: one shared read per interval while anyone tails. */
  readonly intervalMs: number;
  /** Records one shared read takes at most; a full read is followed by the next at once (up to 8 per interval). */
  readonly readLimit: number;
  /** Records per backfill page. */
  readonly backfillPage: number;
  /** LIVE_TAIL_MAX_BACKFILL: a backfill past this many records ends the tail with an error. */
  readonly maxBackfill: number;
  /** LIVE_TAIL_MAX_RECORDS_PER_SECOND: live records one tail may match per second. */
  readonly maxPerSecond: number;
  /** Milliseconds, for the per-second windows (injected in tests). */
  readonly nowMs?: () => number;
  readonly log?: { warn(obj: object, msg: string): void };
  /**
   * Push the subscribers' index terms into the shared read (docs/live.md,
   * "Pushdown"). Only for a store whose `at` is a commit sequence (the
   * embedded store): a read that was not cut has read all of its last
   * commit, so the hub's position moves to the next commit (`within` 0),
   * and the read's filter changes only there.
   */
  readonly pushdown?: boolean;
  /** Each shared read: how many records it brought and how long it took. */
  readonly onRead?: (records: number, ms: number) => void;
}

interface Subscriber {
  readonly query: TailQuery;
  readonly matches: RecordMatcher;
  readonly sink: TailSink;
  /** Live records held while the backfill runs; null once it is done. */
  held: SessionRecord[] | null;
  /** A tail that joined while a filtered read could not serve it: the commit it joined in (pushdown). */
  joinedAt: bigint | null;
  window: number;
  inWindow: number;
}

const MAX_READS_PER_TICK = 8;

/**
 * The tails of one gateway (sessionTail, docs/live.md). No read runs while
 * nobody tails; while anyone does, ONE read per interval takes every
 * record stored since the last one, unfiltered, and each record goes to the
 * subscribers whose filter matches it (the filters compiled once with the
 * model's evaluator, found through a SubscriberIndex). A subscriber with
 * `since` joins at the hub's next read position P: its backfill reads the
 * stored records before P with its own filter, then the records of P's
 * store position that the hub already delivered (kept in memory), then
 * what the hub reads from P on, held while the backfill runs: no gap and
 * no duplicate at the seam.
 */
export class TailHub {
  private readonly index = new SubscriberIndex<Subscriber>();
  /** The next shared read starts here; null while nobody tails. */
  private position: TailPosition | null = null;
  /** The records at position.at already delivered (its `within`), for a backfill's seam. */
  private seam: readonly SessionRecord[] = [];
  private starting: Promise<TailPosition> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private generation = 0;
  private reading = false;
  private closed = false;
  /** What the shared read pushes into the store (TRUE without pushdown) and whether the subscribers changed since. */
  private readFilter: Predicate = TRUE;
  private filterStale = false;
  /** Tails waiting for the next commit boundary to join (pushdown, see `subscribe`). */
  private readonly pending = new Set<Subscriber>();
  readonly reads = { count: 0, failures: 0 };

  constructor(private readonly options: TailHubOptions) {}

  get subscribers(): number {
    return this.index.size + this.pending.size;
  }

  /**
   * Starts a tail. Resolves once it is registered (the backfill, if any,
   * then runs on its own); rejects when the store cannot tail or the hub
   * is closed.
   */
  async subscribe(query: TailQuery, sink: TailSink): Promise<() => void> {
    const store = this.options.store;
    if (store.tail === undefined || store.tailHead === undefined) {
      throw new GatewayError('BAD_USER_INPUT', `the ${store.backend} session store cannot tail: sessionTail is not available on this gateway`);
    }
    if (this.closed) throw shuttingDown();
    const split = await this.start();
    if (this.closed) throw shuttingDown();
    const sub: Subscriber = { query, matches: compileMatcher(query.filter), sink, held: query.since === null ? null : [], joinedAt: null, window: 0, inWindow: 0 };
    // Synchronously after reading the split: no shared read can be dispatched in between.
    const at = this.position ?? split;
    if (this.readFilter !== TRUE && (this.reading || at.within > 0)) {
      // A filtered read in flight, or a seam read with a filter that may not
      // hold this tail's records: it joins at the next commit boundary, where
      // its backfill reads what it missed from the store (activate).
      sub.joinedAt = at.at;
      sub.held = [];
      this.pending.add(sub);
      return () => this.remove(sub);
    }
    const seam = query.since === null ? [] : this.seam;
    this.index.add(sub, query.filter);
    this.filterStale = true;
    this.schedule();
    if (sub.held !== null) void this.backfill(sub, at, seam);
    return () => this.remove(sub);
  }

  /** Ends every tail with a reason (graceful shutdown) and stops reading. */
  close(reason = 'the gateway is shutting down'): void {
    this.closed = true;
    for (const sub of [...this.index.all(), ...this.pending]) {
      sub.sink.fail(shutdownError(`${reason}: reconnect and resume with since`));
      this.remove(sub);
    }
    this.stop();
  }

  private start(): Promise<TailPosition> {
    if (this.position !== null) return Promise.resolve(this.position);
    if (this.starting !== null) return this.starting;
    const generation = this.generation;
    this.starting = this.options.store.tailHead!().then(
      (head) => {
        this.starting = null;
        if (generation === this.generation && this.position === null) {
          this.position = head;
          this.seam = [];
        }
        return this.position ?? head;
      },
      (e: unknown) => {
        this.starting = null;
        throw e;
      },
    );
    return this.starting;
  }

  private remove(sub: Subscriber): void {
    this.pending.delete(sub);
    this.index.delete(sub);
    this.filterStale = true;
    if (this.subscribers === 0) this.stop();
  }

  /** Nobody tails: no more reads; the next tail starts from the head again. */
  private stop(): void {
    this.generation++;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.position = null;
    this.seam = [];
    this.readFilter = TRUE;
    this.filterStale = false;
  }

  /**
   * At a commit boundary (pushdown, `within` 0): the waiting tails join,
   * each with a backfill from the commit it joined in (or its `since`) up
   * to here, and the read's filter becomes the subscribers' terms.
   */
  private atBoundary(): void {
    if (this.options.pushdown !== true || this.position === null || this.position.within !== 0) return;
    const here = this.position;
    for (const sub of this.pending) {
      this.pending.delete(sub);
      this.index.add(sub, sub.query.filter);
      this.filterStale = true;
      void this.backfill(sub, here, [], sub.query.since === null ? { at: sub.joinedAt!, within: 0 } : null);
    }
    if (this.filterStale) {
      this.readFilter = this.index.readFilter();
      this.filterStale = false;
    }
  }

  private schedule(): void {
    if (this.timer !== null || this.reading || this.subscribers === 0 || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, this.options.intervalMs);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    const generation = this.generation;
    this.reading = true;
    try {
      for (let i = 0; i < MAX_READS_PER_TICK && generation === this.generation && this.position !== null; i++) {
        this.atBoundary();
        const from = this.position;
        const started = performance.now();
        this.reads.count++;
        const page = await this.options.store.tail!({ filter: this.readFilter, from, until: null, since: null, limit: this.options.readLimit });
        this.options.onRead?.(page.records.length, performance.now() - started);
        if (generation !== this.generation) return;
        // The records at the new position delivered so far: a backfill joining now ends with them.
        if (page.records.length > 0) {
          this.seam = page.next.at === from.at ? [...this.seam, ...page.records] : page.records.slice(page.records.length - page.next.within);
        }
        // A read that was not cut took all of its last commit: the next starts at the next commit.
        this.position = this.options.pushdown === true && !page.full && page.next.within > 0 ? { at: page.next.at + 1n, within: 0 } : page.next;
        if (this.position.within === 0) this.seam = [];
        this.dispatch(page.records);
        if (!page.full) break;
      }
      if (generation === this.generation) this.atBoundary();
    } catch (e) {
      this.reads.failures++;
      this.options.log?.warn({ err: e }, 'the live tail could not read the store; retrying at the next interval');
    } finally {
      this.reading = false;
      this.schedule();
    }
  }

  private dispatch(records: readonly SessionRecord[]): void {
    if (records.length === 0) return;
    const out = new Map<Subscriber, SessionRecord[]>();
    for (const r of records) {
      this.index.candidates(r, (sub) => {
        if (!sub.matches(r) || (sub.query.since !== null && r.time < sub.query.since)) return;
        const list = out.get(sub);
        if (list === undefined) out.set(sub, [r]);
        else list.push(r);
      });
    }
    for (const [sub, list] of out) {
      if (sub.held !== null) {
        for (const r of list) sub.held.push(r);
        if (sub.held.length > this.options.maxBackfill) this.end(sub, tooExpensive(this.backfillMessage()));
        continue;
      }
      this.deliver(sub, list);
    }
  }

  /** Live records to a subscriber, within its per-second cap. */
  private deliver(sub: Subscriber, list: readonly SessionRecord[]): void {
    const now = this.options.nowMs?.() ?? Date.now();
    const window = Math.floor(now / 1000);
    if (window !== sub.window) {
      sub.window = window;
      sub.inWindow = 0;
    }
    sub.inWindow += list.length;
    if (sub.inWindow > this.options.maxPerSecond) {
      // What fits is sent, so the caller knows exactly where the tail stopped.
      const fits = list.length - (sub.inWindow - this.options.maxPerSecond);
      if (fits > 0) sub.sink.push(list.slice(0, fits));
      this.end(
        sub,
        tooExpensive(
          `sessionTail matched more than ${this.options.maxPerSecond} records in one second (LIVE_TAIL_MAX_RECORDS_PER_SECOND): ` +
            `narrow the filter; the records stored after the last one sent were not delivered (resume with since)`,
        ),
      );
      return;
    }
    if (!sub.sink.push(list)) this.remove(sub);
  }

  private async backfill(sub: Subscriber, split: TailPosition, seam: readonly SessionRecord[], start: TailPosition | null = null): Promise<void> {
    const store = this.options.store;
    let from: TailPosition | null = start;
    let sent = 0;
    try {
      for (;;) {
        if (!sub.sink.isOpen) return;
        const page = await store.tail!({ filter: sub.query.filter, from, until: split.at, since: sub.query.since, limit: this.options.backfillPage });
        sent += page.records.length;
        if (sent > this.options.maxBackfill) {
          sub.sink.push(page.records.slice(0, page.records.length - (sent - this.options.maxBackfill)));
          return this.end(sub, tooExpensive(this.backfillMessage()));
        }
        if (!sub.sink.push(page.records)) return this.remove(sub);
        if (!page.full) break;
        from = page.next;
        await sub.sink.whenDrained();
      }
      const since = sub.query.since;
      const tail = seam.filter((r) => (since === null || r.time >= since) && sub.matches(r));
      const held = sub.held ?? [];
      sub.held = null;
      // What the hub read during the backfill belongs to it (LIVE_TAIL_MAX_BACKFILL bounds it), not to the live rate.
      if (!sub.sink.push(tail) || !sub.sink.push(held)) return this.remove(sub);
    } catch (e) {
      this.end(sub, e);
    }
  }

  private backfillMessage(): string {
    return `the backfill of sessionTail holds more than ${this.options.maxBackfill} records (LIVE_TAIL_MAX_BACKFILL): give a later since or a narrower filter`;
  }

  private end(sub: Subscriber, error: unknown): void {
    sub.sink.fail(error);
    this.remove(sub);
  }
}

function shuttingDown(): GatewayError {
  return shutdownError('the gateway is shutting down: reconnect to another replica or retry');
}

const SHUTDOWN = new WeakSet<Error>();

/** The error a subscription ends with at graceful shutdown (BACKEND_UNAVAILABLE: retry elsewhere). */
export function shutdownError(message: string): GatewayError {
  const e = new GatewayError('BACKEND_UNAVAILABLE', message);
  SHUTDOWN.add(e);
  return e;
}

/** Whether an error is a shutdown's: expected, so not logged once per subscription. */
export function isShutdownError(e: unknown): boolean {
  return e instanceof Error && SHUTDOWN.has(e);
}
