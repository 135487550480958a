import { afterEach, describe, expect, it } from 'vitest';
import { flakyGateway, flat, ndjson, post, stored, type IngestGateway } from './support.js';

const NDJSON = { 'content-type': 'application/x-ndjson' };
const INGEST = `mutation($records: [SessionRecordInput!]!) { ingestSessions(records: $records) { accepted rejected } }`;

let seq = 0;

/** A valid ingestSessions input record; each gets its own nanosecond. */
function input(over: Record<string, unknown> = {}): Record<string, unknown> {
  seq++;
  return {
    time: `2026-11-25T11:00:00.${String(seq).padStart(9, '0')}Z`,
    vn: 'default-domain:k8s-shop:shop-pod-network',
    remoteVn: 'default-domain:k8s-billing:billing-pod-network',
    vrouterIp: '192.168.0.11',
    localIp: '10.244.1.5',
    clientPort: 40000 + seq,
    remoteIp: '10.244.7.9',
    serverPort: 8443,
    protocol: 6,
    forwardSampledBytes: 100,
    forwardSampledPkts: 1,
    reverseSampledBytes: 200,
    reverseSampledPkts: 2,
    ...over,
  };
}

/** ingestSessions through the real HTTP stack, with the status and headers of the answer. */
async function mutate(gw: IngestGateway, records: readonly unknown[]) {
  const res = await gw.app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ query: INGEST, variables: { records } }),
  });
  return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: res.json() as { data: unknown; errors?: { message: string; extensions: Record<string, unknown> }[] } };
}

// ARCHITECTURE §2: "When the gateway is saturated it answers 429 rather than
// buffering without bound", identically for both ways in.
describe('ingestSessions: the in-flight budget the HTTP ingest shares', () => {
  let gw: IngestGateway;
  afterEach(async () => {
    await gw.cleanup();
  });

  it('answers 429 with Retry-After and code SATURATED while HTTP requests hold the record budget, and takes the records once there is room', async () => {
    const flaky = await flakyGateway({ INGEST_MAX_RECORDS: '6', INGEST_MAX_INFLIGHT_RECORDS: '10', INGEST_RETRY_AFTER: '2s' });
    gw = flaky.gw;
    flaky.store.hold();
    const first = post(gw.app, ndjson(Array.from({ length: 6 }, () => flat())), NDJSON);
    await flaky.store.waiting; // 6 of the 10 records are held while the write waits
    const records = Array.from({ length: 6 }, () => input());
    const refused = await mutate(gw, records);
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBe('2');
    expect(refused.body.data).toBeNull();
    expect(refused.body.errors).toEqual([
      {
        message: 'the gateway is at its in-flight limit of 10 records (INGEST_MAX_INFLIGHT_RECORDS); retry later',
        locations: [{ line: 1, column: 46 }],
        path: ['ingestSessions'],
        extensions: { code: 'SATURATED' },
      },
    ]);
    flaky.store.release();
    expect((await first).statusCode).toBe(200);
    const taken = await mutate(gw, records);
    expect([taken.status, taken.retryAfter, taken.body]).toEqual([200, undefined, { data: { ingestSessions: { accepted: 6, rejected: 0 } } }]);
    expect(await stored(gw)).toHaveLength(12);
  });

  it('holds its own records until the store answers, so an HTTP request past the budget is refused meanwhile', async () => {
    const flaky = await flakyGateway({ INGEST_MAX_RECORDS: '6', INGEST_MAX_INFLIGHT_RECORDS: '10' });
    gw = flaky.gw;
    flaky.store.hold();
    const first = mutate(gw, Array.from({ length: 6 }, () => input()));
    await flaky.store.waiting;
    const refused = await post(gw.app, ndjson(Array.from({ length: 6 }, () => flat())), NDJSON);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ code: 'SATURATED', message: expect.stringContaining('INGEST_MAX_INFLIGHT_RECORDS') });
    flaky.store.release();
    expect((await first).body).toEqual({ data: { ingestSessions: { accepted: 6, rejected: 0 } } });
    // Given back once answered: a full request fits again.
    expect((await post(gw.app, ndjson(Array.from({ length: 6 }, () => flat())), NDJSON)).statusCode).toBe(200);
  });

  it('counts the GraphQL body against the byte budget', async () => {
    const flaky = await flakyGateway({ INGEST_MAX_BODY_BYTES: '4096', INGEST_MAX_INFLIGHT_BYTES: '6000' });
    gw = flaky.gw;
    flaky.store.hold();
    const body = ndjson(Array.from({ length: 8 }, () => flat()));
    expect(body.length).toBeGreaterThan(3000);
    const first = post(gw.app, body, NDJSON);
    await flaky.store.waiting; // more than 3000 of the 6000 bytes are held
    const records = Array.from({ length: 12 }, () => input());
    expect(JSON.stringify({ query: INGEST, variables: { records } }).length).toBeGreaterThan(3000);
    const refused = await mutate(gw, records);
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]).toMatchObject({ extensions: { code: 'SATURATED' }, message: expect.stringContaining('INGEST_MAX_INFLIGHT_BYTES') });
    flaky.store.release();
    expect((await first).statusCode).toBe(200);
    expect((await mutate(gw, records)).status).toBe(200);
  });
});
