import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
});
