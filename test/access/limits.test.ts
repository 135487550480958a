import { afterEach, describe, expect, it } from 'vitest';
import type { SessionStore } from '../../src/stores/types.js';
import { TOKENS, accessGateway, bearer, codeOf, graphql, messageOf, tokensEnv, tokensFiles, type AccessGateway } from './support.js';

/** The session store with every query counted, and traffic() held while `gate` is closed. */
function watched() {
  const state = { queries: 0, gate: null as Promise<void> | null, open: () => {} };
  const close = () => {
    state.gate = new Promise<void>((r) => (state.open = r));
  };
  const decorate = (store: SessionStore): SessionStore =>
    new Proxy(store, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (!['traffic', 'series', 'values', 'labelNames', 'records'].includes(String(prop))) return typeof v === 'function' ? v.bind(target) : v;
        return async (...args: unknown[]) => {
          state.queries++;
          if (state.gate !== null) await state.gate;
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  return { state, close, decorate };
}

const traffic = (alias: string, extra = '') => `${alias}: sessionTraffic(range: {last: "1h"}${extra}) { totalCount }`;
const aliases = (n: number, extra = '') => `{ ${Array.from({ length: n }, (_, i) => traffic(`t${i}`, extra)).join(' ')} }`;

describe('cost, depth and size limits, checked before any store is called', () => {
  let gw: AccessGateway;
  afterEach(async () => {
    await gw.cleanup();
  });

  it.each([
    ['2 000 aliased sessionTraffic fields', aliases(2000), /costs 2000, past QUERY_MAX_COST \(100\)/],
    ['101 aliases', aliases(101), /costs 101, past QUERY_MAX_COST \(100\)/],
    ['51 compareTo (2 each)', aliases(51, ', compareTo: "1d"'), /costs 102, past QUERY_MAX_COST/],
    ['aliases hidden in fragments', `query { ...A ...A } fragment A on Query { ${aliases(51).slice(1, -1)} }`, /costs 102, past QUERY_MAX_COST/],
  ])('refuses %s with QUERY_TOO_EXPENSIVE naming QUERY_MAX_COST', async (_what, query, message) => {
    const w = watched();
    gw = await accessGateway({ ...tokensEnv, QUERY_MAX_BYTES: '1048576' }, { files: tokensFiles, decorateSessions: w.decorate });
    const res = await graphql(gw.app, query, bearer(TOKENS.reader));
    expect(res.statusCode).toBe(413);
    expect(codeOf(res)).toBe('QUERY_TOO_EXPENSIVE');
    expect(messageOf(res)).toMatch(message);
    expect(res.json().data).toBeUndefined();
    expect(w.state.queries).toBe(0);
    // 100 pass, and run.
    const ok = await graphql(gw.app, aliases(100), bearer(TOKENS.reader));
    expect(ok.statusCode).toBe(200);
    expect(w.state.queries).toBe(100);
  });

  it('applies the limits with authentication off too', async () => {
    const w = watched();
    gw = await accessGateway({ QUERY_MAX_COST: '3', QUERY_MAX_DEPTH: '3', QUERY_MAX_BYTES: '300' }, { decorateSessions: w.decorate });
    expect(messageOf(await graphql(gw.app, aliases(4)))).toMatch(/costs 4, past QUERY_MAX_COST \(3\)/);
    const deep = await graphql(gw.app, '{ sessionTraffic(range: {last: "1h"}) { nodes { group { key } } } }');
    expect([deep.statusCode, codeOf(deep), messageOf(deep)]).toEqual([413, 'QUERY_TOO_EXPENSIVE', 'the operation nests 4 fields deep, past QUERY_MAX_DEPTH (3)']);
    const big = await graphql(gw.app, `{ uveTypes ${' '.repeat(300)}}`);
    expect([big.statusCode, codeOf(big)]).toEqual([413, 'QUERY_TOO_EXPENSIVE']);
    expect(messageOf(big)).toMatch(/^the document is 312 bytes, past QUERY_MAX_BYTES \(300\)$/);
    expect(w.state.queries).toBe(0);
    expect((await graphql(gw.app, aliases(3))).statusCode).toBe(200);
  });
});

describe('per-caller rate limit and queries in flight', () => {
  let gw: AccessGateway;
  afterEach(async () => {
    await gw.cleanup();
  });

  it('answers 429 RATE_LIMITED with Retry-After past RATE_LIMIT a minute, per caller name', async () => {
    gw = await accessGateway({ ...tokensEnv, RATE_LIMIT: '3' }, { files: tokensFiles });
    for (let i = 0; i < 3; i++) expect((await graphql(gw.app, '{ viewer { name } }', bearer(TOKENS.reader))).statusCode).toBe(200);
    const res = await graphql(gw.app, '{ viewer { name } }', bearer(TOKENS.reader));
    expect(res.statusCode).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(codeOf(res)).toBe('RATE_LIMITED');
    expect(messageOf(res)).toMatch(/dashboards sent more than RATE_LIMIT \(3\) requests in a minute/);
    // Another caller has its own budget; ingest is not rate limited (its own in-flight budget applies).
    expect((await graphql(gw.app, '{ viewer { name } }', bearer(TOKENS.admin))).statusCode).toBe(200);
    for (let i = 0; i < 5; i++) {
      const ingest = await gw.app.inject({ method: 'POST', url: '/ingest/sessions', headers: { ...bearer(TOKENS.shipper), 'content-type': 'application/json' }, payload: '[]' });
      expect(ingest.statusCode).not.toBe(429);
    }
    expect(gw.logs().some((l) => l['audit'] === 'refused' && l['code'] === 'RATE_LIMITED' && l['caller'] === 'dashboards')).toBe(true);
  });

  it('answers 429 RATE_LIMITED with Retry-After past MAX_QUERIES_IN_FLIGHT_PER_CALLER, and frees the slot when answered', async () => {
    const w = watched();
    gw = await accessGateway({ ...tokensEnv, MAX_QUERIES_IN_FLIGHT_PER_CALLER: '2' }, { files: tokensFiles, decorateSessions: w.decorate });
    w.close();
    const q = '{ sessionTraffic(range: {last: "1h"}) { totalCount } }';
    const running = [graphql(gw.app, q, bearer(TOKENS.reader)), graphql(gw.app, q, bearer(TOKENS.reader))];
    while (w.state.queries < 2) await new Promise((r) => setTimeout(r, 5));
    const third = await graphql(gw.app, q, bearer(TOKENS.reader));
    expect([third.statusCode, third.headers['retry-after'], codeOf(third)]).toEqual([429, '1', 'RATE_LIMITED']);
    expect(messageOf(third)).toMatch(/dashboards has MAX_QUERIES_IN_FLIGHT_PER_CALLER \(2\) requests running/);
    // Another caller is not held back.
    const other = graphql(gw.app, q, bearer(TOKENS.admin));
    while (w.state.queries < 3) await new Promise((r) => setTimeout(r, 5));
    w.state.open();
    w.state.gate = null;
    expect((await Promise.all([...running, other])).map((r) => r.statusCode)).toEqual([200, 200, 200]);
    expect((await graphql(gw.app, q, bearer(TOKENS.reader))).statusCode).toBe(200);
  });
});

describe('browsers', () => {
  let gw: AccessGateway;
  afterEach(async () => {
    await gw.cleanup();
  });
  const preflight = (origin: string) =>
    gw.app.inject({
      method: 'OPTIONS',
      url: '/graphql',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });

  it('allows the CORS_ORIGINS, with the Authorization header, and no other origin', async () => {
    gw = await accessGateway({ ...tokensEnv, CORS_ORIGINS: 'https://ui.example.com' }, { files: tokensFiles });
    const ok = await preflight('https://ui.example.com');
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://ui.example.com');
    expect(String(ok.headers['access-control-allow-headers'])).toContain('authorization');
    expect((await preflight('https://evil.example.com')).headers['access-control-allow-origin']).toBeUndefined();
    const call = await graphql(gw.app, '{ viewer { name } }', { ...bearer(TOKENS.reader), origin: 'https://ui.example.com' });
    expect(call.headers['access-control-allow-origin']).toBe('https://ui.example.com');
    expect(call.json().data.viewer.name).toBe('dashboards');
  });

  it('sends no CORS headers by default, and keeps Apollo CSRF prevention on', async () => {
    gw = await accessGateway({ ...tokensEnv }, { files: tokensFiles });
    expect((await preflight('https://ui.example.com')).headers['access-control-allow-origin']).toBeUndefined();
    const simple = await gw.app.inject({ method: 'POST', url: '/graphql', headers: { ...bearer(TOKENS.reader), 'content-type': 'text/plain' }, payload: '{"query":"{ viewer { name } }"}' });
    expect(simple.statusCode).toBe(400);
    const get = await gw.app.inject({ url: `/graphql?query=${encodeURIComponent('{ viewer { name } }')}`, headers: bearer(TOKENS.reader) });
    expect(get.statusCode).toBe(400);
    expect(get.body).toMatch(/CSRF/);
  });
});
