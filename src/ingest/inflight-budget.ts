import { GatewayError } from '../model/index.js';

/**
 * The gateway holds as much as it may: the request should be retried later.
 * Code SATURATED: HTTP 429 with Retry-After on every way in.
 */
export class Saturated extends GatewayError {
  constructor(what: string) {
    super('SATURATED', `the gateway is at its in-flight limit of ${what}; retry later`);
    this.name = 'Saturated';
  }
}

/**
 * The gateway is draining for shutdown (SIGTERM): the request was not
 * taken, and another replica (or this one, restarted) should get it. Code
 * BACKEND_UNAVAILABLE: HTTP 503 with Retry-After on every way in.
 */
export class ShuttingDown extends GatewayError {
  constructor() {
    super('BACKEND_UNAVAILABLE', 'the gateway is shutting down and takes no new ingest; retry later');
    this.name = 'ShuttingDown';
  }
}

/** What one request holds of the budget; `release` gives it all back (idempotent). */
export interface Reservation {
  /** Takes `bytes` more, or throws Saturated. */
  addBytes(bytes: number): void;
  /** Takes `records` more, or throws Saturated. */
  addRecords(records: number): void;
  release(): void;
}

/**
 * A bounded in-flight budget of records and bytes shared by all ingest
 * requests (HTTP and the ingestSessions mutation), so that memory stays
 * bounded under overload: a request takes bytes as its body is read (after
 * decompression) and records once they are decoded, and gives them back when
 * it is answered. Past either limit it is refused rather than queued.
 */
export class InflightBudget {
  private records = 0;
  private bytes = 0;
  /** Reservations not yet released. */
  private active = 0;
  private closedForShutdown = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly maxRecords: number,
    readonly maxBytes: number,
  ) {}

  /** What is held right now, for metrics and tests. */
  get inFlight(): { readonly records: number; readonly bytes: number } {
    return { records: this.records, bytes: this.bytes };
  }

  /** True once `close` was called: every new reservation is refused. */
  get closed(): boolean {
    return this.closedForShutdown;
  }

  /** Refuses every reservation from now on (ShuttingDown); those already made go on until released. */
  close(): void {
    this.closedForShutdown = true;
  }

  /** Resolves once no reservation is held: every request that got in has been answered. */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Throws ShuttingDown once the budget is closed. */
  reserve(): Reservation {
    if (this.closedForShutdown) throw new ShuttingDown();
    this.active++;
    let records = 0;
    let bytes = 0;
    let released = false;
    return {
      addBytes: (n) => {
        if (released) return;
        if (this.bytes + n > this.maxBytes) throw new Saturated(`${this.maxBytes} bytes (INGEST_MAX_INFLIGHT_BYTES)`);
        this.bytes += n;
        bytes += n;
      },
      addRecords: (n) => {
        if (released) return;
        if (this.records + n > this.maxRecords) throw new Saturated(`${this.maxRecords} records (INGEST_MAX_INFLIGHT_RECORDS)`);
        this.records += n;
        records += n;
      },
      release: () => {
        if (released) return;
        released = true;
        this.records -= records;
        this.bytes -= bytes;
        if (--this.active === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      },
    };
  }
}
