import { ApolloServer } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import cors from '@fastify/cors';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { DEFAULT_LIVE_CONFIG, type CostLimits, type LiveConfig } from '../config/index.js';
import { GatewayError, UNRESTRICTED } from '../model/index.js';
import { accessPlugin, refusal } from './access-plugin.js';
import { addAuthHook, type Authenticator } from './auth/index.js';
import { callerLimits } from './caller-limits.js';
import { consoleRoutes } from './console.js';
import { documentSizeLimit } from './document-size.js';
import { exactJsonBodies } from './exact-json.js';
import { LiveMetrics } from './live-metrics.js';
import { LiveCredentials } from './live-credentials.js';
import { liveSocket } from './live-socket.js';
import { Metrics } from './metrics.js';
import { playgroundPlugin } from './playground.js';
import { saturatedPlugin } from './saturated-plugin.js';
import { createContext, formatError, loadTypeDefs, resolvers, type GatewayContext, type Services } from '../graphql/index.js';

export interface AppOptions {
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** How long /ready waits for each store. */
  readonly readyTimeoutMs?: number;
  /** The registry /metrics serves; a new one when not given (the gateway gives the one the dead-letter log counts into). */
  readonly metrics?: Metrics;
  /** The Retry-After of a GraphQL ingest refused with 429 (INGEST_RETRY_AFTER); default 1. */
  readonly retryAfterSeconds?: number;
  /** Who may call and how much (docs/security.md); authentication off and the default limits when not given. */
  readonly access?: AppAccess;
  /** Where the log goes instead of stdout (tests read it). */
  readonly logStream?: { write(line: string): void };
  /** True once the gateway is shutting down: /ready answers 503 at once, without asking the stores. */
  readonly draining?: () => boolean;
  /** LIVE_*: the subscription transport's limits (docs/live.md); the defaults when not given. */
  readonly live?: LiveConfig;
  /** Where the live views count; a new one when not given. */
  readonly liveMetrics?: LiveMetrics;
}

export interface AppAccess {
  /** Null: authentication is off; every caller is UNRESTRICTED. */
  readonly authenticator: Authenticator | null;
  readonly metricsAuth: boolean;
  readonly corsOrigins: readonly string[];
  readonly cost: CostLimits;
  readonly rateLimitPerMinute: number;
  readonly maxInFlightPerCaller: number;
}

const DEFAULT_ACCESS: AppAccess = {
  authenticator: null,
  metricsAuth: false,
  corsOrigins: [],
  cost: { maxCost: 100, maxDepth: 12, maxBytes: 256 * 1024 },
  rateLimitPerMinute: 0,
  maxInFlightPerCaller: 0,
};

/** Headers a browser UI on another origin may send (CORS_ORIGINS). */
const CORS_HEADERS = ['authorization', 'content-type', 'apollo-require-preflight', 'x-apollo-operation-name', 'idempotency-key', 'content-encoding'];

/**
 * The HTTP front: Apollo Server on Fastify at /graphql (the playground on a
 * browser GET), the flow console at /, /health (the process answers), /ready (every configured
 * store answers) and /metrics (Prometheus text). Ingest routes are
 * registered on the returned instance.
 */
export async function buildApp(services: Services, options: AppOptions): Promise<FastifyInstance> {
  const access = options.access ?? DEFAULT_ACCESS;
  const app = Fastify({
    logger: options.logStream === undefined ? { level: options.logLevel } : { level: options.logLevel, stream: options.logStream },
    // One line per request only at debug: ingest runs at thousands a second.
    logController: new LogController({ disableRequestLogging: options.logLevel !== 'debug' }),
    // While the gateway closes, a request on a kept-alive connection is routed as usual, so that
    // ingest gets the shutdown refusal with Retry-After and /ready its 503 (Fastify's own 503 has neither).
    return503OnClosing: false,
  });
  // First, so that it runs before every other hook and route: a refused request costs no body read.
  addAuthHook(app, { authenticator: access.authenticator, metricsAuth: access.metricsAuth });
  if (access.authenticator !== null) await callerLimits(app, { perMinute: access.rateLimitPerMinute, inFlight: access.maxInFlightPerCaller });
  if (access.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: access.corsOrigins.includes('*') ? '*' : [...access.corsOrigins],
      methods: ['GET', 'POST'],
      allowedHeaders: CORS_HEADERS,
      exposedHeaders: ['retry-after', 'www-authenticate', 'idempotent-replayed'],
      credentials: false,
      maxAge: 600,
    });
  }
  documentSizeLimit(app, access.cost.maxBytes);
  const metrics = options.metrics ?? new Metrics();
  metrics.register(app);
  const liveMetrics = options.liveMetrics ?? new LiveMetrics(metrics.registry);
  // One schema for HTTP (Apollo) and the subscription socket.
  const schema = makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers: resolvers as never });
  const apollo = new ApolloServer<GatewayContext>({
    schema,
    introspection: true,
    // Apollo's default, kept on: a simple cross-site form POST or GET cannot run an operation.
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    formatError: formatError(app.log),
    plugins: [fastifyApolloDrainPlugin(app), playgroundPlugin(app, access.authenticator !== null), metrics.apolloPlugin(), saturatedPlugin(options.retryAfterSeconds ?? 1), accessPlugin(access.cost, app.log)],
  });
  await apollo.start();
  exactJsonBodies(app);
  const authenticator = access.authenticator;
  await app.register(fastifyApollo(apollo), {
    context: async (req) => {
      // The auth hook set the caller, except for a browser GET it let through for the playground page.
      const caller = req.caller ?? (authenticator === null ? UNRESTRICTED : null);
      if (caller === null) {
        throw refusal(null, new GatewayError('UNAUTHENTICATED', 'no credentials: send Authorization: Bearer <token>'), app.log, [['www-authenticate', authenticator!.challenge]]);
      }
      return createContext(services, contentLength(req.headers['content-length']), caller);
    },
  });

  consoleRoutes(app);
  if (services.live !== undefined) {
    const credentials = new LiveCredentials(authenticator, app.log);
    app.addHook('onClose', async () => credentials.close());
    liveSocket(app, {
      schema,
      services,
      authenticator,
      cost: access.cost,
      live: options.live ?? DEFAULT_LIVE_CONFIG,
      metrics: liveMetrics,
      perCaller: new Map(),
      credentials,
    });
  }

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/ready', async (_req, reply) => {
    if (options.draining?.() === true) {
      reply.code(503);
      return { status: 'draining' };
    }
    const timeout = options.readyTimeoutMs ?? 2000;
    const checks = await Promise.all(
      [
        ['sessions', services.sessions] as const,
        ['uves', services.uves] as const,
      ].map(async ([role, store]) => {
        try {
          await withTimeout(store.ping(), timeout);
          return { role, backend: store.backend, ok: true };
        } catch (e) {
          app.log.warn({ err: e, role, backend: store.backend }, 'readiness check failed');
          return { role, backend: store.backend, ok: false };
        }
      }),
    );
    const failed = checks.filter((c) => !c.ok);
    reply.code(failed.length === 0 ? 200 : 503);
    return {
      status: failed.length === 0 ? 'ready' : 'unavailable',
      stores: Object.fromEntries(checks.map((c) => [c.role, { backend: c.backend, ok: c.ok }])),
      ...(failed.length === 0 ? {} : { failed: failed.map((c) => `${c.role} (${c.backend})`) }),
    };
  });

  return app;
}

/** A request's Content-Length in bytes; 0 when it is absent or not a number (a chunked body). */
function contentLength(header: string | undefined): number {
  const n = Number(header ?? 0);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
