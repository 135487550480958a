import { ApolloServer } from '@apollo/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, formatError, loadTypeDefs, resolvers, type GatewayContext } from '../../src/graphql/index.js';
import { SCOPES, type Caller } from '../../src/model/index.js';
import type { Gateway } from '../../src/gateway.js';
import { HOSTILE_STRINGS } from '../support/hostile.js';
import { gql, testGateway, type GraphQLAnswer } from '../support/gateway.js';

const NOW = 1_795_600_800_000_000_000n; // 2026-11-25T10:00:00Z

const vnOf = (ns: string) => `default-domain:k8s-${ns}:pod-network`;

function rec(vn: string, remoteVn: string, over: Record<string, unknown> = {}) {
  return {
    time: '2026-11-25T09:30:00Z',
    vn,
    remoteVn,
    vrouterIp: '192.168.0.11',
    localIp: '10.244.1.5',
    clientPort: 51234,
    remoteIp: '10.244.7.9',
    serverPort: 8443,
    protocol: 6,
    localLabels: [{ name: 'app', value: 'web' }],
    remoteLabels: [],
    forwardSampledBytes: 100,
    forwardSampledPkts: 1,
    reverseSampledBytes: 200,
    reverseSampledPkts: 2,
    ...over,
  };
}

const caller = (namespaces: readonly string[] | null): Caller => ({ name: 'test', scopes: new Set(SCOPES), namespaces });

/**
 * Namespace tenancy through the GraphQL API (docs/security.md
 * "Namespaces"), with the caller set on the context as the authenticator
 * will: totals, GroupValue.uve, UVE lists, gets and cursors, and the
 * FORBIDDEN answer to a write outside the caller's namespaces.
 */
describe('namespace tenancy through the GraphQL API', () => {
  let gw: Gateway;
  let apollo: ApolloServer<GatewayContext>;

  const run = async (who: Caller, query: string, variables?: Record<string, unknown>): Promise<GraphQLAnswer> => {
    const res = await apollo.executeOperation({ query, variables }, { contextValue: createContext(gw.services, 0, who) });
    if (res.body.kind !== 'single') throw new Error('expected a single result');
    return res.body.singleResult as GraphQLAnswer;
  };

  beforeAll(async () => {
    gw = await testGateway({}, () => NOW);
    apollo = new ApolloServer<GatewayContext>({ typeDefs: loadTypeDefs(), resolvers: resolvers as never, formatError: formatError({ error: () => {} }) });
    await apollo.start();
    const ingest = await gql(gw.app, `mutation($r: [SessionRecordInput!]!) { ingestSessions(records: $r) { accepted } }`, {
      r: [
        rec(vnOf('shop'), vnOf('billing')),
        rec(vnOf('secret'), vnOf('secret'), { localIp: '10.9.9.9' }),
        rec(vnOf('secret'), vnOf('secret'), { sessionType: 'SERVER' }),
        rec(vnOf(HOSTILE_STRINGS[6]!), vnOf('secret'), { localIp: '10.6.6.6' }),
      ],
    });
    expect(ingest.data?.ingestSessions.accepted).toBe(4);
    for (const name of [vnOf('shop'), vnOf('billing'), vnOf('secret'), vnOf(HOSTILE_STRINGS[6]!)]) {
      const r = await gql(gw.app, `mutation($n: String!) { upsertUve(type: "virtual-network", name: $n, document: {S: {n: 1}}) { name } }`, { n: name });
      expect(r.errors).toBeUndefined();
    }
    await gql(gw.app, `mutation { upsertUve(type: "vrouter", name: "compute-1", document: {S: {}}) { name } }`);
  });

  afterAll(async () => {
    await apollo?.stop();
    await gw?.close();
  });

  const TRAFFIC = `query($w: SessionFilter) { sessionTraffic(range: {last: "1h"}, where: $w, groupBy: [{dimension: VN}, {dimension: REMOTE_VN}]) {
    totalCount total { sessions } nodes { group { value uve { name } } } } }`;

  it('a scoped caller sees its sessions, the cross-namespace one included, and no more, whatever it filters', async () => {
    for (const w of [null, { or: [{ vn: { regex: '.*' } }, { sessionType: 'SERVER' }] }, { not: { vn: { eq: 'x' } } }, { vn: { regex: 'secret' } }]) {
      for (const ns of [['shop'], ['billing']]) {
        const res = await run(caller(ns), TRAFFIC, { w });
        expect(res.errors).toBeUndefined();
        const want = w !== null && 'vn' in w ? 0 : 1;
        expect(res.data!.sessionTraffic.totalCount).toBe(want);
        expect(res.data!.sessionTraffic.total.sessions).toBe(want);
      }
    }
    const all = await run(caller(null), TRAFFIC, { w: null });
    expect(all.data!.sessionTraffic.totalCount).toBe(3);
  });

  it('GroupValue.uve is null for a UVE outside the caller namespaces, even on a visible group', async () => {
    const res = await run(caller(['shop']), TRAFFIC, { w: null });
    expect(res.data!.sessionTraffic.nodes).toEqual([
      { group: [{ value: vnOf('shop'), uve: { name: vnOf('shop') } }, { value: vnOf('billing'), uve: null }] },
    ]);
    const both = await run(caller(['shop', 'billing']), TRAFFIC, { w: null });
    expect(both.data!.sessionTraffic.nodes[0].group.map((g: { uve: unknown }) => g.uve)).toEqual([{ name: vnOf('shop') }, { name: vnOf('billing') }]);
    const hostile = await run(caller([HOSTILE_STRINGS[6]!]), TRAFFIC, { w: null });
    expect(hostile.data!.sessionTraffic.nodes).toEqual([
      { group: [{ value: vnOf(HOSTILE_STRINGS[6]!), uve: { name: vnOf(HOSTILE_STRINGS[6]!) } }, { value: vnOf('secret'), uve: null }] },
    ]);
  });

  it('uve, uves and their cursors obey the scope', async () => {
    const LIST = `query($after: String) { uves(type: "virtual-network", first: 1, after: $after) { totalCount nodes { name } pageInfo { endCursor hasNextPage } } }`;
    const shop = await run(caller(['shop', 'billing']), LIST);
    expect(shop.data!.uves.totalCount).toBe(2);
    expect(shop.data!.uves.nodes).toEqual([{ name: vnOf('billing') }]);
    const cursor = shop.data!.uves.pageInfo.endCursor as string;
    const next = await run(caller(['shop', 'billing']), LIST, { after: cursor });
    expect(next.data!.uves.nodes).toEqual([{ name: vnOf('shop') }]);
    for (const other of [caller(['shop']), caller(null), caller([])]) {
      const res = await run(other, LIST, { after: cursor });
      expect(res.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    }
    const get = `query($n: String!) { uve(type: "virtual-network", name: $n) { name } }`;
    expect((await run(caller(['shop']), get, { n: vnOf('secret') })).data!.uve).toBeNull();
    expect((await run(caller(['shop']), get, { n: vnOf('shop') })).data!.uve).toEqual({ name: vnOf('shop') });
    expect((await run(caller(['shop']), `{ uves(type: "vrouter") { totalCount } }`)).data!.uves.totalCount).toBe(0);
  });

  it('a traffic cursor made under one scope is BAD_USER_INPUT under another', async () => {
    const PAGE = `query($after: String) { sessionTraffic(range: {last: "1h"}, groupBy: [{dimension: LOCAL_IP}], first: 1, after: $after) { pageInfo { endCursor } } }`;
    const first = await run(caller(null), PAGE);
    const cursor = first.data!.sessionTraffic.pageInfo.endCursor as string;
    expect(cursor).toBeTruthy();
    const res = await run(caller(['secret']), PAGE, { after: cursor });
    expect(res.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });

  it('ingest by a scoped caller: a record neither of whose VNs is its own goes to the dead-letter log as NAMESPACE_FORBIDDEN', async () => {
    const res = await run(caller(['shop']), `mutation($r: [SessionRecordInput!]!) { ingestSessions(records: $r) { accepted rejected errors { index message } } }`, {
      r: [
        rec(vnOf('shop'), vnOf('shop'), { time: '2026-11-25T08:00:00Z' }),
        rec(vnOf('billing'), vnOf('shop'), { time: '2026-11-25T08:00:00Z' }),
        rec(vnOf('secret'), vnOf('billing'), { time: '2026-11-25T08:00:00Z', localIp: '10.1.1.1' }),
      ],
    });
    expect(res.data!.ingestSessions).toEqual({
      accepted: 2,
      rejected: 1,
      errors: [{ index: 2, message: 'vn: NAMESPACE_FORBIDDEN: neither vn nor remoteVn belongs to a namespace this caller may write' }],
    });
    const dead = await run(caller(null), `{ deadLetters(first: 100) { nodes { source reason } } }`);
    expect(dead.data!.deadLetters.nodes).toContainEqual({ source: 'graphql', reason: expect.stringContaining('NAMESPACE_FORBIDDEN') });
    // Over HTTP bodies too (the flat lane is bypassed for a scoped caller).
    const body = Buffer.from(
      [
        { time: '2026-11-25T08:00:00Z', vn: vnOf('secret'), remote_vn: vnOf('secret'), vrouter_ip: '1.1.1.1', local_ip: '10.0.0.1', client_port: 1, remote_ip: '10.0.0.2', server_port: 2, protocol: 6, forward_sampled_bytes: 1, forward_sampled_pkts: 1, reverse_sampled_bytes: 1, reverse_sampled_pkts: 1 },
        { time: '2026-11-25T08:00:00Z', vn: vnOf('shop'), remote_vn: vnOf('secret'), vrouter_ip: '1.1.1.1', local_ip: '10.0.0.1', client_port: 1, remote_ip: '10.0.0.2', server_port: 2, protocol: 6, forward_sampled_bytes: 1, forward_sampled_pkts: 1, reverse_sampled_bytes: 1, reverse_sampled_pkts: 1 },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const scope = createContext(gw.services, 0, caller(['shop'])).build.scope;
    for (const format of ['ndjson', 'json'] as const) {
      const payload = format === 'json' ? Buffer.from(`[${body.toString().split('\n').join(',')}]`) : body;
      const answer = await gw.services.ingest.ingestBody(payload, format, 'http:/ingest/sessions', { scope });
      expect(answer.accepted).toBe(1);
      expect(answer.errors).toHaveLength(1);
      expect(answer.errors[0]!.index).toBe(0);
      expect(answer.errors[0]!.message).toMatch(/(^|: )vn: NAMESPACE_FORBIDDEN: neither vn nor remote_vn belongs to a namespace this caller may write$/);
    }
  });

  it('writes to a UVE outside the caller namespaces are FORBIDDEN, and change nothing', async () => {
    const del = `mutation($t: String!, $n: String!) { deleteUve(type: $t, name: $n) }`;
    const up = `mutation($t: String!, $n: String!) { upsertUve(type: $t, name: $n, document: {Evil: {}}) { name } }`;
    for (const [t, n] of [['virtual-network', vnOf('secret')], ['vrouter', 'compute-1'], ['virtual-network', 'k8s-shop:x:y']]) {
      for (const m of [del, up]) {
        const res = await run(caller(['shop']), m, { t, n });
        expect(res.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
      }
    }
    const still = await run(caller(null), `{ uve(type: "virtual-network", name: "${vnOf('secret')}") { structs } }`);
    expect(still.data!.uve).toEqual({ structs: ['S'] });
    const own = await run(caller(['shop']), up, { t: 'virtual-network', n: vnOf('shop') });
    expect(own.data!.upsertUve).toEqual({ name: vnOf('shop') });
  });
});
