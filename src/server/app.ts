import { ApolloServer } from '@apollo/server';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { exactJsonBodies } from './exact-json.js';
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
}

/**
 * The HTTP front: Apollo Server on Fastify at /graphql (the playground on a
 * browser GET), /health (the process answers), /ready (every configured
 * store answers) and /metrics (Prometheus text). Ingest routes are
 * registered on the returned instance.
 */
export async function buildApp(services: Services, options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: options.logLevel },
    // One line per request only at debug: ingest runs at thousands a second.
    logController: new LogController({ disableRequestLogging: options.logLevel !== 'debug' }),
  });
  const metrics = options.metrics ?? new Metrics();
  metrics.register(app);
  const apollo = new ApolloServer<GatewayContext>({
    typeDefs: loadTypeDefs(),
    resolvers: resolvers as never,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    formatError: formatError(app.log),
    plugins: [fastifyApolloDrainPlugin(app), playgroundPlugin(app), metrics.apolloPlugin(), saturatedPlugin(options.retryAfterSeconds ?? 1)],
  });
  await apollo.start();
  exactJsonBodies(app);
  await app.register(fastifyApollo(apollo), { context: async (req) => createContext(services, contentLength(req.headers['content-length'])) });

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/ready', async (_req, reply) => {
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
