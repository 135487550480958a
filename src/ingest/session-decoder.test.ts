import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GatewayError, parseDateTime, validateSessionRecord, type SessionRecord } from '../model/index.js';
import { parseJson } from './json-reader.js';
import { expandSessionItem } from './session-decoder.js';
import type { IncomingRecord } from './types.js';

const FIXTURES = new URL('../../../shared/fixtures/', import.meta.url);
const ctx = { receivedAt: 1_000n, limits: { maxLabels: 64 }, naming: 'snake' as const };

function expand(value: unknown): IncomingRecord[] {
  const out: IncomingRecord[] = [];
  expandSessionItem(value, '', out);
  return out;
}

function validate(r: IncomingRecord): SessionRecord {
  expect(r.error).toBeUndefined();
  return validateSessionRecord(r.candidate, ctx);
}

/** A line of the expected file, read as the stored record it is (already in client orientation). */
function stored(line: string): SessionRecord {
  const o = JSON.parse(line) as Record<string, any>;
  return {
    time: parseDateTime(o['time'], 'time'),
    vn: o['vn'],
    vmi: o['vmi'] ?? null,
    remoteVn: o['remote_vn'],
    vrouterIp: o['vrouter_ip'],
    localIp: o['local_ip'],
    clientPort: o['client_port'],
    remoteIp: o['remote_ip'],
    serverPort: o['server_port'],
    protocol: o['protocol'],
    sessionType: o['session_type'],
    localLabels: o['labels']['local'],
    remoteLabels: o['labels']['remote'],
    forwardSampledBytes: BigInt(o['forward_sampled_bytes']),
    forwardSampledPkts: BigInt(o['forward_sampled_pkts']),
    reverseSampledBytes: BigInt(o['reverse_sampled_bytes']),
    reverseSampledPkts: BigInt(o['reverse_sampled_pkts']),
    totalBytes: BigInt(o['total_bytes']),
  };
}

/** Label objects come back with a null prototype; compare them as plain data. */
function plain(r: SessionRecord): SessionRecord {
  return { ...r, localLabels: { ...r.localLabels }, remoteLabels: { ...r.remoteLabels } };
}

describe('SessionEndpoint decoding (ARCHITECTURE §3)', () => {
  const message = parseJson(readFileSync(new URL('session-endpoint.json', FIXTURES), 'utf8')).elements[0]!.value;
  const expected = readFileSync(new URL('session-endpoint.expected.ndjson', FIXTURES), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(stored);

  it('expands the shared fixture to exactly the expected records, the server report turned around', () => {
    expect(expand(message).map(validate).map(plain)).toEqual(expected);
  });

  it('hands the validation reporter-oriented candidates: the server report as its vRouter saw it', () => {
    const server = expand(message)[2]!.candidate;
    expect(server).toMatchObject({
      sessionType: 'server',
      localIp: '10.244.7.9',
      remoteIp: '10.244.1.5',
      vn: 'default-domain:k8s-billing:billing-pod-network',
      clientPort: 51234,
      serverPort: 8443,
    });
  });

  it('expands a lone SessionEndpoint, outside session_data, the same way', () => {
    const messages = (message as { session_data: unknown[] }).session_data;
    expect(messages.flatMap((m) => expand(m)).map(validate).map(plain)).toEqual(expected);
  });

  it('keeps as raw the message cut down to the one session, which expands to the same record again', () => {
    const records = expand(message);
    const again = records.flatMap((r) => expand(r.raw));
    expect(again.map(validate)).toEqual(records.map(validate));
    expect(records[1]!.context).toBe('session_data[0], sess_agg_info[0], sessionMap[1]');
  });

  it('reads labels without "=" as empty values, and keeps a value holding "="', () => {
    const m = sessionEndpoint({ labels: ['flag', 'expr=a=b'] });
    expect({ ...validate(expand(m)[0]!).localLabels }).toEqual({ flag: '', expr: 'a=b' });
  });

  it.each([
    [{ is_client_session: 2 }, 'is_client_session: must be 1 (client) or 0 (server)'],
    [{ is_client_session: undefined }, 'is_client_session: is required'],
    [{ labels: 'app=web' }, 'labels: must be a list of "name=value" strings'],
    [{ remote_labels: [1] }, 'remote_labels[0]: must be a "name=value" string'],
  ])('rejects each session of a message with %j', (change, message) => {
    const records = expand(sessionEndpoint(change));
    expect(records).toHaveLength(1);
    expect(records[0]!.error).toContain(message);
  });

  it('rejects a session without its flow counters, naming the agent field', () => {
    const m = sessionEndpoint({});
    (m.sess_agg_info[0]!.value.sessionMap[0]!.value as Record<string, unknown>)['reverse_flow_info'] = { sampled_bytes: 1 };
    expect(expand(m)[0]!.error).toBe('value.reverse_flow_info.sampled_pkts: is required');
  });

  it('rejects a malformed sess_agg_info as one record', () => {
    expect(expand({ ...sessionEndpoint({}), sess_agg_info: {} })[0]!.error).toMatch(/^sess_agg_info: must be a list/);
    expect(expand({ session_data: {} })[0]!.error).toMatch(/^session_data: must be a list/);
  });

  it('lets the validation reject bad values in a session, with its place in the message', () => {
    const m = sessionEndpoint({});
    m.sess_agg_info[0]!.key.service_port = 70_000;
    const r = expand(m)[0]!;
    expect(() => validate(r)).toThrow(/server_port: 70000 is outside 0..65535/);
    expect(r.context).toBe('sess_agg_info[0], sessionMap[0]');
  });
});

describe('flat record decoding (ARCHITECTURE §2)', () => {
  const base = {
    time: '2026-11-25T10:00:00.000000001Z',
    vn: 'vn-a',
    remote_vn: 'vn-b',
    vrouter_ip: '192.168.0.1',
    local_ip: '10.0.0.1',
    client_port: 40000,
    remote_ip: '10.0.0.2',
    server_port: 443,
    protocol: 6,
    forward_sampled_bytes: 1,
    forward_sampled_pkts: 1,
    reverse_sampled_bytes: 2,
    reverse_sampled_pkts: 1,
  };

  it('reads labels nested, as label.<side>.NAME keys, or both', () => {
    const r = validate(
      expand({ ...base, labels: { local: { app: 'web' } }, 'label.local.tier': 'front', 'label.remote.app.kubernetes.io/name': 'db' })[0]!,
    );
    expect({ ...r.localLabels }).toEqual({ app: 'web', tier: 'front' });
    expect({ ...r.remoteLabels }).toEqual({ 'app.kubernetes.io/name': 'db' });
  });

  it('keeps epoch nanoseconds exact and ignores keys it does not know', () => {
    const r = validate(expand(parseJson(`{"time":1764064800123456789,"fluentd_tag":"x",${JSON.stringify(base).slice(1).replace(/"time":"[^"]*",/, '')}`).elements[0]!.value)[0]!);
    expect(r.time).toBe(1764064800123456789n);
  });

  it.each([
    [{ labels: { local: { app: 'a' } }, 'label.local.app': 'b' }, 'label "app" is given twice: in labels.local and as label.local.app'],
    [{ 'label.other.x': 'y' }, '"label.other.x": a label key is label.local.NAME or label.remote.NAME'],
    [{ labels: { middle: {} } }, 'labels.middle: unknown side'],
    [{ labels: 'x' }, 'labels: must be {"local": {...}, "remote": {...}}'],
  ])('rejects %j', (change, message) => {
    expect(expand({ ...base, ...change })[0]!.error).toContain(message);
  });

  it.each([
    ['an empty label.local.', { 'label.local.': 'x' }, 'labels.local: label name "" is not 1 to 317 characters'],
    ['a label name a"b', { 'label.local.a"b': 'x' }, 'labels.local: label name "a\\"b" is not'],
    ['a negative counter', { forward_sampled_bytes: -1 }, 'forward_sampled_bytes: -1 is negative'],
    ['a counter past 2^63', { forward_sampled_bytes: 9223372036854775808n }, 'forward_sampled_bytes: is past 2^63-1'],
    ['a NaN counter', { reverse_sampled_pkts: Number.NaN }, 'reverse_sampled_pkts: must be a finite integer'],
    ['a 10 MB vn', { vn: 'x'.repeat(10 * 1024 * 1024) }, 'vn: is longer than 1024 characters'],
  ])('leaves %s to the validation, which rejects it', (_what, change, message) => {
    const r = expand({ ...base, ...change })[0]!;
    expect(r.error).toBeUndefined();
    let thrown: unknown;
    try {
      validate(r);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    expect((thrown as Error).message).toContain(message);
    expect((thrown as Error).message.length).toBeLessThan(200);
  });

  it('rejects a value that is not an object', () => {
    expect(expand([1, 2])[0]!.error).toMatch(/^expected a JSON object/);
    expect(expand('x')[0]!.error).toMatch(/^expected a JSON object/);
  });
});

interface TestEndpoint {
  [k: string]: unknown;
  sess_agg_info: { key: Record<string, unknown>; value: { sessionMap: { key: Record<string, unknown>; value: Record<string, unknown> }[] } }[];
}

function sessionEndpoint(change: Record<string, unknown>): TestEndpoint {
  return {
    vn: 'vn-a',
    remote_vn: 'vn-b',
    vrouter_ip: '192.168.0.1',
    is_client_session: 1,
    labels: ['app=web'],
    remote_labels: ['app=db'],
    sess_agg_info: [
      {
        key: { local_ip: '10.0.0.1', service_port: 443, protocol: 6 },
        value: {
          sessionMap: [
            {
              key: { ip: '10.0.0.2', port: 40000 },
              value: { forward_flow_info: { sampled_bytes: 1, sampled_pkts: 1 }, reverse_flow_info: { sampled_bytes: 2, sampled_pkts: 1 } },
            },
          ],
        },
      },
    ],
    ...change,
  };
}
