import type { FastifyInstance } from 'fastify';
import { parseConfig, type Env } from '../../src/config/index.js';
import { createGateway, type Gateway } from '../../src/gateway.js';

/** A gateway on an in-memory embedded store, jobs off, logs silent. */
export async function testGateway(env: Env = {}, now?: () => bigint): Promise<Gateway> {
  return createGateway(parseConfig({ DUCKDB_PATH: ':memory:', ...env }), {
    runJobs: false,
    logLevel: 'silent',
    ...(now === undefined ? {} : { clock: now }),
  });
}

export interface GraphQLAnswer {
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/** POSTs one GraphQL operation through the real HTTP stack (Fastify inject). */
export async function gql(app: FastifyInstance, query: string, variables?: Record<string, unknown>): Promise<GraphQLAnswer> {
  const res = await app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true' },
    payload: JSON.stringify({ query, variables }),
  });
  return JSON.parse(res.body) as GraphQLAnswer;
}
