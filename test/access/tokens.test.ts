import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TOKENS,
  TOKEN_ENTRIES,
  WAYS_IN,
  accessGateway,
  basic,
  bearer,
  callWay,
  codeOf,
  graphql,
  messageOf,
  sha256,
  tokensEnv,
  tokensFiles,
  yamlEntries,
  type AccessGateway,
} from './support.js';

describe('static tokens (AUTH_TOKENS_FILE)', () => {
  let gw: AccessGateway;
  beforeAll(async () => {
    gw = await accessGateway(tokensEnv, { files: tokensFiles });
  });
  afterAll(async () => {
    await gw.cleanup();
  });

  const refusals: [string, Record<string, string>, RegExp][] = [
    ['no credentials', {}, /no credentials/],
    ['an empty header', { authorization: '' }, /no credentials/],
    ['a bad token', bearer('tok-not-in-the-file'), /not valid/],
    ['a bad Basic password', basic('fluentd', 'tok-not-in-the-file'), /not valid/],
    ['Basic with no password', { authorization: `Basic ${Buffer.from('fluentd:').toString('base64')}` }, /no password/],
    ['an unknown scheme', { authorization: `Token ${TOKENS.admin}` }, /not "Bearer/],
    ['a 100 KB Authorization header', { authorization: `Bearer ${'a'.repeat(100 * 1024)}` }, /longer than 8192 bytes/],
  ];
  for (const way of WAYS_IN) {
    it.each(refusals)(`${way}: refuses %s with 401 UNAUTHENTICATED and WWW-Authenticate`, async (_what, headers, message) => {
      const res = await callWay(gw.app, way, headers);
      expect(res.statusCode).toBe(401);
      expect(codeOf(res)).toBe('UNAUTHENTICATED');
      expect(messageOf(res)).toMatch(message);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="session-analytics-gateway", Basic/);
    });
  }

  it('lets each way in pass with a token holding its scope', async () => {
    const query = await callWay(gw.app, 'query', bearer(TOKENS.reader));
    expect(query.statusCode).toBe(200);
    expect(query.json().data.sessionTraffic.total.sessions).toBe(0);
    const mutation = await callWay(gw.app, 'mutation', bearer(TOKENS.admin));
    expect(mutation.json()).toEqual({ data: { upsertUve: { name: 'default-domain:k8s-shop:net' } } });
    expect((await callWay(gw.app, '/ingest/sessions', bearer(TOKENS.shipper))).json()).toEqual({ accepted: 1, rejected: 0, errors: [] });
    expect((await callWay(gw.app, '/ingest/uves', bearer(TOKENS.shipper))).json()).toEqual({ accepted: 1, rejected: 0, errors: [] });
  });

  it('takes HTTP Basic with the token as password, whatever the user name (fluentd out_http <auth>)', async () => {
    for (const user of ['fluentd', 'anything', '']) {
      const res = await callWay(gw.app, '/ingest/sessions', basic(user, TOKENS.shipper));
      expect(res.statusCode).toBe(200);
      expect(res.json().accepted).toBe(1);
    }
    expect((await callWay(gw.app, 'query', basic('x', TOKENS.reader))).statusCode).toBe(200);
  });

  it.each([
    ['query', TOKENS.shipper, 'sessions:read', 'fluentd'],
    ['query', TOKENS.uveReader, 'sessions:read', 'uve-browser'],
    ['mutation', TOKENS.reader, 'ingest', 'dashboards'],
    ['/ingest/sessions', TOKENS.reader, 'ingest', 'dashboards'],
    ['/ingest/uves', TOKENS.uveReader, 'ingest', 'uve-browser'],
  ] as const)('%s: refuses a caller without the scope with 403 FORBIDDEN naming it', async (way, token, scope, name) => {
    const res = await callWay(gw.app, way, bearer(token));
    expect(res.statusCode).toBe(403);
    expect(codeOf(res)).toBe('FORBIDDEN');
    expect(messageOf(res)).toContain(`scope ${scope}`);
    expect(messageOf(res)).toContain(name);
  });

  it.each([
    ['sessionSeries', `{ sessionSeries(range: {last: "1h"}, every: "5m") { meta { tier } } }`, TOKENS.uveReader, 'sessions:read'],
    ['sessionRecords', `{ sessionRecords(range: {last: "1h"}) { nodes { vn } } }`, TOKENS.uveReader, 'sessions:read'],
    ['sessionValues', `{ sessionValues(range: {last: "1h"}, key: {localLabel: "app"}) { value } }`, TOKENS.shipper, 'sessions:read'],
    ['uve', `{ uve(type: "virtual-network", name: "x") { name } }`, TOKENS.shipper, 'uves:read'],
    ['uves', `{ uves(type: "virtual-network") { totalCount } }`, TOKENS.tenant, 'uves:read'],
    ['uveTypes', `{ uveTypes }`, TOKENS.shipper, 'uves:read'],
    ['deadLetters', `{ deadLetters { nodes { id } } }`, TOKENS.reader, 'admin'],
    ['ingestSessions', `mutation { ingestSessions(records: []) { accepted } }`, TOKENS.reader, 'ingest'],
    ['deleteUve', `mutation { deleteUve(type: "virtual-network", name: "x") }`, TOKENS.shipper, 'admin'],
    ['replayDeadLetters', `mutation { replayDeadLetters(ids: []) { accepted } }`, TOKENS.shipper, 'admin'],
    ['an alias hidden in a fragment', `query { viewer { name } ...F } fragment F on Query { hidden: deadLetters { nodes { id } } }`, TOKENS.reader, 'admin'],
  ])('%s: 403 naming the scope, for each root field however it is written', async (_field, query, token, scope) => {
    const res = await graphql(gw.app, query, bearer(token));
    expect(res.statusCode).toBe(403);
    expect(res.json().data).toBeUndefined();
    expect(res.json().errors[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect(res.json().errors[0].message).toContain(`needs the scope ${scope}`);
  });

  it('answers viewer with no scope needed: name, scopes, namespaces', async () => {
    const q = '{ viewer { name scopes namespaces } }';
    expect((await graphql(gw.app, q, bearer(TOKENS.shipper))).json()).toEqual({ data: { viewer: { name: 'fluentd', scopes: ['ingest'], namespaces: null } } });
    expect((await graphql(gw.app, q, bearer(TOKENS.tenant))).json()).toEqual({ data: { viewer: { name: 'team-shop', scopes: ['sessions:read'], namespaces: ['shop'] } } });
    expect((await graphql(gw.app, q, bearer(TOKENS.admin))).json().data.viewer.scopes).toEqual(['sessions:read', 'uves:read', 'ingest', 'admin']);
    expect((await graphql(gw.app, q)).statusCode).toBe(401);
  });

  it('keeps the probes, the playground page and its files public; /metrics is public by default', async () => {
    expect((await gw.app.inject({ url: '/health' })).statusCode).toBe(200);
    expect((await gw.app.inject({ url: '/ready' })).statusCode).toBe(200);
    expect((await gw.app.inject({ url: '/metrics' })).statusCode).toBe(200);
    const css = await gw.app.inject({ url: '/playground/graphiql.css' });
    expect(css.statusCode).toBe(200);
    const page = await gw.app.inject({ url: '/graphql', headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('Authorization');
    // An operation sent by a browser GET without credentials still finds no caller.
    const sneaky = await gw.app.inject({ url: `/graphql?query=${encodeURIComponent('{ uveTypes }')}`, headers: { accept: 'application/json, text/html;q=0.9', 'apollo-require-preflight': 'true' } });
    expect(sneaky.statusCode).toBe(401);
    expect(codeOf(sneaky)).toBe('UNAUTHENTICATED');
    expect(sneaky.headers['www-authenticate']).toMatch(/^Bearer/);
    // Spelled another way, /graphql is still /graphql.
    expect((await gw.app.inject({ method: 'POST', url: '/graphql?x=1', headers: { 'content-type': 'application/json' }, payload: '{"query":"{uveTypes}"}' })).statusCode).toBe(401);
  });

  it('refuses a GraphQL ingest, delete or replay from a GET, as Apollo does (no mutations over GET)', async () => {
    const res = await gw.app.inject({ url: `/graphql?query=${encodeURIComponent('mutation { deleteUve(type: "a", name: "b") }')}`, headers: { ...bearer(TOKENS.admin), 'apollo-require-preflight': 'true' } });
    expect(res.statusCode).toBe(405);
  });
});

describe('METRICS_AUTH', () => {
  it('puts /metrics behind authentication, any valid caller', async () => {
    const gw = await accessGateway({ ...tokensEnv, METRICS_AUTH: 'true' }, { files: tokensFiles });
    try {
      expect((await gw.app.inject({ url: '/metrics' })).statusCode).toBe(401);
      expect((await gw.app.inject({ url: '/metrics', headers: bearer(TOKENS.shipper) })).statusCode).toBe(200);
      expect((await gw.app.inject({ url: '/health' })).statusCode).toBe(200);
    } finally {
      await gw.cleanup();
    }
  });
});

describe('the tokens file, re-read when it changes', () => {
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const until = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 100; i++) {
      if (await check()) return;
      await wait(20);
    }
    throw new Error('the change was not seen within 2 s');
  };

  it('takes a valid edit without a restart, keeps the last good file after a malformed one and logs the error', async () => {
    const gw = await accessGateway(tokensEnv, { files: { 'tokens.yaml': yamlEntries(TOKEN_ENTRIES.slice(0, 1)) }, tokensPollMs: 25 });
    const path = join(gw.dir, 'tokens.yaml');
    const status = async (token: string) => (await callWay(gw.app, 'query', bearer(token))).statusCode;
    try {
      expect(await status(TOKENS.reader)).toBe(200);
      expect(await status(TOKENS.admin)).toBe(401);
      // A valid edit (a Secret update): the new token works, the dropped one stops.
      writeFileSync(path, JSON.stringify([{ name: 'ops', sha256: sha256(TOKENS.admin), scopes: ['sessions:read'] }]));
      await until(async () => (await status(TOKENS.admin)) === 200);
      expect(await status(TOKENS.reader)).toBe(401);
      // A malformed edit: the last good file stays in force and the error is logged, without the file's content.
      writeFileSync(path, `- name: ops\n  sha256: ${sha256(TOKENS.reader)}\n  scopes: [sessions:reed]\n`);
      await until(async () => gw.logs().some((l) => l['msg'] === 'tokens file is not valid after an edit; the last good one stays in force'));
      const error = gw.logs().find((l) => l['msg'] === 'tokens file is not valid after an edit; the last good one stays in force')!;
      expect(error).toMatchObject({ level: 50, path });
      expect(error['problem']).toContain('scope "sessions:reed" is not one of');
      expect(await status(TOKENS.admin)).toBe(200);
      expect(await status(TOKENS.reader)).toBe(401);
      writeFileSync(path, '{ not: [yaml');
      await wait(150);
      expect(await status(TOKENS.admin)).toBe(200);
      expect(gw.logText()).not.toContain(sha256(TOKENS.reader));
      for (const t of Object.values(TOKENS)) expect(gw.logText()).not.toContain(t);
    } finally {
      await gw.cleanup();
    }
  });

  it('stops start-up naming AUTH_TOKENS_FILE when the file is malformed from the start', async () => {
    await expect(accessGateway(tokensEnv, { files: { 'tokens.yaml': '- name: x\n  sha256: 1234\n  scopes: []\n' } })).rejects.toThrow(/^AUTH_TOKENS_FILE .*entry 0 \(x\): sha256 must be the 64 hex digits/);
  });
});
