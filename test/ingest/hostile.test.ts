import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSTILE_STRINGS } from '../support/hostile.js';
import { asStored, flat, ingestGateway, post, stored, traffic, type IngestGateway } from './support.js';

const NDJSON = { 'content-type': 'application/x-ndjson' };

/** One NDJSON line per case, between two good lines: the bad one is rejected, the good ones stored as sent. */
async function oneBadLine(gw: IngestGateway, line: string | Buffer): Promise<{ status: number; message: string; body: string }> {
  const good = [flat(), flat({ session_type: 'server' })];
  const body = Buffer.concat([Buffer.from(`${JSON.stringify(good[0])}\n`), typeof line === 'string' ? Buffer.from(line) : line, Buffer.from(`\n${JSON.stringify(good[1])}`)]);
  const before = await stored(gw);
  const res = await post(gw.app, body, NDJSON);
  expect(await stored(gw)).toEqual([...before, ...good.map((r) => asStored(r))]);
  const answer = res.json() as { accepted: number; rejected: number; errors: { index: number; message: string }[] };
  expect([answer.accepted, answer.rejected, answer.errors[0]?.index]).toEqual([2, 1, 1]);
  return { status: res.statusCode, message: answer.errors[0]!.message, body: res.body };
}

const line = (over: Record<string, unknown>) => JSON.stringify(flat(over));

/** A valid record's line with `key` written as the JSON literal given, exactly. */
function withMember(key: string, literal: string): string {
  const o = flat();
  delete o[key];
  return JSON.stringify(o).replace(/^\{/, `{"${key}":${literal},`);
}

describe('hostile input on POST /ingest/sessions', () => {
  let gw: IngestGateway;
  beforeAll(async () => {
    gw = await ingestGateway();
  });
  afterAll(async () => {
    await gw.cleanup();
  });

  it('invalid UTF-8: the NDJSON line is rejected and kept as base64; a JSON body is 400', async () => {
    const bad = Buffer.concat([Buffer.from(line({}).slice(0, 20)), Buffer.from([0xc3, 0x28, 0xff])]);
    const r = await oneBadLine(gw, bad);
    expect(r.message).toBe('line 2: is not valid UTF-8 (first bad byte at column 21)');
    expect(gw.deadLetterLines().at(-1)).toMatchObject({ reason: r.message, rawBase64: bad.toString('base64') });
    const json = await post(gw.app, Buffer.concat([Buffer.from('[{"vn":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}]')]));
    expect([json.statusCode, json.json().errors[0].message]).toEqual([400, 'body: is not valid UTF-8 (first bad byte at offset 8)']);
  });

  it('deeply nested JSON: the line is rejected naming the limit; a JSON body is 400', async () => {
    const deep = `{"vn":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    expect((await oneBadLine(gw, deep)).message).toBe('line 2, column 70: nesting deeper than 64 levels');
    const res = await post(gw.app, `[${deep}]`);
    expect([res.statusCode, res.json().errors[0].message]).toEqual([400, 'body: line 1, column 70: nesting deeper than 64 levels']);
  });

  it('a 10 MB string: rejected with a short message, kept whole in the dead-letter log', async () => {
    const big = 'x'.repeat(10 * 1024 * 1024);
    const r = await oneBadLine(gw, line({ vn: big }));
    expect(r.message).toBe('line 2: vn: is longer than 1024 characters');
    expect(r.body.length).toBeLessThan(512);
    expect((gw.deadLetterLines().at(-1)!['raw'] as { vn: string }).vn).toHaveLength(big.length);
  });

  it.each([
    ['a counter past 2^63', 'forward_sampled_bytes', '9223372036854775808', 'forward_sampled_bytes: is past 2^63-1, the largest 64-bit counter'],
    ['a counter far past 2^63', 'reverse_sampled_pkts', '123456789012345678901234567890', 'reverse_sampled_pkts: is past 2^63-1, the largest 64-bit counter'],
    ['total_bytes past 2^63', 'total_bytes', '18446744073709551616', 'total_bytes: is past 2^63-1, the largest 64-bit counter'],
    ['a negative counter', 'forward_sampled_pkts', '-5', 'forward_sampled_pkts: -5 is negative; counters are non-negative'],
    ['a negative big counter', 'forward_sampled_pkts', '-9223372036854775809', 'forward_sampled_pkts: -9223372036854775809 is negative; counters are non-negative'],
    ['a fractional counter', 'forward_sampled_pkts', '1.5', 'forward_sampled_pkts: 1.5 is not an integer'],
    ['an overflowing double', 'forward_sampled_pkts', '1e400', 'forward_sampled_pkts: must be a finite integer'],
    ['NaN as a string', 'forward_sampled_pkts', '"NaN"', 'forward_sampled_pkts: must be a non-negative integer'],
    ['a time past 2^64 ns', 'time', '99999999999999999999', 'time: is outside the times the gateway takes: from 1700-01-01T00:00:00Z up to, not including, 2250-01-01T00:00:00Z'],
    ['a time of 19 digits past 2^63', 'time', '9300000000000000000', 'time: is outside the times the gateway takes: from 1700-01-01T00:00:00Z up to, not including, 2250-01-01T00:00:00Z'],
    ['a time of 19 digits past 2250, below 2^63', 'time', '9000000000000000000', 'time: is outside the times the gateway takes: from 1700-01-01T00:00:00Z up to, not including, 2250-01-01T00:00:00Z'],
    ['a time past 2262', 'time', '"9999-12-31T23:59:59Z"', 'time: is outside the times the gateway takes: from 1700-01-01T00:00:00Z up to, not including, 2250-01-01T00:00:00Z'],
    ['a time before 1677', 'time', '"1600-01-01T00:00:00Z"', 'time: is outside the times the gateway takes: from 1700-01-01T00:00:00Z up to, not including, 2250-01-01T00:00:00Z'],
    ['a year below 100', 'time', '"0050-06-15T12:00:00Z"', 'time: is outside the times the gateway takes: from 1700-01-01T00:00:00Z up to, not including, 2250-01-01T00:00:00Z'],
    ['epoch nanoseconds before 1700', 'time', '-9000000000000000000', 'time: is outside the times the gateway takes: from 1700-01-01T00:00:00Z up to, not including, 2250-01-01T00:00:00Z'],
    ['an offset of +99:99', 'time', '"2026-11-25T10:00:00+99:99"', 'time: "2026-11-25T10:00:00+99:99" has the offset +99:99; an offset is -23:59 to +23:59 (hours 00 to 23, minutes 00 to 59)'],
  ])('%s is rejected, not rounded', async (_what, key, literal, message) => {
    expect((await oneBadLine(gw, withMember(key, literal))).message).toBe(`line 2: ${message}`);
  });

  it('a counter of exactly 2^63-1 is stored exactly', async () => {
    const text = withMember('forward_sampled_bytes', '9223372036854775807').replace('"reverse_sampled_bytes":200', '"reverse_sampled_bytes":0');
    expect((await post(gw.app, text.replace('"vrouter_ip":"192.168.0.11"', '"vrouter_ip":"192.168.9.9"'), NDJSON)).json()).toMatchObject({ accepted: 1 });
    const rows = await gw.embedded!.query({ text: `SELECT forward_sampled_bytes, total_bytes FROM sessions WHERE vrouter_ip = '192.168.9.9'`, params: [] });
    expect(rows).toEqual([{ forward_sampled_bytes: 9223372036854775807n, total_bytes: 9223372036854775807n }]);
  });

  it('NaN, Infinity and other non-JSON literals reject their line', async () => {
    for (const literal of ['NaN', 'Infinity', '-Infinity', 'undefined']) {
      const r = await oneBadLine(gw, withMember('forward_sampled_pkts', literal));
      expect(r.message).toMatch(/^line 2, column \d+: (invalid literal|unexpected character|invalid number)/);
    }
  });

  it('duplicate keys reject the record, naming the key, and the log keeps both values', async () => {
    const text = line({}).replace('{', '{"vn":"first",');
    const r = await oneBadLine(gw, text);
    expect(r.message).toBe('line 2: key "vn" is given twice in one object');
    expect(gw.deadLetterLines().at(-1)).toMatchObject({ rawText: text });
  });

  it.each([
    ['a"b', 'labels.local: label name "a\\"b" is not 1 to 317 characters of A-Z a-z 0-9 . _ / -'],
    ['', 'labels.local: label name "" is not 1 to 317 characters of A-Z a-z 0-9 . _ / -'],
    ['x'.repeat(318), 'labels.local: label name "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" is not 1 to 317 characters of A-Z a-z 0-9 . _ / -'],
  ])('label.local.%s is rejected', async (name, message) => {
    expect((await oneBadLine(gw, line({ [`label.local.${name}`]: 'v' }))).message).toBe(`line 2: ${message}`);
  });

  it('a __proto__ key pollutes nothing, and a label named __proto__ is just a label', async () => {
    const text = line({ labels: undefined }).replace('{', '{"__proto__":{"polluted":1},"label.local.__proto__":"x",');
    const res = await post(gw.app, text, NDJSON);
    expect(res.json()).toMatchObject({ accepted: 1 });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    const t = await traffic(gw.app, { localLabels: [{ name: '__proto__', eq: 'x' }] });
    expect(t.total.sessions).toBe(1);
  });

  it('hostile label values, vns and vmis are stored as given and found again', async () => {
    const records = HOSTILE_STRINGS.map((s, i) =>
      flat({ vn: s, vmi: s, remote_vn: `${s} (remote)`, vrouter_ip: '192.168.7.7', client_port: i + 1, labels: { local: { app: s }, remote: { app: `${s}.r` } } }),
    );
    expect((await post(gw.app, JSON.stringify(records))).json()).toMatchObject({ accepted: HOSTILE_STRINGS.length, rejected: 0 });
    const held = (await stored(gw)).filter((r) => r.vrouterIp === '192.168.7.7');
    expect(held).toEqual(records.map((r) => asStored(r)));
    // And as NDJSON lines, turned around as server-side reports, which the flat record lane reads where it can.
    const lines = records.map((r) => ({ ...r, vrouter_ip: '192.168.7.8', session_type: 'server' }));
    expect((await post(gw.app, lines.map((r) => JSON.stringify(r)).join('\n'), NDJSON)).json()).toMatchObject({ accepted: HOSTILE_STRINGS.length });
    expect((await stored(gw)).filter((r) => r.vrouterIp === '192.168.7.8')).toEqual(lines.map((r) => asStored(r)));
    for (const s of HOSTILE_STRINGS) {
      const t = await traffic(gw.app, { vn: { eq: s }, localLabels: [{ name: 'app', eq: s }] });
      expect(t.total.sessions).toBe(1);
    }
  });
});
