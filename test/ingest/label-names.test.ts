import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gql } from '../support/gateway.js';
import { asStored, flat, ingestGateway, ndjson, post, stored, type IngestGateway } from './support.js';

const INGEST = `mutation($records: [SessionRecordInput!]!) { ingestSessions(records: $records) { accepted rejected errors { index message } } }`;

/** INGEST_MAX_LABEL_NAMES (issue 15, item 2): what a sender of ever new label names gets, on every way in. */
describe('the label-name bound', () => {
  let gw: IngestGateway;
  afterEach(async () => {
    await gw.cleanup();
  });

  it('stores records within the bound, refuses those bringing a name past it by name, and keeps them as dead letters', async () => {
    // INGEST_MAX_LABELS is at most the bound; 2 names per side.
    gw = await ingestGateway({ INGEST_MAX_LABELS: '2', INGEST_MAX_LABEL_NAMES: '2' });
    const records = [
      flat({ labels: { local: { app: 'web' }, remote: { app: 'db' } } }),
      flat({ vn: '' }), // invalid for another reason: the request positions stay right
      flat({ labels: { local: { tier: 'front' } } }), // the second local name: kept
      flat({ labels: { local: { app: 'web', color: 'blue' } } }), // a third local name: refused
      flat({ labels: { remote: { color: 'blue' } } }), // a second remote name: kept
      flat({ session_type: 'server', labels: { local: { zone: 'a' } } }), // sent local, stored remote: past the remote bound
      flat({ labels: { local: { tier: 'back', app: 'api' } } }), // known names only: kept
    ];
    const res = await post(gw.app, ndjson(records), { 'content-type': 'application/x-ndjson' });
    expect(res.statusCode).toBe(200);
    const answer = res.json() as { accepted: number; rejected: number; errors: { index: number; message: string }[] };
    expect(answer.accepted).toBe(4);
    expect(answer.errors.map((e) => e.index)).toEqual([1, 3, 5]);
    expect(answer.errors[1]!.message).toMatch(/^labels\.local\.color: a new label name, and the store already keeps 2 local label names \(INGEST_MAX_LABEL_NAMES\)/);
    expect(answer.errors[2]!.message).toMatch(/^labels\.local\.zone: .* 2 remote label names/);
    expect(await stored(gw)).toEqual([records[0], records[2], records[4], records[6]].map((r) => asStored(r!)));

    const letters = gw.deadLetterLines().filter((l) => String(l['reason']).includes('INGEST_MAX_LABEL_NAMES'));
    expect(letters.map((l) => l['index'])).toEqual([3, 5]);
    // The record as sent, counters exact, so a replay after the bound is raised stores what was sent.
    const raw = letters[1]!['raw'] as Record<string, unknown>;
    expect(raw['session_type']).toBe('server');
    expect(raw['vn']).toBe(records[5]!['vn']);
    expect(raw['labels']).toEqual({ local: { zone: 'a' }, remote: {} });
    expect(raw['forward_sampled_bytes']).toBe('100');
  });

  it('refuses a new name through ingestSessions too, naming the GraphQL field', async () => {
    gw = await ingestGateway({ INGEST_MAX_LABELS: '1', INGEST_MAX_LABEL_NAMES: '1' });
    const record = (name: string) => ({
      vn: 'default-domain:k8s-a:a-net',
      remoteVn: 'default-domain:k8s-b:b-net',
      vrouterIp: '192.168.0.1',
      localIp: '10.0.0.1',
      clientPort: 40000,
      remoteIp: '10.0.0.2',
      serverPort: 80,
      protocol: 6,
      localLabels: [{ name, value: 'v' }],
      forwardSampledBytes: '1',
      forwardSampledPkts: '1',
      reverseSampledBytes: '1',
      reverseSampledPkts: '1',
    });
    const res = await gql(gw.app, INGEST, { records: [record('app'), record('random-1'), record('app')] });
    expect(res.errors).toBeUndefined();
    expect(res.data!['ingestSessions']).toEqual({
      accepted: 2,
      rejected: 1,
      errors: [{ index: 1, message: expect.stringMatching(/^localLabels\.random-1: a new label name/) as unknown as string }],
    });
    expect((await stored(gw)).map((r) => r.localLabels)).toEqual([{ app: 'v' }, { app: 'v' }]);
  });

  it('counts the names already stored after a restart, and keeps them past a lowered bound', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'label-bound-'));
    try {
      const path = join(dir, 'gateway.duckdb');
      gw = await ingestGateway({ DUCKDB_PATH: path, INGEST_MAX_LABELS: '2', INGEST_MAX_LABEL_NAMES: '2' });
      const first = await post(gw.app, ndjson([flat({ labels: { local: { a: '1', b: '2' } } })]), { 'content-type': 'application/x-ndjson' });
      expect(first.json()).toMatchObject({ accepted: 1, rejected: 0 });
      await gw.cleanup();
      gw = await ingestGateway({ DUCKDB_PATH: path, INGEST_MAX_LABELS: '1', INGEST_MAX_LABEL_NAMES: '1' });
      const res = await post(gw.app, ndjson([flat({ labels: { local: { b: '3' } } }), flat({ labels: { local: { c: '4' } } })]), {
        'content-type': 'application/x-ndjson',
      });
      const answer = res.json() as { accepted: number; errors: { index: number; message: string }[] };
      expect(answer.accepted).toBe(1);
      expect(answer.errors).toEqual([{ index: 1, message: expect.stringMatching(/^labels\.local\.c: .*keeps 1 local label names/) as unknown as string }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a bound below INGEST_MAX_LABELS at start, naming the setting', async () => {
    await expect(ingestGateway({ INGEST_MAX_LABELS: '8', INGEST_MAX_LABEL_NAMES: '4' })).rejects.toThrow(/INGEST_MAX_LABEL_NAMES/);
    gw = await ingestGateway();
  });
});
