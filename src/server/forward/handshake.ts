import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The shared-key handshake of Forward Protocol v1 (fluentd's in_forward):
 * the server sends HELO with a nonce (and a salt for user authentication),
 * the client answers PING with its digests, the server checks them and
 * sends PONG with its own digest, so that each side knows the other holds
 * the shared key. The password never crosses the wire.
 */
export interface Helo {
  readonly nonce: Buffer;
  /** The user-authentication salt; empty when users are not authenticated. */
  readonly authSalt: Buffer;
}

export function newHelo(userAuth: boolean): Helo {
  return { nonce: randomBytes(16), authSalt: userAuth ? randomBytes(16) : Buffer.alloc(0) };
}

/** `['HELO', {nonce, auth, keepalive}]`. */
export function heloMessage(helo: Helo): unknown[] {
  return ['HELO', { nonce: helo.nonce, auth: helo.authSalt, keepalive: true }];
}

export interface Ping {
  readonly hostname: string;
  readonly sharedKeySalt: Uint8Array;
  readonly sharedKeyDigest: string;
  readonly username: string;
  readonly passwordDigest: string;
}

/** `['PING', hostname, shared_key_salt, hexdigest, username, password_digest]`, or a reason it is not one. */
export function readPing(value: unknown): Ping | string {
  if (!Array.isArray(value) || value.length !== 6 || !isText(value[0], 'PING')) return 'expected PING after HELO';
  const [, hostname, salt, digest, username, password] = value as unknown[];
  const parts = [hostname, salt, digest, username, password];
  if (!parts.every((p) => typeof p === 'string' || p instanceof Uint8Array)) return 'invalid ping message';
  return {
    hostname: str(hostname),
    sharedKeySalt: bytes(salt),
    sharedKeyDigest: str(digest),
    username: str(username),
    passwordDigest: str(password),
  };
}

/** sha512_hex(salt + hostname + nonce + shared_key): the client's digest in PING, the server's in PONG. */
export function sharedKeyDigest(salt: Uint8Array, hostname: string, nonce: Uint8Array, sharedKey: string): string {
  return createHash('sha512').update(salt).update(hostname).update(nonce).update(sharedKey).digest('hex');
}

/** sha512_hex(auth_salt + username + password): the client's password digest in PING. */
export function passwordDigest(authSalt: Uint8Array, username: string, password: string): string {
  return createHash('sha512').update(authSalt).update(username).update(password).digest('hex');
}

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `['PONG', true, '', self_hostname, digest]`, or `['PONG', false, reason, '', '']`. */
export function pongMessage(ok: boolean, reason: string, selfHostname: string, digest: string): unknown[] {
  return ok ? ['PONG', true, '', selfHostname, digest] : ['PONG', false, reason, '', ''];
}

function isText(v: unknown, expected: string): boolean {
  return (typeof v === 'string' || v instanceof Uint8Array) && str(v) === expected;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : Buffer.from(v as Uint8Array).toString('utf8');
}

function bytes(v: unknown): Uint8Array {
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : (v as Uint8Array);
}
