import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, sleep, wsClient } from './support.js';
import { TOKENS, flat, init, liveGateway, type LiveGateway } from './support-gateway.js';

const TAIL = `subscription($where: SessionFilter, $since: DateTime) { sessionTail(where: $where, since: $since) { time vn clientPort serverPort localLabels { name value } traffic { totalBytes sessions } } }`;
const WEB = 'default-domain:k8s-shop:web-net';
const CRON = 'default-domain:k8s-shop:cron-net';

/** Records with a serial number in server_port, alternating between two VNs. */
function batch(from: number, n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => flat({ vn: (from + i) % 2 === 0 ? WEB : CRON, server_port: from + i }));
}

const ports = (results: { data?: unknown }[]) => results.map((r) => (r.data as { sessionTail: { serverPort: number } }).sessionTail.serverPort);

describe('sessionTail on the embedded store (graphql-ws)', () => {
  let gw: LiveGateway;
  beforeAll(async () => {
    gw = await liveGateway();
  });
  afterAll(async () => {
    await gw?.cleanup();
  });

  it('backfills from since, then goes live, while ingest runs: every matching record once, in store order', async () => {
    const client = wsClient(gw.url, init(TOKENS.reader));
    // Ingest runs in commits of 7 records before, during and after the subscription starts.
    const total = 420;
    let stored = 0;
    const ingest = (async () => {
      for (let i = 0; i < total; i += 7) {
        await gw.ingest(batch(1000 + i, 7));
        stored = i + 7;
        await sleep(3);
      }
    })();
    while (stored < 140) await sleep(5);
    const tail = collect(client, TAIL, { where: { vn: { eq: WEB } }, since: '2026-11-25T09:00:00Z' });
    const plain = collect(client, TAIL, { where: { vn: { eq: WEB } } });
    await ingest;
    const expected = Array.from({ length: total }, (_, i) => 1000 + i).filter((p) => p % 2 === 0);
    await tail.waitFor(expected.length);
    await sleep(300);
    expect(ports(tail.results)).toEqual(expected);
    // Without since: live only, from some point of the ingest on, and still each once and in order.
    const live = ports(plain.results);
    expect(live.length).toBeGreaterThan(0);
    expect(live).toEqual(expected.slice(expected.length - live.length));
    const first = tail.results[0]!.data as { sessionTail: Record<string, unknown> };
    expect(first.sessionTail).toMatchObject({ vn: WEB, localLabels: [{ name: 'app', value: 'web' }], traffic: { totalBytes: 300, sessions: 1 } });
    await client.dispose();
  });

  it('keeps a caller to its namespaces, whatever its filter says', async () => {
    const client = wsClient(gw.url, init(TOKENS.tenant));
    const tail = collect(client, TAIL, { where: { or: [{ vn: { prefix: 'default' } }, { sessionType: 'CLIENT' }] } });
    await sleep(200);
    await gw.ingest([flat({ vn: 'default-domain:k8s-other:net', remote_vn: 'default-domain:k8s-other:db', server_port: 7 }), flat({ server_port: 8 })]);
    await tail.waitFor(1);
    await sleep(300);
    expect(ports(tail.results)).toEqual([8]);
    await client.dispose();
  });

  it('ends a tail that matches more than LIVE_TAIL_MAX_RECORDS_PER_SECOND with an error telling the caller to narrow the filter, after exactly that many', async () => {
    const strict = await liveGateway({ LIVE_TAIL_MAX_RECORDS_PER_SECOND: '30' });
    try {
      const client = wsClient(strict.url, init(TOKENS.reader));
      const tail = collect(client, TAIL);
      const other = collect(client, TAIL, { where: { serverPort: { eq: 5 } } });
      await sleep(200);
      await strict.ingest([...batch(100, 100), flat({ server_port: 5 })]);
      const end = (await tail.done) as { message: string; extensions?: { code?: string } }[];
      expect(tail.results).toHaveLength(30);
      expect(end[0]!.extensions?.code).toBe('QUERY_TOO_EXPENSIVE');
      expect(end[0]!.message).toMatch(/narrow the filter/);
      expect(end[0]!.message).toMatch(/not delivered/);
      // The other tail of the same connection goes on.
      await other.waitFor(1);
      expect(ports(other.results)).toEqual([5]);
      await client.dispose();
    } finally {
      await strict.cleanup();
    }
  });

  it('refuses a since older than the raw retention with BAD_USER_INPUT naming RAW_RETENTION', async () => {
    const client = wsClient(gw.url, init(TOKENS.reader));
    const tail = collect(client, TAIL, { since: '2026-11-20T00:00:00Z' });
    const end = (await tail.done) as { message: string; extensions?: { code?: string } }[];
    expect(tail.results.length === 0 || tail.results[0]!.errors !== undefined).toBe(true);
    const errors = end ?? tail.results[0]!.errors;
    expect(JSON.stringify(errors)).toMatch(/RAW_RETENTION/);
    expect(JSON.stringify(errors)).toMatch(/BAD_USER_INPUT/);
    await client.dispose();
  });

  it('reads only the records some tail\'s eq/in term matches (pushdown), and still delivers each matching record once', async () => {
    const push = await liveGateway({ LIVE_TAIL_INTERVAL: '100ms' });
    try {
      const store = push.services.sessions;
      const tailOf = store.tail!.bind(store);
      const read: number[] = [];
      store.tail = async (r) => {
        const page = await tailOf(r);
        if (r.until === null) read.push(...page.records.map((x) => x.serverPort));
        return page;
      };
      const c = wsClient(push.url, init(TOKENS.admin));
      const one = collect(c, TAIL, { where: { serverPort: { eq: 3001 } } });
      const two = collect(c, TAIL, { where: { serverPort: { in: [3002, 3003] }, vn: { prefix: 'default' } } });
      await sleep(400);
      await push.ingest([3001, 3002, 3003, 3004, 3005, 3001].map((p) => flat({ server_port: p })));
      await one.waitFor(2);
      await two.waitFor(2);
      await sleep(300);
      expect(ports(one.results)).toEqual([3001, 3001]);
      expect(ports(two.results)).toEqual([3002, 3003]);
      // 3004 and 3005 match no tail: they were not read.
      expect([...read].sort()).toEqual([3001, 3001, 3002, 3003]);
      await c.dispose();
    } finally {
      await push.cleanup();
    }
  });

  it('runs no store read without a subscriber, and one shared read per interval for 50 subscribers', async () => {
    const hub = gw.services.live!.tails;
    await sleep(200);
    const idle = hub.reads.count;
    await sleep(300);
    expect(hub.reads.count).toBe(idle);
    const client = wsClient(gw.url, init(TOKENS.admin));
    const many = await liveGateway({ LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION: '100', LIVE_TAIL_INTERVAL: '200ms' });
    try {
      const c = wsClient(many.url, init(TOKENS.admin));
      const tails = Array.from({ length: 50 }, (_, i) => collect(c, TAIL, { where: { serverPort: { eq: 2000 + i } } }));
      await sleep(300);
      const before = many.services.live!.tails.reads.count;
      await sleep(1000);
      const reads = many.services.live!.tails.reads.count - before;
      expect(reads).toBeGreaterThanOrEqual(2);
      expect(reads).toBeLessThanOrEqual(6);
      await many.ingest(Array.from({ length: 50 }, (_, i) => flat({ server_port: 2000 + i })));
      await Promise.all(tails.map((t) => t.waitFor(1)));
      expect(tails.map((t) => ports(t.results))).toEqual(Array.from({ length: 50 }, (_, i) => [2000 + i]));
      await c.dispose();
      await sleep(400);
      const after = many.services.live!.tails.reads.count;
      await sleep(500);
      expect(many.services.live!.tails.reads.count).toBe(after);
    } finally {
      await many.cleanup();
    }
    await client.dispose();
  });
});
