import { readFile } from 'node:fs/promises';
import { createRemoteJWKSet, errors, importSPKI, importX509, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { JwtAlgorithm, JwtSettings } from '../../config/index.js';
import { GatewayError, SCOPES, type Caller, type Scope } from '../../model/index.js';
import { NAMESPACE } from './token-entries.js';

/** How long a verified token is taken again without verifying its signature, and how many are kept. */
const CACHE_MS = 60_000;
const CACHE_ENTRIES = 1024;

type VerifyKey = Awaited<ReturnType<typeof importSPKI>>;

/**
 * Verifies JWT bearer tokens with `jose` (https://github.com/panva/jose):
 * the signature with a key from JWT_JWKS_URL (cached; fetched again for an
 * unknown `kid`, at most once per JWT_JWKS_COOLDOWN) or JWT_PUBLIC_KEY_FILE,
 * an algorithm out of JWT_ALGORITHMS only (never HS* or none, so an HS256
 * token "signed" with the public key is refused), `iss`, `aud`, `exp`
 * (required), `nbf`; then maps the claims to a Caller.
 */
export class JwtVerifier {
  /** Verified tokens, until the earlier of their exp and CACHE_MS from verification (an RS256 verification costs some 100-300 µs). */
  private readonly verified = new Map<string, { caller: Caller; until: number; expiresAt: number }>();

  private constructor(
    private readonly settings: JwtSettings,
    private readonly key: JWTVerifyGetKey,
  ) {}

  static async create(settings: JwtSettings): Promise<JwtVerifier> {
    if (settings.jwksUrl !== null) {
      const jwks = createRemoteJWKSet(new URL(settings.jwksUrl), { cooldownDuration: settings.jwksCooldownMs, timeoutDuration: 5000 });
      return new JwtVerifier(settings, jwks);
    }
    const path = settings.publicKeyFile!;
    const pem = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new Error(`JWT_PUBLIC_KEY_FILE: cannot read ${path}: ${e.code ?? e.message}`);
    });
    // One key object per algorithm the PEM key can serve (RSA: RS*, PS*; EC P-256: ES256 ...).
    const keys = new Map<string, VerifyKey>();
    for (const alg of settings.algorithms) {
      try {
        keys.set(alg, pem.includes('BEGIN CERTIFICATE') ? await importX509(pem, alg) : await importSPKI(pem, alg));
      } catch {
        // not this key's algorithm
      }
    }
    if (keys.size === 0) {
      throw new Error(`JWT_PUBLIC_KEY_FILE: ${path} holds no SPKI public key (or X.509 certificate) for ${settings.algorithms.join(', ')} (JWT_ALGORITHMS)`);
    }
    return new JwtVerifier(settings, async (header) => {
      const key = keys.get(header.alg ?? '');
      if (key === undefined) throw new errors.JOSEAlgNotAllowed(`"alg" (Algorithm) Header Parameter value not allowed for the configured key`);
      return key;
    });
  }

  /** The caller the token names; UNAUTHENTICATED when it is not valid, BACKEND_UNAVAILABLE when the JWKS does not answer. */
  async verify(token: string): Promise<Caller> {
    return (await this.verifyUntil(token)).caller;
  }

  /**
   * The caller, and when the token stops being taken (epoch ms: its `exp`
   * plus JWT_CLOCK_TOLERANCE, the moment a request with it is refused):
   * a subscription authenticated with it ends then (docs/live.md).
   */
  async verifyUntil(token: string): Promise<{ caller: Caller; expiresAt: number }> {
    const now = Date.now();
    const hit = this.verified.get(token);
    if (hit !== undefined) {
      if (hit.until > now) return hit;
      this.verified.delete(token);
    }
    const { caller, exp } = await this.check(token);
    const expiresAt = exp * 1000 + this.settings.clockToleranceMs;
    if (this.verified.size >= CACHE_ENTRIES) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { caller, until: Math.min(exp * 1000, now + CACHE_MS), expiresAt });
    return { caller, expiresAt };
  }

  private async check(token: string): Promise<{ caller: Caller; exp: number }> {
    const s = this.settings;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        issuer: s.issuer,
        audience: [...s.audience],
        algorithms: [...s.algorithms] as JwtAlgorithm[],
        requiredClaims: ['exp', 'sub'],
        clockTolerance: Math.round(s.clockToleranceMs / 1000),
      }));
    } catch (e) {
      if (e instanceof errors.JWKSTimeout || (e instanceof Error && !(e instanceof errors.JOSEError))) {
        throw new GatewayError('BACKEND_UNAVAILABLE', 'the keys at JWT_JWKS_URL could not be fetched; retry later', { cause: e });
      }
      throw new GatewayError('UNAUTHENTICATED', `the bearer token is not valid: ${reason(e as errors.JOSEError)}`);
    }
    const caller = Object.freeze({
      name: payload.sub!,
      scopes: scopesOf(claimAt(payload, s.scopesClaim)),
      namespaces: s.namespacesClaim === null ? null : namespacesOf(claimAt(payload, s.namespacesClaim)),
    });
    return { caller, exp: payload.exp! };
  }
}

/** jose's message, which names the claim or the check, never the token. */
function reason(e: errors.JOSEError): string {
  if (e instanceof errors.JWKSNoMatchingKey) return 'no key of JWT_JWKS_URL matches its kid';
  if (e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid) return 'it is not a well-formed signed JWT';
  return e.message;
}

/** The value at a claim name, or at a dotted path into nested claims whose names may hold dots themselves (`kubernetes.io.namespace`). */
export function claimAt(obj: unknown, path: string): unknown {
  if (obj === null || typeof obj !== 'object') return undefined;
  const o = obj as Record<string, unknown>;
  if (Object.hasOwn(o, path)) return o[path];
  for (let i = path.indexOf('.'); i > 0; i = path.indexOf('.', i + 1)) {
    const head = path.slice(0, i);
    if (Object.hasOwn(o, head)) {
      const v = claimAt(o[head], path.slice(i + 1));
      if (v !== undefined) return v;
    }
  }
  return undefined;
}

function words(v: unknown): string[] {
  if (typeof v === 'string') return v.split(/[\s,]+/).filter((w) => w !== '');
  if (Array.isArray(v)) return v.filter((w): w is string => typeof w === 'string');
  return [];
}

/** A space-separated string (OAuth `scope`) or an array; names that are not gateway scopes are ignored. */
function scopesOf(v: unknown): ReadonlySet<Scope> {
  return new Set(words(v).filter((w): w is Scope => (SCOPES as readonly string[]).includes(w)));
}

/** A name, a list of names, or `*` for every namespace; absent: none. Names that are not namespace names are ignored. */
function namespacesOf(v: unknown): readonly string[] | null {
  const list = words(v);
  if (list.includes('*')) return null;
  return [...new Set(list.filter((n) => NAMESPACE.test(n)))];
}
