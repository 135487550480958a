import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'sag-forward-config-'));
const file = (name: string) => {
  const path = join(dir, name);
  writeFileSync(path, 'x');
  return path;
};
const tokens = file('tokens.yaml');
const users = file('users.yaml');

describe('parseConfig: the forward listener', () => {
  it('is off unless FORWARD_PORT is set, and a FORWARD_* setting without it stops start-up', () => {
    expect(parseConfig({}).forward).toBeNull();
    expect(() => parseConfig({ FORWARD_SHARED_KEY: 'k' })).toThrow(new ConfigError('FORWARD_SHARED_KEY', 'is set, but FORWARD_PORT is not: the forward listener is off'));
  });

  it('binds to loopback without authentication, like HOST, and refuses another address', () => {
    expect(parseConfig({ FORWARD_PORT: '24224' }).forward).toEqual({
      port: 24224,
      host: '127.0.0.1',
      maxFrameBytes: 16 * 1024 * 1024,
      sharedKey: null,
      usersFile: null,
      selfHostname: 'session-analytics-gateway',
      tls: null,
      handshakeTimeoutMs: 10_000,
    });
    expect(() => parseConfig({ FORWARD_PORT: '24224', FORWARD_HOST: '0.0.0.0' })).toThrow(/FORWARD_HOST=0.0.0.0 is reachable from other machines/);
    expect(parseConfig({ FORWARD_PORT: '24224', FORWARD_HOST: '0.0.0.0', AUTH: 'none' }).forward?.host).toBe('0.0.0.0');
  });

  it('with authentication configured, requires the shared key and the users file, and binds to every address', () => {
    expect(() => parseConfig({ AUTH_TOKENS_FILE: tokens, FORWARD_PORT: '24224' })).toThrow(/FORWARD_PORT: authentication is configured, so forward senders must authenticate too/);
    expect(() => parseConfig({ AUTH_TOKENS_FILE: tokens, FORWARD_PORT: '24224', FORWARD_USERS_FILE: users })).toThrow(/set FORWARD_SHARED_KEY too/);
    const f = parseConfig({ AUTH_TOKENS_FILE: tokens, FORWARD_PORT: '24224', FORWARD_USERS_FILE: users, FORWARD_SHARED_KEY: 'k' }).forward;
    expect(f).toMatchObject({ host: '0.0.0.0', sharedKey: 'k', usersFile: users });
    expect(() => parseConfig({ FORWARD_PORT: '24224', FORWARD_USERS_FILE: users, FORWARD_SHARED_KEY: 'k' })).toThrow(/no authentication is configured/);
  });

  it('bounds the frame size, and takes TLS files in pairs', () => {
    expect(parseConfig({ FORWARD_PORT: '1', FORWARD_MAX_FRAME_BYTES: '1048576' }).forward?.maxFrameBytes).toBe(1048576);
    expect(parseConfig({ FORWARD_PORT: '1', INGEST_MAX_BODY_BYTES: '2097152' }).forward?.maxFrameBytes).toBe(2097152);
    expect(() => parseConfig({ FORWARD_PORT: '1', FORWARD_MAX_FRAME_BYTES: '100' })).toThrow(/FORWARD_MAX_FRAME_BYTES/);
    expect(() => parseConfig({ FORWARD_PORT: '1', FORWARD_MAX_FRAME_BYTES: String(2 ** 31) })).toThrow(/FORWARD_MAX_FRAME_BYTES/);
    expect(() => parseConfig({ FORWARD_PORT: '70000' })).toThrow(/FORWARD_PORT/);
    expect(() => parseConfig({ FORWARD_PORT: '1', FORWARD_TLS_CERT: file('c.pem') })).toThrow(/FORWARD_TLS_CERT and FORWARD_TLS_KEY go together/);
    expect(() => parseConfig({ FORWARD_PORT: '1', FORWARD_TLS_CERT: '/nonexistent.pem', FORWARD_TLS_KEY: file('k.pem') })).toThrow(/cannot read/);
    expect(parseConfig({ FORWARD_PORT: '1', FORWARD_TLS_CERT: file('c.pem'), FORWARD_TLS_KEY: file('k.pem') }).forward?.tls).toEqual({ certFile: join(dir, 'c.pem'), keyFile: join(dir, 'k.pem') });
  });
});
