import { afterAll, beforeAll, expect, it } from 'vitest';
import { GatewayError } from '../../src/model/index.js';
import { indexName } from '../../src/stores/opensearch/index.js';
import type { Gateway } from '../../src/gateway.js';
import { gql, testGateway } from '../support/gateway.js';
import { describeWithNode, dropPrefix, findOpenSearch, rest, runPrefix } from './node.js';

// UVE documents on UVE_STORE=opensearch keep every number exactly or are
// refused with its path, on every way in; a refusal is never a 503 that a
// sender would retry for ever. Bodies are sent as text: JSON.stringify of a
// JavaScript number could not write these digits.
const node = await findOpenSearch();
const NOW = BigInt(Date.now()) * 1_000_000n;
const BIG = 'document.S.x: 9007199254740993 is past 2^53-1 and cannot be kept exactly; send it as a string';

describeWithNode('UVE numbers on UVE_STORE=opensearch', node, () => {
  const prefix = runPrefix('num');
  let gw: Gateway;

  beforeAll(async () => {
    gw = await testGateway(
      { UVE_STORE: 'opensearch', OPENSEARCH_URL: node.url, OPENSEARCH_INDEX_PREFIX: prefix, OPENSEARCH_REFRESH_INTERVAL: '50ms' },
      () => NOW,
    );
  });

  afterAll(async () => {
    await gw?.close();
    await dropPrefix(node.url, prefix);
  });

  const post = (payload: string, contentType: string) =>
    gw.app.inject({ method: 'POST', url: '/ingest/uves', headers: { 'content-type': contentType }, payload });
  const uve = (name: string, document: string) => `{"type":"virtual-network","name":"${name}","document":${document}}`;
  const stored = async (name: string) =>
    (await gql(gw.app, `query($n: String!) { uve(type: "virtual-network", name: $n) { value } }`, { n: name })).data?.['uve']?.value ?? null;

  it('POST /ingest/uves rejects the record it cannot keep, names the path, and stores its neighbours (JSON and NDJSON)', async () => {
    const json = await post(`[${uve('big', '{"S":{"x":9007199254740993}}')},${uve('a', '{"S":{"x":9007199254740991,"y":-9007199254740991,"z":0.1}}')}]`, 'application/json');
    expect([json.statusCode, json.headers['retry-after'], json.json()]).toEqual([
      200,
      undefined,
      { accepted: 1, rejected: 1, errors: [{ index: 0, message: `item 0: ${BIG}` }] },
    ]);
    const nd = await post(`${uve('b', '{"S":{"x":1}}')}\n${uve('big', '{"S":{"x":1e400}}')}\n`, 'application/x-ndjson');
    expect([nd.statusCode, nd.json()]).toEqual([
      200,
      { accepted: 1, rejected: 1, errors: [{ index: 1, message: 'line 2: document.S.x: a number past the range of a double (about 1.8e308) cannot be kept; send it as a string' }] },
    ]);
    const alone = await post(uve('big', '{"S":{"x":9007199254740993}}'), 'application/json');
    expect([alone.statusCode, alone.headers['retry-after']]).toEqual([400, undefined]);
    expect([await stored('a'), await stored('b'), await stored('big')]).toEqual([{ S: { x: 9007199254740991, y: -9007199254740991, z: 0.1 } }, { S: { x: 1 } }, null]);
    // What the node holds is the number as sent.
    const source = await rest(node.url, 'GET', `/${indexName(prefix, 'virtual-network')}/_doc/a`);
    expect(source._source.document).toEqual({ S: { x: 9007199254740991, y: -9007199254740991, z: 0.1 } });
  });

  it('upsertUve refuses it as BAD_USER_INPUT, from variables and from a literal, and writes nothing', async () => {
    const query = 'mutation($d: JSON!) { upsertUve(type: \\"virtual-network\\", name: \\"v\\", document: $d) { name } }';
    const vars = await gw.app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json' },
      payload: `{"query":"${query}","variables":{"d":{"S":{"x":9007199254740993}}}}`,
    });
    const literal = await gql(gw.app, `mutation { upsertUve(type: "virtual-network", name: "v", document: {S: {x: 9007199254740993}}) { name } }`);
    for (const answer of [vars.json(), literal]) {
      expect(answer.errors?.[0]).toMatchObject({ message: BIG, extensions: { code: 'BAD_USER_INPUT', field: 'document.S.x' } });
    }
    expect(await stored('v')).toBeNull();
  });

  it('a write the node refuses for what it holds is INTERNAL, not BACKEND_UNAVAILABLE', async () => {
    // Past Lucene's 32766-byte term limit: validation keeps struct names far shorter.
    const e = await gw.services.uves
      .upsertMany([{ type: 'virtual-network', name: 'immense', document: { ['S'.repeat(40_000)]: {} } }])
      .catch((err: unknown) => err);
    expect(e).toBeInstanceOf(GatewayError);
    expect([(e as GatewayError).code, String(((e as GatewayError).cause as Error).message)]).toEqual(['INTERNAL', expect.stringMatching(/^bulk item 0: HTTP 400 /)]);
    expect(await stored('immense')).toBeNull();
  });
});
