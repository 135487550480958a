import { GatewayError, type Caller } from '../../model/index.js';
import type { JwtVerifier } from './jwt-verifier.js';
import type { TokensFile } from './tokens-file.js';

/** Longer Authorization headers are refused before anything is decoded (a 100 KB header costs nothing). */
export const MAX_AUTHORIZATION_BYTES = 8192;

const BEARER = /^Bearer +([\x21-\x7e]+) *$/i;
const BASIC = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Turns an Authorization header into a Caller: `Bearer <token>` (a static
 * token of AUTH_TOKENS_FILE, else a JWT), or HTTP Basic with the token as
 * the password (the user name is not checked: fluentd's out_http `<auth>`).
 * Throws UNAUTHENTICATED with a message that never repeats the credential.
 */
export class Authenticator {
  /** The WWW-Authenticate of a 401: the schemes this gateway accepts. */
  readonly challenge: string;

  constructor(
    private readonly tokens: TokensFile | null,
    private readonly jwt: JwtVerifier | null,
  ) {
    const realm = 'realm="session-analytics-gateway"';
    this.challenge = tokens === null ? `Bearer ${realm}` : `Bearer ${realm}, Basic ${realm}, charset="UTF-8"`;
  }

  async authenticate(header: string | undefined): Promise<Caller> {
    return (await this.authenticateUntil(header)).caller;
  }

  /**
   * As `authenticate`, with when the credential stops being taken (epoch
   * ms; null for a static token, which lasts while AUTH_TOKENS_FILE names
   * it): what a long-lived subscription needs to end in time.
   */
  async authenticateUntil(header: string | undefined): Promise<{ caller: Caller; expiresAt: number | null }> {
    if (header === undefined || header === '') throw unauthenticated('no credentials: send Authorization: Bearer <token>');
    if (header.length > MAX_AUTHORIZATION_BYTES) throw unauthenticated(`the Authorization header is longer than ${MAX_AUTHORIZATION_BYTES} bytes`);
    let token: string;
    const bearer = BEARER.exec(header);
    if (bearer !== null) token = bearer[1]!;
    else {
      const basic = BASIC.exec(header);
      if (basic === null) throw unauthenticated('the Authorization header is not "Bearer <token>" or "Basic <base64 of user:token>"');
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw unauthenticated('Basic credentials must be user:token');
      token = decoded.slice(colon + 1);
      if (token === '') throw unauthenticated('Basic credentials carry no password (the token)');
    }
    const caller = this.tokens?.match(token) ?? null;
    if (caller !== null) return { caller, expiresAt: null };
    if (this.jwt !== null && JWT_SHAPE.test(token)) return this.jwt.verifyUntil(token);
    throw unauthenticated('the token is not valid');
  }

  /** Runs `listener` after each change of AUTH_TOKENS_FILE's entries is in force; returns its removal. */
  onTokensChange(listener: () => void): () => void {
    return this.tokens?.onChange(listener) ?? (() => undefined);
  }
}

function unauthenticated(message: string): GatewayError {
  return new GatewayError('UNAUTHENTICATED', message);
}
