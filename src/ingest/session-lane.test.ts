import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RecordBatchBuilder } from '../model/index.js';
import type { BodyFormat } from './body.js';
import { parseJson } from './json-reader.js';
import { SessionEndpointLane } from './session-lane.js';
import type { IngestResult } from './types.js';
import { RECEIVED, captureIngest, type Outcome } from '../../test/support/capture-ingest.js';

/**
 * The SessionEndpoint lane (SessionEndpointLane) against the reference path
 * (expandSessionEndpoint, validateSessionRecord, RecordBatchBuilder.add):
 * every body, ingested with the lanes and without them, must answer the
 * same, store field by field the same records and keep the same rejects.
 * Each message below is sent between valid neighbours (other messages, a
 * flat record), as a JSON array, in `session_data`, and as NDJSON lines.
 */


const withLane = captureIngest(true);
const reference = captureIngest(false);
const withLaneFewLabels = captureIngest(true, 2);
const referenceFewLabels = captureIngest(false, 2);

type Json = Record<string, unknown>;

/** A message of two aggregates of two sessions each, reported by the client side. */
function message(n = 0): Json {
  const session = (ip: string, port: number) => ({
    key: { ip, port },
    value: {
      forward_flow_info: { sampled_bytes: 1000 + n, sampled_pkts: 8, logged_bytes: 0, logged_pkts: 0, action: 'pass' },
      reverse_flow_info: { sampled_bytes: 6000, sampled_pkts: 13 + n },
      vm: 'web-7d9f',
    },
  });
  return {
    time: '2026-11-25T10:00:00.123456789Z',
    vmi: `default-domain:k8s-shop:web-${n}-vmi`,
    vn: 'default-domain:k8s-shop:shop-pod-network',
    remote_vn: 'default-domain:k8s-billing:billing-pod-network',
    vrouter_ip: '192.168.0.11',
    is_client_session: 1,
    is_si: 0,
    labels: ['app=web', 'namespace=shop', 'app.kubernetes.io/part-of=store'],
    remote_labels: ['app=ledger', 'namespace=billing'],
    sess_agg_info: [
      {
        key: { local_ip: `10.244.1.${5 + n}`, service_port: 8443, protocol: 6 },
        value: { sampled_forward_bytes: 1500, sessionMap: [session('10.244.7.9', 51234), session('10.244.7.9', 51240)] },
      },
      {
        key: { local_ip: '10.244.1.6', service_port: 443, protocol: 17 },
        value: { sessionMap: [session('10.244.7.10', 40000 + n), session('fe80::1', 0)] },
      },
    ],
  };
}

const FLAT =
  '{"time":1795600800000000123,"vn":"a","remote_vn":"b","vrouter_ip":"1.2.3.4","local_ip":"10.0.0.1","client_port":1,"remote_ip":"10.0.0.2",' +
  '"server_port":80,"protocol":6,"forward_sampled_bytes":1,"forward_sampled_pkts":1,"reverse_sampled_bytes":1,"reverse_sampled_pkts":1}';

/** JSON text with exact big integers (bigint values) and raw JSON (Raw values) where given. */
class Raw {
  constructor(readonly text: string) {}
}
function text(v: unknown): string {
  if (typeof v === 'bigint') return String(v);
  if (v instanceof Raw) return v.text;
  if (Array.isArray(v)) return `[${v.map(text).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.entries(v)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${JSON.stringify(k)}:${text(x)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

type Change = (m: Json) => void;
const agg = (m: Json, a = 0) => (m['sess_agg_info'] as Json[])[a]!;
const aggKey = (m: Json, a = 0) => agg(m, a)['key'] as Json;
/** The last session of the last aggregate: the lane has laid out three records of the message before it. */
const lastSession = (m: Json) => ((agg(m, 1)['value'] as Json)['sessionMap'] as Json[])[1]!;
const flow = (m: Json, side: 'forward_flow_info' | 'reverse_flow_info') => (lastSession(m)['value'] as Json)[side] as Json;

/** Messages the lane must store as the reference path does (it may take them or decline them). */
const VALID: Record<string, Change> = {
  'the usual message': () => undefined,
  'a server-side report (turned around)': (m) => (m['is_client_session'] = 0),
  'is_client_session true and false': (m) => (m['is_client_session'] = false),
  'no labels, null remote labels': (m) => ((m['labels'] = undefined), (m['remote_labels'] = null)),
  'a label without =': (m) => (m['labels'] = ['web', 'tier=']),
  'no vmi': (m) => (m['vmi'] = undefined),
  'an empty vmi': (m) => (m['vmi'] = ''),
  'no time (the time of receipt)': (m) => (m['time'] = undefined),
  'a time in epoch nanoseconds past 2^53': (m) => (m['time'] = 1_795_600_800_000_000_123n),
  'a time as a decimal string': (m) => (m['time'] = '1795600800000000123'),
  'a time with an offset': (m) => (m['time'] = '2026-11-25T11:00:00+01:00'),
  'an empty sessionMap': (m) => ((agg(m, 1)['value'] as Json)['sessionMap'] = []),
  'no aggregates': (m) => (m['sess_agg_info'] = []),
  'counters past 2^53 and 2^32': (m) => ((flow(m, 'forward_flow_info')['sampled_bytes'] = 9_007_199_254_740_993n), (flow(m, 'reverse_flow_info')['sampled_pkts'] = 4_294_967_296)),
  'the largest counter': (m) => ((flow(m, 'forward_flow_info')['sampled_bytes'] = 9_223_372_036_854_775_807n), (flow(m, 'reverse_flow_info')['sampled_bytes'] = 0)),
  'a counter as a decimal string': (m) => (flow(m, 'forward_flow_info')['sampled_pkts'] = '12'),
  'a port as a decimal string': (m) => ((lastSession(m)['key'] as Json)['port'] = '80'),
  'a service port as a decimal string': (m) => (aggKey(m, 1)['service_port'] = '443'),
  'ports and protocol at their bounds': (m) => ((aggKey(m, 1)['service_port'] = 65535), (aggKey(m, 1)['protocol'] = 255)),
  'a vn of 1024 characters': (m) => (m['vn'] = 'n'.repeat(1024)),
  'sixteen labels a side (past the cached positions)': (m) => {
    m['labels'] = Array.from({ length: 16 }, (_, i) => `l${i}=v${i}`);
    m['remote_labels'] = Array.from({ length: 16 }, (_, i) => `r${i}=w${i}`);
  },
  'labels named __proto__ and with digits first': (m) => (m['labels'] = ['__proto__=x', '7=seven', 'constructor=y']),
  'other keys everywhere': (m) => ((m['fluentd_tag'] = 'x'), (agg(m)['extra'] = { a: 1 }), (lastSession(m)['extra'] = [1])),
};

/** Messages with at least one record the reference path rejects: one for every reason it gives. */
const REJECTED: Record<string, Change> = {
  'is_client_session missing': (m) => (m['is_client_session'] = undefined),
  'is_client_session 2': (m) => (m['is_client_session'] = 2),
  'labels not a list': (m) => (m['labels'] = 'app=web'),
  'a label not a string': (m) => (m['remote_labels'] = ['app=x', 7]),
  'sess_agg_info not a list': (m) => (m['sess_agg_info'] = { key: {} }),
  'an aggregate not an object': (m) => (m['sess_agg_info'] as unknown[]).push(3),
  'an aggregate without a key': (m) => (agg(m, 1)['key'] = undefined),
  'an aggregate whose value is a list': (m) => (agg(m, 1)['value'] = []),
  'sessionMap not a list': (m) => ((agg(m, 1)['value'] as Json)['sessionMap'] = {}),
  'a session not an object': (m) => ((agg(m, 1)['value'] as Json)['sessionMap'] as unknown[]).push(null),
  'a session without a key': (m) => (lastSession(m)['key'] = undefined),
  'a session whose value is a string': (m) => (lastSession(m)['value'] = 'x'),
  'no forward_flow_info': (m) => ((lastSession(m)['value'] as Json)['forward_flow_info'] = undefined),
  'reverse_flow_info not an object': (m) => ((lastSession(m)['value'] as Json)['reverse_flow_info'] = 5),
  'no sampled_bytes': (m) => (flow(m, 'forward_flow_info')['sampled_bytes'] = undefined),
  'sampled_pkts null': (m) => (flow(m, 'reverse_flow_info')['sampled_pkts'] = null),
  'a negative counter': (m) => (flow(m, 'forward_flow_info')['sampled_bytes'] = -1),
  'a fractional counter': (m) => (flow(m, 'forward_flow_info')['sampled_pkts'] = 1.5),
  'a counter of 2^63': (m) => (flow(m, 'reverse_flow_info')['sampled_pkts'] = 9_223_372_036_854_775_808n),
  'a counter as a word': (m) => (flow(m, 'reverse_flow_info')['sampled_pkts'] = 'many'),
  'a counter as true': (m) => (flow(m, 'reverse_flow_info')['sampled_bytes'] = true),
  'bytes that sum past 2^63-1': (m) => ((flow(m, 'forward_flow_info')['sampled_bytes'] = 9_223_372_036_854_775_807n), (flow(m, 'reverse_flow_info')['sampled_bytes'] = 1)),
  'a bad time': (m) => (m['time'] = '2026-13-01T00:00:00Z'),
  'a time past 2250': (m) => (m['time'] = '2250-01-01T00:00:00Z'),
  'a time as a number with a fraction': (m) => (m['time'] = 1.5),
  'no vn': (m) => (m['vn'] = undefined),
  'an empty remote_vn': (m) => (m['remote_vn'] = ''),
  'a vn not a string': (m) => (m['vn'] = 5),
  'a vn of 1025 characters': (m) => (m['vn'] = 'n'.repeat(1025)),
  'a vmi not a string': (m) => (m['vmi'] = ['x']),
  'a vrouter_ip that is not an address': (m) => (m['vrouter_ip'] = 'vrouter-1'),
  'a local_ip that is not an address': (m) => (aggKey(m, 1)['local_ip'] = '10.0.0.256'),
  'no local_ip': (m) => (aggKey(m, 1)['local_ip'] = undefined),
  'a session ip that is not an address': (m) => ((lastSession(m)['key'] as Json)['ip'] = '010.0.0.1'),
  'an empty session ip': (m) => ((lastSession(m)['key'] as Json)['ip'] = ''),
  'a port past 65535': (m) => ((lastSession(m)['key'] as Json)['port'] = 65536),
  'a negative port': (m) => ((lastSession(m)['key'] as Json)['port'] = -1),
  'no port': (m) => ((lastSession(m)['key'] as Json)['port'] = undefined),
  'a port of seven digits as text': (m) => ((lastSession(m)['key'] as Json)['port'] = '0000080'),
  'a service port with a fraction': (m) => (aggKey(m, 1)['service_port'] = 80.5),
  'a protocol past 255': (m) => (aggKey(m, 1)['protocol'] = 256),
  'no protocol': (m) => (aggKey(m, 1)['protocol'] = undefined),
  'a bad label name': (m) => (m['labels'] = ['a b=x']),
  'an empty label name': (m) => (m['remote_labels'] = ['=x']),
  'a label value of 256 characters': (m) => (m['labels'] = [`app=${'v'.repeat(256)}`]),
  'a label given twice': (m) => (m['labels'] = ['app=a', 'app=b']),
  'seventy labels on a side (past the limit)': (m) => (m['labels'] = Array.from({ length: 70 }, (_, i) => `l${i}=v`)),
};

/** The bodies a message is sent in, each with valid neighbours. */
function bodies(m: Json): [Buffer, BodyFormat][] {
  const t = text(m);
  const before = text(message(1));
  const after = text({ ...message(2), is_client_session: 0 });
  return [
    [Buffer.from(t), 'json'],
    [Buffer.from(`[${before},${t},${FLAT},${after}]`), 'json'],
    [Buffer.from(`{"session_data":[${before},${t},${after}]}`), 'json'],
    [Buffer.from(`[{"session_data":[${t},${after}]},${FLAT},{"session_data":[${before},${t}]}]`), 'json'],
    [Buffer.from(`${before}\n${FLAT}\n${t}\n${after}\n`), 'ndjson'],
    [Buffer.from(`{"session_data":[${before},${t}]}\n${t}\n`), 'ndjson'],
  ];
}

async function expectSame(m: Json): Promise<Outcome> {
  let first: Outcome | undefined;
  for (const [body, format] of bodies(m)) {
    const expected = await reference(body, format);
    expect(await withLane(body, format)).toEqual(expected);
    expect(await withLaneFewLabels(body, format)).toEqual(await referenceFewLabels(body, format));
    first ??= expected;
  }
  return first!;
}

function changed(change: Change): Json {
  const m = message();
  change(m);
  return m;
}

/** How many records the lane itself lays out for the message, or -1. */
function laneTakes(m: Json, maxLabels = 64): number {
  const value = parseJson(text(m)).elements[0]!.value;
  return new SessionEndpointLane({ receivedAt: RECEIVED, limits: { maxLabels }, naming: 'snake' }, new RecordBatchBuilder()).add(value);
}

describe('the SessionEndpoint lane', () => {
  for (const [name, change] of Object.entries(VALID)) {
    it(`stores ${name} as the reference path does`, async () => {
      const m = changed(change);
      const outcome = await expectSame(m);
      expect(outcome.rejects).toEqual([]);
    });
  }

  for (const [name, change] of Object.entries(REJECTED)) {
    it(`rejects ${name} as the reference path does, next to valid neighbours`, async () => {
      const m = changed(change);
      expect(laneTakes(m)).toBe(-1);
      const outcome = await expectSame(m);
      expect(outcome.rejects.length).toBeGreaterThan(0);
      const [body, format] = bodies(m)[1]!;
      const mixed = await reference(body, format);
      // The neighbours are stored all the same: two messages of four sessions and a flat record.
      expect(mixed.records.length).toBeGreaterThanOrEqual(9);
    });
  }

  it('lays out the usual message itself, and the fast forms of values', () => {
    expect(laneTakes(message())).toBe(4);
    for (const name of ['a server-side report (turned around)', 'no vmi', 'a time in epoch nanoseconds past 2^53', 'counters past 2^53 and 2^32', 'the largest counter', 'sixteen labels a side (past the cached positions)']) {
      expect(laneTakes(changed(VALID[name]!)), name).toBe(4);
    }
    expect(laneTakes(changed(VALID['an empty sessionMap']!))).toBe(2);
    // Forms the lane leaves to the reference path, which stores them.
    expect(laneTakes(changed(VALID['a counter as a decimal string']!))).toBe(-1);
    expect(laneTakes(message(), 2)).toBe(-1);
  });

  it('stores the shared fixture as the reference path does', async () => {
    const fixture = readFileSync(new URL('../../../shared/fixtures/session-endpoint.json', import.meta.url));
    const expected = await reference(fixture, 'json');
    expect(expected.records).toHaveLength(3);
    expect(await withLane(fixture, 'json')).toEqual(expected);
  });

  it('numbers records across lane and reference path as the reference path does', async () => {
    const bad = changed(REJECTED['a port past 65535']!);
    const body = Buffer.from(`[${text(message(1))},${text(bad)},${FLAT},${text(bad)},${text(message(3))}]`);
    const expected = await reference(body, 'json');
    expect(expected.result).toMatchObject({ accepted: 15, rejected: 2 });
    expect((expected.result as IngestResult).errors.map((e) => e.index)).toEqual([7, 12]);
    expect(await withLane(body, 'json')).toEqual(expected);
  });
});
