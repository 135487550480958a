import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asStored, flat, ingestGateway, ndjson, post, stored, traffic, type IngestGateway } from './support.js';

const FIXTURE = readFileSync(new URL('../../../shared/fixtures/session-endpoint.json', import.meta.url));

describe('POST /ingest/sessions: formats (ARCHITECTURE §2)', () => {
  let gw: IngestGateway;
  beforeEach(async () => {
    gw = await ingestGateway();
  });
  afterEach(async () => {
    await gw.cleanup();
  });

  it('takes a fluentd out_http JSON array (with fluentd keys of its own) and answers after the store has it', async () => {
    const records = [flat({ tag: 'vrouter.session', fluentd_time: 1 }), flat(), flat({ session_type: 'server' })];
    const res = await post(gw.app, JSON.stringify(records));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ accepted: 3, rejected: 0, errors: [] });
    expect(await stored(gw)).toEqual(records.map((r) => asStored(r)));
  });

  it('takes one JSON object', async () => {
    const res = await post(gw.app, JSON.stringify(flat()));
    expect(res.json()).toEqual({ accepted: 1, rejected: 0, errors: [] });
  });

  it.each(['application/x-ndjson', 'application/x-ndjson; charset=utf-8', 'application/jsonl'])('takes NDJSON as %s', async (type) => {
    const res = await post(gw.app, ndjson([flat(), flat()]), { 'content-type': type });
    expect(res.json()).toEqual({ accepted: 2, rejected: 0, errors: [] });
  });

  it('takes gzip, JSON and NDJSON', async () => {
    const records = [flat(), flat({ vmi: '', session_type: 'server' }), flat({ total_bytes: 5 })];
    const a = await post(gw.app, gzipSync(JSON.stringify(records.slice(0, 2))), { 'content-encoding': 'gzip' });
    const b = await post(gw.app, gzipSync(ndjson(records.slice(2))), { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });
    expect([a.statusCode, a.json().accepted, b.statusCode, b.json().accepted]).toEqual([200, 2, 200, 1]);
    expect(await stored(gw)).toEqual(records.map((r) => asStored(r)));
  });

  it('takes labels nested or as label.local.NAME keys, and groups by them', async () => {
    const records = [flat({ labels: undefined, 'label.local.app': 'api', 'label.remote.app': 'db' }), flat({ 'label.remote.tier': 'back' })];
    await post(gw.app, ndjson(records), { 'content-type': 'application/x-ndjson' });
    expect(await stored(gw)).toEqual(records.map((r) => asStored(r)));
    const t = await traffic(gw.app, undefined, [{ localLabel: 'app' }, { remoteLabel: 'app' }]);
    expect(t.nodes.map((n) => [n.group.map((g) => g.value), n.traffic.sessions])).toEqual([
      [['api', 'db'], 1],
      [['web', 'ledger'], 1],
    ]);
  });

  it('stores epoch nanoseconds exactly', async () => {
    const line = JSON.stringify(flat()).replace(/"time":"[^"]*"/, '"time":1795600800123456789');
    expect((await post(gw.app, line)).json().accepted).toBe(1);
    const rows = await gw.embedded!.query({ text: 'SELECT time_ns FROM sessions', params: [] });
    expect(rows.map((r) => r['time_ns'])).toEqual([1795600800123456789n]);
  });

  it('expands the CN2 SessionEndpoint fixture, and GraphQL serves it in client orientation with the right totals', async () => {
    const res = await post(gw.app, FIXTURE);
    expect(res.json()).toEqual({ accepted: 3, rejected: 0, errors: [] });

    // Client records only, by default: the session seen by both vRouters counts once.
    const clients = await traffic(gw.app, undefined, [{ dimension: 'LOCAL_IP' }, { dimension: 'REMOTE_IP' }, { dimension: 'CLIENT_PORT' }]);
    expect(clients.total).toEqual({ forwardSampledBytes: 1500, reverseSampledBytes: 9000, totalBytes: 10500, sessions: 2 });
    expect(clients.nodes.map((n) => n.group.map((g) => g.value))).toEqual([
      ['10.244.1.5', '10.244.7.9', '51234'],
      ['10.244.1.5', '10.244.7.9', '51240'],
    ]);

    // The server-side report, turned around: local = the client (web), remote = the server (ledger).
    const server = await traffic(gw.app, { sessionType: 'SERVER' }, [
      { dimension: 'VN' },
      { dimension: 'LOCAL_IP' },
      { dimension: 'REMOTE_IP' },
      { dimension: 'CLIENT_PORT' },
      { dimension: 'SERVER_PORT' },
      { dimension: 'VMI' },
      { localLabel: 'app' },
      { remoteLabel: 'app' },
    ]);
    expect(server.total).toEqual({ forwardSampledBytes: 1000, reverseSampledBytes: 6000, totalBytes: 7000, sessions: 1 });
    expect(server.nodes[0]!.group.map((g) => g.value)).toEqual([
      'default-domain:k8s-shop:shop-pod-network',
      '10.244.1.5',
      '10.244.7.9',
      '51234',
      '8443',
      'default-domain:k8s-billing:ledger-5c4b-vmi',
      'web',
      'ledger',
    ]);
  });

  it('takes SessionEndpoint messages as NDJSON lines and mixed with flat records in one array', async () => {
    const messages = (JSON.parse(FIXTURE.toString('utf8')) as { session_data: unknown[] }).session_data;
    const a = await post(gw.app, ndjson(messages), { 'content-type': 'application/x-ndjson' });
    expect(a.json()).toEqual({ accepted: 3, rejected: 0, errors: [] });
    const b = await post(gw.app, JSON.stringify([flat(), messages[0]]));
    expect(b.json()).toEqual({ accepted: 3, rejected: 0, errors: [] });
  });

  it('numbers records after expansion and says where each bad one was', async () => {
    const message = JSON.parse(FIXTURE.toString('utf8')) as { session_data: { sess_agg_info: { key: { protocol: number } }[] }[] };
    message.session_data[0]!.sess_agg_info[0]!.key.protocol = 300;
    const res = await post(gw.app, ndjson([flat(), message, flat({ local_ip: 'nope' })]), { 'content-type': 'application/x-ndjson' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      accepted: 2,
      rejected: 3,
      errors: [
        { index: 1, message: 'line 2, session_data[0], sess_agg_info[0], sessionMap[0]: protocol: 300 is outside 0..255' },
        { index: 2, message: 'line 2, session_data[0], sess_agg_info[0], sessionMap[1]: protocol: 300 is outside 0..255' },
        { index: 4, message: 'line 3: local_ip: "nope" is not an IPv4 or IPv6 address' },
      ],
    });
  });
});
