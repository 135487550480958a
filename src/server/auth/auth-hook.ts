import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError, UNRESTRICTED, type Caller, type Scope } from '../../model/index.js';
import type { Authenticator } from './authenticator.js';
import { refuse, routeOf } from './refusal.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request: set by the auth hook on every route that needs it; null on public routes. */
    caller: Caller | null;
  }
  interface FastifyContextConfig {
    /** The scope a route needs past authentication (ingest routes: `ingest`); /graphql checks per root field instead. */
    scope?: Scope;
  }
}

export interface AuthHookOptions {
  /** Null: authentication is off, every request is UNRESTRICTED. */
  readonly authenticator: Authenticator | null;
  /** METRICS_AUTH: /metrics asks for credentials too. */
  readonly metricsAuth: boolean;
}

/** Routes anyone may call: the probes, the playground's static files and the console's page and script (its GraphQL requests authenticate). Everything else authenticates (a new route is protected by default). */
const PUBLIC = new Set(['/health', '/ready', '/playground/:file', '/', '/console/app.js']);

/**
 * The onRequest hook that authenticates every request to a protected route
 * before its body is read: 401 UNAUTHENTICATED with WWW-Authenticate for no
 * or bad credentials, 403 FORBIDDEN naming the scope a route needs (route
 * config `scope`). Add it before any route and plugin.
 */
export function addAuthHook(app: FastifyInstance, options: AuthHookOptions): void {
  app.decorateRequest('caller', null);
  const { authenticator, metricsAuth } = options;
  app.addHook('onRequest', async (req, reply) => {
    if (!isProtected(req, metricsAuth)) return;
    if (authenticator === null) {
      req.caller = UNRESTRICTED;
      return;
    }
    // The playground page itself (a browser GET of /graphql asking for HTML) is public; an operation
    // sent that way finds no caller in the GraphQL context and is refused there.
    if (req.method === 'GET' && routeOf(req) === '/graphql' && /text\/html/.test(req.headers.accept ?? '')) return;
    let caller: Caller;
    try {
      caller = await authenticator.authenticate(req.headers.authorization);
    } catch (e) {
      const error = e instanceof GatewayError ? e : new GatewayError('INTERNAL', 'authentication failed');
      if (error.code === 'UNAUTHENTICATED') return refuse(req, reply, error, { 'www-authenticate': authenticator.challenge });
      if (error.code === 'BACKEND_UNAVAILABLE') {
        req.log.warn({ err: error, cause: error.cause }, error.message);
        return refuse(req, reply, error, { 'retry-after': '5' });
      }
      req.log.error({ err: e }, 'authentication failed');
      return refuse(req, reply, error);
    }
    req.caller = caller;
    const scope = req.routeOptions.config.scope;
    if (scope !== undefined && !caller.scopes.has(scope)) {
      return refuse(req, reply, new GatewayError('FORBIDDEN', `this needs the scope ${scope}, which ${caller.name} does not have`));
    }
  });
}

function isProtected(req: FastifyRequest, metricsAuth: boolean): boolean {
  const route = req.routeOptions.url;
  // No route: a 404 follows. OPTIONS: a CORS preflight, which carries no credentials by design.
  if (route === undefined || req.method === 'OPTIONS') return false;
  if (route === '/metrics') return metricsAuth;
  return !PUBLIC.has(route);
}

/** The caller of a request that went through the hook, for routes that always do. */
export function callerOf(req: FastifyRequest): Caller {
  if (req.caller === null) throw new GatewayError('UNAUTHENTICATED', 'no credentials: send Authorization: Bearer <token>');
  return req.caller;
}
