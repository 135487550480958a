/**
 * What one connection may hold queued for its client across all of its
 * subscriptions (LIVE_MAX_BUFFERED_MESSAGES): past `max`, `overflow` runs
 * once (the server closes the connection as a slow consumer) and nothing
 * more is queued. Messages leave the budget as the transport takes them.
 */
export class OutboundBudget {
  private used = 0;
  private over = false;

  constructor(
    readonly max: number,
    private readonly overflow: () => void,
  ) {}

  /** Takes `n` messages; false (and `overflow`, once) when that is past the bound. */
  take(n: number): boolean {
    if (this.over) return false;
    if (this.used + n > this.max) {
      this.over = true;
      this.overflow();
      return false;
    }
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used = Math.max(0, this.used - n);
  }

  get queued(): number {
    return this.used;
  }
}

/**
 * A push-to-pull queue: a subscription's producer pushes, the transport
 * pulls one message at a time (graphql-ws sends each after the previous
 * one was written), and every queued message holds one unit of the
 * connection's OutboundBudget. `fail` ends the stream with an error after
 * what is queued; `return()` (the client completed, or the connection
 * closed) drops the queue and runs `onClose` once.
 */
export class LiveStream<T> implements AsyncIterableIterator<T> {
  private readonly queue: T[] = [];
  private head = 0;
  private waiting: ((r: IteratorResult<T>) => void) | null = null;
  private failWaiting: ((e: unknown) => void) | null = null;
  private error: unknown = undefined;
  private ended = false;
  private closed = false;
  private readonly drained: (() => void)[] = [];

  constructor(
    private readonly budget: OutboundBudget,
    private readonly onClose: () => void,
  ) {}

  /** Queues values; false when the stream is closed or the budget refused them (the connection is then being closed). */
  push(values: readonly T[]): boolean {
    if (this.closed || this.ended || values.length === 0) return !this.closed && !this.ended;
    let i = 0;
    if (this.waiting !== null) {
      const w = this.waiting;
      this.waiting = this.failWaiting = null;
      w({ value: values[i++]!, done: false });
    }
    const rest = values.length - i;
    if (rest === 0) return true;
    if (!this.budget.take(rest)) return false;
    for (; i < values.length; i++) this.queue.push(values[i]!);
    return true;
  }

  /** Ends the stream with `error` once what is queued was sent. */
  fail(error: unknown): void {
    if (this.closed || this.ended) return;
    this.ended = true;
    this.error = error;
    if (this.waiting !== null && this.queue.length === this.head) {
      const f = this.failWaiting!;
      this.waiting = this.failWaiting = null;
      this.finish();
      f(error);
    }
  }

  /** Ends the stream without an error once what is queued was sent. */
  end(): void {
    if (this.closed || this.ended) return;
    this.ended = true;
    if (this.waiting !== null && this.queue.length === this.head) {
      const w = this.waiting;
      this.waiting = this.failWaiting = null;
      this.finish();
      w({ value: undefined, done: true });
    }
  }

  get isOpen(): boolean {
    return !this.closed && !this.ended;
  }

  /** Resolves once this stream's queue is empty (or the stream closed): a backfill waits for it before its next page. */
  whenDrained(): Promise<void> {
    if (this.closed || this.queue.length === this.head) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head]!;
      this.queue[this.head++] = undefined as T;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.budget.give(1);
      if (this.head === this.queue.length) this.wake();
      return Promise.resolve({ value, done: false });
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    if (this.ended) {
      this.finish();
      if (this.error !== undefined) {
        const e = this.error;
        this.error = undefined;
        return Promise.reject(e);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    this.wake();
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failWaiting = reject;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(e: unknown): Promise<IteratorResult<T>> {
    this.finish();
    return Promise.reject(e);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private wake(): void {
    if (this.drained.length === 0) return;
    for (const d of this.drained.splice(0)) d();
  }

  /** Closes for good: the queue leaves the budget, waiters are released, onClose runs once. */
  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.budget.give(this.queue.length - this.head);
    this.queue.length = 0;
    this.head = 0;
    const w = this.waiting;
    this.waiting = this.failWaiting = null;
    w?.({ value: undefined, done: true });
    for (const d of this.drained.splice(0)) d();
    this.onClose();
  }
}
