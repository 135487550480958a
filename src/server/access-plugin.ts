import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { CostLimits } from '../config/index.js';
import { GatewayError, tooExpensive, type Caller } from '../model/index.js';
import { operationShape, scopeOf, type GatewayContext } from '../graphql/index.js';
import { HTTP_STATUS } from './http-status.js';

export interface AuditLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Checks every GraphQL operation before any resolver runs, and so before any
 * store is called (the document's size is checked before Apollo sees it:
 * document-size.ts): once it is valid, the scope of each root field (403
 * FORBIDDEN naming the scope), its cost (QUERY_MAX_COST) and depth
 * (QUERY_MAX_DEPTH), refused as QUERY_TOO_EXPENSIVE naming the limit.
 * Mutations (with replays) and refusals are logged with the caller's name.
 */
export function accessPlugin(limits: CostLimits, log: AuditLog): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      let mutation: { fields: string[]; operationName: string | null } | null = null;
      return {
        async didResolveOperation({ document, operation, contextValue }) {
          if (operation === undefined) return; // Apollo answers an unknown operationName itself
          const caller = contextValue.caller;
          const shape = operationShape(document, operation);
          for (const f of shape.rootFields) {
            const scope = scopeOf(operation.operation, f.name.value);
            if (scope !== null && !caller.scopes.has(scope)) {
              throw refusal(caller, new GatewayError('FORBIDDEN', `${f.name.value} needs the scope ${scope}, which ${caller.name} does not have`, { field: f.name.value }), log);
            }
          }
          if (shape.cost > limits.maxCost) {
            throw refusal(caller, tooExpensive(`the operation costs ${shape.cost}, past QUERY_MAX_COST (${limits.maxCost}); send fewer root fields or aliases`), log);
          }
          if (shape.depth > limits.maxDepth) {
            throw refusal(caller, tooExpensive(`the operation nests ${shape.depth} fields deep, past QUERY_MAX_DEPTH (${limits.maxDepth})`), log);
          }
          if (operation.operation === 'mutation') mutation = { fields: shape.rootFields.map((f) => f.name.value), operationName: operation.name?.value ?? null };
        },
        async willSendResponse({ response, contextValue }) {
          if (mutation === null) return;
          const result = response.body.kind === 'single' ? response.body.singleResult : undefined;
          const codes = (result?.errors ?? []).map((e) => e.extensions?.['code']);
          log.info({ audit: 'mutation', caller: contextValue.caller.name, fields: mutation.fields, operationName: mutation.operationName, errors: codes }, 'mutation');
        },
      };
    },
  };
}

/** A GatewayError as Apollo answers a refusal before execution: its HTTP status from the one mapping (http-status.ts). */
export function refusal(caller: Caller | null, error: GatewayError, log: AuditLog, headers?: Iterable<[string, string]>): GraphQLError {
  log.warn({ audit: 'refused', caller: caller?.name ?? null, code: error.code, status: HTTP_STATUS[error.code], route: '/graphql' }, error.message);
  return new GraphQLError(error.message, {
    originalError: error,
    extensions: { code: error.code, http: { status: HTTP_STATUS[error.code], ...(headers === undefined ? {} : { headers: new Map(headers) }) } },
  });
}
