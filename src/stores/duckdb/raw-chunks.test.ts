import { describe, expect, it } from 'vitest';
import { encodeRecords, parseDuration, parseTiers, type SessionRecord } from '../../model/index.js';
import { sessionRecord } from '../../../test/support/records.js';
import { DuckDb } from './database.js';
import { RAW_TABLE } from './layout.js';
import { DuckDbSessionStore } from './session-store.js';

const MAX = (1n << 63n) - 1n;
const MIN = -(1n << 63n);

async function openStore(): Promise<{ db: DuckDb; store: DuckDbSessionStore }> {
  const raw = parseDuration('24h', 'raw');
  const db = await DuckDb.open({ path: ':memory:', queryTimeoutMs: 10_000 });
  const store = await DuckDbSessionStore.open(db, { retention: { raw, tiers: parseTiers('5m:7d', raw) }, clock: () => 0n });
  return { db, store };
}

/** Every raw row, in the order written, as the record it was written from. */
async function readBack(db: DuckDb): Promise<SessionRecord[]> {
  const rows = await db.read({ text: `SELECT * FROM ${RAW_TABLE} ORDER BY seq, rowid`, params: [] });
  return rows.map((r) => {
    const labels = (side: string) =>
      Object.fromEntries(
        Object.entries(r)
          .filter(([k, v]) => k.startsWith(`label.${side}.`) && v !== null)
          .map(([k, v]) => [k.slice(`label.${side}.`.length), String(v)]),
      );
    return {
      time: r['time_ns'] as bigint,
      vn: r['vn'] as string,
      vmi: r['vmi'] as string | null,
      remoteVn: r['remote_vn'] as string,
      vrouterIp: r['vrouter_ip'] as string,
      localIp: r['local_ip'] as string,
      clientPort: r['client_port'] as number,
      remoteIp: r['remote_ip'] as string,
      serverPort: r['server_port'] as number,
      protocol: r['protocol'] as number,
      sessionType: r['session_type'] as SessionRecord['sessionType'],
      localLabels: labels('local'),
      remoteLabels: labels('remote'),
      forwardSampledBytes: r['forward_sampled_bytes'] as bigint,
      forwardSampledPkts: r['forward_sampled_pkts'] as bigint,
      reverseSampledBytes: r['reverse_sampled_bytes'] as bigint,
      reverseSampledPkts: r['reverse_sampled_pkts'] as bigint,
      totalBytes: r['total_bytes'] as bigint,
    };
  });
}

// Around DuckDB's 12-byte inline limit, in bytes of UTF-8, not characters.
const EDGE_STRINGS = [
  '',
  'a',
  '10.0.0.1',
  '123456789012', // 12 bytes: inline
  '1234567890123', // 13 bytes: on the heap
  'üüüüüü', // 6 characters, 12 bytes: inline
  'üüüüüüa', // 7 characters, 13 bytes
  'éééééééééééé', // 12 characters, 24 bytes
  'a😀b', // a surrogate pair: 6 bytes
  '😀😀😀', // 12 bytes
  '😀😀😀x', // 13 bytes
  'default-domain:k8s-shop:shop-pod-network',
  "a'b\"c\\d",
];

describe('raw rows by data chunk', () => {
  it('stores strings on both sides of the inline limit, nulls and 64-bit extremes exactly', async () => {
    const { db, store } = await openStore();
    const records = EDGE_STRINGS.map((s, i) =>
      sessionRecord({
        time: BigInt(i) - (1n << 62n),
        vn: s,
        vmi: i % 3 === 0 ? null : s,
        remoteVn: `${s}-r`,
        vrouterIp: s,
        localIp: s,
        remoteIp: s,
        sessionType: i % 2 === 0 ? 'client' : 'server',
        clientPort: 65535 - i,
        serverPort: i,
        protocol: 17,
        localLabels: i % 2 === 0 ? { app: s } : {},
        remoteLabels: i % 4 === 1 ? { tier: s, app: 'x' } : {},
        forwardSampledBytes: MAX - BigInt(i),
        forwardSampledPkts: MIN + BigInt(i),
        reverseSampledBytes: 0n,
        reverseSampledPkts: -1n,
        totalBytes: MAX,
      }),
    );
    await store.write(encodeRecords(records));
    expect(await readBack(db)).toEqual(records);
    await db.close();
  });

  it('compares inline strings equal to the same text from SQL, so filters and groups see them', async () => {
    const { db, store } = await openStore();
    const records = EDGE_STRINGS.flatMap((s) => [sessionRecord({ localIp: s, localLabels: { app: s } }), sessionRecord({ localIp: s })]);
    await store.write(encodeRecords(records));
    for (const s of EDGE_STRINGS) {
      const rows = await db.read({ text: `SELECT count(*) AS n FROM ${RAW_TABLE} WHERE local_ip = $1 AND "label.local.app" = $1`, params: [s] });
      expect([s, rows[0]!['n']]).toEqual([s, 1n]);
    }
    const groups = await db.read({ text: `SELECT local_ip, count(*) AS n FROM ${RAW_TABLE} GROUP BY local_ip`, params: [] });
    expect(groups.map((g) => [g['local_ip'], g['n']]).sort()).toEqual(EDGE_STRINGS.map((s) => [s, 2n]).sort());
    await db.close();
  });

  it('keeps each value in its row across chunk boundaries, with label sets that differ per record', async () => {
    const { db, store } = await openStore();
    // 5 000 records span three chunks of 2 048; two writes in one commit share the sequence number.
    const make = (from: number, n: number) =>
      Array.from({ length: n }, (_, k) => {
        const i = from + k;
        return sessionRecord({
          time: BigInt(i) * 1_000_000_007n,
          // Long strings repeated within a chunk (they share the first row's bytes), unique ones, nulls and empty values.
          vmi: i % 7 === 0 ? null : i % 2 === 0 ? `vmi-${i % 37}-of-a-long-interface-name` : `vmi-${i}-of-a-long-interface-name`,
          localIp: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
          clientPort: i % 65536,
          localLabels: i % 5 === 0 ? {} : { app: i % 4 === 0 ? `a-long-application-name-${i % 11}` : `app-${i % 11}`, ...(i % 3 === 0 ? { 'app.kubernetes.io/part-of': i % 9 === 0 ? '' : `p${i}` } : {}) },
          remoteLabels: i % 2 === 0 ? { namespace: `ns-${i % 13}` } : {},
          forwardSampledBytes: BigInt(i) * 4_294_967_311n,
          totalBytes: BigInt(i),
        });
      });
    const first = make(0, 5000);
    const second = make(5000, 100);
    await Promise.all([store.write(encodeRecords(first)), store.write(encodeRecords(second))]);
    expect(await readBack(db)).toEqual([...first, ...second]);
    await db.close();
  });
});
