import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { RecordBatchBuilder, decodeRecords, type RecordBatch } from '../model/index.js';
import { FlatLineReader } from './flat-line.js';
import type { BodyFormat } from './body.js';
import { prng } from '../../test/conformance/generator.js';
import { RECEIVED, captureIngest, type Outcome } from '../../test/support/capture-ingest.js';

/**
 * The flat record lane (FlatLineReader) against the reference path: for
 * every body, ingest with the lane and without it must answer the same,
 * store the same records and keep the same rejects. The lane may decline
 * any line; it may never accept a line differently.
 */


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

const withLane = captureIngest(true);
const reference = captureIngest(false);
const withLaneFewLabels = captureIngest(true, 4);
const referenceFewLabels = captureIngest(false, 4);

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
  'the largest 64-bit values, and the last time taken (2250-01-01 less 1 ns)': line({ time: '8835955199999999999', forward_sampled_bytes: '9223372036854775807', reverse_sampled_bytes: '0', total_bytes: '9223372036854775807' }),
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
  'a time of 2250-01-01, the first past those taken': line({ time: '8835955200000000000' }),
  'a time of 2^63-1 ns, past 2250': line({ time: '9223372036854775807' }),
  'a negative time (before 1970)': line({ time: '-1' }),
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
        `${line({ time: '8835955199999999999', forward_sampled_bytes: '9007199254740993', reverse_sampled_bytes: '4294967297' })}\n${line({ time: undefined })}\n`,
      )
    ).records;
    expect(a!.time).toBe(8_835_955_199_999_999_999n);
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

  it('lets nothing of a line it declined reach the next line', async () => {
    // Lines 1-3 intern six strings and then two vns, the last at dictionary index 7.
    // Line 4 is declined (a bad address) after its new vn "a b" was resolved;
    // line 5 is taken with the cached vn of line 3. A stale "a b" used to
    // replace it, interned at "position 7" (the first local label name);
    // line 6 then found "a b" in that cache and was taken with a label
    // name validation refuses.
    const short = { vmi: undefined, labels: undefined, session_type: undefined, vn: '"v1"' };
    const lines = [
      line(short),
      line({ ...short, vn: '"v2"' }),
      line({ ...short, vn: '"v3"' }),
      line({ ...short, vn: '"a b"', local_ip: '"10.0.0.256"' }),
      line({ ...short, vn: '"v3"' }),
      line({ ...short, labels: '{"local":{"a b":"x"}}' }),
    ];
    const outcome = await expectSame(`${lines.join('\n')}\n`);
    expect(outcome.records.map((r) => r.vn)).toEqual(['v1', 'v2', 'v3', 'v3']);
    expect(outcome.rejects.map((r) => r.index)).toEqual([3, 5]);
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


/**
 * A differential fuzz of the lane: seeded random bodies (NDJSON, JSON
 * arrays, single objects) where records the lane takes sit next to valid
 * records it must leave to the reference path and records the reference
 * path rejects for every reason, in random order. Each body goes through
 * ingest with the lane and without it (and both again with INGEST_MAX_LABELS
 * 4); the stored records are compared field by field (every column, each
 * side's labels in their order, times), with the answers and dead letters.
 * Values come from small pools, so that the batch's string caches hit from
 * line to line, and now and then are new, so that they miss: a line the
 * lane declines after resolving some of its strings then leaves scratch
 * state (refs, pending) behind, which the next line must not see.
 *
 * It showed a real bug: a line declined while its strings were resolved (a
 * bad address, session type or label name after a vn new to the batch)
 * left its new strings in `pending`, and the next line the lane took
 * stored them in place of its own cached ones: a record stored with the vn
 * of the rejected line before it, and that string put in the cache of
 * another position, unchecked by that position's rule. addRecord now
 * clears `pending` on every decline.
 *
 * A failure names the body's seed; FLAT_LANE_FUZZ_SEED=<seed> runs that
 * body alone and prints it.
 */
describe('the flat record lane, differentially fuzzed', () => {
  const FIRST_SEED = 20_261_125;
  const BODIES = 300;

  /** What a line must come to: taken by the lane; valid, on the reference path; rejected; not a record at all. */
  type Fate = 'lane' | 'valid' | 'bad' | 'blank';
  interface Line {
    readonly text: string;
    readonly fate: Fate;
    readonly kind: string;
  }
  type Side = 'local' | 'remote';
  /** A record being made: members as JSON literals in order; the `labels` member, when its literal is NESTED, from `nested`. */
  interface Rec {
    readonly m: [key: string, literal: string][];
    /** Per side, its `"name":"value"` members; undefined leaves the side out. */
    readonly nested: Record<Side, string[] | undefined>;
  }
  const NESTED = '<nested>';

  const VNS = ['default-domain:k8s-shop:shop-pod-network', 'default-domain:k8s-billing:billing-pod-network', 'default-domain:k8s-ops:ops-net', 'vn-a'];
  const VMIS = ['default-domain:k8s-shop:web-1-vmi', 'default-domain:k8s-billing:ledger-vmi', 'vmi-x'];
  const ROUTERS = ['192.168.0.10', '192.168.0.11', 'fd00::a'];
  const ADDRESSES = ['10.244.1.7', '10.245.3.9', '10.244.1.8', '::1', 'fe80::1', '2001:db8::7'];
  const NAMES = ['app', 'namespace', 'tier', 'app.kubernetes.io/part-of', 'pod-template-hash', '__proto__', 'x_Y', 'constructor'];
  const VALUES = ['web', 'ledger', 'shop', 'billing', '', 'front', 'v1.2.3', 'a,b=c d'];
  const COUNTERS = ['forward_sampled_bytes', 'forward_sampled_pkts', 'reverse_sampled_bytes', 'reverse_sampled_pkts'];
  const REQUIRED = ['vn', 'remote_vn', 'vrouter_ip', 'local_ip', 'client_port', 'remote_ip', 'server_port', 'protocol', ...COUNTERS];

  class Gen {
    private fresh = 0;
    constructor(readonly rnd: () => number) {}
    int(n: number): number {
      return Math.floor(this.rnd() * n);
    }
    chance(p: number): boolean {
      return this.rnd() < p;
    }
    pick<T>(xs: readonly T[]): T {
      return xs[this.int(xs.length)]!;
    }
    /** A value from the pool, or now and then one no line had before. */
    value(pool: readonly string[], tag: string): string {
      return this.chance(0.2) ? `${tag}-${this.int(1e6)}-${this.fresh++}` : this.pick(pool);
    }
    address(): string {
      return this.chance(0.25) ? `10.${this.int(256)}.${this.int(256)}.${this.int(256)}` : this.pick(ADDRESSES);
    }
    /** A counter: small, near 2^32 or 2^53, or large (two of them still sum below 2^63). */
    counter(): string {
      switch (this.int(4)) {
        case 0:
          return String(this.int(100));
        case 1:
          return String(4_294_967_290 + this.int(12));
        case 2:
          return String(9_007_199_254_740_990n + BigInt(this.int(6)));
        default:
          return String(BigInt(this.int(2 ** 30)) * 4_000_000_000n + BigInt(this.int(1e9)));
      }
    }
  }

  const str = (s: string): string => JSON.stringify(s);

  /** Sets a member's literal, or adds the member. */
  function set(r: Rec, key: string, literal: string): void {
    const at = r.m.findIndex(([k]) => k === key);
    if (at >= 0) r.m[at] = [key, literal];
    else r.m.splice(Math.floor(r.m.length / 2), 0, [key, literal]);
  }

  function remove(r: Rec, key: string): void {
    const at = r.m.findIndex(([k]) => k === key);
    if (at >= 0) r.m.splice(at, 1);
  }

  /** Adds a label: nested under `labels`, or as a `label.<side>.NAME` member. */
  function addLabel(r: Rec, side: Side, name: string, valueLiteral: string, nested: boolean): void {
    if (!nested) {
      r.m.push([`label.${side}.${name}`, valueLiteral]);
      return;
    }
    if (!r.m.some(([k, v]) => k === 'labels' && v === NESTED)) set(r, 'labels', NESTED);
    (r.nested[side] ??= []).push(`${str(name)}:${valueLiteral}`);
  }

  /** A record the lane takes: the known members in snake case, labels nested or flat, fluentd's keys, in some order. */
  function laneRecord(g: Gen): Rec {
    const r: Rec = { m: [], nested: { local: undefined, remote: undefined } };
    const m = r.m;
    if (!g.chance(0.2)) m.push(['time', g.chance(0.1) ? '8835955199999999999' : String(1_795_600_800_000_000_000n + BigInt(g.int(1e9)))]);
    m.push(['vn', str(g.value(VNS, 'vn'))]);
    const vmi = g.int(10);
    if (vmi === 0) m.push(['vmi', 'null']);
    else if (vmi === 1) m.push(['vmi', '""']);
    else if (vmi > 3) m.push(['vmi', str(g.value(VMIS, 'vmi'))]);
    m.push(['remote_vn', str(g.value(VNS, 'rvn'))]);
    m.push(['vrouter_ip', str(g.pick(ROUTERS))]);
    m.push(['local_ip', str(g.address())]);
    m.push(['client_port', String(g.chance(0.1) ? g.pick([0, 65535]) : 1024 + g.int(64_000))]);
    m.push(['remote_ip', str(g.address())]);
    m.push(['server_port', String(g.pick([80, 443, 8443, g.int(65536)]))]);
    m.push(['protocol', String(g.pick([6, 17, 1, g.int(256)]))]);
    if (!g.chance(0.2)) m.push(['session_type', str(g.chance(0.4) ? 'server' : 'client')]);
    for (const c of COUNTERS) m.push([c, g.counter()]);
    const total = g.int(10);
    if (total < 2) m.push(['total_bytes', g.counter()]);
    else if (total === 2) m.push(['total_bytes', 'null']);
    // Up to four labels a side (now and then six), nested, flat, or both; or none, or empty sides.
    const form = g.int(4);
    if (form === 3) {
      if (g.chance(0.3)) m.push(['labels', g.pick(['{}', '{"local":{}}', '{"remote":{},"local":{}}'])]);
    } else {
      for (const side of ['local', 'remote'] as const) {
        if (form !== 1 && g.chance(0.15)) r.nested[side] = [];
        for (const name of NAMES.filter(() => g.chance(0.4)).slice(0, g.chance(0.1) ? 6 : 4)) {
          addLabel(r, side, name, str(g.value(VALUES, 'lv')), form === 0 || (form === 2 && g.chance(0.5)));
        }
      }
      if (r.nested.local !== undefined || r.nested.remote !== undefined) set(r, 'labels', NESTED);
    }
    for (let n = g.int(4); n > 0; n--) {
      const key = g.pick(['tag', 'fluentd_time', 'host', 'ok', 'nil', 'n']);
      if (!m.some(([k]) => k === key)) m.push([key, g.pick(['"kube.var.log"', '1.5e3', '-7', 'true', 'false', 'null', '123456789012345678901234'])]);
    }
    if (g.chance(0.3)) {
      for (let i = m.length - 1; i > 0; i--) {
        const j = g.int(i + 1);
        [m[i], m[j]] = [m[j]!, m[i]!];
      }
    }
    return r;
  }

  function text(g: Gen, r: Rec): string {
    const sp = g.chance(0.1) ? ' ' : '';
    const labels = (['local', 'remote'] as const).flatMap((side) => (r.nested[side] === undefined ? [] : [`${str(side)}:{${r.nested[side]!.join(',')}}`]));
    return `{${r.m.map(([k, v]) => `${str(k)}${sp}:${sp}${v === NESTED ? `{${labels.join(',')}}` : v}`).join(`,${sp}`)}}`;
  }

  /** Valid records the lane must leave to the reference path. */
  const VALID: Record<string, (g: Gen, r: Rec) => void> = {
    'an escape in a string': (g, r) => set(r, g.pick(['vn', 'remote_vn']), g.pick(['"default-domain\\u003ak8s-shop:shop-pod-network"', '"vn\\/a"', '"back\\\\slash"', '"a\\\\,b"', '"say \\"hi\\""'])),
    'an escaped label value': (g, r) => addLabel(r, g.pick(['local', 'remote']), 'esc', g.pick(['"a\\\\ b"', '"a\\\\=b"', '"new\\nline"', '"\\u00fc"']), g.chance(0.5)),
    'UTF-8 in a string': (g, r) => set(r, g.pick(['vn', 'vmi', 'remote_vn']), g.pick(['"ünïcödé"', '"🚀 net"', '"漢字"'])),
    'a label name that starts with a digit': (g, r) => addLabel(r, 'local', '7app', '"x"', g.chance(0.5)),
    'an unknown member with a nested value': (_g, r) => void r.m.push(['kubernetes', '{"pod_name":"web-1","labels":{"a":"b"}}']),
    'nine unknown members': (_g, r) => {
      for (let i = 0; i < 9; i++) r.m.push([`k${i}`, String(i)]);
    },
    'a value written another way': (g, r) => {
      const [key, values] = g.pick([
        [g.pick([...COUNTERS, 'total_bytes']), ['-0', '1e3', '"5"']],
        [g.pick(['client_port', 'server_port']), ['"80"', '1e2']],
        ['protocol', ['"6"']],
        ['session_type', ['"SERVER"', '"Client"', 'null']],
      ] as const);
      set(r, key, g.pick(values));
    },
    'seventeen labels on a side': (_g, r) => {
      for (let i = 0; i < 17; i++) addLabel(r, 'remote', `many${i}`, str(`v${i}`), false);
    },
  };

  /** Records the reference path rejects, one reason each. */
  const BAD: Record<string, (g: Gen, r: Rec) => void> = {
    'a bad address': (g, r) => set(r, g.pick(['vrouter_ip', 'local_ip', 'remote_ip']), str(g.pick(['10.0.0.256', '010.0.0.1', '', '1.2.3', 'fe80::g', 'not-an-ip', '::ffff:1.2.3.256', '1'.repeat(1100)]))),
    'a bad label name': (g, r) => addLabel(r, g.pick(['local', 'remote']), g.pick(['a b', 'a"b', 'ü', 'x'.repeat(318), 'a:b', 'a@b', 'a\\b', '']), '"x"', g.chance(0.5)),
    'a bad counter': (g, r) => set(r, g.pick([...COUNTERS, 'total_bytes']), g.pick(['-1', '1.5', '9223372036854775808', 'true', '18446744073709551616', '"x"'])),
    'a null counter': (g, r) => set(r, g.pick(COUNTERS), 'null'),
    'a time out of range': (g, r) =>
      set(r, 'time', g.pick(['99999999999999999999', '9223372036854775807', '8835955200000000000', '-8520336000000000001', '"9999-12-31T23:59:59Z"', '"1650-01-01T00:00:00Z"', '"0050-01-01T00:00:00Z"', '"2026-11-25T10:00:00+99:99"', '"yesterday"'])),
    'a bad port': (g, r) => set(r, g.pick(['client_port', 'server_port']), g.pick(['65536', '-1', '1.5', '100000', 'null', '"http"'])),
    'a bad protocol': (g, r) => set(r, 'protocol', g.pick(['256', '-6', '"tcp"', '6.5'])),
    'a bad session type': (g, r) => set(r, 'session_type', g.pick(['"both"', '""', '5', '"client "', '"sever"'])),
    'a known member given twice': (g, r) => {
      const [k, v] = g.pick(r.m.filter(([key]) => REQUIRED.includes(key)));
      r.m.splice(g.int(r.m.length + 1), 0, [k, g.chance(0.5) ? v : k === 'protocol' ? '17' : v]);
    },
    'an unknown member given twice': (g, r) => {
      remove(r, 'tag');
      r.m.push(['tag', '"a"']);
      r.m.splice(g.int(r.m.length + 1), 0, ['tag', g.pick(['"a"', '1'])]);
    },
    'a label name given twice': (g, r) => {
      addLabel(r, 'local', 'dup', '"a"', true);
      addLabel(r, 'local', 'dup', g.pick(['"a"', '"b"']), true);
    },
    'a label in both forms': (_g, r) => {
      addLabel(r, 'remote', 'both', '"a"', true);
      addLabel(r, 'remote', 'both', '"a"', false);
    },
    'a side of labels given twice': (_g, r) => set(r, 'labels', '{"local":{"a":"1"},"local":{"b":"2"}}'),
    'a required member missing': (g, r) => remove(r, g.pick(REQUIRED)),
    'an empty network': (g, r) => set(r, g.pick(['vn', 'remote_vn']), '""'),
    'a string too long': (g, r) => {
      if (g.chance(0.5)) set(r, g.pick(['vn', 'remote_vn', 'vmi']), str('n'.repeat(1025)));
      else addLabel(r, 'local', 'long', str('v'.repeat(256)), g.chance(0.5));
    },
    'bytes that sum past 2^63-1': (_g, r) => {
      set(r, 'forward_sampled_bytes', '9223372036854775807');
      set(r, 'reverse_sampled_bytes', '1');
      remove(r, 'total_bytes');
    },
    'labels of the wrong shape': (g, r) => set(r, 'labels', g.pick(['[]', '{"middle":{}}', '{"local":{"app":7}}'])),
    'a bad flat label key': (g, r) => void r.m.push([g.pick(['label.', 'label.both.app', 'label.local']), '"x"']),
  };

  /** Lines that are not a record at all (NDJSON only). */
  const BROKEN = ['not json', '{"vn":', '[1,2]', '"text"', '42', '{"vn":"a",}', '{"vn":"a" "b"}', '{"vn":tru}'];

  function randomLine(g: Gen, json: boolean): Line {
    const p = g.rnd();
    if (!json && p < 0.04) return { text: g.pick(['', ' ', '\t', '\r']), fate: 'blank', kind: 'a blank line' };
    if (!json && p < 0.08) return { text: g.pick(BROKEN), fate: 'bad', kind: 'not a record' };
    const r = laneRecord(g);
    if (p < 0.5) {
      if (g.chance(0.05)) set(r, 'vn', str('n'.repeat(1024)));
      return { text: text(g, r), fate: 'lane', kind: 'a record the lane takes' };
    }
    if (p < 0.62) {
      const kind = g.pick(Object.keys(VALID));
      VALID[kind]!(g, r);
      return { text: text(g, r), fate: 'valid', kind };
    }
    const kind = g.pick(Object.keys(BAD));
    BAD[kind]!(g, r);
    if (!json && g.chance(0.1)) {
      const t = text(g, r);
      return { text: t.slice(0, 1 + g.int(t.length - 1)), fate: 'bad', kind: 'a truncated line' };
    }
    return { text: text(g, r), fate: 'bad', kind };
  }

  interface Body {
    readonly format: BodyFormat;
    readonly lines: Line[];
    readonly bytes: Buffer;
  }

  function randomBody(seed: number): Body {
    const g = new Gen(prng(seed));
    const shape = g.int(10);
    if (shape < 6) {
      const lines = Array.from({ length: 1 + g.int(40) }, () => randomLine(g, false));
      const eol = g.chance(0.2) ? '\r\n' : '\n';
      return { format: 'ndjson', lines, bytes: Buffer.from(lines.map((l) => l.text).join(eol) + (g.chance(0.8) ? eol : ''), 'utf8') };
    }
    // JSON: an array (on one line or pretty), or one object; a third of them only of records the lane takes.
    const laneOnly = g.chance(0.35);
    const next = (): Line => {
      for (;;) {
        const l = randomLine(g, true);
        if (!laneOnly || l.fate === 'lane') return l;
      }
    };
    if (shape === 9) {
      const l = next();
      return { format: 'json', lines: [l], bytes: Buffer.from(` ${l.text}\n`, 'utf8') };
    }
    const lines = Array.from({ length: g.int(25) }, next);
    const pretty = g.chance(0.5);
    const inner = lines.map((l) => l.text).join(pretty ? ',\n  ' : ',');
    return { format: 'json', lines, bytes: Buffer.from(pretty ? `[\n  ${inner}\n]\n` : `[${inner}]`, 'utf8') };
  }

  /** The answer, the dead letters, and every field of every stored record (each side's labels as [name, value] pairs in order). */
  function fields(outcome: Outcome) {
    return {
      result: outcome.result,
      rejects: outcome.rejects,
      records: outcome.records.map((r) => ({ ...r, localLabels: Object.entries(r.localLabels), remoteLabels: Object.entries(r.remoteLabels) })),
    };
  }

  /** toEqual, with its diff, when isDeepStrictEqual (many times faster) finds a difference. */
  function same(actual: unknown, expected: unknown, where: string): void {
    if (!isDeepStrictEqual(actual, expected)) expect(actual, where).toEqual(expected);
  }

  const one = process.env['FLAT_LANE_FUZZ_SEED'];

  it(`stores, answers and dead-letters as the reference path, field by field, for ${one === undefined ? BODIES : 1} random bodies`, async () => {
    const read = vi.spyOn(FlatLineReader.prototype, 'read');
    const readJson = vi.spyOn(FlatLineReader.prototype, 'readJson');
    const seen = { lines: 0, lane: 0, jsonBodies: 0, kinds: new Set<string>() };
    try {
      const seeds = one === undefined ? Array.from({ length: BODIES }, (_, i) => FIRST_SEED + i) : [Number(one)];
      for (const seed of seeds) {
        const body = randomBody(seed);
        const where = `body seed ${seed} (FLAT_LANE_FUZZ_SEED=${seed} runs it alone)`;
        if (one !== undefined) console.log(`${where}, ${body.format}:\n${body.bytes.toString('utf8')}`);
        const expected = await reference(body.bytes, body.format);
        read.mockClear();
        readJson.mockClear();
        const actual = await withLane(body.bytes, body.format);
        const taken = read.mock.results.map((r) => r.value as boolean);
        const jsonTaken = body.format === 'json' ? (readJson.mock.results[0]!.value as number) : -1;
        same(fields(actual), fields(expected), where);
        same(fields(await withLaneFewLabels(body.bytes, body.format)), fields(await referenceFewLabels(body.bytes, body.format)), `${where}, at most 4 labels a side`);

        // The body is what the generator says: the lane took exactly the lines made for it, the reference path rejected exactly the bad ones.
        const records = body.lines.filter((l) => l.fate !== 'blank');
        const named = (i: number) => `${i}: ${records[i]?.kind} ${records[i]?.text.slice(0, 300)}`;
        expect(
          expected.rejects.map((r) => named(r.index)),
          `${where}: rejected records`,
        ).toEqual(records.flatMap((l, i) => (l.fate === 'bad' ? [named(i)] : [])));
        if (body.format === 'ndjson') expect(taken, `${where}: lines the lane took`).toEqual(body.lines.map((l) => l.fate === 'lane'));
        else expect(jsonTaken, `${where}: records the lane took`).toBe(records.length > 0 && records.every((l) => l.fate === 'lane') ? records.length : -1); // `[]` it leaves too
        seen.lines += body.lines.length;
        seen.lane += body.format === 'ndjson' ? taken.filter(Boolean).length : Math.max(0, jsonTaken);
        if (jsonTaken > 0) seen.jsonBodies++;
        for (const l of body.lines) seen.kinds.add(l.kind);
      }
    } finally {
      read.mockRestore();
      readJson.mockRestore();
    }
    if (one !== undefined) return;
    // Every kind of line came up, and the lane took enough that this is no comparison of the reference path with itself.
    expect([...seen.kinds].sort()).toEqual(['a blank line', 'a record the lane takes', 'a truncated line', 'not a record', ...Object.keys(VALID), ...Object.keys(BAD)].sort());
    expect(seen.lane).toBeGreaterThan(seen.lines / 3);
    expect(seen.jsonBodies).toBeGreaterThan(BODIES / 20);
  });
});
