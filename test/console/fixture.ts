import { encodeRecords, type SessionRecord } from '../../src/model/index.js';
import type { Gateway } from '../../src/gateway.js';

const MINUTE = 60_000_000_000n;
const DAY = 1440n * MINUTE;

export const APPS = ['frontend', 'cart', 'checkout', 'catalog', 'payments', 'search', 'auth', 'ads'];
export const SERVERS = ['cart', 'catalog', 'payments', 'postgres', 'redis', 'search', 'auth', 'kafka', 'ads', 'recommend'];
export const NAMESPACES = ['shop', 'ads', 'platform'];
const vnOf = (ns: string) => `default-domain:k8s-${ns}:${ns}-pod-network`;

/** A small deterministic PRNG (mulberry32), so that runs and screenshots repeat. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Session records for the console: `count` over the last 50 minutes before
 * `now` and about as many a day earlier (what the top-talkers view compares
 * with), skewed so that a few pairs carry most bytes; a few records lack
 * the app label.
 */
export function consoleRecords(now: bigint, count: number, seed = 18): SessionRecord[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[], skew = 2) => xs[Math.floor(Math.pow(r(), skew) * xs.length)]!;
  const out: SessionRecord[] = [];
  for (let i = 0; i < count * 2; i++) {
    const yesterday = i >= count;
    const time = now - (yesterday ? DAY : 0n) - BigInt(Math.floor(r() * 50 * 60)) * 1_000_000_000n - 1_000_000_000n;
    const app = pick(APPS, 3);
    const server = pick(SERVERS, yesterday ? 1.5 : 3);
    const ns = pick(NAMESPACES, 1.5);
    const rns = pick(NAMESPACES, 1.5);
    const fwd = BigInt(Math.floor(r() * r() * 2_000_000));
    const rev = BigInt(Math.floor(r() * r() * 8_000_000));
    out.push({
      time,
      vn: vnOf(ns),
      vmi: `default-domain:k8s-${ns}:${app}-${i % 4}`,
      remoteVn: vnOf(rns),
      vrouterIp: `192.168.0.${1 + (i % 4)}`,
      localIp: `10.244.${APPS.indexOf(app)}.${1 + (i % 20)}`,
      clientPort: 32768 + Math.floor(r() * 28000),
      remoteIp: `10.245.${SERVERS.indexOf(server)}.${1 + (i % 5)}`,
      serverPort: server === 'postgres' ? 5432 : server === 'redis' ? 6379 : server === 'kafka' ? 9092 : 8080,
      protocol: 6,
      sessionType: 'client',
      localLabels: i % 37 === 0 ? { namespace: ns } : { app, namespace: ns },
      remoteLabels: { app: server, namespace: rns },
      forwardSampledBytes: fwd,
      forwardSampledPkts: fwd / 1000n + 1n,
      reverseSampledBytes: rev,
      reverseSampledPkts: rev / 1000n + 1n,
      totalBytes: fwd + rev,
    });
  }
  return out;
}

/** Loads the records and one virtual-network UVE per namespace into a gateway's stores. */
export async function loadConsoleData(gw: Gateway, now: bigint, count: number): Promise<void> {
  const records = consoleRecords(now, count);
  for (let i = 0; i < records.length; i += 5000) await gw.services.sessions.write(encodeRecords(records.slice(i, i + 5000)));
  for (const ns of NAMESPACES) {
    await gw.services.uves.upsert('virtual-network', vnOf(ns), {
      UveVirtualNetworkAgent: { in_bytes: 123456, out_bytes: 654321, interface_list: [`default-domain:k8s-${ns}:frontend-0`] },
      UveVirtualNetworkConfig: { connected_networks: [], total_acl_rules: 4 },
    });
  }
}
