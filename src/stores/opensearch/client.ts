import { readFileSync } from 'node:fs';
import { Client, errors, type ClientOptions } from '@opensearch-project/opensearch';
import { GatewayError, backendUnavailable } from '../../model/index.js';
import { formatRequest, type OsRequest } from './compile.js';

const BACKEND = 'opensearch';

/** How to reach the node (the gateway's OPENSEARCH_* settings). */
export interface OpenSearchConnection {
  /** http(s)://host:port[/path], without credentials. */
  readonly url: string;
  readonly username?: string | null;
  readonly password?: string | null;
  /** Sent as `Authorization: ApiKey <apiKey>`. */
  readonly apiKey?: string | null;
  /** PEM file of the CA(s) that signed the node's certificate. */
  readonly caFile?: string | null;
  /** Accept any certificate. Unsafe: anyone on the path can read and change the traffic. */
  readonly insecureSkipVerify?: boolean;
  readonly requestTimeoutMs: number;
}

export interface OsResponse<T> {
  readonly status: number;
  readonly body: T;
}

/**
 * A failed call, described without credentials, headers or the client's
 * request meta, so it can be logged as the cause of a GatewayError.
 */
export class OpenSearchRequestError extends Error {
  constructor(
    message: string,
    /** The HTTP status, or null when no answer came. */
    readonly status: number | null,
    /** OpenSearch's `error.type`, e.g. `index_not_found_exception`. */
    readonly errorType: string | null,
  ) {
    super(message);
    this.name = 'OpenSearchRequestError';
  }
}

/**
 * The options of the official client for one connection. The client itself
 * never retries; OpenSearchClient.send does, once, where that is safe.
 */
export function clientOptions(conn: OpenSearchConnection, readFile: (path: string) => Buffer = readFileSync): ClientOptions {
  const https = conn.url.startsWith('https:');
  return {
    node: conn.url,
    requestTimeout: conn.requestTimeoutMs,
    pingTimeout: conn.requestTimeoutMs,
    maxRetries: 0,
    resurrectStrategy: 'none',
    // Plain JSON.parse, as the embedded store reads documents: it never sets a
    // prototype, and a UVE struct may legitimately be called "constructor".
    disablePrototypePoisoningProtection: true,
    ...(conn.username != null && conn.password != null ? { auth: { username: conn.username, password: conn.password } } : {}),
    ...(conn.apiKey != null ? { headers: { authorization: `ApiKey ${conn.apiKey}` } } : {}),
    ...(https
      ? {
          ssl: {
            rejectUnauthorized: conn.insecureSkipVerify !== true,
            ...(conn.caFile != null ? { ca: readFile(conn.caFile) } : {}),
          },
        }
      : {}),
  };
}

/**
 * The store's one way to the node: sends compiled requests and turns every
 * failure into a GatewayError (BACKEND_UNAVAILABLE when retrying later can
 * help, INTERNAL otherwise) whose cause is a credential-free
 * OpenSearchRequestError.
 */
export class OpenSearchClient {
  /** How many calls failed as BACKEND_UNAVAILABLE so far: after one, the node may have been replaced. */
  unavailable = 0;

  private constructor(private readonly client: Client) {}

  static create(conn: OpenSearchConnection): OpenSearchClient {
    return new OpenSearchClient(new Client(clientOptions(conn)));
  }

  /**
   * Resolves with 2xx answers and with the statuses in `ignore`; throws a
   * GatewayError otherwise. A connection failure (refused, reset) or a
   * 502/503/504 is retried once at once: a pooled socket can be stale after
   * the node restarted, and every request the store sends is idempotent. A
   * timeout is not retried, so a call fails within OPENSEARCH_REQUEST_TIMEOUT.
   */
  async send<T>(req: OsRequest, options: { readonly ignore?: readonly number[] } = {}): Promise<OsResponse<T>> {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.client.transport.request(
          {
            method: req.method,
            path: req.path,
            ...(req.querystring === undefined ? {} : { querystring: { ...req.querystring } }),
            ...(req.body === undefined ? {} : { body: req.body as Record<string, unknown> }),
            ...(req.bulkBody === undefined ? {} : { bulkBody: req.bulkBody as Record<string, unknown>[] }),
          },
          options.ignore === undefined ? {} : { ignore: [...options.ignore] },
        );
        return { status: res.statusCode ?? 0, body: res.body as T };
      } catch (e) {
        if (attempt === 1 && worthRetrying(e)) continue;
        const error = toGatewayError(req, e);
        if (error.code === 'BACKEND_UNAVAILABLE') this.unavailable++;
        throw error;
      }
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

function worthRetrying(e: unknown): boolean {
  if (e instanceof errors.ConnectionError) return true;
  if (e instanceof errors.ResponseError) {
    const status = e.meta.statusCode;
    return status === 502 || status === 503 || status === 504;
  }
  return false;
}

/** Whether an answer with this status means "try again later" rather than a bad request. */
export function isUnavailableStatus(status: number): boolean {
  // 401/403: the node refuses our credentials or blocks writes (read-only
  // index on a full disk); the caller cannot fix either, an operator can.
  return status === 401 || status === 403 || status === 408 || status === 429 || status >= 500;
}

/** Maps a client failure to the gateway's error, with a loggable, credential-free cause. */
export function toGatewayError(req: OsRequest, e: unknown): GatewayError {
  if (e instanceof GatewayError) return e;
  const what = formatRequest({ method: req.method, path: req.path });
  if (e instanceof errors.ResponseError) {
    const status = e.meta.statusCode ?? 0;
    const { type, reason } = errorOf(e.meta.body);
    const cause = new OpenSearchRequestError(`${what}: HTTP ${status}${type === null ? '' : ` ${type}`}${reason === null ? '' : `: ${reason}`}`, status, type);
    if (isUnavailableStatus(status)) return backendUnavailable(BACKEND, cause);
    return new GatewayError('INTERNAL', 'the opensearch store refused the request', { cause });
  }
  if (
    e instanceof errors.ConnectionError ||
    e instanceof errors.TimeoutError ||
    e instanceof errors.NoLivingConnectionsError ||
    e instanceof errors.RequestAbortedError ||
    e instanceof errors.DeserializationError
  ) {
    return backendUnavailable(BACKEND, new OpenSearchRequestError(`${what}: ${e.name}: ${e.message}`, null, null));
  }
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new GatewayError('INTERNAL', 'the opensearch store failed', {
    cause: new OpenSearchRequestError(`${what}: ${message.slice(0, 500)}`, null, null),
  });
}

/** `error.type` and `error.reason` of an error answer, if it has them. */
export function errorOf(body: unknown): { type: string | null; reason: string | null } {
  const error = body !== null && typeof body === 'object' ? (body as { error?: unknown }).error : undefined;
  if (typeof error === 'string') return { type: null, reason: error.slice(0, 500) };
  if (error === null || typeof error !== 'object') return { type: null, reason: null };
  const { type, reason } = error as { type?: unknown; reason?: unknown };
  return {
    type: typeof type === 'string' ? type : null,
    reason: typeof reason === 'string' ? reason.slice(0, 500) : null,
  };
}
