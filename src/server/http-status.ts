import type { ErrorCode } from '../model/index.js';

/** The one mapping of GatewayError codes to HTTP statuses, for every route that answers with them. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  QUERY_TOO_EXPENSIVE: 413,
  SATURATED: 429,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  BACKEND_UNAVAILABLE: 503,
};
