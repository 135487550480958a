import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../model/index.js';
import { InfluxHttp, backoff, parseCsv, retryAfter, type RetryTimer } from './client.js';

type Reply = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A stand-in HTTP server answering each request with the next scripted reply. */
let server: Server;
let url = '';
let replies: Reply[] = [];
const seen: { method: string; path: string; body: string; auth: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', path: req.url ?? '', body, auth: String(req.headers.authorization) });
      const reply = replies.shift() ?? ((_q, s) => s.writeHead(500).end('no reply scripted'));
      reply(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A clock that moves only when the client sleeps. */
function fakeTimer(): RetryTimer & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    random: () => 0.5,
  };
}

const status = (code: number, headers: Record<string, string> = {}, body = ''): Reply => (_q, res) => res.writeHead(code, headers).end(body);
const json = (code: number, body: unknown): Reply => status(code, { 'content-type': 'application/json' }, JSON.stringify(body));

function client(timer: RetryTimer, over: { url?: string; queryTimeoutMs?: number; requestTimeoutMs?: number } = {}): InfluxHttp {
  return new InfluxHttp(
    { url: over.url ?? url, token: 'secret-token', requestTimeoutMs: over.requestTimeoutMs ?? 2000, queryTimeoutMs: over.queryTimeoutMs ?? 2000 },
    timer,
  );
}

async function failure(p: Promise<unknown>): Promise<GatewayError> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(GatewayError);
  return e as GatewayError;
}

describe('InfluxHttp.write', () => {
  it('posts line protocol with nanosecond precision and the token, and resolves on 204', async () => {
    seen.length = 0;
    replies = [status(204)];
    await client(fakeTimer()).write('my org', 'raw', 'm f=1i 1', 5000);
    expect(seen[0]).toEqual({ method: 'POST', path: '/api/v2/write?org=my%20org&bucket=raw&precision=ns', body: 'm f=1i 1', auth: 'Token secret-token' });
  });

  it('retries 503 and 429, honouring Retry-After in seconds, then resolves', async () => {
    const timer = fakeTimer();
    replies = [status(503), status(429, { 'retry-after': '2' }), status(204)];
    await client(timer).write('o', 'b', 'x', 10_000);
    expect(timer.slept).toEqual([backoff(0, 0.5), 2000]);
  });

  it('gives up with BACKEND_UNAVAILABLE when the retry time is spent', async () => {
    const timer = fakeTimer();
    replies = [status(503), status(503), status(503), status(503), status(503), status(503)];
    const e = await failure(client(timer).write('o', 'b', 'x', 500));
    expect(e.code).toBe('BACKEND_UNAVAILABLE');
    expect(timer.slept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(500);
    replies = [];
  });

  it('gives up at once when Retry-After is past the retry time', async () => {
    const timer = fakeTimer();
    replies = [status(429, { 'retry-after': '30' })];
    const e = await failure(client(timer).write('o', 'b', 'x', 5000));
    expect(e.code).toBe('BACKEND_UNAVAILABLE');
    expect(timer.slept).toEqual([]);
  });

  it('does not retry a 400: it is INTERNAL, with the server message as the cause', async () => {
    const timer = fakeTimer();
    replies = [json(400, { code: 'invalid', message: 'unable to parse line' })];
    const e = await failure(client(timer).write('o', 'b', 'x', 5000));
    expect(e.code).toBe('INTERNAL');
    expect(String((e.cause as Error).message)).toContain('HTTP 400: unable to parse line');
    expect(String((e.cause as Error).message)).not.toContain('secret-token');
    expect(timer.slept).toEqual([]);
  });

  it('treats a 422 for points beyond the retention as written, and says so', async () => {
    replies = [json(422, { code: 'unprocessable entity', message: 'failure writing points to database: partial write: points beyond retention policy dropped=1' })];
    const out = await client(fakeTimer()).write('o', 'b', 'x', 5000);
    expect(out.droppedBeyondRetention).toContain('dropped=1');
  });

  it('retries a refused connection, then answers BACKEND_UNAVAILABLE', async () => {
    const timer = fakeTimer();
    const e = await failure(client(timer, { url: 'http://127.0.0.1:1' }).write('o', 'b', 'x', 1000));
    expect(e.code).toBe('BACKEND_UNAVAILABLE');
    expect(timer.slept.length).toBeGreaterThan(1);
  });
});

describe('InfluxHttp.query', () => {
  it('returns rows per result', async () => {
    replies = [status(200, { 'content-type': 'text/csv' }, ',result,table,a,_value\r\n,page,0,x,1\r\n,page,0,"y,z",2\r\n\r\n,result,table,_value\r\n,count,0,2\r\n\r\n')];
    const rows = await client(fakeTimer()).query('o', 'flux');
    expect(rows.get('page')).toEqual([
      { result: 'page', table: '0', a: 'x', _value: '1' },
      { result: 'page', table: '0', a: 'y,z', _value: '2' },
    ]);
    expect(rows.get('count')?.[0]?.['_value']).toBe('2');
    expect(JSON.parse(seen[seen.length - 1]!.body)).toEqual({ query: 'flux', type: 'flux', dialect: { header: true, annotations: [] } });
  });

  it('answers QUERY_TOO_EXPENSIVE past the query timeout', async () => {
    replies = [(_q, res) => setTimeout(() => res.writeHead(200).end(''), 1500)];
    const e = await failure(client(fakeTimer(), { queryTimeoutMs: 200 }).query('o', 'flux'));
    expect(e.code).toBe('QUERY_TOO_EXPENSIVE');
  });

  it('lets a query run up to the query timeout, past the shorter request timeout', async () => {
    replies = [(_q, res) => setTimeout(() => res.writeHead(200, { 'content-type': 'text/csv' }).end(',result,table,_value\r\n,r,0,7\r\n'), 600)];
    const rows = await client(fakeTimer(), { requestTimeoutMs: 200, queryTimeoutMs: 3000 }).query('o', 'flux');
    expect(rows.get('r')?.[0]?.['_value']).toBe('7');
  });

  it('maps a refused connection to BACKEND_UNAVAILABLE and a Flux error to INTERNAL', async () => {
    expect((await failure(client(fakeTimer(), { url: 'http://127.0.0.1:1' }).query('o', 'flux'))).code).toBe('BACKEND_UNAVAILABLE');
    replies = [json(400, { code: 'invalid', message: 'compilation failed: error @1:1' })];
    expect((await failure(client(fakeTimer()).query('o', 'flux'))).code).toBe('INTERNAL');
    expect(() => parseCsv(',error,reference\r\n,runtime error,\r\n')).toThrow(GatewayError);
  });
});

describe('retry helpers', () => {
  it('reads Retry-After as seconds or a date', () => {
    expect(retryAfter('3')).toBe(3000);
    expect(retryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(retryAfter(undefined)).toBeNull();
    expect(retryAfter('soon')).toBeNull();
  });

  it('backs off exponentially with jitter, capped at 2 s', () => {
    expect(backoff(0, 0)).toBe(50);
    expect(backoff(0, 0.999)).toBe(100);
    expect(backoff(3, 1)).toBe(800);
    expect(backoff(10, 1)).toBe(2000);
  });
});
