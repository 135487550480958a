import type { FastifyInstance } from 'fastify';
import { tooExpensive } from '../model/index.js';
import { refuse, routeOf } from './auth/refusal.js';

/**
 * QUERY_MAX_BYTES: refuses a /graphql request whose GraphQL document (the
 * `query` of a POST body or of a GET query string; its variables do not
 * count) is larger, before Apollo parses it: 413 QUERY_TOO_EXPENSIVE naming
 * the limit.
 */
export function documentSizeLimit(app: FastifyInstance, maxBytes: number): void {
  app.addHook('preHandler', async (req, reply) => {
    if (routeOf(req) !== '/graphql') return;
    const from = req.method === 'GET' ? req.query : req.body;
    const requests = Array.isArray(from) ? from : [from];
    let bytes = 0;
    for (const r of requests) {
      const q = r !== null && typeof r === 'object' ? (r as { query?: unknown }).query : undefined;
      if (typeof q === 'string') bytes += Buffer.byteLength(q, 'utf8');
    }
    if (bytes > maxBytes) return refuse(req, reply, tooExpensive(`the document is ${bytes} bytes, past QUERY_MAX_BYTES (${maxBytes})`));
  });
}
