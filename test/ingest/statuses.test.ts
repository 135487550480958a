import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { asStored, flakyGateway, flat, ingestGateway, ndjson, post, stored, type IngestGateway } from './support.js';

const NDJSON = { 'content-type': 'application/x-ndjson' };

describe('POST /ingest/sessions: answers and limits (ARCHITECTURE §2)', () => {
  let gw: IngestGateway;
  afterEach(async () => {
    await gw.cleanup();
  });

  it('answers 200 with the rejects listed when some records are valid, and stores those', async () => {
    gw = await ingestGateway();
    const records = [flat(), flat({ client_port: 70000 }), flat({ session_type: 'server' })];
    const res = await post(gw.app, JSON.stringify(records));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ accepted: 2, rejected: 1, errors: [{ index: 1, message: 'item 1: client_port: 70000 is outside 0..65535' }] });
    expect(await stored(gw)).toEqual([asStored(records[0]!), asStored(records[2]!)]);
  });

  it('answers 400 when no record is valid', async () => {
    gw = await ingestGateway();
    const res = await post(gw.app, JSON.stringify([flat({ vn: '' }), flat({ protocol: -1 })]));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ accepted: 0, rejected: 2 });
  });

  it('answers 200 to an empty array', async () => {
    gw = await ingestGateway();
    const res = await post(gw.app, '[]');
    expect([res.statusCode, res.json()]).toEqual([200, { accepted: 0, rejected: 0, errors: [] }]);
  });

  it('answers 400 to malformed JSON with its line and column, and keeps the body in the dead-letter log', async () => {
    gw = await ingestGateway();
    const body = `[${JSON.stringify(flat())},\n{"vn": "a",}]`;
    const res = await post(gw.app, body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      accepted: 0,
      rejected: 1,
      errors: [{ index: 0, message: 'body: line 2, column 12: expected a double-quoted key' }],
    });
    expect(gw.deadLetterLines()).toMatchObject([{ source: 'http:/ingest/sessions', index: 0, rawText: body }]);
    expect(await stored(gw)).toEqual([]);
  });

  it('names the line of an NDJSON parse error and keeps the other lines', async () => {
    gw = await ingestGateway();
    const res = await post(gw.app, `${JSON.stringify(flat())}\n{"vn": tru}\n${JSON.stringify(flat())}\n`, NDJSON);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ accepted: 2, rejected: 1, errors: [{ index: 1, message: 'line 2, column 8: invalid literal, expected a value' }] });
  });

  it.each([
    ['text/plain', {}],
    ['application/x-www-form-urlencoded', {}],
    ['application/json; charset=latin1', {}],
    ['application/json', { 'content-encoding': 'br' }],
  ])('answers 415 to %s %j', async (type, headers) => {
    gw = await ingestGateway();
    const res = await post(gw.app, JSON.stringify(flat()), { 'content-type': type, ...headers });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ accepted: 0, rejected: 0, code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('answers 413 to a body past INGEST_MAX_BODY_BYTES', async () => {
    gw = await ingestGateway({ INGEST_MAX_BODY_BYTES: '2048' });
    const res = await post(gw.app, JSON.stringify(Array.from({ length: 10 }, () => flat())));
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'QUERY_TOO_EXPENSIVE', message: expect.stringContaining('INGEST_MAX_BODY_BYTES') });
  });

  it('counts the limit after decompression: a gzip bomb is 413 after reading at most the limit', async () => {
    gw = await ingestGateway({ INGEST_MAX_BODY_BYTES: String(1024 * 1024) });
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)); // 64 MiB of spaces in ~64 KiB
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const res = await post(gw.app, bomb, { 'content-encoding': 'gzip' });
    expect(res.statusCode).toBe(413);
    expect(res.json().message).toContain('after decompression');
  });

  it('answers 413 to a chunked body (no Content-Length) once it passes the limit, and the answer still arrives', async () => {
    gw = await ingestGateway({ INGEST_MAX_BODY_BYTES: '4096' });
    const body = ndjson(Array.from({ length: 40 }, () => flat()));
    const res = await gw.app.inject({
      method: 'POST',
      url: '/ingest/sessions',
      headers: { 'content-type': 'application/x-ndjson', 'transfer-encoding': 'chunked' },
      payload: Readable.from([body.slice(0, 3000), body.slice(3000, 6000), body.slice(6000)]),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'QUERY_TOO_EXPENSIVE' });
    expect(await stored(gw)).toEqual([]);
  });

  it('answers 400 to a body that is not the gzip it claims', async () => {
    gw = await ingestGateway();
    const res = await post(gw.app, gzipSync(JSON.stringify(flat())).subarray(0, 20), { 'content-encoding': 'gzip' });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/^the body is not valid gzip/);
  });

  it('answers 413 past INGEST_MAX_RECORDS, counting records after SessionEndpoint expansion', async () => {
    gw = await ingestGateway({ INGEST_MAX_RECORDS: '3', INGEST_MAX_INFLIGHT_RECORDS: '10' });
    const res = await post(gw.app, ndjson([flat(), flat(), flat(), flat()]), NDJSON);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'QUERY_TOO_EXPENSIVE', message: expect.stringContaining('INGEST_MAX_RECORDS') });
    expect(await stored(gw)).toEqual([]);
  });

  it('rejects a record past INGEST_MAX_LABELS, naming the limit', async () => {
    gw = await ingestGateway({ INGEST_MAX_LABELS: '1' });
    const res = await post(gw.app, JSON.stringify(flat({ labels: { local: { a: '1', b: '2' } } })));
    expect(res.json().errors[0].message).toBe('labels.local: has 2 labels; at most 1 are allowed');
  });
});

describe('POST /ingest/sessions: backpressure (429) and store failures (503)', () => {
  let gw: IngestGateway;
  afterEach(async () => {
    await gw.cleanup();
  });

  it('answers 429 with Retry-After past the in-flight record budget, and takes the request once there is room', async () => {
    const env = { INGEST_MAX_RECORDS: '6', INGEST_MAX_INFLIGHT_RECORDS: '10', INGEST_RETRY_AFTER: '2s' };
    const flaky = await flakyGateway(env);
    gw = flaky.gw;
    flaky.store.hold();
    const held = Array.from({ length: 6 }, () => flat());
    const first = post(gw.app, ndjson(held), NDJSON);
    await flaky.store.waiting; // the first request holds 6 records while its write waits
    const later = Array.from({ length: 6 }, () => flat());
    const body = ndjson(later);
    const refused = await post(gw.app, body, NDJSON);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('2');
    expect(refused.json()).toMatchObject({ accepted: 0, code: 'SATURATED', message: expect.stringContaining('INGEST_MAX_INFLIGHT_RECORDS') });
    flaky.store.release();
    expect((await first).statusCode).toBe(200);
    expect((await post(gw.app, body, NDJSON)).statusCode).toBe(200);
    expect(await stored(gw)).toEqual([...held, ...later].map((r) => asStored(r)));
  });

  it('answers 429 before reading the body past the in-flight byte budget', async () => {
    const flaky = await flakyGateway({ INGEST_MAX_BODY_BYTES: '4096', INGEST_MAX_INFLIGHT_BYTES: '6000' });
    gw = flaky.gw;
    flaky.store.hold();
    const body = ndjson(Array.from({ length: 8 }, () => flat()));
    expect(body.length).toBeGreaterThan(3000);
    const first = post(gw.app, body, NDJSON);
    await flaky.store.waiting;
    const refused = await post(gw.app, body, NDJSON);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().message).toContain('INGEST_MAX_INFLIGHT_BYTES');
    flaky.store.release();
    expect((await first).statusCode).toBe(200);
  });

  it('lets a sender still writing its body read the 429, and keeps its connection open (real socket)', async () => {
    const flaky = await flakyGateway({ INGEST_MAX_BODY_BYTES: String(8 << 20), INGEST_MAX_INFLIGHT_BYTES: String(8 << 20) });
    gw = flaky.gw;
    flaky.store.hold();
    const body = Buffer.from(ndjson(Array.from({ length: 12_000 }, () => flat())));
    expect(body.length).toBeGreaterThan(5 << 20);
    const first = post(gw.app, body.toString(), NDJSON);
    await flaky.store.waiting; // holds more than half of the byte budget
    await gw.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = gw.app.server.address() as AddressInfo;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // Refused on its Content-Length, before the body is read: a gateway
      // that closed the socket here would leave the sender with EPIPE.
      const refused = await send(agent, port, body);
      expect(refused).toMatchObject({ status: 429, reused: false });
      expect(JSON.parse(refused.text)).toMatchObject({ code: 'SATURATED' });
      flaky.store.release();
      expect((await first).statusCode).toBe(200);
      expect(await send(agent, port, Buffer.from(ndjson([flat()])))).toMatchObject({ status: 200, reused: true });
    } finally {
      agent.destroy();
    }
  });

  it('answers 503 with Retry-After when the store does not confirm, never 2xx, and no stack in the body', async () => {
    const flaky = await flakyGateway();
    gw = flaky.gw;
    flaky.store.failNext();
    const res = await post(gw.app, JSON.stringify([flat(), flat()]));
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json()).toEqual({
      accepted: 0,
      rejected: 0,
      errors: [],
      code: 'BACKEND_UNAVAILABLE',
      message: 'the duckdb store is unavailable; retry later',
    });
    expect(res.body).not.toMatch(/injected|at .*\.ts/);
  });

  it('answers a store failure that is not unavailability as 500 INTERNAL, never a 503 to retry for ever', async () => {
    const flaky = await flakyGateway();
    gw = flaky.gw;
    vi.spyOn(flaky.store, 'findIdempotency').mockRejectedValueOnce(new TypeError('a bug, not an outage'));
    const res = await post(gw.app, JSON.stringify([flat()]), { 'idempotency-key': 'chunk-1' });
    expect([res.statusCode, res.headers['retry-after'], res.json()]).toEqual([
      500,
      undefined,
      { accepted: 0, rejected: 0, errors: [], code: 'INTERNAL', message: 'internal error' },
    ]);
    // The same request again is stored once the failure is gone.
    expect((await post(gw.app, JSON.stringify([flat()]), { 'idempotency-key': 'chunk-1' })).json()).toEqual({ accepted: 1, rejected: 0, errors: [] });
  });

  it('keeps every acknowledged record when the store fails in the middle of a batch', async () => {
    const flaky = await flakyGateway();
    gw = flaky.gw;
    // Eight requests of five records, each from its own vRouter; the fourth write
    // stores two of its records and then the store dies.
    const requests = Array.from({ length: 8 }, (_, i) => Array.from({ length: 5 }, () => flat({ vrouter_ip: `192.168.1.${i + 1}` })));
    flaky.store.failAfter(2, (r) => r.vrouterIp === '192.168.1.4');
    const results = await Promise.all(requests.map((records) => post(gw.app, ndjson(records), NDJSON)));
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200, 503, 200, 200, 200, 200]);
    const all = await stored(gw);
    for (const [i, r] of results.entries()) {
      const sent = requests[i]!.map((s) => asStored(s));
      const held = all.filter((s) => s.vrouterIp === `192.168.1.${i + 1}`);
      // Not acknowledged: the first records of its write may be there (this store is not atomic), and nothing else.
      expect(held).toEqual(r.statusCode === 200 ? sent : sent.slice(0, held.length));
    }
  });
});

/** Posts over a real socket; `reused` says whether the agent's connection was kept from an earlier request. */
function send(agent: Agent, port: number, body: Buffer): Promise<{ status: number; text: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/ingest/sessions', method: 'POST', agent, headers: { ...NDJSON, 'content-length': body.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString(), reused: req.reusedSocket }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
