import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { gql, testGateway } from '../support/gateway.js';

const NOW = 1_795_600_800_000_000_000n; // 2026-11-25T10:00:00Z

const INGEST = `mutation($records: [SessionRecordInput!]!) { ingestSessions(records: $records) { accepted rejected errors { index message } } }`;

function rec(time: string, app: string, bytes: number, over: Record<string, unknown> = {}) {
  return {
    time,
    vn: 'default-domain:k8s-shop:pod-network',
    remoteVn: 'default-domain:k8s-billing:pod-network',
    vrouterIp: '192.168.0.11',
    localIp: '10.244.1.5',
    clientPort: 51234,
    remoteIp: '10.244.7.9',
    serverPort: 8443,
    protocol: 6,
    localLabels: [{ name: 'app', value: app }, { name: 'namespace', value: 'shop' }],
    remoteLabels: [{ name: 'app', value: 'ledger' }],
    forwardSampledBytes: bytes,
    forwardSampledPkts: 1,
    reverseSampledBytes: 0,
    reverseSampledPkts: 0,
    ...over,
  };
}

// Flow-view queries through the public API (schema/flow.graphql): what a UI sends.
describe('flow-view queries on the embedded store', () => {
  let gw: Gateway;

  beforeAll(async () => {
    gw = await testGateway({}, () => NOW);
    const res = await gql(gw.app, INGEST, {
      records: [
        // the hour before: web 100, cron 40 (cron vanished since)
        rec('2026-11-25T08:30:00Z', 'web', 100),
        rec('2026-11-25T08:40:00Z', 'cron', 40),
        // this hour: web 150, api 70 (new)
        rec('2026-11-25T09:30:00Z', 'web', 150),
        rec('2026-11-25T09:40:00.123456789Z', 'api', 70, { clientPort: 40000, vmi: 'default-domain:k8s-shop:vmi-1' }),
      ],
    });
    expect(res.data?.ingestSessions).toMatchObject({ accepted: 4, rejected: 0 });
  });

  afterAll(async () => {
    await gw.close();
  });

  it('compares with the hour before: vanished and new groups, ranked by change', async () => {
    const res = await gql(
      gw.app,
      `{ sessionTraffic(range: {last: "1h"}, compareTo: "1h", groupBy: [{localLabel: "app"}], orderBy: {ranking: CHANGE}) {
           totalCount total { totalBytes } previousTotal { totalBytes }
           nodes { group { value } traffic { totalBytes } previous { totalBytes } } meta { query } } }`,
    );
    expect(res.errors).toBeUndefined();
    const t = res.data!.sessionTraffic;
    expect(t.totalCount).toBe(3);
    expect(t.total).toEqual({ totalBytes: 220 });
    expect(t.previousTotal).toEqual({ totalBytes: 140 });
    expect(t.nodes).toEqual([
      { group: [{ value: 'api' }], traffic: { totalBytes: 70 }, previous: { totalBytes: 0 } },
      { group: [{ value: 'web' }], traffic: { totalBytes: 150 }, previous: { totalBytes: 100 } },
      { group: [{ value: 'cron' }], traffic: { totalBytes: 0 }, previous: { totalBytes: 40 } },
    ]);
    expect(t.meta.query).toContain('FULL OUTER JOIN');
  });

  it('leaves previous null without compareTo', async () => {
    const res = await gql(gw.app, `{ sessionTraffic(range: {last: "1h"}) { previousTotal { sessions } nodes { previous { sessions } } } }`);
    expect(res.data!.sessionTraffic).toEqual({ previousTotal: null, nodes: [{ previous: null }] });
  });

  it('adds the other series, whose group values are null', async () => {
    const res = await gql(
      gw.app,
      `{ sessionSeries(range: {last: "2h"}, every: "1h", groupBy: [{localLabel: "app"}], limit: 1, other: true) {
           series { other group { key value } points { time value } } } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.sessionSeries.series).toEqual([
      { other: false, group: [{ key: 'label.local.app', value: 'web' }], points: [{ time: '2026-11-25T08:00:00Z', value: 100 }, { time: '2026-11-25T09:00:00Z', value: 150 }] },
      { other: true, group: [{ key: 'label.local.app', value: null }], points: [{ time: '2026-11-25T08:00:00Z', value: 40 }, { time: '2026-11-25T09:00:00Z', value: 70 }] },
    ]);
  });

  it('gives filter hints: values and label names', async () => {
    const res = await gql(
      gw.app,
      `{ ports: sessionValues(range: {last: "2h"}, key: {dimension: CLIENT_PORT}, prefix: "5", metric: TOTAL_BYTES) { value total }
         apps: sessionValues(range: {last: "2h"}, key: {localLabel: "app"}) { value total }
         names: sessionLabelNames(range: {last: "2h"}, side: LOCAL) { name records } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.ports).toEqual([{ value: '51234', total: 290 }]);
    expect(res.data!.apps).toEqual([
      { value: 'web', total: 2 },
      { value: 'api', total: 1 },
      { value: 'cron', total: 1 },
    ]);
    expect(res.data!.names).toEqual([
      { name: 'app', records: 4 },
      { name: 'namespace', records: 4 },
    ]);
  });

  it('lists raw records newest first with nanoseconds, labels and counters, paged by cursor', async () => {
    const page = `query($after: String) { sessionRecords(range: {last: "2h"}, first: 1, after: $after) {
      nodes { time vn vmi localIp clientPort sessionType localLabels { name value } remoteLabels { name value } traffic { totalBytes sessions } }
      pageInfo { hasNextPage endCursor } meta { tier } } }`;
    const first = await gql(gw.app, page);
    expect(first.errors).toBeUndefined();
    expect(first.data!.sessionRecords.nodes).toEqual([
      {
        time: '2026-11-25T09:40:00.123456789Z',
        vn: 'default-domain:k8s-shop:pod-network',
        vmi: 'default-domain:k8s-shop:vmi-1',
        localIp: '10.244.1.5',
        clientPort: 40000,
        sessionType: 'CLIENT',
        localLabels: [{ name: 'app', value: 'api' }, { name: 'namespace', value: 'shop' }],
        remoteLabels: [{ name: 'app', value: 'ledger' }],
        traffic: { totalBytes: 70, sessions: 1 },
      },
    ]);
    expect(first.data!.sessionRecords.meta).toEqual({ tier: 'raw' });
    const times: string[] = [first.data!.sessionRecords.nodes[0].time];
    let after = first.data!.sessionRecords.pageInfo.endCursor as string | null;
    while (after !== null) {
      const next = await gql(gw.app, page, { after });
      times.push(...next.data!.sessionRecords.nodes.map((n: { time: string }) => n.time));
      after = next.data!.sessionRecords.pageInfo.hasNextPage ? next.data!.sessionRecords.pageInfo.endCursor : null;
    }
    expect(times).toEqual(['2026-11-25T09:40:00.123456789Z', '2026-11-25T09:30:00.000000000Z', '2026-11-25T08:40:00.000000000Z', '2026-11-25T08:30:00.000000000Z']);
  });

  it.each([
    ['compareTo of zero', `{ sessionTraffic(range: {last: "1h"}, compareTo: "0h") { totalCount } }`, 'compareTo'],
    ['CHANGE without compareTo', `{ sessionTraffic(range: {last: "1h"}, orderBy: {ranking: CHANGE}) { totalCount } }`, 'orderBy.ranking'],
    ['compareTo past every retention', `{ sessionTraffic(range: {last: "1h"}, compareTo: "100d") { totalCount } }`, 'compareTo'],
    ['other with a limit past MAX_GROUPS', `{ sessionSeries(range: {last: "1h"}, every: "1h", limit: 1000000, other: true) { series { other } } }`, 'limit'],
    ['a 10 KB prefix', `{ sessionValues(range: {last: "1h"}, key: {dimension: VN}, prefix: "${'x'.repeat(10_240)}") { value } }`, 'prefix'],
    ['values of an invalid label name', `{ sessionValues(range: {last: "1h"}, key: {localLabel: "a b"}) { value } }`, 'key.localLabel'],
    ['records before the raw retention', `{ sessionRecords(range: {last: "2d"}) { nodes { time } } }`, 'RAW_RETENTION'],
  ])('answers BAD_USER_INPUT for %s', async (_, query, named) => {
    const res = await gql(gw.app, query);
    expect(res.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toContain(named);
  });
});
