import type { SessionRecord } from '../../src/model/index.js';
import { HOSTILE_STRINGS } from '../support/hostile.js';

/** mulberry32: a small seeded PRNG, so every store sees the same data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GeneratedData {
  readonly now: bigint;
  readonly records: SessionRecord[];
}

const HOUR = 3_600_000_000_000n;
const APPS = ['web', 'api', 'db', 'cache', 'auth'];
const NAMESPACES = ['shop', 'billing', 'contrail-analytics'];

/**
 * Session records in client orientation, spread over the `spanHours` before
 * `now` (denser in the last two hours), with labels sometimes missing, vmi
 * sometimes null, both session types, and hostile label values and vns.
 * Times are distinct per tag set, so no two records collide in InfluxDB.
 */
export function generateSessions(seed: number, now: bigint, count: number, spanHours: number): GeneratedData {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const records: SessionRecord[] = [];
  for (let i = 0; i < count; i++) {
    const recent = rnd() < 0.6;
    const ageNs = recent
      ? BigInt(Math.floor(rnd() * 2 * 3600)) * 1_000_000_000n
      : BigInt(Math.floor(rnd() * spanHours * 3600)) * 1_000_000_000n;
    const time = now - 1_000_000_000n - ageNs - BigInt(i); // distinct nanoseconds
    const hostile = rnd() < 0.08;
    const localLabels: Record<string, string> = {};
    const remoteLabels: Record<string, string> = {};
    if (rnd() < 0.9) localLabels['app'] = hostile ? pick(HOSTILE_STRINGS) : pick(APPS);
    if (rnd() < 0.9) remoteLabels['app'] = pick(APPS);
    if (rnd() < 0.8) localLabels['namespace'] = pick(NAMESPACES);
    if (rnd() < 0.8) remoteLabels['namespace'] = pick(NAMESPACES);
    if (rnd() < 0.3) localLabels['app.kubernetes.io/part-of'] = pick(['store', 'ledger']);
    if (rnd() < 0.5) remoteLabels['tier'] = pick(['front', 'back']);
    // A Kubernetes label may be empty (no draw: the rest of the data stays as it was).
    if (i % 41 === 0 && remoteLabels['tier'] === undefined) remoteLabels['tier'] = '';
    const fb = BigInt(Math.floor(rnd() * 100_000));
    const rb = BigInt(Math.floor(rnd() * 100_000));
    records.push({
      time,
      vn: hostile && rnd() < 0.5 ? pick(HOSTILE_STRINGS) : `default-domain:k8s-${pick(NAMESPACES)}:pod-network`,
      vmi: rnd() < 0.15 ? null : `default-domain:k8s-x:vmi-${Math.floor(rnd() * 6)}`,
      remoteVn: `default-domain:k8s-${pick(NAMESPACES)}:pod-network`,
      vrouterIp: `192.168.0.${10 + Math.floor(rnd() * 4)}`,
      localIp: `10.244.1.${Math.floor(rnd() * 8)}`,
      clientPort: 30000 + Math.floor(rnd() * 40),
      remoteIp: `10.244.7.${Math.floor(rnd() * 8)}`,
      serverPort: pick([80, 443, 8443, 5432, 6379]),
      protocol: pick([6, 6, 6, 17, 1]),
      sessionType: rnd() < 0.8 ? 'client' : 'server',
      localLabels,
      remoteLabels,
      forwardSampledBytes: fb,
      forwardSampledPkts: BigInt(Math.floor(rnd() * 1000)),
      reverseSampledBytes: rb,
      reverseSampledPkts: BigInt(Math.floor(rnd() * 1000)),
      totalBytes: fb + rb,
    });
  }
  return { now, records };
}

export const HOUR_NS = HOUR;
