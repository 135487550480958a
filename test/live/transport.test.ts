import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, sleep, wsClient } from './support.js';
import { TOKENS, flat, init, liveGateway, type LiveGateway } from './support-gateway.js';

const TAIL = `subscription($where: SessionFilter) { sessionTail(where: $where) { serverPort } }`;

/** A raw graphql-transport-ws socket: what it received, and how it closed. */
function raw(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, 'graphql-transport-ws', { headers });
  const messages: any[] = [];
  const pings: number[] = [];
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('message', (d) => messages.push(JSON.parse(String(d))));
  ws.on('ping', () => pings.push(Date.now()));
  const send = (m: unknown) => ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  const waitFor = async (pred: (m: any) => boolean, ms = 5000) => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const m = messages.find(pred);
      if (m !== undefined) return m;
      await sleep(10);
    }
    throw new Error(`no such message; got ${JSON.stringify(messages).slice(0, 500)}`);
  };
  return { ws, messages, pings, opened, closed, send, waitFor };
}

/** A tail still works on the gateway: it is alive and serves others. */
async function stillServes(gw: LiveGateway, port: number): Promise<void> {
  const client = wsClient(gw.url, init(TOKENS.reader));
  const tail = collect(client, TAIL, { where: { serverPort: { eq: port } } });
  await sleep(150);
  await gw.ingest([flat({ server_port: port })]);
  await tail.waitFor(1);
  await client.dispose();
}

describe('the subscription socket refuses bad input without harm to anyone else', () => {
  let gw: LiveGateway;
  let bystander: ReturnType<typeof collect>;
  let bystanderClient: ReturnType<typeof wsClient>;
  beforeAll(async () => {
    gw = await liveGateway();
    // A subscriber on its own connection through every test: it must keep receiving.
    bystanderClient = wsClient(gw.url, init(TOKENS.reader));
    bystander = collect(bystanderClient, TAIL, { where: { serverPort: { eq: 9 } } });
  });
  afterAll(async () => {
    await gw.ingest([flat({ server_port: 9 })]);
    await bystander.waitFor(1);
    expect(bystander.results).toHaveLength(1);
    await bystanderClient.dispose();
    await gw?.cleanup();
  });

  it('closes a subscribe sent before connection_init with 4401', async () => {
    const s = raw(gw.url);
    await s.opened;
    s.send({ id: '1', type: 'subscribe', payload: { query: TAIL } });
    expect((await s.closed).code).toBe(4401);
    await stillServes(gw, 101);
  });

  it('closes a connection that sends no connection_init in time with 4408', async () => {
    const quick = await liveGateway({ LIVE_INIT_TIMEOUT: '200ms' });
    try {
      const s = raw(quick.url);
      await s.opened;
      expect((await s.closed).code).toBe(4408);
    } finally {
      await quick.cleanup();
    }
  });

  it('closes on a malformed message with 4400', async () => {
    const s = raw(gw.url);
    await s.opened;
    s.send({ type: 'connection_init', payload: init(TOKENS.reader) });
    await s.waitFor((m) => m.type === 'connection_ack');
    s.send('{"this is": not json');
    expect((await s.closed).code).toBe(4400);
    const t = raw(gw.url);
    await t.opened;
    t.send({ type: 'connection_init', payload: init(TOKENS.reader) });
    await t.waitFor((m) => m.type === 'connection_ack');
    t.send({ type: 'subscribe', id: 7, payload: { query: 42 } });
    expect((await t.closed).code).toBe(4400);
    await stillServes(gw, 102);
  });

  it('ignores a complete for an unknown operation id, and the connection goes on', async () => {
    const s = raw(gw.url);
    await s.opened;
    s.send({ type: 'connection_init', payload: init(TOKENS.reader) });
    await s.waitFor((m) => m.type === 'connection_ack');
    s.send({ type: 'complete', id: 'never-started' });
    s.send({ type: 'subscribe', id: 'a', payload: { query: TAIL, variables: { where: { serverPort: { eq: 103 } } } } });
    await sleep(150);
    await gw.ingest([flat({ server_port: 103 })]);
    const next = await s.waitFor((m) => m.type === 'next' && m.id === 'a');
    expect(next.payload.data.sessionTail.serverPort).toBe(103);
    // The same id again while it runs: the protocol says close with 4409.
    s.send({ type: 'subscribe', id: 'a', payload: { query: TAIL } });
    expect((await s.closed).code).toBe(4409);
  });

  it('refuses a query or a mutation sent as a subscription, and a Query field under subscription', async () => {
    const client = wsClient(gw.url, init(TOKENS.admin));
    const q = collect(client, '{ viewer { name } }');
    const m = collect(client, 'mutation { deleteUve(type: "virtual-network", name: "default-domain:k8s-shop:x") }');
    const f = collect(client, 'subscription { sessionTraffic(range: {last: "1h"}) { totalCount } }');
    for (const c of [q, m]) {
      const errors = (await c.done) as { message: string; extensions?: { code?: string } }[];
      expect(errors[0]!.extensions?.code).toBe('BAD_USER_INPUT');
      expect(errors[0]!.message).toMatch(/POST \/graphql/);
    }
    const errors = (await f.done) as { message: string }[];
    expect(errors[0]!.message).toMatch(/Cannot query field "sessionTraffic" on type "Subscription"/);
    expect(q.results).toHaveLength(0);
    await client.dispose();
  });

  it('gives 1 000 subscriptions on one connection LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION and refuses the rest with RATE_LIMITED', async () => {
    const s = raw(gw.url);
    await s.opened;
    s.send({ type: 'connection_init', payload: init(TOKENS.admin) });
    await s.waitFor((m) => m.type === 'connection_ack');
    for (let i = 0; i < 1000; i++) s.send({ type: 'subscribe', id: String(i), payload: { query: TAIL, variables: { where: { serverPort: { eq: 104 } } } } });
    await s.waitFor(() => s.messages.filter((m) => m.type === 'error').length === 980, 40_000);
    const refused = s.messages.filter((m) => m.type === 'error');
    expect(refused[0].payload[0].extensions.code).toBe('RATE_LIMITED');
    expect(refused[0].payload[0].message).toMatch(/LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION/);
    await gw.ingest([flat({ server_port: 104 })]);
    await s.waitFor(() => s.messages.filter((m) => m.type === 'next').length === 20);
    await sleep(200);
    expect(s.messages.filter((m) => m.type === 'next')).toHaveLength(20);
    s.ws.close();
    await s.closed;
    await stillServes(gw, 105);
  }, 60_000);

  it('limits one caller over all its connections (LIVE_MAX_SUBSCRIPTIONS_PER_CALLER) and frees the slots as subscriptions end', async () => {
    const tight = await liveGateway({ LIVE_MAX_SUBSCRIPTIONS_PER_CALLER: '3' });
    try {
      const a = wsClient(tight.url, init(TOKENS.tenant));
      const b = wsClient(tight.url, init(TOKENS.tenant));
      const subs = [collect(a, TAIL), collect(a, TAIL), collect(b, TAIL)];
      await sleep(200);
      const fourth = collect(b, TAIL);
      const errors = (await fourth.done) as { message: string; extensions?: { code?: string } }[];
      expect(errors[0]!.extensions?.code).toBe('RATE_LIMITED');
      expect(errors[0]!.message).toMatch(/team-shop has 3 subscriptions open/);
      // Another caller is not counted against it.
      const other = wsClient(tight.url, init(TOKENS.reader));
      const theirs = collect(other, TAIL);
      await sleep(200);
      subs[0]!.stop();
      await sleep(100);
      const again = collect(b, TAIL);
      await sleep(200);
      await tight.ingest([flat({ server_port: 106 })]);
      await again.waitFor(1);
      await theirs.waitFor(1);
      await Promise.all([a.dispose(), b.dispose(), other.dispose()]);
    } finally {
      await tight.cleanup();
    }
  });

  it('closes a client that stops reading with 4421 once LIVE_MAX_BUFFERED_MESSAGES are queued; its neighbours go on', async () => {
    const small = await liveGateway({ LIVE_MAX_BUFFERED_MESSAGES: '100', LIVE_TAIL_MAX_RECORDS_PER_SECOND: '1000000' });
    try {
      const s = raw(small.url);
      await s.opened;
      s.send({ type: 'connection_init', payload: init(TOKENS.reader) });
      await s.waitFor((m) => m.type === 'connection_ack');
      s.send({ type: 'subscribe', id: 'x', payload: { query: `subscription { sessionTail { time vn remoteVn localIp remoteIp clientPort serverPort localLabels { name value } remoteLabels { name value } traffic { forwardSampledBytes reverseSampledBytes totalBytes } } }` } });
      const neighbour = wsClient(small.url, init(TOKENS.reader));
      const theirs = collect(neighbour, TAIL, { where: { serverPort: { eq: 107 } } });
      await sleep(150);
      // The client stops reading: its TCP socket is paused, the kernel buffers fill, the gateway's queue grows.
      (s.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
      for (let i = 0; i < 6; i++) await small.ingest(Array.from({ length: 5000 }, () => flat({ labels: { local: { app: 'x'.repeat(200) }, remote: { app: 'y'.repeat(200) } } })));
      await small.ingest([flat({ server_port: 107 })]);
      await theirs.waitFor(1, 15_000);
      const deadline = Date.now() + 15_000;
      while (!(await small.metricsText()).includes('sag_live_closes_total{reason="slow_consumer"}') && Date.now() < deadline) {
        (s.ws as unknown as { _socket: { resume(): void } })._socket.resume();
        await sleep(200);
      }
      (s.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      const closed = await s.closed;
      expect(closed.code).toBe(4421);
      expect(closed.reason).toMatch(/slow consumer/);
      expect(s.messages.filter((m) => m.type === 'next').length).toBeLessThan(30_000);
      await neighbour.dispose();
    } finally {
      await small.cleanup();
    }
  });

  it('pings every LIVE_KEEPALIVE', async () => {
    // A gateway of its own: a 1 s keep-alive also drops a client whose pong is late by a second.
    const pinging = await liveGateway({ LIVE_KEEPALIVE: '1s' });
    try {
      const s = raw(pinging.url);
      await s.opened;
      s.send({ type: 'connection_init', payload: init(TOKENS.reader) });
      await s.waitFor((m) => m.type === 'connection_ack');
      await sleep(2300);
      expect(s.pings.length).toBeGreaterThanOrEqual(2);
      s.ws.close();
    } finally {
      await pinging.cleanup();
    }
  });

  it('authenticates from connection_init or the upgrade request, with 4401 for none and FORBIDDEN for a missing scope', async () => {
    const none = raw(gw.url);
    await none.opened;
    none.send({ type: 'connection_init' });
    const closed = await none.closed;
    expect(closed.code).toBe(4401);
    expect(closed.reason).toMatch(/UNAUTHENTICATED/);
    const bad = raw(gw.url);
    await bad.opened;
    bad.send({ type: 'connection_init', payload: init('not-a-token') });
    expect((await bad.closed).code).toBe(4401);
    const byHeader = raw(gw.url, { authorization: `Bearer ${TOKENS.reader}` });
    await byHeader.opened;
    byHeader.send({ type: 'connection_init' });
    await byHeader.waitFor((m) => m.type === 'connection_ack');
    byHeader.ws.close();
    const client = wsClient(gw.url, init(TOKENS.uveReader));
    const errors = (await collect(client, TAIL).done) as { message: string; extensions?: { code?: string } }[];
    expect(errors[0]!.extensions?.code).toBe('FORBIDDEN');
    expect(errors[0]!.message).toMatch(/sessionTail needs the scope sessions:read/);
    await client.dispose();
    // Only /graphql upgrades.
    const elsewhere = new WebSocket(gw.url.replace('/graphql', '/metrics'), 'graphql-transport-ws');
    await expect(new Promise((resolve, reject) => { elsewhere.once('open', resolve); elsewhere.once('error', reject); })).rejects.toThrow(/404/);
  });

  it('counts connections, subscriptions by kind, messages sent and closes by reason in /metrics', async () => {
    const text = await gw.metricsText();
    expect(text).toMatch(/sag_live_connections\{transport="ws"\} [1-9]/);
    expect(text).toMatch(/sag_live_subscriptions\{kind="sessionTail"\} [1-9]/);
    expect(text).toMatch(/sag_live_messages_sent_total\{kind="sessionTail"\} [1-9]/);
    expect(text).toMatch(/sag_live_closes_total\{reason="bad_request"\} [1-9]/);
    expect(text).toMatch(/sag_live_closes_total\{reason="unauthorized"\} [1-9]/);
    expect(text).toMatch(/sag_live_tail_reads_total [1-9]/);
  });
});

describe('graceful shutdown', () => {
  it('ends every subscription with an error giving the reason, then closes with 1001', async () => {
    const gw = await liveGateway();
    const s = raw(gw.url);
    await s.opened;
    s.send({ type: 'connection_init', payload: init(TOKENS.reader) });
    await s.waitFor((m) => m.type === 'connection_ack');
    s.send({ type: 'subscribe', id: 't', payload: { query: TAIL } });
    s.send({ type: 'subscribe', id: 'l', payload: { query: 'subscription { sessionTrafficLive(last: "1h", every: "1s") { totalCount } }' } });
    await s.waitFor((m) => m.type === 'next' && m.id === 'l');
    await gw.cleanup();
    const closed = await s.closed;
    expect(closed.code).toBe(1001);
    const ends = s.messages.filter((m) => m.type === 'error');
    expect(ends.map((m) => m.id).sort()).toEqual(['l', 't']);
    for (const e of ends) expect(e.payload[0].message).toMatch(/shutting down/);
  });
});
