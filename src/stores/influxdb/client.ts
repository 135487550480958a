import {
  HttpError,
  InfluxDB,
  linesToTables,
  stringToLines,
  type FluxTableMetaData,
  type SendOptions,
  type Transport,
} from '@influxdata/influxdb-client';
import { GatewayError, backendUnavailable, tooExpensive } from '../../model/index.js';

const BACKEND = 'influxdb';

/** How to reach InfluxDB (the gateway's INFLUX_* settings). */
export interface InfluxConnection {
  /** http(s)://host:port[/path], without credentials. */
  readonly url: string;
  readonly token: string;
  /** Longest time one write or API call may take. */
  readonly requestTimeoutMs: number;
  /** Longest time a query may take; past it the query is abandoned (QUERY_TOO_EXPENSIVE). */
  readonly queryTimeoutMs: number;
}

/** Time and chance for the retry loop, injected so tests are exact. */
export interface RetryTimer {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Uniform in [0, 1). */
  random(): number;
}

export const realTimer: RetryTimer = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
};

/** One row of a query result: column label to the cell as text (empty for null). */
export type FluxRow = Readonly<Record<string, string>>;

/**
 * A failed call, described without credentials or headers, so it can be
 * logged as the cause of a GatewayError.
 */
export class InfluxRequestError extends Error {
  constructor(
    message: string,
    /** The HTTP status, or null when no answer came. */
    readonly status: number | null,
    /** The server's `Retry-After`, in milliseconds, when it sent one. */
    readonly retryAfterMs: number | null = null,
    /** The request was abandoned at its time limit. */
    readonly timedOut = false,
  ) {
    super(message);
    this.name = 'InfluxRequestError';
  }
}

/** What a write left unsaid: points InfluxDB dropped as older than the bucket's retention. */
export interface WriteOutcome {
  readonly droppedBeyondRetention: string | null;
}

/**
 * The store's one way to InfluxDB, on the official client's HTTP
 * transport: writes with retries only where retrying can succeed (429, 5xx,
 * network; honouring Retry-After; backoff with jitter; capped in time),
 * queries returning their rows per result, and plain API calls for setup.
 * Every failure becomes a GatewayError whose cause is an InfluxRequestError.
 */
export class InfluxHttp {
  private readonly transport: Transport;

  constructor(
    private readonly conn: InfluxConnection,
    private readonly timer: RetryTimer = realTimer,
  ) {
    // Each call bounds itself (`call`, a query by QUERY_TIMEOUT, the rest by
    // INFLUX_REQUEST_TIMEOUT); the transport's own socket timeout must not
    // cut a query short at the request timeout.
    this.transport = new InfluxDB({ url: conn.url, token: conn.token, timeout: Math.max(conn.requestTimeoutMs, conn.queryTimeoutMs) }).transport;
  }

  /**
   * Writes line protocol (nanosecond precision) and resolves once InfluxDB
   * answered 204, i.e. has the points. Retries 429, 5xx and network
   * failures until `retryMs` has passed, then rejects BACKEND_UNAVAILABLE.
   * A 422 for points beyond the bucket's retention resolves (InfluxDB kept
   * the others) and says so in the outcome.
   */
  async write(org: string, bucket: string, body: string, retryMs: number): Promise<WriteOutcome> {
    const path = `/api/v2/write?org=${encodeURIComponent(org)}&bucket=${encodeURIComponent(bucket)}&precision=ns`;
    const deadline = this.timer.now() + retryMs;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.call('POST', path, body, 'text/plain; charset=utf-8', this.conn.requestTimeoutMs);
        return { droppedBeyondRetention: null };
      } catch (e) {
        const err = e as InfluxRequestError;
        if (err.status === 422 && /beyond retention/.test(err.message)) return { droppedBeyondRetention: err.message };
        if (!isRetriable(err)) throw toGatewayError(err);
        const delay = err.retryAfterMs ?? backoff(attempt, this.timer.random());
        if (this.timer.now() + delay > deadline) throw backendUnavailable(BACKEND, err);
        await this.timer.sleep(delay);
      }
    }
  }

  /**
   * Runs a Flux query (https://docs.influxdata.com/influxdb/v2/api/#operation/PostQuery)
   * and returns its rows by result name (`yield`). A connection lost before
   * an answer is retried once (a pooled socket may be stale after a restart).
   */
  async query(org: string, flux: string): Promise<Map<string, FluxRow[]>> {
    const path = `/api/v2/query?org=${encodeURIComponent(org)}`;
    const body = JSON.stringify({ query: flux, type: 'flux', dialect: { header: true, annotations: [] } });
    let csv: string;
    try {
      csv = await this.call('POST', path, body, 'application/json; charset=utf-8', this.conn.queryTimeoutMs, 'application/csv');
    } catch (e) {
      const err = e as InfluxRequestError;
      if (err.status !== null || err.timedOut) throw this.queryError(err);
      try {
        csv = await this.call('POST', path, body, 'application/json; charset=utf-8', this.conn.queryTimeoutMs, 'application/csv');
      } catch (again) {
        throw this.queryError(again as InfluxRequestError);
      }
    }
    return parseCsv(csv);
  }

  /** One API call with a JSON body and answer (setup); no retries. */
  async api<T>(method: string, path: string, body?: unknown): Promise<T> {
    try {
      const text = await this.call(method, path, body === undefined ? '' : JSON.stringify(body), 'application/json; charset=utf-8', this.conn.requestTimeoutMs, 'application/json');
      return (text === '' ? undefined : JSON.parse(text)) as T;
    } catch (e) {
      throw toGatewayError(e as InfluxRequestError);
    }
  }

  /** A GET of the API: null when InfluxDB answers 404 (no such org, bucket, ...). */
  async find<T>(path: string): Promise<T | null> {
    try {
      const text = await this.call('GET', path, '', 'application/json; charset=utf-8', this.conn.requestTimeoutMs, 'application/json');
      return (text === '' ? null : JSON.parse(text)) as T | null;
    } catch (e) {
      const err = e as InfluxRequestError;
      if (err.status === 404) return null;
      throw toGatewayError(err);
    }
  }

  /** Resolves when InfluxDB reports itself healthy. */
  async ping(): Promise<void> {
    await this.api('GET', '/health');
  }

  private queryError(err: InfluxRequestError): GatewayError {
    if (err.timedOut) {
      return tooExpensive(`the query ran past the ${this.conn.queryTimeoutMs} ms timeout; narrow the range or the grouping`);
    }
    return toGatewayError(err);
  }

  private exchange(path: string, body: string, options: SendOptions): Promise<unknown> {
    return exchangeWith(this.transport, path, body, options);
  }

  /** One HTTP exchange; rejects with an InfluxRequestError. */
  private async call(method: string, path: string, body: string, contentType: string, timeoutMs: number, accept?: string): Promise<string> {
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, timeoutMs);
    try {
      const answer: unknown = await this.exchange(path, body, {
        method,
        headers: { 'content-type': contentType, ...(accept === undefined ? {} : { accept }) },
        signal: abort.signal,
      });
      if (answer === undefined || answer === null) return '';
      if (typeof answer === 'string') return answer;
      return Buffer.isBuffer(answer) ? answer.toString('utf8') : JSON.stringify(answer);
    } catch (e) {
      throw describe(method, path, e, timedOut);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * The transport's `request`, with the answer's chunks joined once at the
 * end: the client's own `request` concatenates the whole buffer again for
 * every chunk, quadratic in the answer's size (a 27 MB rollup answer took
 * 115 s in Node against 5 s in influxd; docs/benchmarks.md "The gateway's
 * rollup").
 */
function exchangeWith(transport: Transport, path: string, body: string, options: SendOptions): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let status: number | undefined;
    let type = '';
    transport.send(path, body, options, {
      responseStarted(headers, statusCode) {
        status = statusCode;
        type = String(headers['content-type'] ?? '');
      },
      next(data: Uint8Array) {
        chunks.push(data);
      },
      error: reject,
      complete() {
        if (status === 204) return resolve(undefined);
        const text = Buffer.concat(chunks).toString('utf8');
        const kind = options.headers?.['accept'] ?? type;
        try {
          resolve(kind.includes('json') ? (text.length > 0 ? JSON.parse(text) : undefined) : text);
        } catch (e) {
          reject(e);
        }
      },
    });
  });
}

/** Whether retrying the same request later can succeed. */
export function isRetriable(err: InfluxRequestError): boolean {
  return err.status === null || err.status === 429 || err.status >= 500;
}

/** 100 ms doubling up to 2 s, each scaled by 0.5 to 1 (jitter). */
export function backoff(attempt: number, random: number): number {
  return Math.round(Math.min(100 * 2 ** attempt, 2000) * (0.5 + random / 2));
}

/**
 * Maps a failed call to the gateway's error: unreachable, overloaded,
 * refusing our token, or missing the org or bucket is BACKEND_UNAVAILABLE
 * (an operator can fix it, a later retry can succeed); anything else, such
 * as a 400 for Flux the compiler got wrong, is INTERNAL (and logged by the
 * GraphQL layer with this cause).
 */
export function toGatewayError(err: InfluxRequestError): GatewayError {
  const s = err.status;
  if (s === null || s === 401 || s === 403 || s === 404 || s === 408 || s === 429 || s >= 500) {
    return backendUnavailable(BACKEND, err);
  }
  return new GatewayError('INTERNAL', 'the influxdb store refused the request', { cause: err });
}

function describe(method: string, path: string, e: unknown, timedOut: boolean): InfluxRequestError {
  const what = `${method} ${path.replace(/\?.*$/, '')}`;
  if (e instanceof HttpError) {
    let message: string = e.json?.message ?? e.body ?? e.message;
    if (typeof message !== 'string') message = String(message);
    return new InfluxRequestError(`${what}: HTTP ${e.statusCode}: ${message.slice(0, 1000)}`, e.statusCode, retryAfter(e.headers?.['retry-after']));
  }
  if (timedOut || (e instanceof Error && e.name === 'RequestTimedOutError')) {
    return new InfluxRequestError(`${what}: no answer in time`, null, null, true);
  }
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? `${e.name}${typeof code === 'string' ? ` ${code}` : ''}: ${e.message}` : String(e);
  return new InfluxRequestError(`${what}: ${message.slice(0, 500)}`, null);
}

/** `Retry-After` as delay seconds or an HTTP date, in milliseconds. */
export function retryAfter(header: string | string[] | undefined, nowMs = Date.now()): number | null {
  const text = Array.isArray(header) ? header[0] : header;
  if (text === undefined || text.trim() === '') return null;
  if (/^[0-9]+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

/**
 * Rows of an InfluxDB CSV answer without annotations, by the `result`
 * column. An error reported inside the answer (a table with an `error`
 * column) becomes an INTERNAL error.
 */
export function parseCsv(csv: string): Map<string, FluxRow[]> {
  const results = new Map<string, FluxRow[]>();
  let failure: string | null = null;
  stringToLines(
    csv,
    linesToTables({
      next(values: string[], meta: FluxTableMetaData) {
        const row: Record<string, string> = {};
        meta.columns.forEach((c, i) => {
          row[c.label] = values[i] ?? '';
        });
        if ('error' in row) {
          failure = row['error'] ?? 'unknown error';
          return true;
        }
        const name = row['result'] ?? '_result';
        let list = results.get(name);
        if (list === undefined) results.set(name, (list = []));
        list.push(row);
        return true;
      },
      error(e: Error) {
        failure = e.message;
      },
      complete() {},
    }),
  );
  if (failure !== null) {
    throw new GatewayError('INTERNAL', 'the influxdb store failed to run a query', {
      cause: new InfluxRequestError(`query failed: ${String(failure).slice(0, 1000)}`, 200),
    });
  }
  return results;
}
