import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { formatDateTime } from '../../src/model/index.js';
import { OpenSearchClient, type OsRequest } from '../../src/stores/opensearch/index.js';
import type { Gateway } from '../../src/gateway.js';
import { gql, testGateway } from '../support/gateway.js';
import { describeWithNode, dropPrefix, findOpenSearch, runPrefix } from './node.js';

// The UVE part of the API served by UVE_STORE=opensearch through the real
// HTTP stack, and GroupValue.uve costing one _mget per type per request.
const node = await findOpenSearch();
const NOW = BigInt(Date.now()) * 1_000_000n;
const GROUPS = 100;

const vnName = (i: number) => `default-domain:k8s-ns:net-${String(i).padStart(3, '0')}`;

describeWithNode('GraphQL UVEs on UVE_STORE=opensearch', node, () => {
  const prefix = runPrefix('gql');
  let gw: Gateway;

  beforeAll(async () => {
    gw = await testGateway(
      { UVE_STORE: 'opensearch', OPENSEARCH_URL: node.url, OPENSEARCH_INDEX_PREFIX: prefix, OPENSEARCH_REFRESH_INTERVAL: '50ms' },
      () => NOW,
    );
    const time = formatDateTime(NOW - 60_000_000_000n);
    const records = Array.from({ length: GROUPS }, (_, i) => ({
      time,
      vn: vnName(i),
      remoteVn: 'default-domain:k8s-db:pod-network',
      vrouterIp: '192.168.0.11',
      localIp: '10.244.1.5',
      clientPort: 40000 + i,
      remoteIp: '10.244.7.9',
      serverPort: 5432,
      protocol: 6,
      forwardSampledBytes: 1000 + i,
      forwardSampledPkts: 1,
      reverseSampledBytes: 0,
      reverseSampledPkts: 0,
    }));
    const ingested = await gql(
      gw.app,
      `mutation($r: [SessionRecordInput!]!) { ingestSessions(records: $r) { accepted rejected } }`,
      { r: records },
    );
    expect(ingested.data?.ingestSessions).toEqual({ accepted: GROUPS, rejected: 0 });
    // Every second network has a UVE.
    await Promise.all(
      Array.from({ length: GROUPS / 2 }, (_, k) =>
        gw.services.uves.upsert('virtual-network', vnName(2 * k), { UveVirtualNetworkAgent: { in_bytes: 2 * k } }),
      ),
    );
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await dropPrefix(node.url, prefix);
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('a page of 100 groups resolves GroupValue.uve with one _mget and no single gets', async () => {
    const sent: OsRequest[] = [];
    const send = OpenSearchClient.prototype.send;
    vi.spyOn(OpenSearchClient.prototype, 'send').mockImplementation(function (this: OpenSearchClient, req, options) {
      sent.push(req);
      return send.call(this, req, options) as never;
    });
    const res = await gql(
      gw.app,
      `{ sessionTraffic(range: {last: "1h"}, groupBy: [{dimension: VN}, {dimension: REMOTE_VN}], first: ${GROUPS}) {
          totalCount nodes { group { value uve { name value(path: "UveVirtualNetworkAgent.in_bytes") } } } } }`,
    );
    expect(res.errors).toBeUndefined();
    const nodes = res.data!.sessionTraffic.nodes as { group: { value: string; uve: { name: string; value: number } | null }[] }[];
    expect(nodes).toHaveLength(GROUPS);
    for (const n of nodes) {
      const i = Number(n.group[0]!.value.slice(-3));
      expect(n.group[0]!.uve).toEqual(i % 2 === 0 ? { name: vnName(i), value: i } : null);
      expect(n.group[1]!.uve).toBeNull();
    }
    // Both columns name virtual networks: one _mget for the type, for all 101 names.
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([`POST /${prefix}virtual-network/_mget`]);
    expect((sent[0]!.body as { ids: string[] }).ids).toHaveLength(GROUPS + 1);
  });

  it('serves uve, uves with meta, uveTypes, upsertUve and deleteUve', async () => {
    const up = await gql(
      gw.app,
      `mutation($d: JSON!) { upsertUve(type: "vrouter", name: "vr/1?", document: $d) { type name structs updatedAt value } }`,
      { d: { VrouterAgent: { build: 'x' }, NodeStatus: { up: true } } },
    );
    expect(up.errors).toBeUndefined();
    expect(up.data?.upsertUve).toEqual({
      type: 'vrouter',
      name: 'vr/1?',
      structs: ['NodeStatus', 'VrouterAgent'],
      updatedAt: formatDateTime(NOW),
      value: { VrouterAgent: { build: 'x' }, NodeStatus: { up: true } },
    });

    const one = await gql(gw.app, `{ uve(type: "vrouter", name: "vr/1?") { name value(path: "NodeStatus.up") } }`);
    expect(one.data?.uve).toEqual({ name: 'vr/1?', value: true });

    const page = await gql(
      gw.app,
      `{ uves(type: "virtual-network", name: "*net-00*", structs: ["UveVirtualNetworkAgent"], first: 3) {
          totalCount pageInfo { hasNextPage endCursor } nodes { name } meta { backend tier query } } }`,
    );
    expect(page.errors).toBeUndefined();
    const uves = page.data!.uves;
    expect(uves.totalCount).toBe(5); // net-000, 002, 004, 006, 008
    expect(uves.nodes.map((n: { name: string }) => n.name)).toEqual([vnName(0), vnName(2), vnName(4)]);
    expect(uves.pageInfo.hasNextPage).toBe(true);
    expect(uves.meta.backend).toBe('opensearch');
    expect(uves.meta.query).toMatch(new RegExp(`^POST /${prefix}virtual-network/_search\\?`));
    const next = await gql(gw.app, `query($a: String) { uves(type: "virtual-network", name: "*net-00*", first: 3, after: $a) { nodes { name } pageInfo { hasNextPage } } }`, {
      a: uves.pageInfo.endCursor,
    });
    expect(next.data?.uves).toEqual({ nodes: [{ name: vnName(6) }, { name: vnName(8) }], pageInfo: { hasNextPage: false } });

    const types = await gql(gw.app, `{ uveTypes }`);
    expect(types.data?.uveTypes).toEqual(['virtual-network', 'vrouter']);

    const del = await gql(gw.app, `mutation { a: deleteUve(type: "vrouter", name: "vr/1?") b: deleteUve(type: "vrouter", name: "vr/1?") }`);
    expect(del.data).toEqual({ a: true, b: false });
    expect((await gql(gw.app, `{ uveTypes }`)).data?.uveTypes).toEqual(['virtual-network']);
  });

  it('refuses a type that could address another index', async () => {
    for (const type of ['*', '_all', `../${prefix}x`, 'a,b', 'Virtual']) {
      const res = await gql(gw.app, `query($t: String!) { uves(type: $t) { totalCount } }`, { t: type });
      expect(res.errors?.[0]?.extensions?.['code'], type).toBe('BAD_USER_INPUT');
    }
  });

  it('/ready reports the opensearch store', async () => {
    const res = await gw.app.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ stores: { uves: { backend: 'opensearch', ok: true } } });
  });
});
