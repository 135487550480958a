/**
 * The gateway's one error type. `code` is stable and is mapped once to the
 * GraphQL `extensions.code` and to an HTTP status (see graphql/errors.ts and
 * server/). Throw only these (or let anything else become INTERNAL).
 */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'BACKEND_UNAVAILABLE'
  | 'QUERY_TOO_EXPENSIVE'
  /** The gateway holds as much ingest as it may: retry later (HTTP 429 with Retry-After). */
  | 'SATURATED'
  /** One caller sent more than its rate limit, or has its cap of operations running (HTTP 429 with Retry-After). */
  | 'RATE_LIMITED'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'INTERNAL';

export class GatewayError extends Error {
  readonly code: ErrorCode;
  /** The argument or input path the error is about, e.g. `where.localIp.regex`. */
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { field?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.field = options?.field;
  }
}

/** A BAD_USER_INPUT error whose message starts with the field it is about. */
export function badInput(field: string, problem: string): GatewayError {
  return new GatewayError('BAD_USER_INPUT', `${field}: ${problem}`, { field });
}

/** The backend did not answer, or answered with a failure worth retrying later. */
export function backendUnavailable(backend: string, cause?: unknown): GatewayError {
  return new GatewayError('BACKEND_UNAVAILABLE', `the ${backend} store is unavailable; retry later`, {
    cause,
  });
}

/** The store was closed (the gateway is shutting down): the call did not run. */
export function storeClosed(backend: string): GatewayError {
  return new GatewayError('BACKEND_UNAVAILABLE', `the ${backend} store is closed`);
}

export function tooExpensive(message: string): GatewayError {
  return new GatewayError('QUERY_TOO_EXPENSIVE', message);
}

/** The caller may not do this (a missing scope, a namespace it does not hold): HTTP 403. */
export function forbidden(message: string): GatewayError {
  return new GatewayError('FORBIDDEN', message);
}
