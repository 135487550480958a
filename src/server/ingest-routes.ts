import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IngestLimits } from '../config/index.js';
import { Saturated, ShuttingDown, type BodyFormat, type InflightBudget, type IngestOptions, type IngestResult } from '../ingest/index.js';
import { GatewayError, namespaceScopeOf, type NamespaceScope } from '../model/index.js';
import { HTTP_STATUS } from './http-status.js';
import { BodyPool } from './body-pool.js';
import { BadEncoding, BodyTooLarge, readBody, type ContentEncoding } from './read-body.js';

/** What one ingest route writes through. */
export interface BodyIngest {
  ingestBody(body: Buffer, format: BodyFormat, source: string, options: IngestOptions): Promise<IngestResult>;
}

export interface IngestRoutesOptions {
  readonly sessions: BodyIngest;
  readonly uves: BodyIngest;
  readonly budget: InflightBudget;
  readonly limits: Pick<IngestLimits, 'maxBodyBytes' | 'retryAfterSeconds'>;
  /** NAMESPACE_PROJECT_PREFIX: a caller limited to namespaces writes only theirs (docs/security.md "Namespaces"). */
  readonly namespacePrefix: string;
}

/** The answer of an ingest request; `code` and `message` when the request as a whole failed. */
interface IngestAnswer {
  readonly accepted: number;
  readonly rejected: number;
  readonly errors: readonly { readonly index: number; readonly message: string }[];
  readonly code?: string;
  readonly message?: string;
}

/** Free body buffers kept for the next requests (BodyPool). */
const BODY_POOL_BYTES = 32 * 1024 * 1024;

const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines']);
const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * `POST /ingest/sessions` and `POST /ingest/uves` (ARCHITECTURE §2,
 * docs/ingest.md): JSON (an array or one object) or NDJSON, optionally
 * gzip. 200 when something was accepted, 400 when nothing was valid or the
 * body is not JSON, 413 past a size limit, 415 for another content type or
 * encoding, 429 past the in-flight budget, 503 when the store did not
 * confirm or the gateway is shutting down; 429 and 503 carry Retry-After.
 * The answer is sent only after the store confirmed the write.
 */
export async function ingestRoutes(app: FastifyInstance, options: IngestRoutesOptions): Promise<void> {
  const pool = new BodyPool(BODY_POOL_BYTES);
  await app.register(async (scope) => {
    // The body is read here, as a stream, so that its size is counted after decompression.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    const route = (path: string, ingest: BodyIngest) =>
      scope.post(path, { bodyLimit: options.limits.maxBodyBytes, config: { scope: 'ingest' } }, (req, reply) => handle(req, reply, ingest, `http:${path}`, options, pool));
    route('/ingest/sessions', options.sessions);
    route('/ingest/uves', options.uves);
  });
}

async function handle(
  req: FastifyRequest,
  reply: FastifyReply,
  ingest: BodyIngest,
  source: string,
  options: IngestRoutesOptions,
  pool: BodyPool,
): Promise<IngestAnswer> {
  const { limits, budget } = options;
  if (budget.closed) {
    // Draining for shutdown: the sender retries elsewhere; this connection goes so that it reconnects to a replica that stays.
    reply.header('retry-after', String(limits.retryAfterSeconds));
    reply.header('connection', 'close');
    return fail(reply, 503, 'BACKEND_UNAVAILABLE', new ShuttingDown().message);
  }
  const format = bodyFormat(req.headers['content-type']);
  if (format === undefined) {
    return fail(reply, 415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')} is not accepted; send application/json or application/x-ndjson (UTF-8)`);
  }
  const encoding = contentEncoding(req.headers['content-encoding']);
  if (encoding === undefined) {
    return fail(reply, 415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${JSON.stringify(req.headers['content-encoding'])} is not accepted; send gzip or no encoding`);
  }
  const key = req.headers['idempotency-key'];
  if (key !== undefined && (typeof key !== 'string' || !KEY.test(key))) {
    return fail(reply, 400, 'BAD_USER_INPUT', 'Idempotency-Key: must be 1 to 255 printable ASCII characters');
  }
  const length = Number(req.headers['content-length'] ?? 0);
  if (length > limits.maxBodyBytes) {
    reply.header('connection', 'close');
    return fail(reply, 413, 'QUERY_TOO_EXPENSIVE', new BodyTooLarge(limits.maxBodyBytes).message);
  }
  // The auth hook set the caller (UNRESTRICTED with authentication off); a limited caller's records outside its namespaces are rejected.
  const scope: NamespaceScope | null = req.caller === null ? null : namespaceScopeOf(req.caller, options.namespacePrefix);
  const held = budget.reserve();
  const lease = pool.lease();
  try {
    let reserved = Number.isSafeInteger(length) ? length : 0;
    held.addBytes(reserved);
    const body = await readBody(req.body as Readable, encoding, limits.maxBodyBytes, (total) => {
      if (total > reserved) {
        held.addBytes(total - reserved);
        reserved = total;
      }
    }, lease.alloc);
    const result = await ingest.ingestBody(body, format, source, {
      ...(key === undefined ? {} : { idempotencyKey: key, fingerprint: fingerprint(source, format, body) }),
      reservation: held,
      scope,
    });
    if (result.replayed === true) reply.header('idempotent-replayed', 'true');
    reply.code(result.accepted === 0 && result.rejected > 0 ? 400 : 200);
    return { accepted: result.accepted, rejected: result.rejected, errors: result.errors };
  } catch (e) {
    return failure(req, reply, e, options);
  } finally {
    // The ingest path has settled and keeps no view of the body.
    lease.end();
    held.release();
  }
}

function failure(req: FastifyRequest, reply: FastifyReply, e: unknown, options: IngestRoutesOptions): IngestAnswer {
  const retryAfter = String(options.limits.retryAfterSeconds);
  if (e instanceof Saturated) {
    // The connection stays open: Node reads and drops the rest of the body
    // (at most INGEST_MAX_BODY_BYTES), so that a sender still writing it
    // reads the 429 instead of a broken pipe, and keeps its connection.
    reply.header('retry-after', retryAfter);
    return fail(reply, 429, 'SATURATED', e.message);
  }
  if (e instanceof BodyTooLarge) {
    reply.header('connection', 'close');
    return fail(reply, 413, 'QUERY_TOO_EXPENSIVE', e.message);
  }
  if (e instanceof BadEncoding) return fail(reply, 400, 'BAD_USER_INPUT', e.message);
  if (e instanceof GatewayError) {
    const status = HTTP_STATUS[e.code];
    if (status === 503) {
      req.log.warn({ err: e, cause: e.cause }, 'ingest: the store did not confirm the write');
      reply.header('retry-after', retryAfter);
    } else if (status >= 500) req.log.error({ err: e, cause: e.cause }, 'ingest failed');
    return fail(reply, status, e.code, e.message);
  }
  req.log.error({ err: e }, 'ingest failed');
  return fail(reply, 500, 'INTERNAL', 'internal error');
}

function fail(reply: FastifyReply, status: number, code: string, message: string): IngestAnswer {
  reply.code(status);
  return { accepted: 0, rejected: 0, errors: [], code, message };
}

/** JSON or NDJSON by media type; UTF-8 only. Undefined for anything else. */
function bodyFormat(header: string | undefined): BodyFormat | undefined {
  if (header === undefined) return undefined;
  const [type = '', ...params] = header.split(';').map((p) => p.trim().toLowerCase());
  const charset = params.find((p) => p.startsWith('charset='))?.slice(8).replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return undefined;
  if (type === 'application/json') return 'json';
  return NDJSON_TYPES.has(type) ? 'ndjson' : undefined;
}

function contentEncoding(header: string | undefined): ContentEncoding | undefined {
  const e = (header ?? 'identity').trim().toLowerCase();
  if (e === 'identity' || e === '') return 'identity';
  return e === 'gzip' || e === 'x-gzip' ? 'gzip' : undefined;
}

/** The same key with another body is refused; a retry sends the same body. */
function fingerprint(source: string, format: BodyFormat, body: Buffer): string {
  return createHash('sha256').update(`${source}\n${format}\n`).update(body).digest('base64url');
}
