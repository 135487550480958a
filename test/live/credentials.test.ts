import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, exportSPKI, generateKeyPair } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { TOKEN_ENTRIES, yamlEntries } from '../access/support.js';
import { collect, sleep, wsClient } from './support.js';
import { TOKENS, init, liveGateway, type LiveGateway } from './support-gateway.js';

const TAIL = `subscription { sessionTail { serverPort } }`;

/** A client whose closes are recorded: the code and reason the server closed with. */
function watchedClient(url: string, params: Record<string, unknown>) {
  const closes: { code: number; reason: string }[] = [];
  const client = wsClient(url, params, { on: { closed: (e) => void closes.push({ code: (e as { code: number }).code, reason: (e as { reason: string }).reason }) } });
  return { client, closes };
}

async function until(cond: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe('a live connection ends when its credential no longer holds', () => {
  let gw: LiveGateway | undefined;
  afterEach(async () => {
    await gw?.cleanup();
    gw = undefined;
  });

  it('closes with 4401 when its static token is removed from AUTH_TOKENS_FILE, 4403 when its scopes change; others go on', async () => {
    gw = await liveGateway({}, { tokensPollMs: 50 });
    const removed = watchedClient(gw.url, init(TOKENS.reader));
    const changed = watchedClient(gw.url, init(TOKENS.tenant));
    const kept = watchedClient(gw.url, init(TOKENS.admin));
    const tails = [collect(removed.client, TAIL), collect(changed.client, TAIL), collect(kept.client, TAIL)];
    await sleep(200);
    expect(gw.services.live!.tails.subscribers).toBe(3);
    // The reader's entry is gone; the tenant's namespaces widen; the admin's stays as it was.
    const entries = TOKEN_ENTRIES.filter((e) => e.name !== 'dashboards').map((e) => (e.name === 'team-shop' ? { ...e, namespaces: ['shop', 'ledger'] } : e));
    writeFileSync(join(gw.dir, 'tokens.yaml'), yamlEntries(entries));
    await until(() => removed.closes.length > 0 && changed.closes.length > 0);
    expect(removed.closes[0]!.code).toBe(4401);
    expect(removed.closes[0]!.reason).toMatch(/token is no longer valid \(AUTH_TOKENS_FILE changed\)/);
    expect(changed.closes[0]!.code).toBe(4403);
    expect(changed.closes[0]!.reason).toMatch(/scopes or namespaces changed/);
    // Their subscriptions end with the close; the admin's tail goes on.
    expect(await tails[0]!.done).toMatchObject({ code: 4401 });
    expect(await tails[1]!.done).toMatchObject({ code: 4403 });
    await until(() => gw!.services.live!.tails.subscribers === 1);
    expect(kept.closes).toHaveLength(0);
    // The removed token cannot come back in.
    const again = watchedClient(gw.url, init(TOKENS.reader));
    expect(await collect(again.client, TAIL).done).toMatchObject({ code: 4401 });
    expect(await gw.metricsText()).toMatch(/sag_live_closes_total\{reason="forbidden"\} [1-9]/);
    for (const c of [removed, changed, kept, again]) await c.client.dispose();
  });

  it('leaves connections open through an edit that does not parse', async () => {
    gw = await liveGateway({}, { tokensPollMs: 50 });
    const c = watchedClient(gw.url, init(TOKENS.reader));
    const tail = collect(c.client, TAIL);
    await sleep(200);
    writeFileSync(join(gw.dir, 'tokens.yaml'), '- name: [not yaml');
    await sleep(400);
    expect(c.closes).toHaveLength(0);
    expect(tail.results).toHaveLength(0);
    await c.client.dispose();
  });

  it('closes with 4401 when its JWT expires (exp plus JWT_CLOCK_TOLERANCE), not before', async () => {
    const key = await generateKeyPair('RS256', { extractable: true });
    gw = await liveGateway(
      { JWT_ISSUER: 'https://issuer.test', JWT_AUDIENCE: 'sag', JWT_PUBLIC_KEY_FILE: '{dir}/key.pem', JWT_CLOCK_TOLERANCE: '500ms' },
      { files: { 'tokens.yaml': yamlEntries(TOKEN_ENTRIES), 'key.pem': await exportSPKI(key.publicKey) } },
    );
    const exp = Math.floor(Date.now() / 1000) + 2;
    const token = await new SignJWT({ sub: 'dashboards-sa', scope: 'sessions:read' })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer('https://issuer.test')
      .setAudience('sag')
      .setExpirationTime(exp)
      .sign(key.privateKey);
    const c = watchedClient(gw.url, init(token));
    const tail = collect(c.client, TAIL);
    await sleep(200);
    expect(gw.services.live!.tails.subscribers).toBe(1);
    await until(() => c.closes.length > 0, 5000);
    const closedAt = Date.now();
    expect(closedAt).toBeGreaterThanOrEqual(exp * 1000 + 500 - 50);
    expect(closedAt).toBeLessThan(exp * 1000 + 500 + 1500);
    expect(c.closes[0]!.code).toBe(4401);
    expect(c.closes[0]!.reason).toMatch(/the token expired at \d{4}-\d\d-\d\dT/);
    expect(await tail.done).toMatchObject({ code: 4401 });
    await until(() => gw!.services.live!.tails.subscribers === 0);
    await c.client.dispose();
  });
});
