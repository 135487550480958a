import { isDeepStrictEqual } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BodyFormat } from './body.js';
import { SessionBytesReader } from './session-bytes.js';
import { captureIngest, type Outcome } from '../../test/support/capture-ingest.js';

/**
 * The byte lane of SessionEndpoint messages (SessionBytesReader) against the
 * reference path (parseJson, expandSessionEndpoint, validateSessionRecord):
 * the same bodies, with the lanes and without, must answer the same, store
 * field by field the same records and keep the same dead letters. The
 * messages here are written as text, so that what JSON.parse smooths over
 * (white space, escapes, duplicate keys, number forms, key order) reaches
 * the lane as it is; session-lane.test.ts covers the values.
 */

const withLane = captureIngest(true);
const reference = captureIngest(false);
const withLaneFewLabels = captureIngest(true, 2);
const referenceFewLabels = captureIngest(false, 2);

const SESSION =
  '{"key":{"ip":"10.245.1.7","port":51234},"value":{"forward_flow_info":{"sampled_bytes":1000,"sampled_pkts":8,"logged_bytes":0,"action":"pass"},' +
  '"reverse_flow_info":{"sampled_bytes":6000,"sampled_pkts":13},"vm":"web-1"}}';
const SESSION2 = '{"key":{"ip":"fe80::1","port":0},"value":{"forward_flow_info":{"sampled_bytes":9007199254740993,"sampled_pkts":1},"reverse_flow_info":{"sampled_bytes":0,"sampled_pkts":4294967296}}}';
const AGG = `{"key":{"local_ip":"10.244.0.5","service_port":8443,"protocol":6},"value":{"sampled_forward_bytes":0,"sessionMap":[${SESSION},${SESSION2}]}}`;
const AGG2 = `{"key":{"local_ip":"10.244.0.6","service_port":443,"protocol":17},"value":{"sessionMap":[${SESSION}]}}`;
/** The usual message: 3 records. */
const MESSAGE =
  '{"time":"2026-11-25T10:00:00.123456789Z","vmi":"default-domain:k8s-shop:web-1-vmi","vn":"default-domain:k8s-shop:shop-pod-network",' +
  '"remote_vn":"default-domain:k8s-billing:billing-pod-network","vrouter_ip":"192.168.0.11","is_client_session":1,"is_si":0,' +
  `"labels":["app=web","namespace=shop","app.kubernetes.io/part-of=store"],"remote_labels":["app=ledger","namespace=billing"],"sess_agg_info":[${AGG},${AGG2}]}`;
const SERVER = MESSAGE.replace('"is_client_session":1', '"is_client_session":0');
const FLAT =
  '{"time":1795600800000000123,"vn":"a","remote_vn":"b","vrouter_ip":"1.2.3.4","local_ip":"10.0.0.1","client_port":1,"remote_ip":"10.0.0.2",' +
  '"server_port":80,"protocol":6,"forward_sampled_bytes":1,"forward_sampled_pkts":1,"reverse_sampled_bytes":1,"reverse_sampled_pkts":1}';

/** Messages as text, each a change of MESSAGE the lane may take or decline: the paths must agree either way. */
const VARIANTS: Record<string, string> = {
  'the usual message': MESSAGE,
  'a server-side report': SERVER,
  'white space everywhere': spaced(MESSAGE, ' \n\t', '\r\n '),
  'spaces and tabs everywhere': spaced(MESSAGE, ' \t', ' \r'),
  'members in reverse order': `{"sess_agg_info":[${AGG}],"labels":["app=web"],"is_client_session":true,"vrouter_ip":"192.168.0.11","remote_vn":"b","vn":"a","time":"2026-11-25T10:00:00Z"}`,
  'aggregate and session members in reverse order': MESSAGE.replace(AGG, `{"value":{"sessionMap":[{"value":{"reverse_flow_info":{"sampled_pkts":1,"sampled_bytes":2},"forward_flow_info":{"sampled_pkts":3,"sampled_bytes":4}},"key":{"port":5,"ip":"10.0.0.9"}}]},"key":{"protocol":1,"service_port":2,"local_ip":"10.0.0.8"}}`),
  'an escaped character in a value': MESSAGE.replace('web-1-vmi', 'web\\u002d1-vmi'),
  'an escaped quote in a label': MESSAGE.replace('app=web', 'app=w\\"eb'),
  'an escaped slash in an address': MESSAGE.replace('"10.244.0.5"', '"10.244.0.5\\/"'),
  'an escape in a key': MESSAGE.replace('"vrouter_ip"', '"vrouter\\u005fip"'),
  'non-ASCII in a label value': MESSAGE.replace('app=ledger', 'app=lédger'),
  'non-ASCII in an unknown key': MESSAGE.replace('"is_si"', '"is_sí"'),
  'a control character in a string': MESSAGE.replace('web-1-vmi', 'web-1\tvmi'),
  'the time given twice': MESSAGE.replace('"vmi":', '"time":"2026-11-25T10:00:01Z","vmi":'),
  'vn given twice': MESSAGE.replace('"vmi":', '"vn":"x","vmi":'),
  'an unknown key given twice': MESSAGE.replace('"is_si":0', '"is_si":0,"is_si":1'),
  'an unknown key given twice in a session': MESSAGE.replace('"vm":"web-1"', '"vm":"web-1","vm":"web-2"'),
  'a port given twice': MESSAGE.replace('"port":51234', '"port":51234,"port":1'),
  'sampled_bytes given twice': MESSAGE.replace('"sampled_bytes":1000', '"sampled_bytes":1000,"sampled_bytes":2'),
  'sessionMap given twice': MESSAGE.replace(`"sessionMap":[${SESSION}]`, `"sessionMap":[${SESSION}],"sessionMap":[]`),
  'key given twice in an aggregate': MESSAGE.replace(`${AGG2}`, AGG2.replace('{"key":', '{"key":{},"key":')),
  'sess_agg_info given twice': MESSAGE.replace('"sess_agg_info":[', '"sess_agg_info":[],"sess_agg_info":['),
  'session_data beside sess_agg_info': MESSAGE.replace('"is_si":0', '"session_data":null'),
  'a nested unknown value': MESSAGE.replace('"is_si":0', '"is_si":{"a":[1,{"b":2}]}'),
  'a nested unknown value with a duplicate key': MESSAGE.replace('"is_si":0', '"is_si":{"a":1,"a":2}'),
  'unknown values of every scalar form': MESSAGE.replace('"is_si":0', '"a":-0,"b":1.5e-3,"c":-12E+2,"d":true,"e":false,"f":null,"g":"","h":0.0'),
  'a bad number in an unknown value': MESSAGE.replace('"is_si":0', '"is_si":01'),
  'a bad literal in an unknown value': MESSAGE.replace('"is_si":0', '"is_si":nul'),
  'a port with a leading zero': MESSAGE.replace('"port":51234', '"port":051234'),
  'a port as 80.0': MESSAGE.replace('"port":51234', '"port":80.0'),
  'a port as 8e1': MESSAGE.replace('"port":51234', '"port":8e1'),
  'a port of -0': MESSAGE.replace('"port":51234', '"port":-0'),
  'a port as a string': MESSAGE.replace('"port":51234', '"port":"80"'),
  'a port past 65535': MESSAGE.replace('"port":51234', '"port":65536'),
  'a port of seven digits': MESSAGE.replace('"port":51234', '"port":1000000'),
  'a protocol past 255': MESSAGE.replace('"protocol":6', '"protocol":256'),
  'a protocol null': MESSAGE.replace('"protocol":6', '"protocol":null'),
  'no protocol': MESSAGE.replace('"protocol":6,', ''),
  'a counter of 2^63-1': MESSAGE.replace('"sampled_bytes":1000', '"sampled_bytes":9223372036854775807').replace('"sampled_bytes":6000', '"sampled_bytes":0'),
  'a counter of 2^63': MESSAGE.replace('"sampled_bytes":1000', '"sampled_bytes":9223372036854775808'),
  'a counter of 20 digits': MESSAGE.replace('"sampled_bytes":1000', '"sampled_bytes":10000000000000000000'),
  'bytes that sum past 2^63-1': MESSAGE.replace('"sampled_bytes":1000', '"sampled_bytes":9223372036854775807'),
  'a counter with a fraction': MESSAGE.replace('"sampled_pkts":8', '"sampled_pkts":8.5'),
  'a counter as 1e3': MESSAGE.replace('"sampled_pkts":8', '"sampled_pkts":1e3'),
  'a negative counter': MESSAGE.replace('"sampled_pkts":8', '"sampled_pkts":-8'),
  'a counter as a string': MESSAGE.replace('"sampled_pkts":8', '"sampled_pkts":"8"'),
  'no sampled_pkts': MESSAGE.replace('"sampled_pkts":8,', ''),
  'no reverse_flow_info': SESSION2.length > 0 ? MESSAGE.replace(',"reverse_flow_info":{"sampled_bytes":6000,"sampled_pkts":13}', '') : '',
  'a session without a key': MESSAGE.replace('{"key":{"ip":"10.245.1.7","port":51234},', '{'),
  'a session ip that is no address': MESSAGE.replace('"10.245.1.7"', '"10.245.1.700"'),
  'an empty session ip': MESSAGE.replace('"10.245.1.7"', '""'),
  'a local ip that is no address': MESSAGE.replace('"10.244.0.6"', '"host"'),
  'a local ip that is no address, its sessionMap empty': MESSAGE.replace(AGG2, '{"key":{"local_ip":"host","service_port":1,"protocol":1},"value":{"sessionMap":[]}}'),
  'an aggregate without a key, its sessionMap empty': MESSAGE.replace(AGG2, '{"value":{"sessionMap":[]}}'),
  'an empty sessionMap': MESSAGE.replace(`"sessionMap":[${SESSION}]`, '"sessionMap":[]'),
  'no aggregates': MESSAGE.replace(/"sess_agg_info":\[.*\]\}$/, '"sess_agg_info":[]}'),
  'an aggregate that is not an object': MESSAGE.replace(`,${AGG2}`, ',[]'),
  'sess_agg_info null': MESSAGE.replace(/"sess_agg_info":\[.*\]\}$/, '"sess_agg_info":null}'),
  'a time in epoch nanoseconds': MESSAGE.replace('"2026-11-25T10:00:00.123456789Z"', '1795600800000000123'),
  'a time in seconds': MESSAGE.replace('"2026-11-25T10:00:00.123456789Z"', '1795600800'),
  'a time of 0': MESSAGE.replace('"2026-11-25T10:00:00.123456789Z"', '0'),
  'a time with a fraction': MESSAGE.replace('"2026-11-25T10:00:00.123456789Z"', '1.5'),
  'a negative time': MESSAGE.replace('"2026-11-25T10:00:00.123456789Z"', '-1'),
  'a time of 20 digits': MESSAGE.replace('"2026-11-25T10:00:00.123456789Z"', '17956008000000001230'),
  'a time null': MESSAGE.replace('"2026-11-25T10:00:00.123456789Z"', 'null'),
  'a time as a decimal string': MESSAGE.replace('"2026-11-25T10:00:00.123456789Z"', '"1795600800000000123"'),
  'a bad time': MESSAGE.replace('2026-11-25T10', '2026-13-25T10'),
  'a time past 2250': MESSAGE.replace('2026-11-25T10', '2251-11-25T10'),
  'no time': MESSAGE.replace('"time":"2026-11-25T10:00:00.123456789Z",', ''),
  'vmi null': MESSAGE.replace('"default-domain:k8s-shop:web-1-vmi"', 'null'),
  'vmi empty': MESSAGE.replace('"default-domain:k8s-shop:web-1-vmi"', '""'),
  'vn null': MESSAGE.replace('"default-domain:k8s-shop:shop-pod-network"', 'null'),
  'vn a number': MESSAGE.replace('"default-domain:k8s-shop:shop-pod-network"', '7'),
  'no remote_vn': MESSAGE.replace('"remote_vn":"default-domain:k8s-billing:billing-pod-network",', ''),
  'a vrouter_ip that is no address': MESSAGE.replace('"192.168.0.11"', '"vrouter"'),
  'is_client_session 2': MESSAGE.replace('"is_client_session":1', '"is_client_session":2'),
  'is_client_session 10': MESSAGE.replace('"is_client_session":1', '"is_client_session":10'),
  'is_client_session 1.0': MESSAGE.replace('"is_client_session":1', '"is_client_session":1.0'),
  'is_client_session "1"': MESSAGE.replace('"is_client_session":1', '"is_client_session":"1"'),
  'is_client_session null': MESSAGE.replace('"is_client_session":1', '"is_client_session":null'),
  'no is_client_session': MESSAGE.replace('"is_client_session":1,', ''),
  'labels null': MESSAGE.replace('["app=web","namespace=shop","app.kubernetes.io/part-of=store"]', 'null'),
  'labels empty': MESSAGE.replace('["app=web","namespace=shop","app.kubernetes.io/part-of=store"]', '[]'),
  'a label without =': MESSAGE.replace('"app=web"', '"web"'),
  'a label with two =': MESSAGE.replace('"app=web"', '"app=w=eb"'),
  'an empty label name': MESSAGE.replace('"app=web"', '"=web"'),
  'a label name with a space': MESSAGE.replace('"app=web"', '"a p=web"'),
  'a label given twice': MESSAGE.replace('"namespace=shop"', '"app=shop"'),
  'a label that is a number': MESSAGE.replace('"namespace=shop"', '7'),
  'labels an object': MESSAGE.replace('["app=ledger","namespace=billing"]', '{"app":"ledger"}'),
  'labels named __proto__ and 7': MESSAGE.replace('"app=web"', '"__proto__=x","7=seven"'),
  'three labels a side (past a limit of 2)': MESSAGE,
  'a vn of 1025 characters': MESSAGE.replace('default-domain:k8s-shop:shop-pod-network', 'n'.repeat(1025)),
  'a label value of 256 characters': MESSAGE.replace('app=web', `app=${'v'.repeat(256)}`),
  'a truncated message': MESSAGE.slice(0, MESSAGE.length - 3),
  'a message with a trailing comma': MESSAGE.replace(/\}$/, ',}'),
  'a list with a trailing comma': MESSAGE.replace(`${AGG2}]`, `${AGG2},]`),
  'a missing colon': MESSAGE.replace('"is_si":0', '"is_si" 0'),
  'a single-quoted string': MESSAGE.replace('"is_si":0', "'is_si':0"),
};

/** The bodies each message is sent in, next to valid neighbours. */
function bodies(m: string): [string, Buffer, BodyFormat][] {
  return [
    ['alone', Buffer.from(m), 'json'],
    ['in an array', Buffer.from(`[${MESSAGE},${m},${FLAT},${SERVER}]`), 'json'],
    ['in an array, pretty', Buffer.from(`[\n  ${m},\n  ${MESSAGE}\n]\n`), 'json'],
    ['in session_data', Buffer.from(`{"session_data":[${MESSAGE},${m}],"tag":"x"}`), 'json'],
    ['in session_data in an array', Buffer.from(`[${FLAT},{"session_data":[${m}]},${MESSAGE}]`), 'json'],
    ['as an NDJSON line', Buffer.from(`${MESSAGE}\n${m}\n${FLAT}\r\n${SERVER}`), 'ndjson'],
    ['in session_data on an NDJSON line', Buffer.from(`{"session_data":[${m},${SERVER}]}\n${MESSAGE}\n`), 'ndjson'],
  ];
}

function same(actual: Outcome, expected: Outcome, where: string): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual, where).toEqual(expected);
}

async function expectSame(body: Buffer, format: BodyFormat, where: string): Promise<Outcome> {
  const expected = await reference(body, format);
  same(await withLane(body, format), expected, where);
  same(await withLaneFewLabels(body, format), await referenceFewLabels(body, format), `${where}, at most 2 labels a side`);
  return expected;
}

describe('the SessionEndpoint byte lane', () => {
  afterEach(() => vi.restoreAllMocks());

  for (const [name, m] of Object.entries(VARIANTS)) {
    it(`stores, answers and dead-letters ${name} as the reference path does`, async () => {
      for (const [how, body, format] of bodies(m)) await expectSame(body, format, `${name}, ${how}`);
    });
  }

  it('takes the usual messages itself, in every body form', async () => {
    const item = vi.spyOn(SessionBytesReader.prototype, 'item');
    // Per body of `bodies`, its top-level messages and session_data lists.
    const items = [1, 3, 2, 1, 2, 3, 2];
    for (const m of [MESSAGE, SERVER, VARIANTS['spaces and tabs everywhere']!, VARIANTS['members in reverse order']!, VARIANTS['a time in epoch nanoseconds']!]) {
      for (const [i, [how, body, format]] of bodies(m).entries()) {
        const outcome = await expectSame(body, format, how);
        expect(outcome.rejects, how).toEqual([]);
        item.mockClear();
        await withLane(body, format);
        expect(item.mock.results.filter((r) => (r.value as number) >= 0).length, how).toBe(items[i]);
      }
    }
  });

  it('stores as the reference path does for 400 bodies mutated at random bytes', async () => {
    const g = random(20261203);
    const alphabet = '{}[],:"\\ 0123456789.-+eE\n\tnultrfalsx=é';
    let taken = 0;
    const item = vi.spyOn(SessionBytesReader.prototype, 'item');
    for (let i = 0; i < 400; i++) {
      const base = g() < 0.5 ? MESSAGE : `[${FLAT},${SERVER},${MESSAGE}]`;
      const chars = [...base];
      for (let k = 0, n = 1 + Math.floor(g() * 3); k < n; k++) {
        const at = Math.floor(g() * chars.length);
        const c = alphabet[Math.floor(g() * alphabet.length)]!;
        const op = g();
        if (op < 0.4) chars[at] = c;
        else if (op < 0.7) chars.splice(at, 1);
        else chars.splice(at, 0, c);
      }
      const text = chars.join('');
      item.mockClear();
      for (const format of ['json', 'ndjson'] as const) await expectSame(Buffer.from(text), format, `mutation ${i} (${format}): ${text}`);
      if (item.mock.results.some((r) => (r.value as number) >= 0)) taken++;
    }
    // Most mutations fall inside strings or values the lane reads: it takes a good share, so this compares the lane, not the reference path with itself.
    expect(taken).toBeGreaterThan(60);
  });
});

/** `text` with `before` and `after` around every structural character outside strings. */
function spaced(text: string, before: string, after: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i]!;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else out += '{}[],:'.includes(c) ? `${before}${c}${after}` : c;
  }
  return out;
}

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
