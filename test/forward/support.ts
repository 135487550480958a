import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Decoder, encode } from '@msgpack/msgpack';
import { EventTime, FORWARD_CODEC } from '../../src/server/forward/index.js';
import { passwordDigest, sharedKeyDigest } from '../../src/server/forward/handshake.js';

export { EventTime };

/** msgpack as fluentd writes it, with EventTime. */
export function pack(value: unknown): Uint8Array {
  return encode(value, { extensionCodec: FORWARD_CODEC, useBigInt64: true });
}

/** A raw forward connection for tests: writes bytes, reads each msgpack answer. */
export class RawClient {
  private readonly answers: unknown[] = [];
  private waiters: (() => void)[] = [];
  closed = false;
  readonly done: Promise<void>;

  private constructor(readonly socket: Socket) {
    const decoder = new Decoder({ extensionCodec: FORWARD_CODEC });
    this.done = (async () => {
      try {
        for await (const v of decoder.decodeStream(socket as AsyncIterable<Uint8Array>)) {
          this.answers.push(v);
          this.wake();
        }
      } catch {
        // a reset ends the client as a close does
      }
      this.closed = true;
      this.wake();
    })();
  }

  static open(port: number, tls = false): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = tls ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }) : connect({ port, host: '127.0.0.1' });
      socket.once(tls ? 'secureConnect' : 'connect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(bytes: Uint8Array | Buffer): void {
    this.socket.write(bytes);
  }

  /** The next answer; null when the server closed the connection first (or after `ms`). */
  async next(ms = 5000): Promise<unknown> {
    const deadline = Date.now() + ms;
    while (this.answers.length === 0 && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.answers.length > 0 ? this.answers.shift() : null;
  }

  /** Resolves once the server closed the connection (or after `ms`, with false). */
  async closedWithin(ms = 5000): Promise<boolean> {
    await Promise.race([this.done, new Promise((r) => setTimeout(r, ms))]);
    return this.closed;
  }

  /** The HELO/PING/PONG handshake as fluentd's out_forward does it; returns the PONG. */
  async handshake(sharedKey: string, user?: { username: string; password: string }, hostname = 'test-client'): Promise<unknown[]> {
    const helo = (await this.next()) as [string, { nonce: Uint8Array; auth: Uint8Array }];
    const salt = Buffer.from('0123456789abcdef');
    const nonce = helo[1].nonce;
    const auth = helo[1].auth;
    this.send(
      pack([
        'PING',
        hostname,
        salt,
        sharedKeyDigest(salt, hostname, nonce, sharedKey),
        user?.username ?? '',
        user === undefined ? '' : passwordDigest(auth, user.username, user.password),
      ]),
    );
    return (await this.next()) as unknown[];
  }

  end(): void {
    this.socket.destroy();
  }
}
