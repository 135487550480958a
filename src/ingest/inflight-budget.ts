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

  constructor(
    readonly maxRecords: number,
    readonly maxBytes: number,
  ) {}

  /** What is held right now, for metrics and tests. */
  get inFlight(): { readonly records: number; readonly bytes: number } {
    return { records: this.records, bytes: this.bytes };
  }

  reserve(): Reservation {
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
      },
    };
  }
}
