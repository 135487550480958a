import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/index.js';
import type { Services } from '../../src/graphql/index.js';
import type { Gateway } from '../../src/gateway.js';
import type { UveStore } from '../../src/stores/types.js';
import { gql, testGateway, type GraphQLAnswer } from '../support/gateway.js';

const NOW = 1_795_600_800_000_000_000n; // 2026-11-25T10:00:00Z

const INGEST = `mutation($records: [SessionRecordInput!]!) { ingestSessions(records: $records) { accepted rejected errors { index message } } }`;

function rec(over: Record<string, unknown>) {
  return {
    time: '2026-11-25T09:30:00Z',
    vn: 'default-domain:k8s-contrail-analytics:pod-network',
    remoteVn: 'default-domain:k8s-shop:pod-network',
    vrouterIp: '192.168.0.11',
    localIp: '10.244.1.5',
    clientPort: 51234,
    remoteIp: '10.244.7.9',
    serverPort: 8443,
    protocol: 6,
    localLabels: [{ name: 'app', value: 'collector' }, { name: 'namespace', value: 'contrail-analytics' }],
    remoteLabels: [{ name: 'app', value: 'api' }],
    forwardSampledBytes: 100,
    forwardSampledPkts: 1,
    reverseSampledBytes: 200,
    reverseSampledPkts: 2,
    ...over,
  };
}

describe('GraphQL API on the embedded store', () => {
  let gw: Gateway;

  beforeAll(async () => {
    gw = await testGateway({}, () => NOW);
    const res = await gql(gw.app, INGEST, {
      records: [
        rec({}),
        rec({ clientPort: 51235, forwardSampledBytes: '9007199254740993', totalBytes: '9007199254740993' }),
        rec({ remoteLabels: [{ name: 'app', value: 'db' }], remoteVn: 'default-domain:k8s-db:pod-network' }),
        rec({ localLabels: [{ name: 'app', value: 'web' }, { name: 'namespace', value: 'shop' }] }),
        rec({ sessionType: 'SERVER', vn: 'default-domain:k8s-shop:pod-network', remoteVn: 'default-domain:k8s-contrail-analytics:pod-network' }),
        rec({ clientPort: 70000 }),
      ],
    });
    expect(res.data?.ingestSessions).toEqual({
      accepted: 5,
      rejected: 1,
      errors: [{ index: 5, message: 'clientPort: 70000 is outside 0..65535' }],
    });
    for (const name of ['default-domain:k8s-shop:pod-network', 'default-domain:k8s-db:pod-network']) {
      await gql(gw.app, `mutation($n: String!) { upsertUve(type: "virtual-network", name: $n, document: {UveVirtualNetworkAgent: {in_bytes: 5}}) { name } }`, { n: name });
    }
  });

  afterAll(async () => {
    await gw.close();
  });

  it('answers the README example: bytes per client-app / server-app pair in a namespace', async () => {
    const res = await gql(
      gw.app,
      `{ sessionTraffic(range: {last: "1h"}, where: {localLabels: [{name: "namespace", eq: "contrail-analytics"}]},
           groupBy: [{localLabel: "app"}, {remoteLabel: "app"}]) {
           totalCount total { totalBytes sessions }
           nodes { group { key value } traffic { totalBytes sessions } }
           meta { backend tier from to } } }`,
    );
    expect(res.errors).toBeUndefined();
    const t = res.data!.sessionTraffic;
    expect(t.totalCount).toBe(2);
    expect(t.nodes).toEqual([
      { group: [{ key: 'label.local.app', value: 'collector' }, { key: 'label.remote.app', value: 'api' }], traffic: { totalBytes: 9007199254741293, sessions: 2 } },
      { group: [{ key: 'label.local.app', value: 'collector' }, { key: 'label.remote.app', value: 'db' }], traffic: { totalBytes: 300, sessions: 1 } },
    ]);
    // The hour is one whole window of the 1h tier; what it has not folded in yet comes from raw (ARCHITECTURE §5).
    expect(t.meta).toEqual({ backend: 'duckdb', tier: 'raw+1h', from: '2026-11-25T09:00:00Z', to: '2026-11-25T10:00:00Z' });
  });

  it('sums only the Traffic fields the selection reads, fragments followed', async () => {
    const res = await gql(
      gw.app,
      `fragment T on Traffic { sessions }
       { sessionTraffic(range: {last: "1h"}, groupBy: [{localLabel: "app"}], orderBy: {metric: REVERSE_SAMPLED_PKTS}) {
           nodes { traffic { ...T } } total { ... on Traffic { totalBytes } } meta { query } } }`,
    );
    const t = res.data!.sessionTraffic;
    expect(t.nodes[0].traffic.sessions).toBe(3);
    expect(t.meta.query).toContain('sum(total_bytes)');
    expect(t.meta.query).toContain('sum(reverse_sampled_pkts)');
    expect(t.meta.query).toContain('count(*)');
    expect(t.meta.query).not.toContain('sum(forward_sampled_bytes)');
  });

  it('counts a server-side report only when asked, turned around to client orientation', async () => {
    const res = await gql(
      gw.app,
      `{ sessionTraffic(range: {last: "1h"}, where: {sessionType: SERVER}, groupBy: [{dimension: VN}, {localLabel: "app"}]) { nodes { group { value } } } }`,
    );
    expect(res.data!.sessionTraffic.nodes).toEqual([
      { group: [{ value: 'default-domain:k8s-contrail-analytics:pod-network' }, { value: 'api' }] },
    ]);
  });

  it('resolves GroupValue.uve and value paths', async () => {
    const res = await gql(
      gw.app,
      `{ sessionTraffic(range: {last: "1h"}, groupBy: [{dimension: REMOTE_VN}, {dimension: SERVER_PORT}]) {
           nodes { group { key value uve { type name structs value(path: "UveVirtualNetworkAgent.in_bytes") } } } } }`,
    );
    const groups = res.data!.sessionTraffic.nodes.map((n: any) => n.group);
    expect(groups).toContainEqual([
      { key: 'remote_vn', value: 'default-domain:k8s-db:pod-network', uve: { type: 'virtual-network', name: 'default-domain:k8s-db:pod-network', structs: ['UveVirtualNetworkAgent'], value: 5 } },
      { key: 'server_port', value: '8443', uve: null },
    ]);
  });

  it('answers BAD_USER_INPUT naming the field', async () => {
    const res = await gql(gw.app, `{ sessionTraffic(range: {last: "1h"}, where: {vn: {in: []}}) { totalCount } }`);
    expect(res.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toBe('where.vn.in: an empty list matches nothing; give at least one value');
  });

  it('takes times from 1700 up to 2250 in ranges and records, and names the bounds past them', async () => {
    const bounds = 'is outside the times the gateway takes: from 1700-01-01T00:00:00Z up to, not including, 2250-01-01T00:00:00Z';
    const early = await gql(gw.app, `{ sessionTraffic(range: {from: "1650-01-01T00:00:00Z"}) { totalCount } }`);
    expect(early.errors?.map((e) => [e.message, e.extensions?.['code']])).toEqual([[`range.from: ${bounds}`, 'BAD_USER_INPUT']]);
    const late = await gql(gw.app, `{ sessionSeries(range: {from: "2026-11-25T09:00:00Z", to: "2250-01-01T00:00:00Z"}, every: "1h") { meta { tier } } }`);
    expect(late.errors?.map((e) => [e.message, e.extensions?.['code']])).toEqual([[`range.to: ${bounds}`, 'BAD_USER_INPUT']]);
    const res = await gql(gw.app, INGEST, { records: [rec({ time: '0050-06-15T12:00:00Z' }), rec({ time: '2262-04-11T00:00:00Z' })] });
    expect(res.data?.ingestSessions).toEqual({
      accepted: 0,
      rejected: 2,
      errors: [
        { index: 0, message: `time: ${bounds}` },
        { index: 1, message: `time: ${bounds}` },
      ],
    });
  });

  it('refuses a DateTime with an offset past 23:59, as a literal and in variables', async () => {
    const why = 'DateTime: "2026-11-25T09:00:00+99:99" has the offset +99:99; an offset is -23:59 to +23:59 (hours 00 to 23, minutes 00 to 59)';
    const literal = await gql(gw.app, `{ sessionTraffic(range: {from: "2026-11-25T09:00:00+99:99"}) { totalCount } }`);
    expect(literal.errors?.[0]?.message).toContain(why);
    const variable = await gql(gw.app, INGEST, { records: [rec({ time: '2026-11-25T09:00:00+99:99' })] });
    expect(variable.errors?.[0]?.message).toContain(why);
    expect(variable.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });

  it('answers a bad scalar literal as BAD_USER_INPUT', async () => {
    const res = await gql(gw.app, `{ sessionSeries(range: {last: "1h"}, every: "5 min") { meta { tier } } }`);
    expect(res.errors?.[0]?.message).toContain('is not a duration');
  });

  it('series buckets are epoch aligned', async () => {
    const res = await gql(gw.app, `{ sessionSeries(range: {last: "1h"}, every: "15m", metric: SESSIONS) { series { group { key } points { time value } } } }`);
    expect(res.data!.sessionSeries.series).toEqual([{ group: [], points: [{ time: '2026-11-25T09:30:00Z', value: 4 }] }]);
  });

  it('pages UVEs with cursors and reads uveTypes', async () => {
    const p1 = await gql(gw.app, `{ uves(type: "virtual-network", first: 1) { totalCount nodes { name } pageInfo { hasNextPage endCursor } } }`);
    expect(p1.data!.uves.totalCount).toBe(2);
    expect(p1.data!.uves.nodes).toEqual([{ name: 'default-domain:k8s-db:pod-network' }]);
    const p2 = await gql(gw.app, `query($a: String) { uves(type: "virtual-network", first: 1, after: $a) { nodes { name } pageInfo { hasNextPage } } }`, {
      a: p1.data!.uves.pageInfo.endCursor,
    });
    expect(p2.data!.uves).toEqual({ nodes: [{ name: 'default-domain:k8s-shop:pod-network' }], pageInfo: { hasNextPage: false } });
    expect((await gql(gw.app, `{ uveTypes }`)).data!.uveTypes).toEqual(['virtual-network']);
  });

  it('refuses a UVE type that could address another index', async () => {
    const res = await gql(gw.app, `{ uve(type: "*", name: "x") { name } }`);
    expect(res.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });

  it('upserts, reads and deletes a UVE', async () => {
    const up = await gql(gw.app, `mutation { upsertUve(type: "vrouter", name: "vr1", document: {VrouterAgent: {build: "2"}}) { name updatedAt structs } }`);
    expect(up.data!.upsertUve).toEqual({ name: 'vr1', updatedAt: '2026-11-25T10:00:00Z', structs: ['VrouterAgent'] });
    expect((await gql(gw.app, `{ uve(type: "vrouter", name: "vr1") { value(path: "VrouterAgent.build") } }`)).data!.uve.value).toBe('2');
    expect((await gql(gw.app, `mutation { deleteUve(type: "vrouter", name: "vr1") }`)).data!.deleteUve).toBe(true);
    expect((await gql(gw.app, `{ uve(type: "vrouter", name: "vr1") { name } }`)).data!.uve).toBeNull();
  });

  it('serves a self-hosted playground to browsers, its assets from node_modules', async () => {
    const page = await gw.app.inject({ url: '/graphql', headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<script src="/playground/graphiql.js"></script>');
    expect(page.body).not.toMatch(/https?:\/\//);
    const js = await gw.app.inject({ url: '/playground/graphiql.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toContain('javascript');
    expect(js.body).toContain('GraphiQL');
    expect((await gw.app.inject({ url: '/playground/..%2Fpackage.json' })).statusCode).toBe(404);
  });

  it('exposes Prometheus metrics of the requests served', async () => {
    await gql(gw.app, `{ uveTypes }`);
    await gql(gw.app, `{ uve(type: "*", name: "x") { name } }`);
    const text = (await gw.app.inject({ url: '/metrics' })).body;
    expect(text).toMatch(/^sag_graphql_operation_seconds_count\{field="uveTypes"\} [1-9]/m);
    expect(text).toMatch(/^sag_graphql_errors_total\{code="BAD_USER_INPUT"\} [1-9]/m);
    expect(text).toMatch(/^sag_http_responses_total\{route="\/graphql",status="200"\} [1-9]/m);
  });

  it('serves /health and /ready', async () => {
    expect((await gw.app.inject({ url: '/health' })).statusCode).toBe(200);
    const ready = await gw.app.inject({ url: '/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready' });
  });
});

describe('GroupValue.uve batching', () => {
  it('costs one getMany per UVE type per request, whatever the page size', async () => {
    const gw = await testGateway({}, () => NOW);
    const calls: Array<[string, number]> = [];
    const uves: UveStore = {
      ...gw.services.uves,
      backend: gw.services.uves.backend,
      getMany: (type, names) => {
        calls.push([type, names.length]);
        return gw.services.uves.getMany(type, names);
      },
    } as UveStore;
    const services: Services = { ...gw.services, uves };
    const app = await buildApp(services, { logLevel: 'silent' });
    const records = Array.from({ length: 30 }, (_, i) =>
      rec({ vn: `vn-${i % 10}`, remoteVn: `vn-${(i + 1) % 10}`, vmi: `vmi-${i}`, clientPort: 40000 + i }),
    );
    expect((await gql(app, INGEST, { records })).data!.ingestSessions.accepted).toBe(30);
    const res = await gql(
      app,
      `{ sessionTraffic(range: {last: "1h"}, groupBy: [{dimension: VN}, {dimension: REMOTE_VN}, {dimension: VMI}], first: 100) {
          nodes { group { uve { name } } } } }`,
    );
    expect(res.data!.sessionTraffic.nodes).toHaveLength(30);
    expect(calls.sort()).toEqual([
      ['virtual-machine-interface', 30],
      ['virtual-network', 10],
    ]);
    await app.close();
    await gw.close();
  });
});

describe('internal errors', () => {
  it('answer INTERNAL without the message, stack or secrets', async () => {
    const gw = await testGateway({}, () => NOW);
    const services: Services = {
      ...gw.services,
      sessions: {
        ...gw.services.sessions,
        backend: 'duckdb',
        traffic: () => Promise.reject(new Error('connect failed: http://admin:s3cret@influx:8086')),
      } as Services['sessions'],
    };
    const app = await buildApp(services, { logLevel: 'silent' });
    const res = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ query: '{ sessionTraffic(range: {last: "1h"}) { totalCount } }' }),
    });
    expect(res.body).not.toContain('s3cret');
    expect(res.body).not.toContain('stack');
    expect(JSON.parse(res.body).errors[0]).toMatchObject({ message: 'internal error', extensions: { code: 'INTERNAL' } });
    await app.close();
    await gw.close();
  });

  it('/ready answers 503 naming the store that failed', async () => {
    const gw = await testGateway({}, () => NOW);
    const services: Services = {
      ...gw.services,
      uves: { ...gw.services.uves, backend: 'opensearch', ping: () => Promise.reject(new Error('down')) } as UveStore,
    };
    const app = await buildApp(services, { logLevel: 'silent' });
    const res = await app.inject({ url: '/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'unavailable', failed: ['uves (opensearch)'] });
    await app.close();
    await gw.close();
  });
});

describe('numbers past 2^53-1 (the API serializes JSON numbers as doubles)', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await testGateway({}, () => NOW);
  });
  afterAll(async () => {
    await gw.close();
  });

  /** POSTs a body as written: JSON.stringify of a JavaScript number could not write these digits. */
  async function raw(body: string): Promise<{ status: number; answer: GraphQLAnswer }> {
    const res = await gw.app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: body });
    return { status: res.statusCode, answer: JSON.parse(res.body) as GraphQLAnswer };
  }

  const UPSERT = 'mutation($d: JSON!) { upsertUve(type: \\"virtual-network\\", name: \\"v\\", document: $d) { name } }';
  const refused = (path: string, digits: string) => ({
    data: null,
    errors: [
      expect.objectContaining({
        message: `${path}: ${digits} is past 2^53-1 and cannot be kept exactly; send it as a string`,
        extensions: { code: 'BAD_USER_INPUT', field: path },
      }),
    ],
  });

  it('upsertUve refuses a document integer past 2^53-1 given in variables, with its digits and path', async () => {
    const res = await raw(`{"query":"${UPSERT}","variables":{"d":{"S":{"list":[0,{"x":9007199254740993}]}}}}`);
    expect(res).toEqual({ status: 200, answer: refused('document.S.list.1.x', '9007199254740993') });
    expect((await gql(gw.app, `{ uve(type: "virtual-network", name: "v") { name } }`)).data).toEqual({ uve: null });
  });

  it('upsertUve refuses it as an inline literal too, and a number past the range of a double', async () => {
    const big = await gql(gw.app, `mutation { upsertUve(type: "virtual-network", name: "l", document: {S: {x: -9007199254740993}}) { name } }`);
    expect(big.errors?.[0]).toMatchObject({
      message: 'document.S.x: -9007199254740993 is past -(2^53-1) and cannot be kept exactly; send it as a string',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const huge = await gql(gw.app, `mutation { upsertUve(type: "virtual-network", name: "l", document: {S: {x: 1e400}}) { name } }`);
    expect(huge.errors?.[0]).toMatchObject({
      message: 'document.S.x: a number past the range of a double (about 1.8e308) cannot be kept; send it as a string',
      extensions: { code: 'BAD_USER_INPUT', field: 'document.S.x' },
    });
  });

  it('keeps every number up to 2^53-1 exactly, from variables and literals', async () => {
    const res = await raw(`{"query":"${UPSERT}","variables":{"d":{"S":{"max":9007199254740991,"min":-9007199254740991,"f":0.1,"id":"12345678901234567890"}}}}`);
    expect(res.answer).toEqual({ data: { upsertUve: { name: 'v' } } });
    await gql(gw.app, `mutation { upsertUve(type: "virtual-network", name: "l", document: {S: {max: 9007199254740991}}) { name } }`);
    const read = await gql(gw.app, `{ v: uve(type: "virtual-network", name: "v") { value(path: "S") } l: uve(type: "virtual-network", name: "l") { value(path: "S.max") } }`);
    expect(read.data).toEqual({
      v: { value: { max: 9007199254740991, min: -9007199254740991, f: 0.1, id: '12345678901234567890' } },
      l: { value: 9007199254740991 },
    });
  });

  it('a Long given in variables past 2^53 is stored exactly, not rounded', async () => {
    const record = JSON.stringify(rec({ clientPort: 60001 })).replace('"forwardSampledBytes":100', '"forwardSampledBytes":9007199254740993');
    const res = await raw(JSON.stringify({ query: INGEST }).replace(/}$/, `,"variables":{"records":[${record}]}}`));
    expect(res.answer).toEqual({ data: { ingestSessions: { accepted: 1, rejected: 0, errors: [] } } });
    const rows = await gw.embedded!.query({ text: 'SELECT forward_sampled_bytes FROM sessions WHERE client_port = 60001', params: [] });
    expect(rows).toEqual([{ forward_sampled_bytes: 9007199254740993n }]);
  });
});
