import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { GatewayError } from '../model/index.js';

export interface ErrorLog {
  error(obj: object, msg: string): void;
}

/**
 * Maps every error once to its public form: a GatewayError keeps its code
 * and message; GraphQL's own validation errors keep theirs; anything else is
 * logged with its detail and answered as INTERNAL, with no stack or secret.
 */
export function formatError(log: ErrorLog) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = error instanceof GraphQLError ? error.originalError : error;
    const strip = ({ extensions, ...rest }: GraphQLFormattedError) => {
      const { stacktrace: _drop, ...ext } = extensions ?? {};
      return { ...rest, extensions: ext };
    };
    if (original instanceof GatewayError) {
      if (original.code === 'BACKEND_UNAVAILABLE' || original.code === 'INTERNAL') {
        log.error({ err: original, cause: original.cause }, original.message);
      }
      return { ...strip(formatted), message: original.message, extensions: { code: original.code, ...(original.field ? { field: original.field } : {}) } };
    }
    if (original === undefined || original instanceof GraphQLError) {
      // A parse, validation or scalar error: the client's to fix.
      const code = formatted.extensions?.['code'] ?? 'BAD_USER_INPUT';
      return { ...strip(formatted), extensions: { ...strip(formatted).extensions, code } };
    }
    log.error({ err: original }, 'internal error while resolving a request');
    return { message: 'internal error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL' } };
  };
}
