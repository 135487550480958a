import { ConfigError, int, optional, type Env } from './env-values.js';
import { isLoopback, listenHost, readableFile, type AccessConfig } from './access-config.js';

/**
 * The fluentd Forward Protocol v1 listener (docs/fluentd.md, "Forward
 * protocol"); null in Config when FORWARD_PORT is unset (the default).
 */
export interface ForwardConfig {
  readonly port: number;
  /** FORWARD_HOST, defaulting like HOST: 127.0.0.1 when no authentication is configured, else 0.0.0.0. */
  readonly host: string;
  /** FORWARD_MAX_FRAME_BYTES: the largest msgpack frame (one fluentd chunk as sent); a larger one closes the connection unacknowledged. */
  readonly maxFrameBytes: number;
  /** FORWARD_SHARED_KEY: the handshake (HELO/PING/PONG) is required when set. */
  readonly sharedKey: string | null;
  /** FORWARD_USERS_FILE: `{username, password}` entries, each password an access token; user authentication in PING. */
  readonly usersFile: string | null;
  /** FORWARD_SELF_HOSTNAME: the server name in PONG (fluentd checks it is not its own). */
  readonly selfHostname: string;
  /** FORWARD_TLS_CERT and FORWARD_TLS_KEY (PEM files): TLS on the forward port when set. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
  /** Not a setting: a connection that has not finished the handshake in this time is closed. */
  readonly handshakeTimeoutMs: number;
}

const MIB = 1024 * 1024;

/** FORWARD_*: off unless FORWARD_PORT is set; with authentication configured the handshake with user authentication is required. */
export function parseForwardConfig(env: Env, access: AccessConfig, maxBodyBytes: number): ForwardConfig | null {
  const names = ['FORWARD_HOST', 'FORWARD_MAX_FRAME_BYTES', 'FORWARD_SHARED_KEY', 'FORWARD_USERS_FILE', 'FORWARD_SELF_HOSTNAME', 'FORWARD_TLS_CERT', 'FORWARD_TLS_KEY'];
  if (optional(env, 'FORWARD_PORT') === null) {
    const stray = names.find((n) => optional(env, n) !== null);
    if (stray !== undefined) throw new ConfigError(stray, 'is set, but FORWARD_PORT is not: the forward listener is off');
    return null;
  }
  const port = int(env, 'FORWARD_PORT', 24224, 0, 65535);
  const host = listenHost(env, 'FORWARD_HOST', access);
  const maxFrameBytes = int(env, 'FORWARD_MAX_FRAME_BYTES', maxBodyBytes, 1024, 1024 * MIB);
  const sharedKey = optional(env, 'FORWARD_SHARED_KEY');
  const usersFile = readableFile(env, 'FORWARD_USERS_FILE');
  if (usersFile !== null && sharedKey === null) {
    throw new ConfigError('FORWARD_USERS_FILE', 'user authentication is part of the shared-key handshake: set FORWARD_SHARED_KEY too');
  }
  if (access.auth === null && usersFile !== null) {
    throw new ConfigError('FORWARD_USERS_FILE', 'maps forward users onto access tokens, but no authentication is configured (AUTH_TOKENS_FILE or JWT_*)');
  }
  if (access.auth !== null && usersFile === null) {
    throw new ConfigError(
      'FORWARD_PORT',
      'authentication is configured, so forward senders must authenticate too: set FORWARD_SHARED_KEY and FORWARD_USERS_FILE (docs/fluentd.md, "Forward protocol")',
    );
  }
  const selfHostname = optional(env, 'FORWARD_SELF_HOSTNAME') ?? 'session-analytics-gateway';
  if (!/^[\x21-\x7e]{1,255}$/.test(selfHostname)) throw new ConfigError('FORWARD_SELF_HOSTNAME', 'must be 1 to 255 printable ASCII characters');
  const certFile = readableFile(env, 'FORWARD_TLS_CERT');
  const keyFile = readableFile(env, 'FORWARD_TLS_KEY');
  if ((certFile === null) !== (keyFile === null)) {
    throw new ConfigError(certFile === null ? 'FORWARD_TLS_CERT' : 'FORWARD_TLS_KEY', 'FORWARD_TLS_CERT and FORWARD_TLS_KEY go together');
  }
  return {
    port,
    host,
    maxFrameBytes,
    sharedKey,
    usersFile,
    selfHostname,
    tls: certFile === null ? null : { certFile, keyFile: keyFile! },
    handshakeTimeoutMs: 10_000,
  };
}

/** True when records cross the network in clear text: off loopback without TLS (start-up warns). */
export function forwardInClear(config: ForwardConfig): boolean {
  return config.tls === null && !isLoopback(config.host);
}
