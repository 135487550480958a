import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayError } from '../../model/index.js';
import { HTTP_STATUS } from '../http-status.js';

/**
 * Answers a request refused before any route ran (401, 403, 429) in the
 * shape of the route it was for: GraphQL errors on /graphql, the ingest
 * answer on /ingest/*, `{code, message}` elsewhere. Logs the refusal with
 * the caller's name (never a credential) for the audit trail.
 */
export function refuse(req: FastifyRequest, reply: FastifyReply, error: GatewayError, headers: Record<string, string> = {}): FastifyReply {
  const status = HTTP_STATUS[error.code];
  req.log.warn({ audit: 'refused', caller: req.caller?.name ?? null, code: error.code, status, method: req.method, route: routeOf(req) }, error.message);
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  return reply.code(status).send(refusalBody(req, error));
}

export function refusalBody(req: FastifyRequest, error: GatewayError): object {
  const route = routeOf(req);
  if (route === '/graphql') return { errors: [{ message: error.message, extensions: { code: error.code } }] };
  if (route.startsWith('/ingest/')) return { accepted: 0, rejected: 0, errors: [], code: error.code, message: error.message };
  return { code: error.code, message: error.message };
}

/** The matched route's pattern (not the raw URL, which may be spelled many ways); the path when none matched. */
export function routeOf(req: FastifyRequest): string {
  return req.routeOptions.url ?? req.url.split('?')[0]!;
}
