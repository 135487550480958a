import type { ApolloServerPlugin } from '@apollo/server';
import { GatewayError } from '../model/index.js';
import { HTTP_STATUS } from './http-status.js';

/**
 * Answers a GraphQL operation that the in-flight ingest budget refused (an
 * error with code SATURATED, e.g. from ingestSessions) as the HTTP ingest
 * routes do: status 429 with `Retry-After`, so that HTTP clients and proxies
 * back off without reading the body. The GraphQL errors are unchanged.
 * Apollo Server applies `response.http` to the HTTP answer
 * (https://www.apollographql.com/docs/apollo-server/integrations/plugins-event-reference#didencountererrors).
 */
export function saturatedPlugin(retryAfterSeconds: number): ApolloServerPlugin {
  return {
    requestDidStart: async () => ({
      didEncounterErrors: async ({ errors, response }) => {
        if (!errors.some((e) => isSaturated(e))) return;
        response.http.status = HTTP_STATUS.SATURATED;
        response.http.headers.set('retry-after', String(retryAfterSeconds));
      },
    }),
  };
}

/** True for a SATURATED GatewayError at the end of the `originalError` chain GraphQL wraps around it. */
function isSaturated(error: unknown): boolean {
  let e = error;
  while (e instanceof Error && !(e instanceof GatewayError) && 'originalError' in e && e.originalError instanceof Error) e = e.originalError;
  return e instanceof GatewayError && e.code === 'SATURATED';
}
