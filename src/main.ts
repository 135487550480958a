import { ConfigError, forwardInClear, parseConfig } from './config/index.js';
import { createGateway } from './gateway.js';

/** The only place that reads process.env. */
async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`configuration error: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const gateway = await createGateway(config);
  // The first signal drains (docs/operations.md "Shutdown"). A second SIGINT (Ctrl-C again) exits at
  // once; a second SIGTERM does not cut the drain short (a wrapper such as tsx may send it again).
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      if (signal === 'SIGTERM') return;
      gateway.app.log.warn({ signal }, 'second signal while draining: exiting now');
      process.exit(1);
    }
    stopping = true;
    gateway.app.log.info({ signal, drainTimeoutMs: config.shutdownDrainMs }, 'shutting down: /ready answers 503, new ingest is refused, in-flight requests finish');
    try {
      await gateway.close();
    } catch (e) {
      gateway.app.log.error({ err: e }, 'shutdown failed');
      process.exit(1);
    }
    gateway.app.log.info('stopped: every acknowledged write is stored, the stores are closed');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  await gateway.app.listen({ host: config.host, port: config.port });
  if (gateway.forward !== undefined && config.forward !== null) {
    const port = await gateway.forward.listen();
    gateway.app.log.info({ host: config.forward.host, port, tls: config.forward.tls !== null, handshake: config.forward.sharedKey !== null }, 'forward protocol listener started');
    if (forwardInClear(config.forward)) {
      gateway.app.log.warn({ host: config.forward.host }, 'the forward listener is reachable from other machines without TLS: records cross the network in clear text (FORWARD_TLS_CERT, FORWARD_TLS_KEY)');
    }
  }
  if (config.access.authOff === 'unconfigured') {
    gateway.app.log.warn(
      { host: config.host },
      'no authentication is configured (AUTH_TOKENS_FILE, JWT_*): listening on loopback only, every caller has every scope; see docs/security.md',
    );
  } else if (config.access.authOff === 'explicit') {
    gateway.app.log.warn({ host: config.host }, 'AUTH=none: authentication is off and anyone who reaches the gateway may read, write and administer it (unsafe)');
  }
}

main().catch((e: unknown) => {
  const cause = (e as Error).cause;
  process.stderr.write(`start-up failed: ${(e as Error).message}${cause instanceof Error ? ` (${cause.message})` : ''}\n`);
  process.exit(1);
});
