import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from '../model/index.js';
import { refuse, refusalBody, routeOf } from './auth/refusal.js';

export interface CallerLimitsOptions {
  /** RATE_LIMIT: GraphQL requests per caller per minute; 0: none. */
  readonly perMinute: number;
  /** MAX_QUERIES_IN_FLIGHT_PER_CALLER; 0: none. */
  readonly inFlight: number;
}

/** Thrown by @fastify/rate-limit's errorResponseBuilder; answered by the error handler below. */
class RateLimited extends Error {
  readonly statusCode = 429;
  constructor(readonly error: GatewayError) {
    super(error.message);
  }
}

const RELEASE = Symbol('release in-flight slot');

/**
 * Per-caller limits on /graphql, for authenticated callers only (with
 * authentication off there is no caller to tell apart): a rate limit
 * (@fastify/rate-limit keyed by the caller's name, so every token of one
 * name shares it) and a cap on operations in flight. Both answer 429 with
 * Retry-After and code RATE_LIMITED. Register after the auth hook.
 */
export async function callerLimits(app: FastifyInstance, options: CallerLimitsOptions): Promise<void> {
  const limited = (req: FastifyRequest) => req.caller !== null && routeOf(req) === '/graphql';
  if (options.perMinute > 0) {
    await app.register(rateLimit, {
      global: true,
      max: options.perMinute,
      timeWindow: 60_000,
      allowList: (req) => !limited(req),
      keyGenerator: (req) => `caller:${req.caller?.name ?? ''}`,
      addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
      errorResponseBuilder: (req, context) =>
        new RateLimited(new GatewayError('RATE_LIMITED', `${req.caller?.name ?? 'this caller'} sent more than RATE_LIMIT (${context.max}) requests in a minute; retry after ${context.after}`)),
      onExceeded: (req) => req.log.warn({ audit: 'refused', caller: req.caller?.name ?? null, code: 'RATE_LIMITED', status: 429, route: routeOf(req) }, 'rate limit exceeded'),
    });
    app.setErrorHandler((error, req, reply) => {
      if (error instanceof RateLimited) return reply.code(429).send(refusalBody(req, error.error));
      return reply.send(error);
    });
  }
  if (options.inFlight > 0) {
    const running = new Map<string, number>();
    app.addHook('onRequest', async (req, reply) => {
      if (!limited(req)) return;
      const name = req.caller!.name;
      const n = running.get(name) ?? 0;
      if (n >= options.inFlight) {
        return refuse(req, reply, new GatewayError('RATE_LIMITED', `${name} has MAX_QUERIES_IN_FLIGHT_PER_CALLER (${options.inFlight}) requests running; retry when one is answered`), { 'retry-after': '1' });
      }
      running.set(name, n + 1);
      let held = true;
      (req as unknown as Record<symbol, () => void>)[RELEASE] = () => {
        if (!held) return;
        held = false;
        const left = (running.get(name) ?? 1) - 1;
        if (left === 0) running.delete(name);
        else running.set(name, left);
      };
    });
    const release = async (req: FastifyRequest) => (req as unknown as Record<symbol, (() => void) | undefined>)[RELEASE]?.();
    app.addHook('onResponse', release);
    app.addHook('onRequestAbort', release);
  }
}
