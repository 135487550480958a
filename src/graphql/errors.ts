import type { GraphQLFormattedError } from 'graphql';
import { GatewayError } from '../model/index.js';

export interface ErrorLog {
  error(obj: object, msg: string): void;
}

/**
 * Maps every error once to its public form: a GatewayError keeps its code
 * and message; GraphQL's own parse, validation and coercion errors keep
 * theirs; anything else is logged with its detail and answered as INTERNAL,
 * with no message, stack or secret.
 */
export function formatError(log: ErrorLog) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = innermost(error);
    const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
    if (original instanceof GatewayError) {
      if (original.code === 'BACKEND_UNAVAILABLE' || original.code === 'INTERNAL') {
        log.error({ err: original, cause: original.cause }, original.message);
      }
      return {
        ...formatted,
        message: original.message,
        extensions: { code: original.code, ...(original.field === undefined ? {} : { field: original.field }) },
      };
    }
    // graphql-js may be loaded twice (ESM and CJS), so match by name, not class.
    if (original instanceof Error && (original.name === 'GraphQLError' || isApolloRequestError(original))) {
      return { ...formatted, extensions: { ...extensions, code: extensions['code'] ?? 'BAD_USER_INPUT' } };
    }
    log.error({ err: original }, 'internal error while resolving a request');
    return { message: 'internal error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL' } };
  };
}

/**
 * Apollo Server's own refusals of a request (a CSRF-blocked request, a body
 * that is no GraphQL request, an unknown operationName) are GraphQLError
 * subclasses named after their class: their message is for the client.
 */
const APOLLO_REQUEST_CODES = new Set(['BAD_REQUEST', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'OPERATION_RESOLUTION_FAILURE', 'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED']);

function isApolloRequestError(e: Error): boolean {
  const code = (e as { extensions?: { code?: unknown } }).extensions?.code;
  return typeof code === 'string' && APOLLO_REQUEST_CODES.has(code);
}

/** The error at the end of the `originalError` chain GraphQL wraps around it. */
function innermost(error: unknown): unknown {
  let e = error;
  while (e !== null && typeof e === 'object' && 'originalError' in e && (e as { originalError?: unknown }).originalError) {
    e = (e as { originalError: unknown }).originalError;
  }
  return e;
}
