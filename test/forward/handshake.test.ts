import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FluentClient } from '@fluent-org/logger';
import { sharedKeyDigest } from '../../src/server/forward/handshake.js';
import { TOKENS, TOKEN_ENTRIES, accessGateway, bearer, graphql, tokensEnv, tokensFiles, yamlEntries, type AccessGateway } from '../access/support.js';
import { flat, stored } from '../ingest/support.js';
import { EventTime, RawClient, pack } from './support.js';

const T = 1_795_600_000_123_456_789n;
const KEY = 'forward-shared-key-for-tests';
const USERS = {
  'fluentd-a': TOKENS.shipper,
  'shop-fluentd': TOKENS.tenantShipper,
  dashboards: TOKENS.reader,
};
const usersYaml = Object.entries(USERS)
  .map(([u, p]) => `- username: ${u}\n  password: ${p}\n`)
  .join('');

const ELSEWHERE = { vn: 'default-domain:k8s-other:net', remote_vn: 'default-domain:k8s-else:net' };

async function deadLetters(gw: AccessGateway): Promise<{ source: string; reason: string }[]> {
  const res = await graphql(gw.app, '{ deadLetters { nodes { source reason } } }', bearer(TOKENS.admin));
  return res.json().data.deadLetters.nodes;
}

describe('forward listener: shared key and user authentication', () => {
  let gw: AccessGateway;
  let port: number;
  beforeEach(async () => {
    gw = await accessGateway(
      { ...tokensEnv, FORWARD_PORT: '0', FORWARD_SHARED_KEY: KEY, FORWARD_USERS_FILE: '{dir}/users.yaml', FORWARD_SELF_HOSTNAME: 'gateway-0' },
      { files: { ...tokensFiles, 'users.yaml': usersYaml }, tokensPollMs: 50 },
    );
    port = await gw.forward!.listen();
  });
  afterEach(async () => {
    await gw.cleanup();
  });

  it('takes records from @fluent-org/logger (a real forward client) with the shared key, a user and acknowledgements, in every mode', async () => {
    for (const eventMode of ['Message', 'Forward', 'PackedForward', 'CompressedPackedForward'] as const) {
      const client = new FluentClient('vrouter', {
        eventMode,
        socket: { host: '127.0.0.1', port, disableReconnect: true },
        security: { clientHostname: 'fluent-node', sharedKey: KEY, username: 'fluentd-a', password: TOKENS.shipper },
        ack: { ackTimeout: 5000 },
      });
      // disableReconnect: the client connects when told.
      await client.connect();
      await Promise.all([client.emit('session', flat()), client.emit('session', flat())]);
      await client.shutdown();
    }
    expect((await stored(gw)).length).toBe(8);
  });

  it("answers PONG with its own digest, and applies the user token's namespaces as HTTP ingest does", async () => {
    const c = await RawClient.open(port);
    const pong = await c.handshake(KEY, { username: 'shop-fluentd', password: TOKENS.tenantShipper });
    const salt = Buffer.from('0123456789abcdef');
    expect(pong.slice(0, 4)).toEqual(['PONG', true, '', 'gateway-0']);
    // The client checks the server's digest with its own salt and the HELO nonce; here it must differ from the client's.
    expect(pong[4]).not.toBe(sharedKeyDigest(salt, 'test-client', new Uint8Array(16), KEY));
    c.send(pack(['vrouter.session', [[new EventTime(T), flat()], [new EventTime(T), flat(ELSEWHERE)]], { chunk: 'ns' }]));
    expect(await c.next()).toEqual({ ack: 'ns' });
    expect((await stored(gw)).length).toBe(1);
    const dead = await deadLetters(gw);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.reason).toContain('NAMESPACE_FORBIDDEN');
    c.end();
  });

  const refusals: [string, string, { username: string; password: string } | undefined, string][] = [
    ['a wrong shared key', 'not-the-key', { username: 'fluentd-a', password: TOKENS.shipper }, 'shared_key mismatch'],
    ['a wrong password', KEY, { username: 'fluentd-a', password: 'guess' }, 'username/password mismatch'],
    ['an unknown user', KEY, { username: 'nobody', password: TOKENS.shipper }, 'username/password mismatch'],
    ['no user', KEY, undefined, 'username/password mismatch'],
    ['a token without the ingest scope', KEY, { username: 'dashboards', password: TOKENS.reader }, 'username/password mismatch'],
  ];
  for (const [name, key, user, reason] of refusals) {
    it(`refuses ${name} with PONG false and closes`, async () => {
      const c = await RawClient.open(port);
      expect(await c.handshake(key, user)).toEqual(['PONG', false, reason, '', '']);
      expect(await c.closedWithin()).toBe(true);
    });
  }

  it('closes a connection that sends a frame instead of PING, storing nothing', async () => {
    const c = await RawClient.open(port);
    expect(await c.next()).toMatchObject(['HELO', {}]);
    c.send(pack(['vrouter.session', new EventTime(T), flat(), { chunk: 'sneak' }]));
    expect(await c.next()).toEqual(['PONG', false, 'expected PING after HELO', '', '']);
    expect(await c.closedWithin()).toBe(true);
    expect((await stored(gw)).length).toBe(0);
  });

  it('checks the token on every frame: a token removed from AUTH_TOKENS_FILE ends its connections', async () => {
    const c = await RawClient.open(port);
    expect((await c.handshake(KEY, { username: 'fluentd-a', password: TOKENS.shipper }))[1]).toBe(true);
    c.send(pack(['vrouter.session', new EventTime(T), flat(), { chunk: 'before' }]));
    expect(await c.next()).toEqual({ ack: 'before' });
    writeFileSync(join(gw.dir, 'tokens.yaml'), yamlEntries(TOKEN_ENTRIES.filter((e) => e.name !== 'fluentd')));
    await new Promise((r) => setTimeout(r, 400));
    c.send(pack(['vrouter.session', new EventTime(T), flat(), { chunk: 'after' }]));
    expect(await c.closedWithin()).toBe(true);
    expect(await c.next(10)).toBeNull();
    expect((await stored(gw)).length).toBe(1);
  });

  it('reads FORWARD_USERS_FILE again when it changes: a new user is let in, a removed one refused, a bad edit keeps the last good users', async () => {
    const usersFile = join(gw.dir, 'users.yaml');
    writeFileSync(usersFile, `- username: fluentd-b\n  password: ${TOKENS.shipper}\n`);
    await new Promise((r) => setTimeout(r, 400));
    const added = await RawClient.open(port);
    expect((await added.handshake(KEY, { username: 'fluentd-b', password: TOKENS.shipper }))[1]).toBe(true);
    added.end();
    const removed = await RawClient.open(port);
    expect(await removed.handshake(KEY, { username: 'fluentd-a', password: TOKENS.shipper })).toEqual(['PONG', false, 'username/password mismatch', '', '']);
    writeFileSync(usersFile, '- username: [not, a, name]\n');
    await new Promise((r) => setTimeout(r, 400));
    const kept = await RawClient.open(port);
    expect((await kept.handshake(KEY, { username: 'fluentd-b', password: TOKENS.shipper }))[1]).toBe(true);
    kept.end();
    expect(gw.logs().some((l) => l['msg'] === 'forward users file is not valid after an edit; the last good one stays in force')).toBe(true);
  });
});
