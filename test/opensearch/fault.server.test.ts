import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { gql, testGateway, type GraphQLAnswer } from '../support/gateway.js';
import { describeWithNode, findOpenSearch, rest } from './node.js';
import { freePort } from '../support/free-port.js';

// Stops a real OpenSearch node under a running gateway and starts it again.
// The node is a second one, on its own port and state directory, started
// with scripts/services/opensearch.sh: stopping the shared node would fail
// the other server suites running in parallel. It runs wherever the shared
// node answers (so Java and the OpenSearch jars are there), and is required
// in CI like them.
const node = await findOpenSearch();
const exec = promisify(execFile);
const SCRIPT = join(import.meta.dirname, '..', '..', 'scripts', 'services', 'opensearch.sh');

describeWithNode('UVE store faults: the node stops and comes back', node, () => {
  let port = 0;
  let state = '';
  let url = '';
  let gw: Gateway;

  const service = (command: 'start' | 'stop') =>
    exec('bash', [SCRIPT, command], {
      env: { ...process.env, OPENSEARCH_PORT: String(port), SAG_STATE: state, OPENSEARCH_HEAP: '512m', SERVICE_TTL: '900' },
      timeout: 200_000,
    });

  beforeAll(async () => {
    port = await freePort();
    state = await mkdtemp(join(tmpdir(), 'sag-os-fault-'));
    url = `http://127.0.0.1:${port}`;
    await service('start');
    gw = await testGateway({
      UVE_STORE: 'opensearch',
      OPENSEARCH_URL: url,
      OPENSEARCH_REQUEST_TIMEOUT: '3s',
      OPENSEARCH_REFRESH_INTERVAL: '50ms',
    });
    const ingested = await gql(gw.app, `mutation($r: [SessionRecordInput!]!) { ingestSessions(records: $r) { accepted } }`, {
      r: [
        {
          vn: 'default-domain:k8s-ns:net',
          remoteVn: 'default-domain:k8s-db:net',
          vrouterIp: '192.168.0.11',
          localIp: '10.0.0.1',
          clientPort: 40000,
          remoteIp: '10.0.0.2',
          serverPort: 5432,
          protocol: 6,
          forwardSampledBytes: 1,
          forwardSampledPkts: 1,
          reverseSampledBytes: 1,
          reverseSampledPkts: 1,
        },
      ],
    });
    expect(ingested.data?.ingestSessions).toEqual({ accepted: 1 });
  }, 240_000);

  afterAll(async () => {
    await gw?.close();
    if (state !== '') {
      await service('stop').catch(() => undefined);
      await rm(state, { recursive: true, force: true });
    }
  }, 60_000);

  const QUERIES: Record<string, string> = {
    uve: `{ uve(type: "vrouter", name: "vr1") { name } }`,
    uves: `{ uves(type: "vrouter", name: "vr*") { totalCount nodes { name } } }`,
    uveTypes: `{ uveTypes }`,
    upsertUve: `mutation { upsertUve(type: "vrouter", name: "vr2", document: {S: {a: 1}}) { name } }`,
    deleteUve: `mutation { deleteUve(type: "vrouter", name: "vr1") }`,
    groupValueUve: `{ sessionTraffic(range: {last: "1h"}, groupBy: [{dimension: VN}]) { nodes { group { value uve { name } } } } }`,
  };

  it('answers BACKEND_UNAVAILABLE while the node is down, leaks nothing, and recovers without a restart', async () => {
    const up = await gql(gw.app, `mutation { upsertUve(type: "vrouter", name: "vr1", document: {S: {a: 1}}) { name } }`);
    expect(up.errors).toBeUndefined();

    await service('stop');

    for (const [what, query] of Object.entries(QUERIES)) {
      const started = Date.now();
      const res = await gw.app.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true' },
        payload: JSON.stringify({ query }),
      });
      expect(Date.now() - started, `${what} answers promptly`).toBeLessThan(3000);
      const body = JSON.parse(res.body) as GraphQLAnswer;
      expect(body.errors?.map((e) => e.extensions?.['code']), what).toEqual(['BACKEND_UNAVAILABLE']);
      expect(body.errors?.[0]?.message).toBe('the opensearch store is unavailable; retry later');
      assertNoLeak(res.body, port);
    }

    const ready = await gw.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ stores: { uves: { backend: 'opensearch', ok: false } } });
    assertNoLeak(ready.body, port);

    if (gw.app.hasRoute({ method: 'POST', url: '/ingest/uves' })) {
      const ingest = await gw.app.inject({
        method: 'POST',
        url: '/ingest/uves',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify([{ type: 'vrouter', name: 'vr3', document: { S: {} } }]),
      });
      expect(ingest.statusCode).toBe(503);
      expect(ingest.headers['retry-after']).toBeDefined();
      assertNoLeak(ingest.body, port);
    } else {
      console.warn('POST /ingest/uves is not registered yet: its 503 is not checked here');
    }

    // The node comes back (empty: the script starts it fresh) under the same gateway.
    await service('start');

    const types = await gql(gw.app, QUERIES['uveTypes']!);
    expect(types.errors).toBeUndefined();
    expect(types.data?.uveTypes).toEqual([]);
    const again = await gql(gw.app, `mutation { upsertUve(type: "vrouter", name: "vr2", document: {S: {a: 2}}) { name } }`);
    expect(again.errors).toBeUndefined();
    const read = await gql(gw.app, `{ uves(type: "vrouter") { totalCount nodes { name value(path: "S.a") } } }`);
    expect(read.data?.uves).toEqual({ totalCount: 1, nodes: [{ name: 'vr2', value: 2 }] });
    const traffic = await gql(gw.app, QUERIES['groupValueUve']!);
    expect(traffic.errors).toBeUndefined();
    // The index it made again has the explicit mappings, not dynamic ones.
    const mapping = await rest(url, 'GET', '/uve-vrouter/_mapping');
    expect(mapping['uve-vrouter'].mappings.dynamic).toBe('strict');
    expect((await gw.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
  }, 240_000);
});

function assertNoLeak(body: string, port: number): void {
  expect(body).not.toContain(String(port));
  expect(body).not.toContain('127.0.0.1');
  expect(body).not.toMatch(/ECONNREFUSED|ConnectionError|\n\s+at |stack/i);
}

