import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithInflux, findInflux, runBucket } from '../influxdb/server.js';
import { dropPrefix, findOpenSearch, rest, runPrefix } from '../opensearch/node.js';
import { startChildGateway, type ChildGateway } from '../support/child-gateway.js';

// Two gateway processes on one influxd and one OpenSearch node, as two
// replicas behind a Service: ingest and its rejects go through A; queries,
// the dead-letter log and its replay through B; both answer the same, and
// neither writes anything to its disk (docs/operations.md "No state on a replica").
const influx = await findInflux();
const node = await findOpenSearch();
const both = node.answers ? influx : { ...influx, answers: false, required: influx.required || node.required, problem: node.problem || influx.problem };

const VN = 'default-domain:k8s-shop:shop-pod-network';
const TRAFFIC = '{ sessionTraffic(range: {last: "1h"}, groupBy: [{localLabel: "tier"}], first: 100) { totalCount total { sessions totalBytes } nodes { group { value } traffic { sessions totalBytes } } } }';
const DEAD_LETTERS = '{ deadLetters(first: 100) { nodes { id at source index reason raw } pageInfo { hasNextPage } } }';

describeWithInflux('two replicas on SESSION_STORE=influxdb and UVE_STORE=opensearch', both, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sag-replicas-'));
  const bucket = runBucket('ops-replicas');
  const prefix = runPrefix('ops-replicas');
  const dlIndex = `sagt-ops-dl-${process.pid.toString(36)}-${Date.now().toString(36)}`;
  const env = {
    SESSION_STORE: 'influxdb',
    INFLUX_URL: influx.url,
    INFLUX_TOKEN: influx.token,
    INFLUX_ORG: influx.org,
    INFLUX_BUCKET: bucket,
    // No tiers: no tier buckets or tasks left on the shared influxd (a bucket is never deleted there).
    TIERS: 'none',
    UVE_STORE: 'opensearch',
    OPENSEARCH_URL: node.url,
    OPENSEARCH_INDEX_PREFIX: prefix,
    OPENSEARCH_REFRESH_INTERVAL: '50ms',
    DEAD_LETTER_INDEX: dlIndex,
    // Were anything written locally, it would be here (and the test would see it).
    DUCKDB_PATH: join(dir, 'gateway.duckdb'),
    DEAD_LETTER_PATH: join(dir, 'dead-letter.ndjson'),
  };
  let a: ChildGateway;
  let b: ChildGateway;
  const t0 = Date.now() - 60_000;
  const at = (i: number) => new Date(t0 + i * 1000).toISOString();
  const record = (i: number, labels: Record<string, string>, over: Record<string, unknown> = {}) => ({
    time: at(i),
    vn: VN,
    remote_vn: 'default-domain:k8s-billing:billing-pod-network',
    vrouter_ip: '192.168.0.11',
    local_ip: `10.244.1.${i}`,
    client_port: 40000 + i,
    remote_ip: '10.244.7.9',
    server_port: 8443,
    protocol: 6,
    session_type: 'client',
    labels: { local: labels, remote: {} },
    forward_sampled_bytes: 100 * i,
    forward_sampled_pkts: 1,
    reverse_sampled_bytes: 10,
    reverse_sampled_pkts: 1,
    ...over,
  });
  const gql = async (gw: ChildGateway, query: string, variables?: unknown) => {
    const res = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { data?: any; errors?: unknown };
    if (body.errors !== undefined) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const ingest = async (gw: ChildGateway, path: string, lines: unknown[], headers: Record<string, string> = {}) => {
    const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', ...headers }, body: lines.map((l) => JSON.stringify(l)).join('\n') });
    return { status: res.status, body: (await res.json()) as { accepted: number; rejected: number } };
  };
  /** The dead-letter listing of `gw` once it shows `n` entries (a listing sees an entry after the index refreshes). */
  const deadLetters = async (gw: ChildGateway, n: number) => {
    for (let tries = 0; ; tries++) {
      const page = (await gql(gw, DEAD_LETTERS)).deadLetters;
      if (page.nodes.length >= n || tries > 100) return page;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    // A is stricter (one label per side), as if B had been rolled out with a raised limit: what A rejects, B can replay.
    [a, b] = await Promise.all([startChildGateway({ ...env, INGEST_MAX_LABELS: '1' }), startChildGateway(env)]);
  });

  afterAll(async () => {
    a?.kill();
    b?.kill();
    await dropPrefix(node.url, prefix).catch(() => undefined);
    await rest(node.url, 'DELETE', `/${dlIndex}`, [404]).catch(() => undefined);
    // The InfluxDB bucket stays (its retention empties it): deleting a bucket can crash the shared influxd (docs/influxdb.md).
    rmSync(dir, { recursive: true, force: true });
  });

  it('ingest and rejects through A; queries, dead letters and replay through B; the same answers from both, nothing on either disk', async () => {
    const sessions = [record(1, { app: 'web' }), record(2, { app: 'web' }), record(3, { app: 'db' }), record(4, { app: 'db' })];
    // The last one has no time: stamped when received, and on replay with the time it was first received (so a second replay is the same point).
    const { time: _, ...timeless } = record(8, { app: 'db', tier: 'back' });
    const tooManyLabels = [record(5, { app: 'web', tier: 'front' }), record(6, { app: 'db', tier: 'back' }), timeless];
    const invalid = record(7, { app: 'x' }, { vn: '' });
    const first = await ingest(a, '/ingest/sessions', [...sessions, ...tooManyLabels, invalid], { 'idempotency-key': 'chunk-1' });
    expect(first).toEqual({ status: 200, body: expect.objectContaining({ accepted: 4, rejected: 4 }) });
    const uves = await ingest(a, '/ingest/uves', [
      { type: 'virtual-network', name: VN, document: { UveVirtualNetworkAgent: { in_bytes: 7 } } },
      { type: 'virtual-network', name: '', document: {} },
    ]);
    expect(uves).toEqual({ status: 200, body: expect.objectContaining({ accepted: 1, rejected: 1 }) });

    // The accepted records again, through the other replica (a retry after a lost answer): the same points, not more.
    const retry = await ingest(b, '/ingest/sessions', sessions);
    expect(retry).toEqual({ status: 200, body: expect.objectContaining({ accepted: 4, rejected: 0 }) });

    const traffic = await gql(b, TRAFFIC);
    expect(traffic.sessionTraffic.total).toEqual({ sessions: 4, totalBytes: 100 + 200 + 300 + 400 + 40 });
    expect(await gql(a, TRAFFIC)).toEqual(traffic);
    const uve = `{ uve(type: "virtual-network", name: "${VN}") { structs value(path: "UveVirtualNetworkAgent.in_bytes") } }`;
    expect((await gql(b, uve)).uve).toEqual({ structs: ['UveVirtualNetworkAgent'], value: 7 });
    expect(await gql(a, uve)).toEqual(await gql(b, uve));

    // A's 4 session rejects and its UVE reject: listed alike by both replicas, oldest first.
    const listed = await deadLetters(b, 5);
    expect(listed.nodes).toHaveLength(5);
    expect((await deadLetters(a, 5)).nodes).toEqual(listed.nodes);
    expect(listed.nodes.map((n: { source: string }) => n.source).sort()).toEqual([...Array(4).fill('http:/ingest/sessions'), 'http:/ingest/uves']);
    const labelRejects = listed.nodes.filter((n: { raw: any }) => n.raw?.labels?.local?.tier !== undefined);
    expect(labelRejects).toHaveLength(3);

    // B replays them: stored now, under B's limit. Replaying again (B) adds nothing; through A they are refused again and not logged twice.
    const ids = labelRejects.map((n: { id: string }) => n.id);
    const replay = `mutation($ids: [ID!]!) { replayDeadLetters(ids: $ids) { accepted rejected errors { index message } } }`;
    expect((await gql(b, replay, { ids })).replayDeadLetters).toEqual({ accepted: 3, rejected: 0, errors: [] });
    const after = await gql(b, TRAFFIC);
    expect(after.sessionTraffic.total).toEqual({ sessions: 7, totalBytes: 100 + 200 + 300 + 400 + 500 + 600 + 800 + 70 });
    expect(after.sessionTraffic.nodes.map((n: { group: { value: string | null }[] }) => n.group[0]!.value).sort()).toEqual(['back', 'front', null].sort());
    expect((await gql(b, replay, { ids })).replayDeadLetters).toMatchObject({ accepted: 3 });
    expect((await gql(a, replay, { ids })).replayDeadLetters).toMatchObject({ accepted: 0, rejected: 3 });
    expect(await gql(a, TRAFFIC)).toEqual(after);
    expect(await gql(b, TRAFFIC)).toEqual(after);
    expect((await deadLetters(a, 5)).nodes).toEqual(listed.nodes);

    // An id of another form is refused; one the log never had is absent, on either replica.
    const bad = await fetch(`${b.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: replay, variables: { ids: ['1:0'] } }) });
    expect(((await bad.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
    const absent = `${String(BigInt(Date.now()) * 1_000_000n).padStart(19, '0')}.00000000.000000000`;
    expect((await gql(a, replay, { ids: [absent] })).replayDeadLetters).toEqual({ accepted: 0, rejected: 1, errors: [{ index: 0, message: `dead letter ${absent}: no entry has this id` }] });

    expect(readdirSync(dir)).toEqual([]);
  });
});
