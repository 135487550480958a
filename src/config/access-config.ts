import { accessSync, constants } from 'node:fs';
import { ConfigError, bool, int, millis, oneOf, optional, type Env } from './env-values.js';

/** Who may call the gateway and how much one caller may ask (docs/security.md). */
export interface AccessConfig {
  /**
   * The authenticators; null when authentication is off: AUTH=none (`explicit`,
   * unsafe), or nothing configured (`unconfigured`: the gateway then binds to
   * loopback only).
   */
  readonly auth: AuthSettings | null;
  readonly authOff: 'explicit' | 'unconfigured' | null;
  /** METRICS_AUTH: /metrics asks for credentials too (any authenticated caller). */
  readonly metricsAuth: boolean;
  /** CORS_ORIGINS: the browser origins allowed to call; empty: none (no CORS headers). `*` allows any. */
  readonly corsOrigins: readonly string[];
  readonly cost: CostLimits;
  /** RATE_LIMIT: GraphQL requests per authenticated caller per minute; 0: no limit. */
  readonly rateLimitPerMinute: number;
  /** MAX_QUERIES_IN_FLIGHT_PER_CALLER: GraphQL requests of one authenticated caller running at once; 0: no cap. */
  readonly maxInFlightPerCaller: number;
}

export interface AuthSettings {
  /** AUTH_TOKENS_FILE: JSON or YAML list of {name, sha256, scopes, namespaces?}. */
  readonly tokensFile: string | null;
  readonly jwt: JwtSettings | null;
}

export interface JwtSettings {
  readonly issuer: string;
  /** JWT_AUDIENCE, comma-separated: a token must name one of them. */
  readonly audience: readonly string[];
  /** Exactly one of jwksUrl and publicKeyFile is set. */
  readonly jwksUrl: string | null;
  readonly publicKeyFile: string | null;
  readonly algorithms: readonly JwtAlgorithm[];
  /** A claim name, or a dotted path into nested claims (`kubernetes.io.namespace`). */
  readonly scopesClaim: string;
  /** Null: JWT callers see every namespace. */
  readonly namespacesClaim: string | null;
  /** JWT_JWKS_COOLDOWN: the least time between two JWKS fetches for an unknown `kid`. */
  readonly jwksCooldownMs: number;
  /** JWT_CLOCK_TOLERANCE: leeway on exp and nbf. */
  readonly clockToleranceMs: number;
}

/** Checked on every GraphQL operation before a resolver runs (docs/security.md, "Limits"). */
export interface CostLimits {
  /** QUERY_MAX_COST: the sum of the root fields' costs. */
  readonly maxCost: number;
  /** QUERY_MAX_DEPTH: the deepest field nesting. */
  readonly maxDepth: number;
  /** QUERY_MAX_BYTES: the size of the GraphQL document (not its variables). */
  readonly maxBytes: number;
}

/** Signature algorithms with a public key. HS* (shared secret) and none are never accepted. */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

const JWT_VARIABLES = ['JWT_ISSUER', 'JWT_AUDIENCE', 'JWT_JWKS_URL', 'JWT_PUBLIC_KEY_FILE'] as const;

/** AUTH, AUTH_TOKENS_FILE, JWT_*, METRICS_AUTH, CORS_ORIGINS and the cost and rate limits. */
export function parseAccessConfig(env: Env): AccessConfig {
  const mode = optional(env, 'AUTH') === null ? 'auto' : oneOf(env, 'AUTH', ['none', 'on'] as const, 'on');
  const explicitNone = mode === 'none';
  const tokensFile = readableFile(env, 'AUTH_TOKENS_FILE');
  const jwt = jwtSettings(env);
  if (explicitNone && (tokensFile !== null || jwt !== null)) {
    throw new ConfigError('AUTH', `AUTH=none turns authentication off, but ${tokensFile !== null ? 'AUTH_TOKENS_FILE' : 'JWT_*'} is set; drop one of them`);
  }
  if (mode === 'on' && tokensFile === null && jwt === null) {
    throw new ConfigError('AUTH', 'AUTH=on needs AUTH_TOKENS_FILE or JWT_ISSUER with JWT_JWKS_URL or JWT_PUBLIC_KEY_FILE');
  }
  const auth = tokensFile === null && jwt === null ? null : { tokensFile, jwt };
  return {
    auth,
    authOff: auth !== null ? null : explicitNone ? 'explicit' : 'unconfigured',
    metricsAuth: bool(env, 'METRICS_AUTH', false),
    corsOrigins: corsOrigins(env),
    cost: {
      maxCost: int(env, 'QUERY_MAX_COST', 100, 1, 1_000_000),
      maxDepth: int(env, 'QUERY_MAX_DEPTH', 12, 2, 1000),
      maxBytes: int(env, 'QUERY_MAX_BYTES', 256 * 1024, 256, 64 * 1024 * 1024),
    },
    rateLimitPerMinute: int(env, 'RATE_LIMIT', 600, 0, 10_000_000),
    maxInFlightPerCaller: int(env, 'MAX_QUERIES_IN_FLIGHT_PER_CALLER', 16, 0, 100_000),
  };
}

/** The JWT settings, or null when none of JWT_ISSUER, JWT_AUDIENCE, JWT_JWKS_URL, JWT_PUBLIC_KEY_FILE is set. */
function jwtSettings(env: Env): JwtSettings | null {
  if (JWT_VARIABLES.every((v) => optional(env, v) === null)) return null;
  const issuer = optional(env, 'JWT_ISSUER');
  if (issuer === null) throw new ConfigError('JWT_ISSUER', 'must be set with the other JWT_* settings: the `iss` every token must carry');
  const audience = (optional(env, 'JWT_AUDIENCE') ?? '').split(',').map((a) => a.trim()).filter((a) => a !== '');
  if (audience.length === 0) throw new ConfigError('JWT_AUDIENCE', 'must be set with the other JWT_* settings: the `aud` a token must carry (comma-separated for several)');
  const jwksUrl = optional(env, 'JWT_JWKS_URL');
  const publicKeyFile = readableFile(env, 'JWT_PUBLIC_KEY_FILE');
  if ((jwksUrl === null) === (publicKeyFile === null)) {
    throw new ConfigError('JWT_JWKS_URL', 'set exactly one of JWT_JWKS_URL and JWT_PUBLIC_KEY_FILE');
  }
  if (jwksUrl !== null) {
    let url: URL;
    try {
      url = new URL(jwksUrl);
    } catch {
      throw new ConfigError('JWT_JWKS_URL', 'is not a URL such as https://issuer.example/.well-known/jwks.json');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError('JWT_JWKS_URL', `must be https:// (or http://), not ${url.protocol}//`);
  }
  return {
    issuer,
    audience,
    jwksUrl,
    publicKeyFile,
    algorithms: algorithms(env),
    scopesClaim: claimName(env, 'JWT_SCOPES_CLAIM', 'scope')!,
    namespacesClaim: claimName(env, 'JWT_NAMESPACES_CLAIM', null),
    jwksCooldownMs: millis(env, 'JWT_JWKS_COOLDOWN', '30s', '1ms', '1h'),
    clockToleranceMs: millis(env, 'JWT_CLOCK_TOLERANCE', '30s', '1ms', '10m'),
  };
}

function algorithms(env: Env): JwtAlgorithm[] {
  const list = (optional(env, 'JWT_ALGORITHMS') ?? 'RS256,ES256').split(',').map((a) => a.trim()).filter((a) => a !== '');
  if (list.length === 0) throw new ConfigError('JWT_ALGORITHMS', 'must name at least one algorithm');
  for (const a of list) {
    if (/^(HS|none$)/i.test(a)) {
      throw new ConfigError('JWT_ALGORITHMS', `${a.slice(0, 16)} is not accepted: the gateway verifies with public keys only (a shared secret or no signature would let anyone who has the key sign)`);
    }
    if (!(JWT_ALGORITHMS as readonly string[]).includes(a)) throw new ConfigError('JWT_ALGORITHMS', `"${a.slice(0, 16)}" is not one of ${JWT_ALGORITHMS.join(', ')}`);
  }
  return list as JwtAlgorithm[];
}

function claimName(env: Env, name: string, fallback: string | null): string | null {
  const text = optional(env, name) ?? fallback;
  if (text !== null && !/^[A-Za-z0-9_:./-]{1,200}$/.test(text)) throw new ConfigError(name, `"${text.slice(0, 32)}" is not a claim name`);
  return text;
}

export function readableFile(env: Env, name: string): string | null {
  const path = optional(env, name);
  if (path === null) return null;
  try {
    accessSync(path, constants.R_OK);
  } catch {
    throw new ConfigError(name, `cannot read ${path}`);
  }
  return path;
}

/** Exact origins (scheme://host[:port]), comma-separated, or `*`. */
function corsOrigins(env: Env): string[] {
  const list = (optional(env, 'CORS_ORIGINS') ?? '').split(',').map((o) => o.trim()).filter((o) => o !== '');
  for (const o of list) {
    if (o === '*') continue;
    let url: URL;
    try {
      url = new URL(o);
    } catch {
      throw new ConfigError('CORS_ORIGINS', `"${o.slice(0, 64)}" is not an origin such as https://ui.example.com`);
    }
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== o) {
      throw new ConfigError('CORS_ORIGINS', `"${o.slice(0, 64)}" is not an origin such as https://ui.example.com (scheme, host and port only)`);
    }
  }
  if (list.includes('*') && list.length > 1) throw new ConfigError('CORS_ORIGINS', '* allows every origin; give it alone');
  return list;
}

const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|localhost|::ffff:127(\.\d{1,3}){3})$/i;

/** True for an address that only this machine can reach. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host.replace(/^\[|\]$/g, ''));
}

/**
 * The address the gateway listens on: HOST (or FORWARD_HOST for the forward listener), except that with no
 * authentication configured and no HOST it is 127.0.0.1 (the safe default);
 * HOST off loopback with authentication off needs AUTH=none.
 */
export function listenHost(env: Env, variable: string, access: AccessConfig): string {
  const host = optional(env, variable);
  if (access.authOff !== 'unconfigured') return host ?? '0.0.0.0';
  if (host === null) return '127.0.0.1';
  if (!isLoopback(host)) {
    throw new ConfigError(
      'AUTH',
      `${variable}=${host.slice(0, 64)} is reachable from other machines, but no authentication is configured; set AUTH_TOKENS_FILE or JWT_* (docs/security.md), or AUTH=none to run without (unsafe)`,
    );
  }
  return host;
}
