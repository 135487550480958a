import type { FastifyInstance } from 'fastify';
import type { Config } from './config/index.js';
import { FileDeadLetterSink, SessionIngest } from './ingest/index.js';
import { systemClock, type Clock } from './model/index.js';
import { buildApp } from './server/index.js';
import { DuckDb, DuckDbSessionStore, DuckDbUveStore } from './stores/duckdb/index.js';
import type { SessionStore, UveStore } from './stores/types.js';
import type { Services } from './graphql/index.js';
import { join, dirname } from 'node:path';

export interface Gateway {
  readonly app: FastifyInstance;
  readonly services: Services;
  /** The embedded store's rollup job, when the embedded store holds sessions. */
  readonly duckSessions: DuckDbSessionStore | undefined;
  close(): Promise<void>;
}

export interface GatewayOptions {
  readonly clock?: Clock;
  /** Start the embedded rollup job on its interval (off in tests, which run it by hand). */
  readonly runJobs?: boolean;
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

/** Wires the stores, the write path and the HTTP app from one Config. */
export async function createGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const clock = options.clock ?? systemClock;
  const db = await DuckDb.open({ path: config.duckdbPath, queryTimeoutMs: config.limits.queryTimeoutMs });
  let duckSessions: DuckDbSessionStore | undefined;
  let sessions: SessionStore;
  switch (config.sessionStore) {
    case 'duckdb':
      duckSessions = await DuckDbSessionStore.open(db, { retention: config.retention, clock });
      sessions = duckSessions;
      break;
    default:
      throw new Error(`SESSION_STORE=${config.sessionStore} is not built yet`);
  }
  let uves: UveStore;
  switch (config.uveStore) {
    case 'duckdb':
      uves = await DuckDbUveStore.open(db, clock);
      break;
    default:
      throw new Error(`UVE_STORE=${config.uveStore} is not built yet`);
  }
  const deadLetters = new FileDeadLetterSink(deadLetterPath(config), clock);
  const ingest = new SessionIngest({ store: sessions, deadLetters, clock, limits: config.ingest });
  const services: Services = { sessions, uves, ingest, clock, retention: config.retention, limits: config.limits };
  const app = await buildApp(services, { logLevel: options.logLevel ?? config.logLevel });
  if (duckSessions !== undefined && options.runJobs !== false) {
    duckSessions.rollup.start(config.rollupIntervalMs, (e) => app.log.error({ err: e }, 'rollup job failed'));
  }
  return {
    app,
    services,
    duckSessions,
    async close() {
      await app.close();
      await sessions.close();
      await uves.close();
      await deadLetters.close();
      await db.close();
    },
  };
}

function deadLetterPath(config: Config): string {
  const base = config.duckdbPath === ':memory:' ? './data' : dirname(config.duckdbPath);
  return join(base, 'dead-letter.ndjson');
}
