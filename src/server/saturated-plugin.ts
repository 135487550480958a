import type { ApolloServerPlugin } from '@apollo/server';
import { ShuttingDown } from '../ingest/index.js';
import { GatewayError } from '../model/index.js';
import { HTTP_STATUS } from './http-status.js';

/**
 * Answers a GraphQL operation that the in-flight ingest budget refused (an
 * error with code SATURATED, e.g. from ingestSessions) as the HTTP ingest
 * routes do: status 429 with `Retry-After`, so that HTTP clients and proxies
 * back off without reading the body; one refused because the gateway is
 * shutting down (ShuttingDown) gets 503 with `Retry-After`. The GraphQL
 * errors are unchanged.
 * Apollo Server applies `response.http` to the HTTP answer
 * (https://www.apollographql.com/docs/apollo-server/integrations/plugins-event-reference#didencountererrors).
 */
export function saturatedPlugin(retryAfterSeconds: number): ApolloServerPlugin {
  return {
    requestDidStart: async () => ({
      didEncounterErrors: async ({ errors, response }) => {
        const refusals = errors.map(gatewayErrorOf);
        const status = refusals.some((e) => e?.code === 'SATURATED')
          ? HTTP_STATUS.SATURATED
          : refusals.some((e) => e instanceof ShuttingDown)
            ? HTTP_STATUS.BACKEND_UNAVAILABLE
            : undefined;
        if (status === undefined) return;
        response.http.status = status;
        response.http.headers.set('retry-after', String(retryAfterSeconds));
      },
    }),
  };
}

/** The GatewayError at the end of the `originalError` chain GraphQL wraps around it, if any. */
function gatewayErrorOf(error: unknown): GatewayError | undefined {
  let e = error;
  while (e instanceof Error && !(e instanceof GatewayError) && 'originalError' in e && e.originalError instanceof Error) e = e.originalError;
  return e instanceof GatewayError ? e : undefined;
}
