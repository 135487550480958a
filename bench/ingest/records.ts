/**
 * The records of the ingest benchmark: fluentd-shaped flat records in NDJSON,
 * epoch-nanosecond times (19 digits, past 2^53, so exactness costs what it
 * costs), nested labels, a fifth of them server-side reports. Deterministic,
 * so the gateway process can build the very bodies the client sends.
 */
const APPS = ['web', 'api', 'db', 'cache', 'auth', 'billing', 'search', 'cart'];

export const RECORDS_PER_BODY = 5000;
export const BODIES = 8;
const T0 = 1_795_600_800_000_000_000n; // 2026-11-25T10:00:00Z

export function body(b: number): string {
  const lines: string[] = new Array(RECORDS_PER_BODY);
  for (let i = 0; i < RECORDS_PER_BODY; i++) {
    const n = b * RECORDS_PER_BODY + i;
    const app = APPS[n % APPS.length]!;
    lines[i] =
      `{"time":${T0 + BigInt(n) * 1000n},"vn":"default-domain:k8s-shop:shop-pod-network","vmi":"default-domain:k8s-shop:${app}-${n % 40}-vmi",` +
      `"remote_vn":"default-domain:k8s-billing:billing-pod-network","vrouter_ip":"192.168.0.${10 + (n % 16)}",` +
      `"local_ip":"10.244.${(n >> 8) & 255}.${n & 255}","client_port":${30000 + (n % 30000)},"remote_ip":"10.245.${n % 7}.${n % 200}",` +
      `"server_port":${[80, 443, 8443, 5432][n % 4]},"protocol":6,"session_type":"${n % 5 === 0 ? 'server' : 'client'}",` +
      `"labels":{"local":{"app":"${app}","namespace":"shop","app.kubernetes.io/part-of":"store"},"remote":{"app":"ledger","namespace":"billing"}},` +
      `"forward_sampled_bytes":${1000 + (n % 5000)},"forward_sampled_pkts":${8 + (n % 50)},"reverse_sampled_bytes":${6000 + (n % 7000)},"reverse_sampled_pkts":${13 + (n % 70)}}`;
  }
  return `${lines.join('\n')}\n`;
}

export function bodies(): string[] {
  return Array.from({ length: BODIES }, (_, b) => body(b));
}
