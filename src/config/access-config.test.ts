import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'sag-access-config-'));
const tokens = join(dir, 'tokens.yaml');
writeFileSync(tokens, '[]\n');
const pem = join(dir, 'key.pem');
writeFileSync(pem, 'not read here');
const jwt = { JWT_ISSUER: 'https://issuer.example', JWT_AUDIENCE: 'gateway', JWT_PUBLIC_KEY_FILE: pem };

function refusal(env: Record<string, string>): string {
  try {
    parseConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).variable;
  }
  throw new Error('accepted');
}

describe('access configuration', () => {
  it('binds to loopback only when no authentication is configured', () => {
    const c = parseConfig({});
    expect(c.access.auth).toBeNull();
    expect(c.access.authOff).toBe('unconfigured');
    expect(c.host).toBe('127.0.0.1');
    expect(parseConfig({ HOST: '::1' }).host).toBe('::1');
    expect(parseConfig({ HOST: '127.0.0.2' }).host).toBe('127.0.0.2');
  });

  it('stops start-up naming AUTH when HOST leaves loopback without authentication', () => {
    expect(refusal({ HOST: '0.0.0.0' })).toBe('AUTH');
    expect(refusal({ HOST: '10.1.2.3' })).toBe('AUTH');
    expect(() => parseConfig({ HOST: '0.0.0.0' })).toThrow(/AUTH=none/);
  });

  it('binds anywhere with AUTH=none (unsafe) or with authentication', () => {
    expect(parseConfig({ HOST: '0.0.0.0', AUTH: 'none' })).toMatchObject({ host: '0.0.0.0', access: { auth: null, authOff: 'explicit' } });
    const c = parseConfig({ AUTH_TOKENS_FILE: tokens });
    expect(c.host).toBe('0.0.0.0');
    expect(c.access.auth).toEqual({ tokensFile: tokens, jwt: null });
    expect(parseConfig({ ...jwt, HOST: '10.0.0.1' }).host).toBe('10.0.0.1');
  });

  it('reads the JWT settings with their defaults', () => {
    const c = parseConfig({ ...jwt, JWT_AUDIENCE: 'a, b' });
    expect(c.access.auth?.jwt).toMatchObject({
      issuer: 'https://issuer.example',
      audience: ['a', 'b'],
      jwksUrl: null,
      publicKeyFile: pem,
      algorithms: ['RS256', 'ES256'],
      scopesClaim: 'scope',
      namespacesClaim: null,
      jwksCooldownMs: 30_000,
    });
    expect(parseConfig({ ...jwt, JWT_NAMESPACES_CLAIM: 'kubernetes.io.namespace' }).access.auth?.jwt?.namespacesClaim).toBe('kubernetes.io.namespace');
  });

  it('has the documented limits', () => {
    expect(parseConfig({}).access).toMatchObject({
      metricsAuth: false,
      corsOrigins: [],
      cost: { maxCost: 100, maxDepth: 12, maxBytes: 262144 },
      rateLimitPerMinute: 600,
      maxInFlightPerCaller: 16,
    });
    expect(parseConfig({ CORS_ORIGINS: 'https://ui.example.com, http://localhost:3000' }).access.corsOrigins).toEqual([
      'https://ui.example.com',
      'http://localhost:3000',
    ]);
  });

  it.each([
    [{ AUTH: 'off' }, 'AUTH'],
    [{ AUTH: 'on' }, 'AUTH'],
    [{ AUTH: 'none', AUTH_TOKENS_FILE: tokens }, 'AUTH'],
    [{ AUTH_TOKENS_FILE: join(dir, 'missing.yaml') }, 'AUTH_TOKENS_FILE'],
    [{ JWT_ISSUER: 'x' }, 'JWT_AUDIENCE'],
    [{ JWT_AUDIENCE: 'x' }, 'JWT_ISSUER'],
    [{ JWT_ISSUER: 'x', JWT_AUDIENCE: 'y' }, 'JWT_JWKS_URL'],
    [{ ...jwt, JWT_JWKS_URL: 'https://x/jwks' }, 'JWT_JWKS_URL'],
    [{ JWT_ISSUER: 'x', JWT_AUDIENCE: 'y', JWT_JWKS_URL: 'not a url' }, 'JWT_JWKS_URL'],
    [{ ...jwt, JWT_ALGORITHMS: 'HS256' }, 'JWT_ALGORITHMS'],
    [{ ...jwt, JWT_ALGORITHMS: 'RS256,none' }, 'JWT_ALGORITHMS'],
    [{ ...jwt, JWT_ALGORITHMS: 'XS1' }, 'JWT_ALGORITHMS'],
    [{ ...jwt, JWT_SCOPES_CLAIM: 'a b' }, 'JWT_SCOPES_CLAIM'],
    [{ METRICS_AUTH: 'maybe' }, 'METRICS_AUTH'],
    [{ CORS_ORIGINS: 'ui.example.com' }, 'CORS_ORIGINS'],
    [{ CORS_ORIGINS: 'https://ui.example.com/app' }, 'CORS_ORIGINS'],
    [{ QUERY_MAX_COST: '0' }, 'QUERY_MAX_COST'],
    [{ QUERY_MAX_DEPTH: 'deep' }, 'QUERY_MAX_DEPTH'],
    [{ QUERY_MAX_BYTES: '10' }, 'QUERY_MAX_BYTES'],
    [{ RATE_LIMIT: '-1' }, 'RATE_LIMIT'],
    [{ MAX_QUERIES_IN_FLIGHT_PER_CALLER: '1.5' }, 'MAX_QUERIES_IN_FLIGHT_PER_CALLER'],
  ])('refuses %j naming %s', (env, variable) => {
    expect(refusal(env as Record<string, string>)).toBe(variable);
  });
});
