import { readFileSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { createServer as createTcp, type Server as TcpServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/index.js';
import { GatewayError } from '../../src/model/index.js';
import { OpenSearchClient, OpenSearchRequestError, clientOptions, type OpenSearchConnection } from '../../src/stores/opensearch/index.js';

// The client against stand-in HTTP(S) servers (no OpenSearch needed): how
// failures map to error codes, what is sent for auth, and the TLS options.
const TLS = join(import.meta.dirname, 'fixtures', 'tls');
const PING = { method: 'GET', path: '/' } as const;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const servers: (Server | TcpServer)[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

async function listen(server: Server | TcpServer): Promise<number> {
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return (server.address() as { port: number }).port;
}

async function http(handler: Handler): Promise<string> {
  return `http://127.0.0.1:${await listen(createHttp(handler))}`;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function client(url: string, more: Partial<OpenSearchConnection> = {}): OpenSearchClient {
  return OpenSearchClient.create({ url, requestTimeoutMs: 2000, ...more });
}

async function failure(p: Promise<unknown>): Promise<GatewayError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(GatewayError);
  return e as GatewayError;
}

describe('OpenSearch client failures', () => {
  it.each([
    [429, 'BACKEND_UNAVAILABLE'],
    [500, 'BACKEND_UNAVAILABLE'],
    [503, 'BACKEND_UNAVAILABLE'],
    [401, 'BACKEND_UNAVAILABLE'],
    [403, 'BACKEND_UNAVAILABLE'],
    [400, 'INTERNAL'],
    [404, 'INTERNAL'],
  ])('HTTP %i is %s, with a cause free of credentials', async (status, code) => {
    let calls = 0;
    const url = await http((_req, res) => {
      calls++;
      json(res, status, { error: { type: 'some_exception', reason: 'why' }, status });
    });
    const c = client(url, { username: 'admin', password: 's3cret-pw' });
    const e = await failure(c.send(PING));
    expect(e.code).toBe(code);
    expect(e.cause).toBeInstanceOf(OpenSearchRequestError);
    expect((e.cause as OpenSearchRequestError).status).toBe(status);
    expect((e.cause as OpenSearchRequestError).errorType).toBe('some_exception');
    const logged = JSON.stringify({ e, cause: e.cause, message: (e.cause as Error).message });
    expect(logged).not.toMatch(/s3cret|YWRtaW46czNjcmV0LXB3|authorization/i);
    // 502/503/504 are retried once (a restarted node's stale socket), 429 and the rest are not.
    expect(calls).toBe(status === 503 ? 2 : 1);
    await c.close();
  });

  it('answers with the ignored statuses instead of throwing', async () => {
    const url = await http((_req, res) => json(res, 404, { found: false }));
    const c = client(url);
    expect(await c.send(PING, { ignore: [404] })).toEqual({ status: 404, body: { found: false } });
    await c.close();
  });

  it('connection refused is BACKEND_UNAVAILABLE', async () => {
    const port = await listen(createTcp());
    await new Promise((done) => servers.pop()!.close(done));
    const c = client(`http://127.0.0.1:${port}`);
    const e = await failure(c.send(PING));
    expect(e.code).toBe('BACKEND_UNAVAILABLE');
    expect(e.message).toBe('the opensearch store is unavailable; retry later');
    expect(c.unavailable).toBe(1);
    await c.close();
  });

  it('a node that never answers is BACKEND_UNAVAILABLE after the request timeout, not retried', async () => {
    const port = await listen(createTcp((s) => sockets.push(s)));
    const c = client(`http://127.0.0.1:${port}`, { requestTimeoutMs: 300 });
    const started = Date.now();
    const e = await failure(c.send(PING));
    expect(e.code).toBe('BACKEND_UNAVAILABLE');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(590);
    expect(sockets).toHaveLength(1);
    await c.close();
  });

  it('a connection reset is retried once', async () => {
    let connections = 0;
    const url = await http((req, res) => {
      connections++;
      if (connections === 1) req.socket.destroy();
      else json(res, 200, { ok: true });
    });
    const c = client(url);
    expect((await c.send(PING)).body).toEqual({ ok: true });
    expect(connections).toBe(2);
    expect(c.unavailable).toBe(0);
    await c.close();
  });
});

describe('OpenSearch client auth and TLS', () => {
  it('sends basic auth, or an API key', async () => {
    const seen: (string | undefined)[] = [];
    const url = await http((req, res) => {
      seen.push(req.headers.authorization);
      json(res, 200, {});
    });
    const basic = client(url, { username: 'admin', password: 'pw:with:colons' });
    const key = client(url, { apiKey: 'a2V5OnNlY3JldA==' });
    await basic.send(PING);
    await key.send(PING);
    expect(seen).toEqual([`Basic ${Buffer.from('admin:pw:with:colons').toString('base64')}`, 'ApiKey a2V5OnNlY3JldA==']);
    await basic.close();
    await key.close();
  });

  it('verifies the node certificate against the CA file; refuses it without; insecureSkipVerify skips the check', async () => {
    const server = createHttps(
      { cert: readFileSync(join(TLS, 'node.pem')), key: readFileSync(join(TLS, 'node-key.pem')) },
      (_req, res) => json(res, 200, { ok: true }),
    );
    const url = `https://127.0.0.1:${await listen(server)}`;
    const trusted = client(url, { caFile: join(TLS, 'ca.pem') });
    expect((await trusted.send(PING)).body).toEqual({ ok: true });
    const untrusted = client(url);
    expect((await failure(untrusted.send(PING))).code).toBe('BACKEND_UNAVAILABLE');
    const insecure = client(url, { insecureSkipVerify: true });
    expect((await insecure.send(PING)).body).toEqual({ ok: true });
    await Promise.all([trusted.close(), untrusted.close(), insecure.close()]);
  });

  it('builds TLS options only for https', () => {
    const read = (p: string) => Buffer.from(`pem of ${p}`);
    expect(clientOptions({ url: 'http://h:9200', requestTimeoutMs: 1 }, read)).not.toHaveProperty('ssl');
    expect(clientOptions({ url: 'https://h:9200', requestTimeoutMs: 1, caFile: '/ca.pem' }, read).ssl).toEqual({
      rejectUnauthorized: true,
      ca: Buffer.from('pem of /ca.pem'),
    });
    expect(clientOptions({ url: 'https://h:9200', requestTimeoutMs: 1, insecureSkipVerify: true }, read).ssl).toEqual({
      rejectUnauthorized: false,
    });
  });
});

describe('OPENSEARCH_* configuration', () => {
  const base = { UVE_STORE: 'opensearch', OPENSEARCH_URL: 'https://os.example:9200' };

  it('is read only when UVE_STORE=opensearch, with defaults', () => {
    expect(parseConfig({ OPENSEARCH_URL: 'not a url' }).opensearch).toBeNull();
    expect(parseConfig(base).opensearch).toEqual({
      url: 'https://os.example:9200',
      indexPrefix: 'uve-',
      username: null,
      password: null,
      apiKey: null,
      caFile: null,
      insecureSkipVerify: false,
      requestTimeoutMs: 10_000,
      refreshIntervalMs: 1000,
    });
    expect(
      parseConfig({
        ...base,
        OPENSEARCH_INDEX_PREFIX: 'cn2.uve_',
        OPENSEARCH_USERNAME: 'gw',
        OPENSEARCH_PASSWORD: 'pw',
        OPENSEARCH_CA_FILE: join(TLS, 'ca.pem'),
        OPENSEARCH_REQUEST_TIMEOUT: '2500ms',
        OPENSEARCH_REFRESH_INTERVAL: '200ms',
      }).opensearch,
    ).toMatchObject({ indexPrefix: 'cn2.uve_', username: 'gw', password: 'pw', requestTimeoutMs: 2500, refreshIntervalMs: 200 });
  });

  it.each([
    [{ OPENSEARCH_URL: undefined }, 'OPENSEARCH_URL'],
    [{ OPENSEARCH_URL: 'opensearch:9200' }, 'OPENSEARCH_URL'],
    [{ OPENSEARCH_URL: 'ftp://h' }, 'OPENSEARCH_URL'],
    [{ OPENSEARCH_URL: 'https://admin:pw@h:9200' }, 'OPENSEARCH_URL'],
    [{ OPENSEARCH_INDEX_PREFIX: '' }, 'OPENSEARCH_INDEX_PREFIX'],
    [{ OPENSEARCH_INDEX_PREFIX: 'UVE-' }, 'OPENSEARCH_INDEX_PREFIX'],
    [{ OPENSEARCH_INDEX_PREFIX: '*' }, 'OPENSEARCH_INDEX_PREFIX'],
    [{ OPENSEARCH_INDEX_PREFIX: '_uve' }, 'OPENSEARCH_INDEX_PREFIX'],
    [{ OPENSEARCH_INDEX_PREFIX: 'a,b' }, 'OPENSEARCH_INDEX_PREFIX'],
    [{ OPENSEARCH_USERNAME: 'gw' }, 'OPENSEARCH_PASSWORD'],
    [{ OPENSEARCH_PASSWORD: 'pw' }, 'OPENSEARCH_USERNAME'],
    [{ OPENSEARCH_USERNAME: 'gw', OPENSEARCH_PASSWORD: 'pw', OPENSEARCH_API_KEY: 'k' }, 'OPENSEARCH_API_KEY'],
    [{ OPENSEARCH_CA_FILE: '/no/such/ca.pem' }, 'OPENSEARCH_CA_FILE'],
    [{ OPENSEARCH_URL: 'http://h:9200', OPENSEARCH_CA_FILE: join(TLS, 'ca.pem') }, 'OPENSEARCH_CA_FILE'],
    [{ OPENSEARCH_INSECURE_SKIP_VERIFY: 'yes' }, 'OPENSEARCH_INSECURE_SKIP_VERIFY'],
    [{ OPENSEARCH_URL: 'http://h:9200', OPENSEARCH_INSECURE_SKIP_VERIFY: 'true' }, 'OPENSEARCH_INSECURE_SKIP_VERIFY'],
    [{ OPENSEARCH_REQUEST_TIMEOUT: '10' }, 'OPENSEARCH_REQUEST_TIMEOUT'],
    [{ OPENSEARCH_REFRESH_INTERVAL: '2h' }, 'OPENSEARCH_REFRESH_INTERVAL'],
  ])('%o is refused, naming %s', (over, variable) => {
    let error: unknown;
    try {
      parseConfig({ ...base, ...over });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as Error).message).not.toContain('pw@');
  });
});
