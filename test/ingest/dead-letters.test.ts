import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gql } from '../support/gateway.js';
import { NOW, asStored, flat, ingestGateway, ndjson, post, stored, type IngestGateway } from './support.js';

const LIST = `query($first: Int, $after: String) {
  deadLetters(first: $first, after: $after) {
    nodes { id at source index reason raw rawText rawBase64 }
    pageInfo { hasNextPage endCursor }
  }
}`;
const REPLAY = `mutation($ids: [ID!]!) { replayDeadLetters(ids: $ids) { accepted rejected errors { index message } } }`;

interface Entry {
  id: string;
  at: string;
  source: string;
  index: number;
  reason: string;
  raw: unknown;
  rawText: string | null;
  rawBase64: string | null;
}

async function list(gw: IngestGateway, first = 100, after?: string): Promise<{ nodes: Entry[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } }> {
  const res = await gql(gw.app, LIST, { first, after });
  if (res.errors !== undefined) throw new Error(JSON.stringify(res.errors));
  return res.data!['deadLetters'];
}

async function replay(gw: IngestGateway, ids: string[]) {
  const res = await gql(gw.app, REPLAY, { ids });
  if (res.errors !== undefined) throw new Error(JSON.stringify(res.errors));
  return res.data!['replayDeadLetters'] as { accepted: number; rejected: number; errors: { index: number; message: string }[] };
}

describe('the dead-letter log: list and replay through GraphQL', () => {
  /** Rejected past INGEST_MAX_LABELS 1 by the first test, replayed by the second. */
  const twoLabels = flat({ labels: { local: { app: 'web', tier: 'front' } } });
  let dir: string;
  let path: string;
  let gw: IngestGateway;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dead-letters-'));
    path = join(dir, 'dead-letter.ndjson');
  });
  afterEach(async () => {
    await gw.cleanup();
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every reject raw with its reason and time, and pages through them oldest first', async () => {
    gw = await ingestGateway({ DEAD_LETTER_PATH: path, INGEST_MAX_LABELS: '1' });
    const body = ndjson([twoLabels, flat({ vn: '' })]) + '{"vn":\n';
    const res = await post(gw.app, body, { 'content-type': 'application/x-ndjson' });
    expect(res.json()).toMatchObject({ accepted: 0, rejected: 3 });

    const first = await list(gw, 2);
    expect(first.nodes.map((n) => [n.source, n.index, n.reason])).toEqual([
      ['http:/ingest/sessions', 0, 'line 1: labels.local: has 2 labels; at most 1 are allowed'],
      ['http:/ingest/sessions', 1, 'line 2: vn: must not be empty'],
    ]);
    expect(first.nodes[0]!.at).toBe('2026-11-25T12:00:00Z');
    expect(first.nodes[0]!.raw).toMatchObject({ labels: { local: { app: 'web', tier: 'front' } } });
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await list(gw, 2, first.pageInfo.endCursor!);
    expect(second.nodes.map((n) => [n.index, n.rawText, n.raw])).toEqual([[2, '{"vn":', null]]);
    expect(second.pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });

  it('replays entries once the cause is gone: the record is stored once, and a record rejected again is not logged twice', async () => {
    gw = await ingestGateway({ DEAD_LETTER_PATH: path }); // INGEST_MAX_LABELS back to 64
    const entries = (await list(gw)).nodes;
    const ids = entries.map((e) => e.id);
    const result = await replay(gw, ids);
    expect(result.accepted).toBe(1);
    expect(result.rejected).toBe(2);
    expect(result.errors).toEqual([
      { index: 1, message: `dead letter ${ids[1]}: vn: must not be empty` },
      { index: 2, message: `dead letter ${ids[2]}: body: line 1, column 7: unexpected end of input, expected a value` },
    ]);
    expect(await stored(gw)).toEqual([asStored(twoLabels)]);
    expect(gw.deadLetterLines()).toHaveLength(3);

    const again = await replay(gw, [ids[0]!]);
    expect(again).toEqual({ accepted: 1, rejected: 0, errors: [] });
    expect(await stored(gw)).toEqual([asStored(twoLabels)]);
  });

  it('answers an unknown id with an error for it', async () => {
    gw = await ingestGateway({ DEAD_LETTER_PATH: path });
    expect(await replay(gw, ['999999', '3'])).toEqual({
      accepted: 0,
      rejected: 2,
      errors: [
        { index: 0, message: 'dead letter 999999: no entry has this id' },
        { index: 1, message: 'dead letter 3: no entry has this id' },
      ],
    });
    const res = await gql(gw.app, REPLAY, { ids: ['not-an-id'] });
    expect(res.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });

  it('keeps the mutation’s rejects too, and replays them as GraphQL input', async () => {
    gw = await ingestGateway({ DEAD_LETTER_PATH: join(dir, 'graphql.ndjson'), INGEST_MAX_LABELS: '0' });
    const res = await gql(
      gw.app,
      `mutation($r: [SessionRecordInput!]!) { ingestSessions(records: $r) { accepted rejected errors { index message } } }`,
      {
        r: [
          {
            time: '2026-11-25T10:00:00Z',
            vn: 'a',
            remoteVn: 'b',
            vrouterIp: '192.168.0.1',
            localIp: '10.0.0.1',
            clientPort: 1,
            remoteIp: '10.0.0.2',
            serverPort: 2,
            protocol: 6,
            sessionType: 'SERVER',
            localLabels: [{ name: 'app', value: 'x' }],
            forwardSampledBytes: '9007199254740993',
            forwardSampledPkts: 1,
            reverseSampledBytes: 1,
            reverseSampledPkts: 1,
          },
        ],
      },
    );
    expect(res.data?.['ingestSessions']).toMatchObject({ accepted: 0, rejected: 1 });
    await gw.cleanup();
    gw = await ingestGateway({ DEAD_LETTER_PATH: join(dir, 'graphql.ndjson') });
    const [entry] = (await list(gw)).nodes;
    expect(entry).toMatchObject({ source: 'graphql', raw: { forwardSampledBytes: '9007199254740993', sessionType: 'SERVER' } });
    expect(await replay(gw, [entry!.id])).toEqual({ accepted: 1, rejected: 0, errors: [] });
    const rows = await gw.embedded!.query({ text: 'SELECT local_ip, forward_sampled_bytes, session_type FROM sessions', params: [] });
    expect(rows).toEqual([{ local_ip: '10.0.0.2', forward_sampled_bytes: 9007199254740993n, session_type: 'server' }]);
  });

  it('stays within its bounds: the oldest segments go, /metrics counts what went, a replay of it says so, and ids outlive a restart', async () => {
    const bounded = { DEAD_LETTER_PATH: join(dir, 'bounded.ndjson'), DEAD_LETTER_MAX_BYTES: '65536', DEAD_LETTER_SEGMENT_BYTES: '8192' };
    gw = await ingestGateway(bounded);
    for (let i = 0; i < 15; i++) {
      const res = await post(gw.app, ndjson(Array.from({ length: 10 }, () => flat({ vn: '' }))), { 'content-type': 'application/x-ndjson' });
      expect(res.json()).toMatchObject({ accepted: 0, rejected: 10 });
    }
    const segments = gw.deadLetterSegments();
    expect(segments[0]).not.toBe('bounded.000001.ndjson');
    expect(segments.reduce((n, f) => n + statSync(join(dir, f)).size, 0)).toBeLessThanOrEqual(65536);
    const kept = (await list(gw, 1000)).nodes;
    expect(kept.length).toBeGreaterThan(0);
    expect(await droppedMetric(gw)).toEqual({ max_bytes: 150 - kept.length, max_age: 0 });

    expect(await replay(gw, ['1:0'])).toEqual({
      accepted: 0,
      rejected: 1,
      errors: [{ index: 0, message: 'dead letter 1:0: was dropped from the dead-letter log by its bounds (DEAD_LETTER_MAX_BYTES, DEAD_LETTER_MAX_AGE) before it was replayed' }],
    });

    await gw.cleanup();
    gw = await ingestGateway(bounded);
    expect((await list(gw, 1000)).nodes.map((n) => n.id)).toEqual(kept.map((n) => n.id));
    await post(gw.app, ndjson([flat({ vn: '' })]), { 'content-type': 'application/x-ndjson' });
    const after = (await list(gw, 1000)).nodes;
    const seq = (id: string) => Number(id.split(':')[0]);
    expect(seq(after.at(-1)!.id)).toBeGreaterThanOrEqual(seq(kept.at(-1)!.id));
    expect(after.slice(0, -1).map((n) => n.id)).toEqual(kept.slice(kept.length - (after.length - 1)).map((n) => n.id));

    // Started eight days later, the gateway drops it all by DEAD_LETTER_MAX_AGE (7d) before it answers.
    await gw.cleanup();
    gw = await ingestGateway(bounded, { clock: () => NOW + 8n * 86_400_000_000_000n });
    expect((await list(gw)).nodes).toEqual([]);
    expect(await droppedMetric(gw)).toEqual({ max_bytes: 0, max_age: after.length });
  });
});

async function droppedMetric(gw: IngestGateway): Promise<Record<string, number>> {
  const text = (await gw.app.inject({ method: 'GET', url: '/metrics' })).body;
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^sag_dead_letters_dropped_total\{reason="(\w+)"\} (\d+)$/gm)) counts[m[1]!] = Number(m[2]);
  return counts;
}
