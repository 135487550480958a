import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { encode } from '@msgpack/msgpack';
import type { ForwardConfig } from '../../config/index.js';
import { Saturated, type Reservation } from '../../ingest/index.js';
import { GatewayError, UNRESTRICTED, type Caller } from '../../model/index.js';
import type { Authenticator } from '../auth/index.js';
import { HTTP_STATUS } from '../http-status.js';
import type { ForwardDisconnect, Metrics } from '../metrics.js';
import { FORWARD_CODEC } from './event-time.js';
import { FrameTooLarge, frameDecoder, readFrame, type FrameLimits } from './forward-frame.js';
import { FrameSplitter, NotMsgpack } from './frame-splitter.js';
import type { ForwardIngest } from './forward-ingest.js';
import { WatchedFile } from '../watched-file.js';
import { parseForwardUsers, type ForwardUser } from './forward-users.js';
import { heloMessage, newHelo, passwordDigest, pongMessage, readPing, sameDigest, sharedKeyDigest, type Helo } from './handshake.js';

export interface ForwardLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ForwardListenerOptions {
  readonly config: ForwardConfig;
  readonly ingest: ForwardIngest;
  /** Null: authentication is off; every sender is UNRESTRICTED. */
  readonly authenticator: Authenticator | null;
  readonly metrics: Metrics;
  readonly log: ForwardLog;
  /** INGEST_MAX_BODY_BYTES: the bound of a CompressedPackedForward frame's entries after gunzip. */
  readonly maxDecompressedBytes: number;
  /** How often FORWARD_USERS_FILE is read again without a change event (default 10 s; tests). */
  readonly usersPollMs?: number;
}

/** A connection that sends nothing for this long is closed (fluentd and Fluent Bit reconnect). */
const IDLE_MS = 5 * 60_000;

/** Why a connection ends, said to the log and the metrics. */
class Disconnect extends Error {
  constructor(readonly reason: ForwardDisconnect, message: string) {
    super(message);
  }
}

/**
 * The fluentd Forward Protocol v1 listener (FORWARD_PORT; docs/fluentd.md,
 * "Forward protocol"): one msgpack stream per TCP (or TLS) connection, cut
 * into frames (FrameSplitter), each decoded whole by @msgpack/msgpack's
 * Decoder and handled before the socket is read again, so that a frame
 * waiting for its store holds back the next (TCP backpressure). A frame's `chunk` is acknowledged only once its
 * records are stored and its rejects kept; when the gateway is saturated,
 * the store does not confirm, or a frame is past a size bound, the
 * connection is closed unacknowledged and the sender retries. A hostile
 * connection only ever ends itself.
 */
export class ForwardListener {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  /** FORWARD_USERS_FILE, read again when it changes (a bad edit keeps the last good users). */
  private users: WatchedFile<Map<string, ForwardUser>> | null = null;

  private constructor(private readonly options: ForwardListenerOptions, server: Server) {
    this.server = server;
  }

  static async create(options: ForwardListenerOptions): Promise<ForwardListener> {
    const { tls } = options.config;
    const onSocket = (socket: Socket) => listener.accept(socket);
    const server = tls === null ? createTcpServer(onSocket) : createTlsServer({ cert: await readFile(tls.certFile), key: await readFile(tls.keyFile) }, onSocket);
    // A failed TLS handshake is the client's problem; it must not reach the process.
    server.on('tlsClientError', (e: Error, socket: Socket) => {
      options.log.warn({ err: e, remote: socket.remoteAddress }, 'forward: TLS handshake failed');
      socket.destroy();
    });
    const listener = new ForwardListener(options, server);
    if (options.config.usersFile !== null) {
      listener.users = await WatchedFile.open({
        path: options.config.usersFile,
        variable: 'FORWARD_USERS_FILE',
        what: 'forward users file',
        parse: parseForwardUsers,
        count: (users) => users.size,
        log: options.log,
        ...(options.usersPollMs === undefined ? {} : { pollMs: options.usersPollMs }),
      });
    }
    return listener;
  }

  /** Listens on FORWARD_HOST:FORWARD_PORT; resolves with the port bound (FORWARD_PORT=0 picks one). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.config.port, this.options.config.host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Stops accepting and ends every connection (a frame not yet acknowledged is sent again by its sender). */
  close(): Promise<void> {
    this.users?.close();
    return new Promise((resolve) => {
      for (const s of this.sockets) s.destroy();
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    this.options.metrics.forwardConnectionOpened();
    socket.setNoDelay(true);
    socket.setTimeout(IDLE_MS, () => socket.destroy(new Disconnect('idle', 'no data for 5 minutes')));
    // Errors surface in the read loop; this keeps an unhandled 'error' event from reaching the process.
    socket.on('error', () => undefined);
    void this.serve(socket)
      .then(
        () => 'eof' as ForwardDisconnect,
        (e: unknown) => this.ended(socket, e),
      )
      .then((reason) => {
        socket.destroy();
        this.sockets.delete(socket);
        this.options.metrics.forwardConnectionClosed(reason);
      });
  }

  /** The read loop of one connection: HELO/PING/PONG when a shared key is set, then frame after frame. */
  private async serve(socket: Socket): Promise<void> {
    const { config } = this.options;
    const limits: FrameLimits = { maxFrameBytes: config.maxFrameBytes, maxDecompressedBytes: this.options.maxDecompressedBytes };
    const budget = this.options.ingest.budget;
    const splitter = new FrameSplitter(config.maxFrameBytes);
    const decoder = frameDecoder(limits);
    const state: ConnectionState = {
      helo: null,
      caller: this.options.authenticator === null && config.sharedKey === null ? UNRESTRICTED : null,
      password: null,
    };
    let handshake: NodeJS.Timeout | undefined;
    if (config.sharedKey !== null) {
      state.helo = newHelo(this.users !== null);
      socket.write(encode(heloMessage(state.helo)));
      handshake = setTimeout(() => socket.destroy(new Disconnect('handshake', 'no PING within 10 s of HELO')), config.handshakeTimeoutMs);
    }
    // The bytes of the frame being received are held in the in-flight budget as they arrive, like an HTTP body.
    let partial = budget.reserve();
    try {
      for await (const chunk of socket as AsyncIterable<Buffer>) {
        partial.addBytes(chunk.length);
        const frames = splitter.push(chunk);
        if (frames.length === 0) continue;
        partial.release();
        partial = budget.reserve();
        partial.addBytes(splitter.partialBytes);
        // One frame at a time: the socket is not read meanwhile (TCP backpressure).
        for (const bytes of frames) {
          const held = budget.reserve();
          try {
            held.addBytes(bytes.length);
            await this.frame(socket, bytes, decoder.decode(bytes), held, limits, state);
          } finally {
            held.release();
          }
          if (state.caller !== null) clearTimeout(handshake);
        }
      }
    } finally {
      clearTimeout(handshake);
      partial.release();
    }
  }

  /** One decoded frame: PING while the handshake is open, else a forward message, acknowledged once stored. */
  private async frame(socket: Socket, bytes: Uint8Array, value: unknown, held: Reservation, limits: FrameLimits, state: ConnectionState): Promise<void> {
    const { metrics, ingest, log } = this.options;
    if (state.caller === null) {
      ({ caller: state.caller, password: state.password } = await this.handshake(socket, value, state.helo!));
      return;
    }
    // A nil is fluentd's keep-alive.
    if (value === null) return;
    // The sender's token is checked on every frame, as on every HTTP request: a revoked token or an expired JWT ends the connection.
    if (state.password !== null) state.caller = await this.authenticate(state.password);
    const read = await readFrame(value, limits);
    if (read.kind === 'rejected') {
      await ingest.rejectFrame(read);
      metrics.countForwardRecords(0, 1);
      log.warn({ remote: socket.remoteAddress, tag: read.tag, reason: read.reason }, 'forward: a frame that is not a forward message was kept in the dead-letter log');
      if (read.chunk !== null) this.ack(socket, read.chunk);
      return;
    }
    if (read.mode === 'compressed') held.addBytes(read.entryBytes);
    // A chunk sent again (its ack was lost) is the same bytes under the same chunk id: its key finds the first answer
    // instead of storing it twice on a store that keeps idempotency keys (the embedded one; InfluxDB overwrites).
    const key = read.chunk === null ? undefined : `forward:${state.caller.name}:${read.chunk}:${createHash('sha256').update(bytes).digest('base64url')}`;
    const result = await ingest.ingestFrame(read, state.caller, key);
    metrics.countForwardRecords(result.accepted, result.rejected);
    if (read.chunk !== null) this.ack(socket, read.chunk);
  }

  private ack(socket: Socket, chunk: string): void {
    socket.write(encode({ ack: chunk }, { extensionCodec: FORWARD_CODEC }));
    this.options.metrics.countForwardAck();
  }

  /** Checks PING (shared key, then the user's password) and answers PONG; the caller is the user's token's. */
  private async handshake(socket: Socket, value: unknown, helo: Helo): Promise<{ caller: Caller; password: string | null }> {
    const { config } = this.options;
    const ping = readPing(value);
    const refuse = (reason: string, log: string, kind: ForwardDisconnect = 'unauthenticated'): never => {
      socket.write(encode(pongMessage(false, reason, '', '')));
      throw new Disconnect(kind, log);
    };
    if (typeof ping === 'string') return refuse(ping, ping);
    const expected = sharedKeyDigest(ping.sharedKeySalt, ping.hostname, helo.nonce, config.sharedKey!);
    if (!sameDigest(ping.sharedKeyDigest, expected)) return refuse('shared_key mismatch', `shared key mismatch from ${ping.hostname.slice(0, 64)}`);
    let caller: Caller = UNRESTRICTED;
    let password: string | null = null;
    if (this.users !== null) {
      const user = this.users.current.get(ping.username);
      if (user === undefined || !sameDigest(ping.passwordDigest, passwordDigest(helo.authSalt, user.username, user.password))) {
        return refuse('username/password mismatch', `username/password mismatch for ${JSON.stringify(ping.username.slice(0, 64))}`);
      }
      password = user.password;
      try {
        caller = await this.authenticate(password);
      } catch (e) {
        if (e instanceof Disconnect) {
          refuse(e.reason === 'unauthenticated' ? 'username/password mismatch' : 'authentication unavailable; retry later', `user ${user.username}: ${e.message}`, e.reason);
        }
        throw e;
      }
    }
    socket.write(encode(pongMessage(true, '', config.selfHostname, sharedKeyDigest(ping.sharedKeySalt, config.selfHostname, helo.nonce, config.sharedKey!))));
    return { caller, password };
  }

  /** The caller of a forward user's token, through the gateway's authenticator, with the `ingest` scope required as on the HTTP ingest routes. */
  private async authenticate(token: string): Promise<Caller> {
    const authenticator = this.options.authenticator;
    if (authenticator === null) return UNRESTRICTED;
    let caller: Caller;
    try {
      caller = await authenticator.authenticate(`Bearer ${token}`);
    } catch (e) {
      if (e instanceof GatewayError && e.code === 'UNAUTHENTICATED') throw new Disconnect('unauthenticated', `the user's token is refused: ${e.message}`);
      if (e instanceof GatewayError && e.code === 'BACKEND_UNAVAILABLE') throw new Disconnect('unavailable', e.message);
      throw e;
    }
    if (!caller.scopes.has('ingest')) throw new Disconnect('unauthenticated', `this needs the scope ingest, which ${caller.name} does not have`);
    return caller;
  }

  /** Logs why a connection ended and names it for the metrics. */
  private ended(socket: Socket, e: unknown): ForwardDisconnect {
    const { log } = this.options;
    const remote = socket.remoteAddress;
    if (e instanceof Disconnect) {
      (e.reason === 'idle' ? log.info : log.warn).call(log, { remote, reason: e.reason }, `forward: connection closed: ${e.message}`);
      return e.reason;
    }
    if (e instanceof FrameTooLarge) {
      log.warn({ remote }, `forward: connection closed unacknowledged: ${e.message}`);
      return 'frame_too_large';
    }
    if (e instanceof Saturated) {
      log.warn({ remote }, `forward: connection closed unacknowledged: ${e.message}`);
      return 'saturated';
    }
    if (e instanceof GatewayError) {
      if (HTTP_STATUS[e.code] === 503) {
        log.warn({ remote, err: e, cause: e.cause }, 'forward: the store did not confirm the write; connection closed unacknowledged');
        return 'unavailable';
      }
      log.error({ remote, err: e }, 'forward: ingest failed; connection closed unacknowledged');
      return 'error';
    }
    const code = (e as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE') return 'reset';
    if (e instanceof Error && e.name === 'DecodeError' && e.message.startsWith('Max length exceeded')) {
      log.warn({ remote, problem: e.message.slice(0, 200) }, 'forward: a frame declares a length past FORWARD_MAX_FRAME_BYTES; connection closed unacknowledged');
      return 'frame_too_large';
    }
    if (e instanceof NotMsgpack || (e instanceof Error && (e.name === 'DecodeError' || e instanceof RangeError || e instanceof TypeError))) {
      log.warn({ remote, problem: e.message.slice(0, 200) }, 'forward: the stream is not msgpack; connection closed');
      return 'malformed';
    }
    log.error({ remote, err: e }, 'forward: connection failed');
    return 'error';
  }
}

/** What one connection knows of its sender. */
interface ConnectionState {
  helo: Helo | null;
  /** Null until the handshake is done. */
  caller: Caller | null;
  /** The forward user's token, checked again on every frame; null without user authentication. */
  password: string | null;
}
