import { describe, expect, it } from 'vitest';
import { RecordBatchBuilder, decodeRecords, type RecordBatch, type SessionRecord } from '../model/index.js';
import type { SessionStore } from '../stores/types.js';
import type { DeadLetter } from './dead-letter.js';
import { FlatLineReader } from './flat-line.js';
import { SessionIngest } from './session-ingest.js';
import type { IngestResult } from './types.js';
import type { BodyFormat } from './body.js';

/**
 * The flat record lane (FlatLineReader) against the reference path: for
 * every body, ingest with the lane and without it must answer the same,
 * store the same records and keep the same rejects. The lane may decline
 * any line; it may never accept a line differently.
 */

const RECEIVED = 1_795_600_800_123_456_789n;

const base = {
  time: '1795600800000000123',
  vn: '"default-domain:k8s-shop:shop-pod-network"',
  vmi: '"default-domain:k8s-shop:web-1-vmi"',
  remote_vn: '"default-domain:k8s-billing:billing-pod-network"',
  vrouter_ip: '"192.168.0.10"',
  local_ip: '"10.244.1.7"',
  client_port: '40001',
  remote_ip: '"10.245.3.9"',
  server_port: '443',
  protocol: '6',
  session_type: '"client"',
  labels: '{"local":{"app":"web","namespace":"shop","app.kubernetes.io/part-of":"store"},"remote":{"app":"ledger","namespace":"billing"}}',
  forward_sampled_bytes: '1500',
  forward_sampled_pkts: '9',
  reverse_sampled_bytes: '6100',
  reverse_sampled_pkts: '14',
};

type Members = Record<string, string | undefined>;

/** A line from `base` with members replaced (a value), added, or removed (undefined). */
function line(changes: Members = {}, order?: string[]): string {
  const members: Members = { ...base, ...changes };
  const keys = order ?? Object.keys(members);
  return `{${keys
    .filter((k) => members[k] !== undefined)
    .map((k) => `"${k}":${members[k]}`)
    .join(',')}}`;
}

interface Outcome {
  readonly result: IngestResult | { readonly thrown: string };
  readonly records: SessionRecord[];
  readonly rejects: DeadLetter[];
}

function gateway(flatLane: boolean, maxLabels = 64) {
  const batches: RecordBatch[] = [];
  const rejects: DeadLetter[] = [];
  const store: SessionStore = {
    backend: 'capture',
    write: (batch: RecordBatch) => {
      batches.push(batch);
      return Promise.resolve();
    },
    traffic: () => Promise.reject(new Error('unused')),
    series: () => Promise.reject(new Error('unused')),
    values: () => Promise.reject(new Error('unused')),
    labelNames: () => Promise.reject(new Error('unused')),
    records: () => Promise.reject(new Error('unused')),
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const ingest = new SessionIngest({
    store,
    deadLetters: {
      append: (entries) => {
        rejects.push(...entries);
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    },
    clock: () => RECEIVED,
    limits: { maxRecords: 1000, maxLabels },
    flatLane,
  });
  return async (body: Buffer, format: BodyFormat = 'ndjson'): Promise<Outcome> => {
    batches.length = 0;
    rejects.length = 0;
    let result: Outcome['result'];
    try {
      result = await ingest.ingestBody(body, format, 'http:/ingest/sessions');
    } catch (e) {
      result = { thrown: String(e) };
    }
    const records = batches.flatMap(decodeRecords).map((r) => ({ ...r, localLabels: { ...r.localLabels }, remoteLabels: { ...r.remoteLabels } }));
    return { result, records, rejects: [...rejects] };
  };
}

const withLane = gateway(true);
const reference = gateway(false);
const withLaneFewLabels = gateway(true, 4);
const referenceFewLabels = gateway(false, 4);

async function expectSame(text: string | Buffer, format: BodyFormat = 'ndjson'): Promise<Outcome> {
  const body = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const expected = await reference(body, format);
  expect(await withLane(body, format)).toEqual(expected);
  expect(await withLaneFewLabels(body, format)).toEqual(await referenceFewLabels(body, format));
  return expected;
}

/** The same line as JSON bodies: alone, and in arrays with a record the lane takes, on one line and over several. */
async function expectSameAsJson(text: string | Buffer): Promise<void> {
  const t = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const other = Buffer.from(line({ session_type: '"server"' }));
  await expectSame(t, 'json');
  await expectSame(Buffer.concat([Buffer.from('['), t, Buffer.from(','), other, Buffer.from(']')]), 'json');
  await expectSame(Buffer.concat([Buffer.from('[\n  '), other, Buffer.from(',\n  '), t, Buffer.from('\n]\n')]), 'json');
}

/** Whether the lane takes the line on its own (and what it lays out). */
function laneTakes(text: string, maxLabels = 64): RecordBatch | undefined {
  const builder = new RecordBatchBuilder();
  const reader = new FlatLineReader({ receivedAt: RECEIVED, limits: { maxLabels }, naming: 'snake' }, builder);
  const bytes = Buffer.from(`${text}\n`, 'utf8');
  return reader.read(bytes, 0, bytes.length - 1) ? builder.finish() : undefined;
}

/** What the lane makes of a JSON body: how many records it takes, or -1. */
function laneTakesJson(text: string): number {
  const reader = new FlatLineReader({ receivedAt: RECEIVED, limits: { maxLabels: 64 }, naming: 'snake' }, new RecordBatchBuilder());
  return reader.readJson(Buffer.from(text, 'utf8'), () => undefined);
}

/** Lines the lane must take itself, each checked against the reference path. */
const TAKEN: Record<string, string> = {
  'the benchmark shape': line(),
  'a server-side report (turned around)': line({ session_type: '"server"' }),
  'no time (the time of receipt)': line({ time: undefined }),
  'no session type (client)': line({ session_type: undefined }),
  'no vmi': line({ vmi: undefined }),
  'an empty vmi (null)': line({ vmi: '""' }),
  'a null vmi': line({ vmi: 'null' }),
  'total bytes given': line({ total_bytes: '99' }),
  'total bytes null (the sum)': line({ total_bytes: 'null' }),
  'no labels': line({ labels: undefined }),
  'empty labels': line({ labels: '{}' }),
  'one side of labels, empty': line({ labels: '{"remote":{}}' }),
  'flat label keys': line({ labels: undefined, 'label.local.app': '"web"', 'label.remote.app': '"db"' }),
  'flat and nested labels': line({ 'label.local.tier': '"front"', labels: '{"local":{"app":"web"}}' }),
  'labels named __proto__ and constructor': line({ labels: '{"local":{"__proto__":"x","constructor":"y"}}' }),
  'an empty label value': line({ labels: '{"local":{"app":""}}' }),
  'a label value of 255 characters': line({ labels: `{"local":{"app":"${'v'.repeat(255)}"}}` }),
  'unknown members of every scalar kind (fluentd may add its own)': line({ tag: '"kube.var.log"', n: '-1.5e3', m: '0.25', big: '123456789012345678901234', ok: 'true', no: 'false', nil: 'null', ['__proto__']: '"p"' }),
  'members in another order': line({}, ['labels', 'protocol', 'vn', 'time', 'remote_vn', 'vrouter_ip', 'local_ip', 'client_port', 'remote_ip', 'server_port', 'forward_sampled_bytes', 'forward_sampled_pkts', 'reverse_sampled_bytes', 'reverse_sampled_pkts', 'vmi', 'session_type']),
  'white space everywhere': ` { "vn" : "a" , "remote_vn":\t"b", "vrouter_ip" : "1.2.3.4", "local_ip":"::1" ,"remote_ip":"fe80::1", "client_port" : 0, "server_port": 65535, "protocol" : 255, "labels" : { "local" : { "a" : "b" } , "remote" : { } } , "forward_sampled_bytes" : 0 , "forward_sampled_pkts":0,"reverse_sampled_bytes":0,"reverse_sampled_pkts":0 }\r`,
  'the largest 64-bit values': line({ time: '9223372036854775807', forward_sampled_bytes: '9223372036854775807', reverse_sampled_bytes: '0', total_bytes: '9223372036854775807' }),
  'values on both sides of 2^53 and 2^32': line({ forward_sampled_bytes: '9007199254740993', forward_sampled_pkts: '4294967296', reverse_sampled_bytes: '4294967295', reverse_sampled_pkts: '9999999999999999' }),
  'a 16-digit time below 2^53': line({ time: '1000000000000000' }),
  'bytes that sum past 2^32': line({ forward_sampled_bytes: '4294967295', reverse_sampled_bytes: '4294967295' }),
  'a vn of 1024 characters': line({ vn: `"${'n'.repeat(1024)}"` }),
  'sixteen labels on each side (past the cached positions)': line({
    labels: `{"local":{${Array.from({ length: 16 }, (_, i) => `"l${i}":"v${i}"`).join(',')}},"remote":{${Array.from({ length: 16 }, (_, i) => `"r${i}":"w${i}"`).join(',')}}}`,
  }),
};

/** Lines the lane must leave to the reference path (valid or not). */
const DECLINED: Record<string, string> = {
  'an unknown member with a nested value': line({ kubernetes: '{"pod_name":"web-1"}' }),
  'an unknown member given twice': line({ tag: '"a"', host: '1', 'tag ': '2' }).replace('"tag ":', '"tag":'),
  'a key that makes it a SessionEndpoint message': line({ session_data: 'null' }),
  'a label key without a side': line({ 'label.': '"x"' }),
  'nine unknown members': line(Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, '1']))),
  'an unknown member with a bad number': line({ n: '01' }),
  'an unknown member with a bare minus': line({ n: '-' }),
  'an unknown member with a bad literal': line({ ok: 'tru' }),
  'a repeated member': `${line().slice(0, -1)},"protocol":17}`,
  'a repeated total_bytes after null': line({ total_bytes: 'null' }).replace('"total_bytes":null', '"total_bytes":null,"total_bytes":5'),
  'a time as text': line({ time: '"2026-11-25T10:00:00Z"' }),
  'a port as text': line({ client_port: '"80"' }),
  'a negative counter': line({ forward_sampled_bytes: '-1' }),
  'minus zero': line({ forward_sampled_pkts: '-0' }),
  'a fraction': line({ forward_sampled_pkts: '1.0' }),
  'an exponent': line({ forward_sampled_pkts: '1e3' }),
  'a leading zero': line({ protocol: '06' }),
  'a counter of 2^63': line({ forward_sampled_bytes: '9223372036854775808' }),
  'a time of 20 digits': line({ time: '10000000000000000000' }),
  'bytes that sum past 2^63-1': line({ forward_sampled_bytes: '9223372036854775807', reverse_sampled_bytes: '1' }),
  'a port past 65535': line({ server_port: '65536' }),
  'a protocol past 255': line({ protocol: '256' }),
  'a port of seven digits': line({ server_port: '0000080' }),
  'an upper-case session type': line({ session_type: '"SERVER"' }),
  'another session type': line({ session_type: '"both"' }),
  'a null session type': line({ session_type: 'null' }),
  'an escaped quote in a label name': line({ labels: '{"local":{"a\\"b":"x"}}' }),
  'a \\u escape': line({ vn: '"\\u0041"' }),
  'a raw tab in a string': line({ vn: '"a\tb"' }),
  'a DEL in a string': line({ vn: '"a\u007fb"' }),
  'UTF-8 in a label value': line({ labels: '{"local":{"app":"über"}}' }),
  'an empty vn': line({ vn: '""' }),
  'a vn of 1025 characters': line({ vn: `"${'n'.repeat(1025)}"` }),
  'a label value of 256 characters': line({ labels: `{"local":{"app":"${'v'.repeat(256)}"}}` }),
  'a bad label name': line({ labels: '{"local":{"a b":"x"}}' }),
  'a label name that starts with a digit': line({ labels: '{"local":{"7":"x","a":"y"}}' }),
  'an empty flat label name': line({ 'label.local.': '"x"' }),
  'a flat label on no side': line({ 'label.both.app': '"x"' }),
  'a label in both forms': line({ 'label.local.app': '"x"' }),
  'a label given twice': line({ labels: '{"local":{"app":"a","app":"b"}}' }),
  'a null label value': line({ labels: '{"local":{"app":null}}' }),
  'labels as a list': line({ labels: '[{"name":"app","value":"web"}]' }),
  'a null side of labels': line({ labels: '{"local":null}' }),
  'an unknown side of labels': line({ labels: '{"middle":{}}' }),
  'a side of labels given twice': line({ labels: '{"local":{},"local":{}}' }),
  'labels null': line({ labels: 'null' }),
  'an address that is not one': line({ local_ip: '"10.0.0.256"' }),
  'an address with a leading zero': line({ local_ip: '"010.0.0.1"' }),
  'an empty address': line({ remote_ip: '""' }),
  'no vn': line({ vn: undefined }),
  'no forward bytes': line({ forward_sampled_bytes: undefined }),
  'seventeen labels on a side': line({ labels: `{"local":{${Array.from({ length: 17 }, (_, i) => `"l${i}":"v"`).join(',')}}}` }),
  'a trailing comma': `${line().slice(0, -1)},}`,
  'a missing colon': line().replace('"vn":', '"vn"'),
  'text after the object': `${line()} x`,
  'two objects': `${line()}${line()}`,
  'an array': `[${line()}]`,
  'an empty object': '{}',
  'a SessionEndpoint message': '{"sess_agg_info":[]}',
  'session_data': '{"session_data":[]}',
  'a truncated line': line().slice(0, 200),
  'a blank line': '   ',
};

describe('the flat record lane', () => {
  for (const [name, text] of Object.entries(TAKEN)) {
    it(`takes ${name}, laid out as the reference path does`, async () => {
      expect(laneTakes(text)).toBeDefined();
      const outcome = await expectSame(`${text}\n`);
      expect(outcome.records).toHaveLength(1);
      expect(outcome.rejects).toEqual([]);
      expect(decodeRecords(laneTakes(text)!).map((r) => ({ ...r, localLabels: { ...r.localLabels }, remoteLabels: { ...r.remoteLabels } }))).toEqual(outcome.records);
      expect(laneTakesJson(`[\n${text},\n${text}\n]`)).toBe(2);
      await expectSameAsJson(text);
    });
  }

  for (const [name, text] of Object.entries(DECLINED)) {
    it(`leaves ${name} to the reference path`, async () => {
      expect(laneTakes(text)).toBeUndefined();
      await expectSame(`${text}\n`);
      await expectSameAsJson(text);
    });
  }

  it('turns a server-side report around: client vn, addresses and labels first', async () => {
    const [r] = (await expectSame(line({ session_type: '"server"' }))).records;
    expect(r).toMatchObject({
      vn: 'default-domain:k8s-billing:billing-pod-network',
      remoteVn: 'default-domain:k8s-shop:shop-pod-network',
      localIp: '10.245.3.9',
      remoteIp: '10.244.1.7',
      clientPort: 40001,
      serverPort: 443,
      sessionType: 'server',
      localLabels: { app: 'ledger', namespace: 'billing' },
      totalBytes: 7600n,
    });
  });

  it('reads exact 64-bit values and the time of receipt', async () => {
    const [a, b] = (
      await expectSame(
        `${line({ time: '9223372036854775807', forward_sampled_bytes: '9007199254740993', reverse_sampled_bytes: '4294967297' })}\n${line({ time: undefined })}\n`,
      )
    ).records;
    expect(a!.time).toBe(9_223_372_036_854_775_807n);
    expect(a!.forwardSampledBytes).toBe(9_007_199_254_740_993n);
    expect(a!.totalBytes).toBe(9_007_199_254_740_993n + 4_294_967_297n);
    expect(b!.time).toBe(RECEIVED);
  });

  it('declines labels past the configured limit, which the reference path rejects', async () => {
    const text = line({ labels: '{"local":{"a":"1","b":"2","c":"3","d":"4","e":"5"}}' });
    expect(laneTakes(text, 4)).toBeUndefined();
    const outcome = await withLaneFewLabels(Buffer.from(text));
    expect(outcome.result).toMatchObject({ accepted: 0, rejected: 1 });
  });

  it('keeps the numbering of lines and records when the two paths take turns', async () => {
    const lines = [line(), DECLINED['a negative counter'], '', line({ session_type: '"server"' }), 'not json', DECLINED['an unknown member with a nested value'], line()];
    const outcome = await expectSame(lines.join('\n'));
    expect(outcome.result).toMatchObject({ accepted: 4, rejected: 2 });
    expect(outcome.rejects.map((r) => [r.index, r.reason.slice(0, 6)])).toEqual([
      [1, 'line 2'],
      [3, 'line 5'],
    ]);
  });

  it('answers as the reference path for thousands of mutated lines', async () => {
    // Deterministic mutations of valid lines: a byte replaced by one that
    // matters to JSON, removed, doubled, or a run of bytes repeated.
    let seed = 0x5eed;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) >>> 0;
      return seed % n;
    };
    const interesting = Buffer.from('"\\{}[],: \t09-.eEnul\u007f\u0000abx', 'latin1');
    const seeds = [line(), line({ session_type: '"server"', vmi: 'null', total_bytes: '42' }), line({ labels: undefined, 'label.local.app': '"web"' })].map((l) => Buffer.from(l));
    let taken = 0;
    for (let round = 0; round < 3000; round++) {
      const from = seeds[round % seeds.length]!;
      let bytes = Buffer.from(from);
      for (let m = 1 + random(2); m > 0; m--) {
        const at = random(bytes.length);
        switch (random(4)) {
          case 0:
            bytes[at] = interesting[random(interesting.length)]!;
            break;
          case 1:
            bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
            break;
          case 2:
            bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at, at + 1), bytes.subarray(at)]);
            break;
          default: {
            const len = 1 + random(12);
            bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at, at + len), bytes.subarray(at)]);
          }
        }
      }
      const text = bytes.toString('latin1');
      if (laneTakes(text) !== undefined) taken++;
      await expectSame(Buffer.concat([bytes, Buffer.from(`\n${line()}\n`)]));
      await expectSame(Buffer.concat([Buffer.from(`[${line()},\n`), bytes, Buffer.from(']')]), 'json');
    }
    // The mutations must leave some lines for the lane, or this compares the reference path with itself.
    expect(taken).toBeGreaterThan(300);
  });
});
