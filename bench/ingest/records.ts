/**
 * The records of the ingest benchmark: fluentd-shaped flat records in NDJSON,
 * epoch-nanosecond times (19 digits, past 2^53, so exactness costs what it
 * costs), nested labels, a fifth of them server-side reports. Deterministic,
 * so the gateway process can build the very bodies the client sends.
 *
 * Three body kinds carry RECORDS_PER_BODY records each (issue 17 item 6):
 * `ndjson` (one flat record a line), `json` (the same records as one JSON
 * array, fluentd's json_array) and `session` (a JSON array of CN2 agent
 * SessionEndpoint messages, ARCHITECTURE §3, that expand to that many
 * records: SESSIONS_PER_AGG sessions in each of AGGS_PER_MESSAGE aggregates).
 */
const APPS = ['web', 'api', 'db', 'cache', 'auth', 'billing', 'search', 'cart'];

export const RECORDS_PER_BODY = 5000;
export const BODIES = 8;
const T0 = 1_795_600_800_000_000_000n; // 2026-11-25T10:00:00Z

export type BodyKind = 'ndjson' | 'json' | 'session';
export const BODY_KINDS: readonly BodyKind[] = ['ndjson', 'json', 'session'];

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

/** The records of `body(b)` as one JSON array. */
export function arrayBody(b: number): string {
  return `[${body(b).trimEnd().split('\n').join(',\n')}]`;
}

export const SESSIONS_PER_AGG = 5;
export const AGGS_PER_MESSAGE = 2;
const MESSAGES_PER_BODY = RECORDS_PER_BODY / (SESSIONS_PER_AGG * AGGS_PER_MESSAGE);

/**
 * A JSON array of SessionEndpoint messages expanding to RECORDS_PER_BODY
 * records: each message is one interface's report (a fifth of them by the
 * server-side vRouter), its sessions grouped by local address and service
 * port, times as the agents write them (RFC 3339 with nanoseconds) over the
 * same span as the flat records'.
 */
export function sessionBody(b: number): string {
  const messages: string[] = new Array(MESSAGES_PER_BODY);
  for (let m = 0; m < MESSAGES_PER_BODY; m++) {
    const n = b * MESSAGES_PER_BODY + m;
    const app = APPS[n % APPS.length]!;
    const server = n % 5 === 0;
    // The span of times the flat records have (1 µs a record), so that the rollup folds as many windows.
    const ns = String(n * AGGS_PER_MESSAGE * SESSIONS_PER_AGG * 1000).padStart(9, '0');
    const aggs: string[] = [];
    for (let a = 0; a < AGGS_PER_MESSAGE; a++) {
      const sessions: string[] = [];
      for (let s = 0; s < SESSIONS_PER_AGG; s++) {
        const k = (n * AGGS_PER_MESSAGE + a) * SESSIONS_PER_AGG + s;
        sessions.push(
          `{"key":{"ip":"10.245.${k % 7}.${k % 200}","port":${30000 + (k % 30000)}},"value":{` +
            `"forward_flow_info":{"sampled_bytes":${1000 + (k % 5000)},"sampled_pkts":${8 + (k % 50)},"logged_bytes":0,"logged_pkts":0,"action":"pass"},` +
            `"reverse_flow_info":{"sampled_bytes":${6000 + (k % 7000)},"sampled_pkts":${13 + (k % 70)},"logged_bytes":0,"logged_pkts":0,"action":"pass"}}}`,
        );
      }
      aggs.push(
        `{"key":{"local_ip":"10.244.${(n >> 8) & 255}.${(n * AGGS_PER_MESSAGE + a) & 255}","service_port":${[80, 443, 8443, 5432][(n + a) % 4]},"protocol":6},` +
          `"value":{"sampled_forward_bytes":0,"sampled_forward_pkts":0,"sampled_reverse_bytes":0,"sampled_reverse_pkts":0,"sessionMap":[${sessions.join(',')}]}}`,
      );
    }
    messages[m] =
      `{"time":"2026-11-25T10:00:00.${ns}Z",` +
      `"vmi":"default-domain:k8s-shop:${app}-${n % 40}-vmi","vn":"default-domain:k8s-shop:shop-pod-network",` +
      `"remote_vn":"default-domain:k8s-billing:billing-pod-network","vrouter_ip":"192.168.0.${10 + (n % 16)}",` +
      `"is_client_session":${server ? 0 : 1},"is_si":0,` +
      `"labels":["app=${app}","namespace=shop","app.kubernetes.io/part-of=store"],"remote_labels":["app=ledger","namespace=billing"],` +
      `"sess_agg_info":[${aggs.join(',')}]}`;
  }
  return `[${messages.join(',\n')}]`;
}

/** The BODIES bodies of one kind. */
export function bodiesOf(kind: BodyKind): string[] {
  const make = kind === 'ndjson' ? body : kind === 'json' ? arrayBody : sessionBody;
  return Array.from({ length: BODIES }, (_, b) => make(b));
}

/** The records a parsed body of `kind` holds (the session kind's expanded). */
export function recordsIn(kind: BodyKind, parsed: unknown): number {
  if (kind !== 'session') return Array.isArray(parsed) ? parsed.length : 1;
  let n = 0;
  for (const m of parsed as { sess_agg_info: { value: { sessionMap: unknown[] } }[] }[]) {
    for (const a of m.sess_agg_info) n += a.value.sessionMap.length;
  }
  return n;
}
