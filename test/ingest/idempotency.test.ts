import { afterEach, describe, expect, it } from 'vitest';
import { asStored, flakyGateway, flat, ingestGateway, ndjson, post, stored, type IngestGateway } from './support.js';

const NDJSON = { 'content-type': 'application/x-ndjson' };

describe('Idempotency-Key on POST /ingest/sessions (docs/ingest.md)', () => {
  let gw: IngestGateway;
  afterEach(async () => {
    await gw.cleanup();
  });

  it('answers a repeated request from the stored answer and stores its records once', async () => {
    gw = await ingestGateway();
    const records = [flat(), flat({ client_port: 70000 }), flat()];
    const body = ndjson(records);
    const headers = { ...NDJSON, 'idempotency-key': 'chunk-5f2a' };
    const first = await post(gw.app, body, headers);
    const again = await post(gw.app, body, headers);
    expect(first.statusCode).toBe(200);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await stored(gw)).toEqual([asStored(records[0]!), asStored(records[2]!)]);
    expect(gw.deadLetterLines()).toHaveLength(1);
  });

  it('makes a retry after a 503 store the records exactly once', async () => {
    const flaky = await flakyGateway();
    gw = flaky.gw;
    const records = [flat(), flat({ session_type: 'server' }), flat()];
    const body = ndjson(records);
    const headers = { ...NDJSON, 'idempotency-key': 'retry-me' };
    flaky.store.failNext();
    expect((await post(gw.app, body, headers)).statusCode).toBe(503);
    expect((await post(gw.app, body, headers)).json()).toEqual({ accepted: 3, rejected: 0, errors: [] });
    const third = await post(gw.app, body, headers);
    expect(third.headers['idempotent-replayed']).toBe('true');
    expect(await stored(gw)).toEqual(records.map((r) => asStored(r)));
  });

  it('makes a retry after a lost answer replay it', async () => {
    gw = await ingestGateway();
    const records = [flat(), flat()];
    const body = JSON.stringify(records);
    await post(gw.app, body, { 'idempotency-key': 'lost-answer' }); // the answer never reached the sender
    const retry = await post(gw.app, body, { 'idempotency-key': 'lost-answer' });
    expect([retry.statusCode, retry.json().accepted, retry.headers['idempotent-replayed']]).toEqual([200, 2, 'true']);
    expect(await stored(gw)).toEqual(records.map((r) => asStored(r)));
  });

  it('stores concurrent requests with one key once', async () => {
    gw = await ingestGateway();
    const records = [flat(), flat()];
    const body = ndjson(records);
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(gw.app, body, { ...NDJSON, 'idempotency-key': 'same' })));
    expect(answers.map((a) => a.json().accepted)).toEqual([2, 2, 2, 2, 2]);
    expect(answers.filter((a) => a.headers['idempotent-replayed'] === 'true')).toHaveLength(4);
    expect(await stored(gw)).toEqual(records.map((r) => asStored(r)));
  });

  it('refuses a key reused for another body', async () => {
    gw = await ingestGateway();
    const first = flat();
    await post(gw.app, JSON.stringify(first), { 'idempotency-key': 'k' });
    const res = await post(gw.app, JSON.stringify(flat()), { 'idempotency-key': 'k' });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe('Idempotency-Key: was already used for a different request; send new records under a new key');
    expect(await stored(gw)).toEqual([asStored(first)]);
  });

  it('refuses a key that is not 1 to 255 printable ASCII characters', async () => {
    gw = await ingestGateway();
    for (const key of ['', 'has space', 'x'.repeat(256), 'é']) {
      const res = await post(gw.app, JSON.stringify(flat()), { 'idempotency-key': key });
      expect(res.statusCode).toBe(400);
    }
    expect(await stored(gw)).toEqual([]);
  });

  it('does not remember a request that stored nothing, so it can be sent again', async () => {
    gw = await ingestGateway();
    const body = JSON.stringify([flat({ vn: '' })]);
    expect((await post(gw.app, body, { 'idempotency-key': 'bad' })).statusCode).toBe(400);
    const again = await post(gw.app, body, { 'idempotency-key': 'bad' });
    expect([again.statusCode, again.headers['idempotent-replayed']]).toEqual([400, undefined]);
  });
});
