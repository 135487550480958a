import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, errorsOf, sleep, wsClient } from './support.js';
import { TOKENS, flat, init, liveGateway, type LiveGateway } from './support-gateway.js';

const LIVE = `subscription($every: Duration!, $where: SessionFilter) {
  sessionTrafficLive(last: "1h", every: $every, where: $where, groupBy: [{ localLabel: "app" }]) {
    totalCount total { sessions totalBytes } nodes { group { key value } traffic { sessions } } meta { tier }
  }
}`;

type Answer = { sessionTrafficLive: { totalCount: number; total: { sessions: number }; nodes: { group: { value: string }[]; traffic: { sessions: number } }[]; meta: { tier: string } } };

describe('sessionTrafficLive', () => {
  let gw: LiveGateway;
  beforeAll(async () => {
    gw = await liveGateway();
  });
  afterAll(async () => {
    await gw?.cleanup();
  });

  it('answers at once, then every `every` over the sliding window, with what was stored meanwhile', async () => {
    const client = wsClient(gw.url, init(TOKENS.reader));
    const live = collect<Answer>(client, LIVE, { every: '1s' });
    const [first] = await live.waitFor(1, 2000);
    expect(first!.data!.sessionTrafficLive.meta.tier).toBe('raw');
    const before = first!.data!.sessionTrafficLive.total.sessions;
    // The gateway's clock stands at 12:00: the window is 11:00 to 12:00.
    const at = (n: number) => `2026-11-25T11:30:00.00000000${n}Z`;
    await gw.ingest([flat({ time: at(1), labels: { local: { app: 'live-a' } } }), flat({ time: at(2), labels: { local: { app: 'live-a' } } })]);
    const answers = await live.waitFor(3, 4000);
    const last = answers[answers.length - 1]!.data!.sessionTrafficLive;
    expect(last.total.sessions).toBe(before + 2);
    expect(last.nodes.find((n) => n.group[0]!.value === 'live-a')?.traffic.sessions).toBe(2);
    await client.dispose();
  });

  it('shares one query per interval between identical subscriptions of one scope, not across scopes', async () => {
    const hub = gw.services.live!.traffic;
    const a = wsClient(gw.url, init(TOKENS.reader));
    const b = wsClient(gw.url, init(TOKENS.admin));
    const t = wsClient(gw.url, init(TOKENS.tenant));
    const subs = [collect(a, LIVE, { every: '1s' }), collect(a, LIVE, { every: '1s' }), collect(b, LIVE, { every: '1s' })];
    const tenant = collect(t, LIVE, { every: '1s' });
    await Promise.all([...subs, tenant].map((s) => s.waitFor(1, 3000)));
    expect(hub.keys).toBe(2);
    const q0 = hub.queries;
    await sleep(2100);
    // Two keys (unlimited callers, the tenant), about two answers each: 4 queries, not 8.
    expect(hub.queries - q0).toBeGreaterThanOrEqual(2);
    expect(hub.queries - q0).toBeLessThanOrEqual(6);
    await Promise.all([a.dispose(), b.dispose(), t.dispose()]);
    await sleep(100);
    expect(hub.keys).toBe(0);
    const q1 = hub.queries;
    await sleep(1200);
    expect(hub.queries).toBe(q1);
  });

  it('refuses an every below LIVE_TRAFFIC_MIN_EVERY and a bad argument before it starts', async () => {
    const client = wsClient(gw.url, init(TOKENS.reader));
    const fast = await errorsOf(collect(client, LIVE, { every: '100ms' }));
    expect(fast[0]!.extensions?.code).toBe('BAD_USER_INPUT');
    expect(fast[0]!.message).toMatch(/LIVE_TRAFFIC_MIN_EVERY/);
    const bad = await errorsOf(collect(client, 'subscription { sessionTrafficLive(last: "1 hour") { totalCount } }'));
    expect(bad[0]!.extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad[0]!.message).toMatch(/^last:/);
    await client.dispose();
  });
});
