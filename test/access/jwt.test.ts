import { SignJWT, UnsecuredJWT, exportJWK, exportSPKI, generateKeyPair, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WAYS_IN, accessGateway, bearer, callWay, codeOf, graphql, jwksServer, messageOf, type AccessGateway } from './support.js';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'session-analytics-gateway';
const now = () => Math.floor(Date.now() / 1000);

type Key = Awaited<ReturnType<typeof generateKeyPair>>;
let rsa: Key;
let rotated: Key;
let ec: Key;
let stranger: Key;

function sign(key: Key, alg: string, kid: string | undefined, claims: JWTPayload = {}, times: { exp?: number; nbf?: number; iat?: number } = {}): Promise<string> {
  const jwt = new SignJWT({ sub: 'system:serviceaccount:shop:dashboards', scope: 'sessions:read uves:read', ...claims })
    .setProtectedHeader({ alg, ...(kid === undefined ? {} : { kid }) })
    .setIssuer(typeof claims.iss === 'string' ? claims.iss : ISSUER)
    .setAudience(typeof claims.aud === 'string' ? claims.aud : AUDIENCE)
    .setIssuedAt(times.iat ?? now())
    .setExpirationTime(times.exp ?? now() + 300);
  if (times.nbf !== undefined) jwt.setNotBefore(times.nbf);
  return jwt.sign(key.privateKey);
}

beforeAll(async () => {
  rsa = await generateKeyPair('RS256', { extractable: true });
  rotated = await generateKeyPair('RS256', { extractable: true });
  ec = await generateKeyPair('ES256', { extractable: true });
  stranger = await generateKeyPair('RS256', { extractable: true });
});

describe('JWT bearer tokens with keys from a JWKS URL', () => {
  let gw: AccessGateway;
  let jwks: Awaited<ReturnType<typeof jwksServer>>;
  beforeAll(async () => {
    jwks = await jwksServer();
    jwks.keys.push({ ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' }, { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' });
    gw = await accessGateway({
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: `other-service,${AUDIENCE}`,
      JWT_JWKS_URL: jwks.url,
      JWT_NAMESPACES_CLAIM: 'kubernetes.io.namespace',
      JWT_JWKS_COOLDOWN: '1ms',
      JWT_CLOCK_TOLERANCE: '1s',
    });
  });
  afterAll(async () => {
    await gw.cleanup();
    await jwks.close();
  });

  it('takes a valid RS256 or ES256 token: the subject, its scopes and the namespaces claim make the caller', async () => {
    const q = '{ viewer { name scopes namespaces } }';
    const a = await graphql(gw.app, q, bearer(await sign(rsa, 'RS256', 'rsa-1', { 'kubernetes.io': { namespace: 'shop' } })));
    expect(a.json()).toEqual({ data: { viewer: { name: 'system:serviceaccount:shop:dashboards', scopes: ['sessions:read', 'uves:read'], namespaces: ['shop'] } } });
    // Scopes as an array; namespaces as a list; a token without the claim sees no namespace; `*` sees all.
    const b = await graphql(gw.app, q, bearer(await sign(ec, 'ES256', 'ec-1', { scope: ['ingest', 'unknown-scope'], 'kubernetes.io': { namespace: ['a', 'b', 'Not A Namespace'] } })));
    expect(b.json().data.viewer).toEqual({ name: 'system:serviceaccount:shop:dashboards', scopes: ['ingest'], namespaces: ['a', 'b'] });
    expect((await graphql(gw.app, q, bearer(await sign(rsa, 'RS256', 'rsa-1')))).json().data.viewer.namespaces).toEqual([]);
    expect((await graphql(gw.app, q, bearer(await sign(rsa, 'RS256', 'rsa-1', { 'kubernetes.io': { namespace: '*' } })))).json().data.viewer.namespaces).toBeNull();
    // And it reaches the store.
    const q2 = await callWay(gw.app, 'query', bearer(await sign(rsa, 'RS256', 'rsa-1')));
    expect(q2.statusCode).toBe(200);
    expect(q2.json().data.sessionTraffic.total.sessions).toBe(0);
  });

  const bad: [string, () => Promise<string>, RegExp][] = [
    ['expired', () => sign(rsa, 'RS256', 'rsa-1', {}, { iat: now() - 600, exp: now() - 60 }), /"exp" claim timestamp check failed/],
    ['not yet valid', () => sign(rsa, 'RS256', 'rsa-1', {}, { nbf: now() + 120 }), /"nbf" claim timestamp check failed/],
    ['of another issuer', () => sign(rsa, 'RS256', 'rsa-1', { iss: 'https://evil.test' }), /unexpected "iss" claim value/],
    ['for another audience', () => sign(rsa, 'RS256', 'rsa-1', { aud: 'someone-else' }), /unexpected "aud" claim value/],
    ['without a subject', () => sign(rsa, 'RS256', 'rsa-1', { sub: undefined }), /"sub" claim/],
    [
      'unsigned (alg: none)',
      async () => new UnsecuredJWT({ sub: 'root', scope: 'admin' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').encode(),
      /"alg" \(Algorithm\) Header Parameter value not allowed/,
    ],
    [
      'HS256 signed with the RSA public key (algorithm confusion)',
      async () =>
        new SignJWT({ sub: 'root', scope: 'admin' })
          .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode(await exportSPKI(rsa.publicKey))),
      /"alg" \(Algorithm\) Header Parameter value not allowed/,
    ],
    ['signed by a key with an unknown kid', () => sign(stranger, 'RS256', 'who-is-this'), /no key of JWT_JWKS_URL matches its kid/],
    ['signed by another key under a known kid', () => sign(stranger, 'RS256', 'rsa-1'), /signature verification failed/],
    ['with a tampered payload', async () => {
      const [h, , s] = (await sign(rsa, 'RS256', 'rsa-1')).split('.');
      return `${h}.${Buffer.from(JSON.stringify({ sub: 'root', scope: 'admin', iss: ISSUER, aud: AUDIENCE, exp: now() + 60 })).toString('base64url')}.${s}`;
    }, /signature verification failed/],
  ];
  for (const way of WAYS_IN) {
    it.each(bad)(`${way}: refuses a token %s with 401 UNAUTHENTICATED`, async (_what, make, message) => {
      const token = await make();
      const res = await callWay(gw.app, way, bearer(token));
      expect(res.statusCode).toBe(401);
      expect(codeOf(res)).toBe('UNAUTHENTICATED');
      expect(messageOf(res)).toMatch(message);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="session-analytics-gateway"');
      expect(res.body).not.toContain(token);
    });
  }

  it('fetches the JWKS again for an unknown kid, and takes a rotated key', async () => {
    const token = await sign(rotated, 'RS256', 'rsa-2');
    expect((await callWay(gw.app, 'query', bearer(token))).statusCode).toBe(401);
    const before = jwks.fetches;
    jwks.keys.push({ ...(await exportJWK(rotated.publicKey)), kid: 'rsa-2', alg: 'RS256', use: 'sig' });
    await new Promise((r) => setTimeout(r, 5));
    const res = await callWay(gw.app, 'query', bearer(token));
    expect(res.statusCode).toBe(200);
    expect(jwks.fetches).toBe(before + 1);
    // A known kid is served from the cache.
    await callWay(gw.app, 'query', bearer(await sign(rsa, 'RS256', 'rsa-1')));
    expect(jwks.fetches).toBe(before + 1);
  });

  it('refuses a JWT caller without the scope with 403 naming it', async () => {
    const res = await callWay(gw.app, '/ingest/sessions', bearer(await sign(rsa, 'RS256', 'rsa-1')));
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('scope ingest') });
  });
});

describe('JWT bearer tokens with a PEM public key (JWT_PUBLIC_KEY_FILE)', () => {
  let gw: AccessGateway;
  let pem: string;
  beforeAll(async () => {
    pem = await exportSPKI(rsa.publicKey);
    gw = await accessGateway({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWT_PUBLIC_KEY_FILE: '{dir}/key.pem', JWT_ALGORITHMS: 'RS256,PS256' }, { files: { 'key.pem': pem } });
  });
  afterAll(async () => {
    await gw.cleanup();
  });

  it('takes a token signed by the key, with or without a kid', async () => {
    expect((await callWay(gw.app, 'query', bearer(await sign(rsa, 'RS256', undefined)))).statusCode).toBe(200);
    expect((await callWay(gw.app, 'query', bearer(await sign(rsa, 'RS256', 'any')))).statusCode).toBe(200);
  });

  it.each([
    ['HS256 with the PEM text as the secret (algorithm confusion)', async () => new SignJWT({ sub: 'root', scope: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').sign(new TextEncoder().encode(pem))],
    ['alg none', async () => new UnsecuredJWT({ sub: 'root', scope: 'admin' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').encode()],
    ['ES256, not in JWT_ALGORITHMS', () => sign(ec, 'ES256', undefined)],
    ['another RSA key', () => sign(stranger, 'RS256', undefined)],
    ['expired', () => sign(rsa, 'RS256', undefined, {}, { iat: now() - 900, exp: now() - 120 })],
  ])('refuses %s on every way in', async (_what, make) => {
    const token = await make();
    for (const way of WAYS_IN) {
      const res = await callWay(gw.app, way, bearer(token));
      expect([way, res.statusCode, codeOf(res)]).toEqual([way, 401, 'UNAUTHENTICATED']);
    }
  });

  it('stops start-up when the PEM file holds no key for JWT_ALGORITHMS', async () => {
    await expect(
      accessGateway({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWT_PUBLIC_KEY_FILE: '{dir}/key.pem', JWT_ALGORITHMS: 'ES256' }, { files: { 'key.pem': pem } }),
    ).rejects.toThrow(/^JWT_PUBLIC_KEY_FILE: .* holds no SPKI public key .* for ES256/);
  });

  it('answers 503 with Retry-After, not 401, when the JWKS URL does not answer', async () => {
    const g = await accessGateway({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWT_JWKS_URL: 'http://127.0.0.1:9/jwks.json' });
    try {
      const res = await callWay(g.app, 'query', bearer(await sign(rsa, 'RS256', 'rsa-1')));
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(codeOf(res)).toBe('BACKEND_UNAVAILABLE');
    } finally {
      await g.cleanup();
    }
  });
});
