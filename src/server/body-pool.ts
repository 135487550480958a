/**
 * Buffers for request bodies, used again from one request to the next.
 *
 * A body of a few megabytes read into a new buffer each time is memory
 * outside V8's heap, and V8 answers every few tens of megabytes of it with
 * a full collection of the heap: at 25 requests a second, several a second
 * (docs/decisions.md, "Request bodies are read into pooled buffers"). The
 * route takes one lease per request and ends it once the answer is known;
 * the ingest path only reads a body while it runs and keeps no view of it
 * (everything it keeps is a string or a copy).
 *
 * Buffers come in powers of two from MIN_POOLED bytes; a smaller body gets
 * a buffer of its own, as does one when the pool already holds
 * `maxPooledBytes` of free buffers.
 */
export class BodyPool {
  /** Free buffers per size class (the power of two). */
  private readonly free = new Map<number, Buffer[]>();
  private freeBytes = 0;

  constructor(private readonly maxPooledBytes: number) {}

  /** A lease for one request: at most one buffer, given back by `end()`. */
  lease(): BodyLease {
    return new BodyLease(this);
  }

  /** @internal A buffer of at least `size` bytes: a free one of its class, or a new one. */
  take(size: number): Buffer {
    if (size < MIN_POOLED || size > this.maxPooledBytes) return Buffer.allocUnsafe(size);
    const cls = sizeClass(size);
    const reused = this.free.get(cls)?.pop();
    if (reused !== undefined) {
      this.freeBytes -= cls;
      return reused;
    }
    return Buffer.allocUnsafeSlow(cls);
  }

  /** @internal Takes back a buffer from `take`, when it is one of a class and there is room. */
  give(buffer: Buffer): void {
    const cls = buffer.length;
    if (cls < MIN_POOLED || cls !== sizeClass(cls) || this.freeBytes + cls > this.maxPooledBytes) return;
    let list = this.free.get(cls);
    if (list === undefined) this.free.set(cls, (list = []));
    list.push(buffer);
    this.freeBytes += cls;
  }

  /** Bytes held in free buffers (for tests and metrics). */
  get pooledBytes(): number {
    return this.freeBytes;
  }
}

/** One request's use of the pool. */
export class BodyLease {
  private held: Buffer | undefined;
  private ended = false;

  constructor(private readonly pool: BodyPool) {}

  /** The body's bytes: `size` bytes at the start of a pooled buffer. Once per lease. */
  readonly alloc = (size: number): Buffer => {
    if (this.held !== undefined || this.ended) throw new Error('a body lease gives one buffer, before it ends');
    this.held = this.pool.take(size);
    return this.held.subarray(0, size);
  };

  /** Gives the buffer back: nothing may read the body after this. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.held !== undefined) this.pool.give(this.held);
    this.held = undefined;
  }
}

/** Bodies smaller than this get a buffer of their own. */
export const MIN_POOLED = 64 * 1024;

function sizeClass(size: number): number {
  return 2 ** Math.ceil(Math.log2(size));
}
