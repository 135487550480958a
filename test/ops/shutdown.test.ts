import { afterEach, describe, expect, it } from 'vitest';
import { flakyGateway, flat, ndjson, post, stored, type IngestGateway } from '../ingest/support.js';

const NDJSON = { 'content-type': 'application/x-ndjson' };

describe('graceful shutdown (Gateway.close, what SIGTERM runs)', () => {
  let gw: IngestGateway | undefined;
  afterEach(async () => {
    await gw?.cleanup();
    gw = undefined;
  });

  it('answers /ready 503 and refuses new ingest at once, lets a write in flight finish and be acknowledged, then closes the stores', async () => {
    const { gw: g, store } = await flakyGateway({ SHUTDOWN_DRAIN_TIMEOUT: '10s' });
    gw = g;
    expect((await g.app.inject({ url: '/ready' })).statusCode).toBe(200);
    store.hold();
    const inFlight = post(g.app, ndjson([flat(), flat()]), NDJSON);
    await store.waiting;
    let closed = false;
    const closing = g.close().then(() => (closed = true));
    expect(g.draining).toBe(true);

    const ready = await g.app.inject({ url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: 'draining' });

    for (const url of ['/ingest/sessions', '/ingest/uves']) {
      const refused = await post(g.app, ndjson([flat()]), NDJSON, url);
      expect(refused.statusCode).toBe(503);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.headers['connection']).toBe('close');
      expect(refused.json()).toMatchObject({ accepted: 0, code: 'BACKEND_UNAVAILABLE', message: expect.stringContaining('shutting down') });
    }
    const mutation = await g.app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({
        query: 'mutation($r: [SessionRecordInput!]!) { ingestSessions(records: $r) { accepted } }',
        variables: {
          r: [
            {
              time: '2026-11-25T11:00:00Z',
              vn: 'default-domain:k8s-shop:shop-pod-network',
              remoteVn: 'default-domain:k8s-billing:billing-pod-network',
              vrouterIp: '192.168.0.11',
              localIp: '10.244.1.5',
              clientPort: 40000,
              remoteIp: '10.244.7.9',
              serverPort: 8443,
              protocol: 6,
              forwardSampledBytes: 100,
              forwardSampledPkts: 1,
              reverseSampledBytes: 200,
              reverseSampledPkts: 2,
            },
          ],
        },
      }),
    });
    expect(mutation.statusCode).toBe(503);
    expect(mutation.headers['retry-after']).toBe('1');
    expect(mutation.json().errors[0]).toMatchObject({ extensions: { code: 'BACKEND_UNAVAILABLE' } });
    // Queries are still answered while ingest drains.
    expect((await g.app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: '{"query":"{ uveTypes }"}' })).statusCode).toBe(200);

    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false);
    // Nothing was stored yet: the held write is the only one that got in.
    store.release();
    const answer = await inFlight;
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ accepted: 2, rejected: 0 });
    await closing;
    await expect(g.services.sessions.ping()).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });

  it('does not wait past SHUTDOWN_DRAIN_TIMEOUT: a write still held then gets no 2xx', async () => {
    const { gw: g, store } = await flakyGateway({ SHUTDOWN_DRAIN_TIMEOUT: '1s' });
    gw = g;
    store.hold();
    const inFlight = post(g.app, ndjson([flat()]), NDJSON);
    await store.waiting;
    const started = Date.now();
    const closing = g.close();
    await new Promise((r) => setTimeout(r, 1300));
    store.release();
    await closing;
    expect(Date.now() - started).toBeLessThan(5000);
    const answer = await inFlight;
    // The store closed under it: the write did not commit, and the answer says so.
    expect(answer.statusCode).toBe(503);
    expect(answer.headers['retry-after']).toBe('1');
    expect(await stored(g).catch(() => [])).toEqual([]);
  });
});
