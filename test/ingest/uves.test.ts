import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../src/model/index.js';
import { gql } from '../support/gateway.js';
import { ingestGateway, ndjson, post, type IngestGateway } from './support.js';

const VN = 'default-domain:k8s-shop:shop-pod-network';
const uve = (name: string, inBytes: number) => ({
  type: 'virtual-network',
  name,
  document: { UveVirtualNetworkAgent: { in_bytes: inBytes, total_acl_rules: 3 } },
});

async function read(gw: IngestGateway, name: string): Promise<unknown> {
  const res = await gql(gw.app, `query($n: String!) { uve(type: "virtual-network", name: $n) { structs value(path: "UveVirtualNetworkAgent.in_bytes") } }`, { n: name });
  return res.data?.['uve'];
}

describe('POST /ingest/uves', () => {
  let gw: IngestGateway;
  beforeEach(async () => {
    gw = await ingestGateway();
  });
  afterEach(async () => {
    await gw.cleanup();
  });

  it('takes NDJSON (gzip too), an array or one object, and the last of one name wins', async () => {
    const a = await post(gw.app, gzipSync(ndjson([uve(VN, 1), uve('vn-2', 2)])), { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' }, '/ingest/uves');
    const b = await post(gw.app, JSON.stringify([uve(VN, 5), uve(VN, 7)]), {}, '/ingest/uves');
    const c = await post(gw.app, JSON.stringify(uve('vn-3', 3)), {}, '/ingest/uves');
    expect([a.json(), b.json(), c.json()]).toEqual([
      { accepted: 2, rejected: 0, errors: [] },
      { accepted: 2, rejected: 0, errors: [] },
      { accepted: 1, rejected: 0, errors: [] },
    ]);
    expect(await read(gw, VN)).toEqual({ structs: ['UveVirtualNetworkAgent'], value: 7 });
  });

  it('rejects a bad type, name or document with its position, keeps the valid ones, and logs the rejects', async () => {
    const res = await post(
      gw.app,
      ndjson([uve(VN, 1), { ...uve('x', 1), type: '../_all' }, { ...uve('', 1) }, { ...uve('y', 1), document: [1] }, 'str']),
      { 'content-type': 'application/x-ndjson' },
      '/ingest/uves',
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      accepted: 1,
      rejected: 4,
      errors: [
        { index: 1, message: 'line 2: type: "../_all" is not a UVE type: 1 to 100 of a-z 0-9 _ -, starting with a letter or digit' },
        { index: 2, message: 'line 3: name: must be a non-empty string' },
        { index: 3, message: 'line 4: document: must be a JSON object of struct sections, e.g. {"UveVirtualNetworkAgent": {...}}' },
        { index: 4, message: 'line 5: expected a JSON object {"type", "name", "document"}' },
      ],
    });
    expect(gw.deadLetterLines().map((l) => l['source'])).toEqual(Array(4).fill('http:/ingest/uves'));
  });

  it('answers 400 when no UVE is valid, and to malformed JSON', async () => {
    expect((await post(gw.app, JSON.stringify([{ type: 'A' }]), {}, '/ingest/uves')).statusCode).toBe(400);
    const bad = await post(gw.app, '{"type":', {}, '/ingest/uves');
    expect([bad.statusCode, bad.json().rejected]).toEqual([400, 1]);
  });

  it('rejects a document number it cannot keep exactly, naming its path, and stores the neighbours (JSON and NDJSON)', async () => {
    // Raw text: JSON.stringify of a JavaScript number could not even write these.
    const big = '{"type":"virtual-network","name":"big","document":{"S":{"x":9007199254740993}}}';
    const huge = '{"type":"virtual-network","name":"huge","document":{"S":{"list":[1,1e400]}}}';
    const ok = (name: string) => `{"type":"virtual-network","name":"${name}","document":{"S":{"x":9007199254740991,"y":-9007199254740991,"z":0.5}}}`;
    const json = await post(gw.app, `[${ok('a')},${big},${huge}]`, {}, '/ingest/uves');
    const nd = await post(gw.app, `${big}\n${ok('b')}\n`, { 'content-type': 'application/x-ndjson' }, '/ingest/uves');
    expect([json.statusCode, json.headers['retry-after'], json.json()]).toEqual([
      200,
      undefined,
      {
        accepted: 1,
        rejected: 2,
        errors: [
          { index: 1, message: 'item 1: document.S.x: 9007199254740993 is past 2^53-1 and cannot be kept exactly; send it as a string' },
          { index: 2, message: 'item 2: document.S.list.1: a number past the range of a double (about 1.8e308) cannot be kept; send it as a string' },
        ],
      },
    ]);
    expect([nd.statusCode, nd.json()]).toEqual([
      200,
      { accepted: 1, rejected: 1, errors: [{ index: 0, message: 'line 1: document.S.x: 9007199254740993 is past 2^53-1 and cannot be kept exactly; send it as a string' }] },
    ]);
    // Alone, it is a 400 (nothing valid), never a 503 that fluentd would retry for ever.
    const alone = await post(gw.app, big, {}, '/ingest/uves');
    expect([alone.statusCode, alone.headers['retry-after'], alone.json().rejected]).toEqual([400, undefined, 1]);
    const res = await gql(gw.app, `{ a: uve(type: "virtual-network", name: "a") { value(path: "S") } b: uve(type: "virtual-network", name: "b") { value(path: "S.x") } big: uve(type: "virtual-network", name: "big") { name } }`);
    expect(res.data).toEqual({ a: { value: { x: 9007199254740991, y: -9007199254740991, z: 0.5 } }, b: { value: 9007199254740991 }, big: null });
    // The dead-letter log keeps each reject, with the digits as they came.
    const letters = gw.deadLetterLines();
    expect(letters.map((l) => (l['raw'] as { name: string }).name)).toEqual(['big', 'huge', 'big', 'big']);
    expect((letters[0]!['raw'] as { document: unknown }).document).toEqual({ S: { x: '9007199254740993' } });
  });

  it('answers a store failure that is not unavailability as 500 INTERNAL, without Retry-After', async () => {
    vi.spyOn(gw.services.uves, 'upsertMany').mockRejectedValueOnce(new TypeError('Do not know how to serialize a BigInt'));
    const res = await post(gw.app, JSON.stringify(uve(VN, 1)), {}, '/ingest/uves');
    expect([res.statusCode, res.headers['retry-after'], res.json()]).toEqual([
      500,
      undefined,
      { accepted: 0, rejected: 0, errors: [], code: 'INTERNAL', message: 'internal error' },
    ]);
  });

  it('the embedded store answers INTERNAL, with the cause for the log, to a write it cannot make', async () => {
    const e = await gw.services.uves.upsertMany([{ type: 'virtual-network', name: 'n', document: { S: { x: 1n } } }]).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(GatewayError);
    expect([(e as GatewayError).code, ((e as GatewayError).cause as Error).message]).toEqual(['INTERNAL', 'Do not know how to serialize a BigInt']);
  });
});
