import { describe, expect, it } from 'vitest';
import { parseDuration, parseTiers, type Retention, type SessionRecord } from '../../model/index.js';
import { HOSTILE_STRINGS } from '../../../test/support/hostile.js';
import { influxLayout } from './layout.js';
import { escapeTagValue, recordSeries, recordTags, seriesKey } from './line-protocol.js';
import { decodeTagValue } from './tag-codec.js';
import { planWrite } from './write-plan.js';

const MIN = 60_000_000_000n;
const NOW = 1_795_600_800_000_000_000n;
const raw = parseDuration('24h', 'raw');
const retention: Retention = { raw, tiers: parseTiers('5m:7d,1h:90d', raw) };
const layout = influxLayout('sag', 'sessions', '{bucket}_{tier}', retention);
const ctx = { now: NOW, retention, layout, lateAfterNs: 5n * MIN };
/** A bucket an earlier gateway wrote, with client_port as a tag. */
const tagCtx = { ...ctx, layout: { ...layout, clientPort: 'tag' as const } };

function record(over: Partial<SessionRecord> = {}): SessionRecord {
  return {
    time: NOW - MIN,
    vn: 'default-domain:k8s-shop:pod-network',
    vmi: 'default-domain:k8s-x:vmi-1',
    remoteVn: 'default-domain:k8s-billing:pod-network',
    vrouterIp: '192.168.0.11',
    localIp: '10.244.1.5',
    clientPort: 51234,
    remoteIp: '10.244.7.9',
    serverPort: 8443,
    protocol: 6,
    sessionType: 'client',
    localLabels: { app: 'web' },
    remoteLabels: { app: 'ledger', 'app.kubernetes.io/part-of': 'store' },
    forwardSampledBytes: 1000n,
    forwardSampledPkts: 8n,
    reverseSampledBytes: 6000n,
    reverseSampledPkts: 13n,
    totalBytes: 7000n,
    ...over,
  };
}

/**
 * Reads the tags of a line back the way InfluxDB's parser does
 * (models/points.go: scanTo, scanTagValue, unescapeTag): a separator is
 * escaped when the byte just before it is a backslash, whatever comes
 * before that backslash (a backslash is never escaped itself), and
 * unescaping replaces `\,`, `\ ` and `\=` by the character.
 */
function parseTags(line: string): Record<string, string> {
  const scanTo = (s: string, i: number, stop: string): number => {
    while (i < s.length && !(s[i] === stop && (i === 0 || s[i - 1] !== '\\'))) i++;
    return i;
  };
  const unescape = (s: string) => s.replaceAll('\\,', ',').replaceAll('\\ ', ' ').replaceAll('\\=', '=');
  const key = line.slice(0, scanTo(line, 0, ' '));
  const tags: Record<string, string> = {};
  for (let i = scanTo(key, 0, ','); i < key.length; ) {
    const end = scanTo(key, i + 1, ',');
    const tag = key.slice(i + 1, end);
    const eq = scanTo(tag, 0, '=');
    tags[unescape(tag.slice(0, eq))] = decodeTagValue(unescape(tag.slice(eq + 1)));
    i = end;
  }
  return tags;
}

describe('line protocol', () => {
  it('writes one line per record: sorted tags, client_port and the counters as integer fields, nanoseconds', () => {
    const plan = planWrite([record()], ctx);
    expect(plan.raw).toEqual([
      'session,label.local.app=web,label.remote.app=ledger,label.remote.app.kubernetes.io/part-of=store,' +
        'local_ip=10.244.1.5,protocol=6,remote_ip=10.244.7.9,remote_vn=default-domain:k8s-billing:pod-network,server_port=8443,' +
        'session_type=client,vmi=default-domain:k8s-x:vmi-1,vn=default-domain:k8s-shop:pod-network,vrouter_ip=192.168.0.11 ' +
        `client_port=51234i,forward_sampled_bytes=1000i,forward_sampled_pkts=8i,reverse_sampled_bytes=6000i,reverse_sampled_pkts=13i,total_bytes=7000i ${NOW - MIN}`,
    ]);
    expect(plan.tiers.every((t) => t.lines.length === 0)).toBe(true);
  });

  it('writes client_port as a tag into a bucket of the tag layout', () => {
    const plan = planWrite([record()], tagCtx);
    expect(plan.raw).toEqual([
      'session,client_port=51234,label.local.app=web,label.remote.app=ledger,label.remote.app.kubernetes.io/part-of=store,' +
        'local_ip=10.244.1.5,protocol=6,remote_ip=10.244.7.9,remote_vn=default-domain:k8s-billing:pod-network,server_port=8443,' +
        'session_type=client,vmi=default-domain:k8s-x:vmi-1,vn=default-domain:k8s-shop:pod-network,vrouter_ip=192.168.0.11 ' +
        `forward_sampled_bytes=1000i,forward_sampled_pkts=8i,reverse_sampled_bytes=6000i,reverse_sampled_pkts=13i,total_bytes=7000i ${NOW - MIN}`,
    ]);
    expect(plan.tiers.every((t) => t.lines.length === 0)).toBe(true);
  });

  it.each(HOSTILE_STRINGS.map((s) => [s]))('carries the hostile value %j in tags exactly', (s) => {
    const line = planWrite([record({ vn: s, localLabels: { app: s } })], ctx).raw[0]!;
    expect(line.split('\n')).toHaveLength(1);
    const tags = parseTags(line);
    expect(tags['vn']).toBe(s);
    expect(tags['label.local.app']).toBe(s);
  });

  it('leaves a missing vmi out, and keeps an empty label value apart from a missing one', () => {
    const tags = parseTags(planWrite([record({ vmi: null, localLabels: { app: '' } })], ctx).raw[0]!);
    expect('vmi' in tags).toBe(false);
    expect(tags['label.local.app']).toBe('');
  });

  it('builds the series key with its tags in sorted order, whatever the labels', () => {
    const labels = { zz: 'a', 'a.b/c': 'x', '0': 'y', late: 'z', 'x-y': 'trailing\\' };
    for (const drop of [[], ['client_port', 'local_ip', 'vmi']] as const) {
      for (const r of [record({ localLabels: labels, remoteLabels: labels }), record({ vmi: null, localLabels: {}, remoteLabels: { a: '' } })]) {
        expect(recordSeries(r, new Set(drop))).toBe(seriesKey(recordTags(r, [...drop])));
      }
    }
  });

  it('escapes what line protocol would read as separators', () => {
    expect(escapeTagValue('a,b=c d')).toBe('a\\,b\\=c\\ d');
    expect(seriesKey([['vn', 'x\\']])).toBe('session,vn=x\\\u0001');
    expect(() => seriesKey([['bad key', 'x']])).toThrow();
  });
});

describe('planWrite', () => {
  const timesOf = (p: ReturnType<typeof planWrite>) => p.raw.map((l) => BigInt(l.slice(l.lastIndexOf(' ') + 1)));

  it('moves a record that collides with an earlier one of the same write by 1 ns: with client_port a field, by the tags without it', () => {
    const r = record();
    // One endpoint pair: the other client port is the same series, so it moves too.
    expect(timesOf(planWrite([r, r, r, record({ clientPort: 1 })], ctx))).toEqual([r.time, r.time + 1n, r.time + 2n, r.time + 3n]);
    // Another endpoint pair (a tag differs) is another series: it keeps its time.
    expect(timesOf(planWrite([r, record({ clientPort: 1 }), record({ remoteIp: '10.244.7.10' })], ctx))).toEqual([r.time, r.time + 1n, r.time]);
    // A record moved onto a time another record of its series holds moves on.
    expect(timesOf(planWrite([record({ time: r.time + 1n }), r, r], ctx))).toEqual([r.time + 1n, r.time, r.time + 2n]);
    // Each point keeps its own client_port field.
    expect(planWrite([r, record({ clientPort: 1 })], ctx).raw.map((l) => l.split(' ')[1]!.split(',')[0])).toEqual(['client_port=51234i', 'client_port=1i']);
  });

  it('in the tag layout, a record of another client port is another series and keeps its time', () => {
    const r = record();
    expect(timesOf(planWrite([r, r, r, record({ clientPort: 1 })], tagCtx))).toEqual([r.time, r.time + 1n, r.time + 2n, r.time]);
  });

  it('marks late records with late_* copies of their counters and sums them straight into every tier that keeps their window', () => {
    const old = NOW - 2n * 3_600_000_000_000n; // 2h: late, still raw
    const plan = planWrite([record({ time: old }), record({ time: old + 1n, clientPort: 2 }), record({ time: old + 10n * MIN })], ctx);
    expect(plan.raw).toHaveLength(3);
    expect(plan.raw[0]).toContain(
      ' client_port=51234i,forward_sampled_bytes=1000i,forward_sampled_pkts=8i,reverse_sampled_bytes=6000i,reverse_sampled_pkts=13i,total_bytes=7000i,' +
        'late_forward_sampled_bytes=1000i,late_forward_sampled_pkts=8i,late_reverse_sampled_bytes=6000i,late_reverse_sampled_pkts=13i,late_total_bytes=7000i ',
    );
    // The same series as when it is not late: a replay that counts as late overwrites the first write.
    const young = planWrite([record({ time: old })], { ...ctx, now: old + MIN }).raw[0]!;
    expect(young.split(' ')[0]).toBe(plan.raw[0]!.split(' ')[0]);
    const [fine, coarse] = plan.tiers;
    expect(fine!.bucket).toBe('sessions_5m');
    expect(coarse!.bucket).toBe('sessions_1h');
    // 5m: the first two share a window (client_port is dropped), the third has its own.
    expect(fine!.lines).toHaveLength(2);
    expect(fine!.lines[0]).toContain('total_bytes=14000i,sessions=2i ');
    expect(fine!.lines[0]).not.toContain('client_port');
    expect(fine!.lines[0]).not.toContain('late_');
    expect(coarse!.lines).toHaveLength(1);
    expect(coarse!.lines[0]).toContain('total_bytes=21000i,sessions=3i ');
    for (const [t, w] of [[fine!, 300_000_000_000n], [coarse!, 3_600_000_000_000n]] as const) {
      for (const l of t.lines) {
        const at = BigInt(l.slice(l.lastIndexOf(' ') + 1));
        const offset = at % w;
        expect(offset > 0n && offset < w).toBe(true);
      }
    }
  });

  it('sums late records of the tag layout into the tiers without client_port too', () => {
    const old = NOW - 2n * 3_600_000_000_000n;
    const plan = planWrite([record({ time: old }), record({ time: old + 1n, clientPort: 2 })], tagCtx);
    expect(plan.raw[0]!.split(' ')[0]).toContain(',client_port=51234,');
    expect(plan.tiers[0]!.lines).toHaveLength(1);
    expect(plan.tiers[0]!.lines[0]).not.toContain('client_port');
  });

  it('gives the same write the same points, and another write other offsets', () => {
    const old = NOW - 2n * 3_600_000_000_000n;
    const a = [record({ time: old })];
    const b = [record({ time: old, remoteIp: '10.244.7.10' })];
    expect(planWrite(a, ctx)).toEqual(planWrite(a, ctx));
    const at = (p: ReturnType<typeof planWrite>) => p.tiers[0]!.lines[0]!.split(' ').pop();
    expect(at(planWrite(a, ctx))).not.toBe(at(planWrite(b, ctx)));
  });

  it('keeps records past the raw retention out of the raw bucket, and past a tier retention out of that tier', () => {
    const plan = planWrite([record({ time: NOW - 3n * 86_400_000_000_000n }), record({ time: NOW - 30n * 86_400_000_000_000n })], ctx);
    expect(plan.raw).toEqual([]);
    expect(plan.tiers[0]!.lines).toHaveLength(1);
    expect(plan.tiers[1]!.lines).toHaveLength(2);
  });

  it('does not mark records younger than the late threshold', () => {
    const plan = planWrite([record({ time: NOW - 4n * MIN })], ctx);
    expect(plan.raw[0]).not.toContain('late_');
    expect(recordTags(record(), ['client_port']).map(([k]) => k)).not.toContain('client_port');
  });
});
