/**
 * The gateway side of the ingest benchmark (started by run.ts): measures how
 * fast this process merely JSON.parses the benchmark's records, then serves
 * the gateway on the embedded store and reports its address on stdout.
 */
import { parseConfig } from '../../src/config/index.js';
import { createGateway } from '../../src/gateway.js';
import { parseJson } from '../../src/ingest/index.js';
import type { SessionStore } from '../../src/stores/types.js';
import { bodies } from './records.js';

function bind(store: SessionStore): SessionStore {
  return {
    backend: store.backend,
    write: store.write.bind(store),
    traffic: store.traffic.bind(store),
    series: store.series.bind(store),
    ping: store.ping.bind(store),
    close: store.close.bind(store),
  };
}

/** Records per second of `parse` over every line of the bodies, for about `ms`. */
export function parseRate(texts: readonly string[], parse: (line: string) => unknown, ms = 3000): number {
  const lines = texts.flatMap((t) => t.split('\n').filter((l) => l !== ''));
  for (const l of lines.slice(0, 5000)) parse(l); // warm up
  let records = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (const l of lines) parse(l);
    records += lines.length;
  }
  return records / ((performance.now() - start) / 1000);
}

// The bodies are built afresh for each measurement: the gateway process should not hold a copy of them during the run.
const baseline = () => ({ jsonParse: parseRate(bodies(), JSON.parse), gatewayParser: parseRate(bodies(), parseJson) });
const before = baseline();
// DISCARD=1: a store that confirms without storing, to measure the ingest layer alone.
const discard = process.env['DISCARD'] === '1';
const gw = await createGateway(parseConfig({ ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'error' }), {
  ...(discard ? { decorateSessions: (store: SessionStore): SessionStore => ({ ...bind(store), write: async () => undefined }) } : {}),
});
await gw.app.listen({ host: '127.0.0.1', port: 0 });
const address = gw.app.server.address();
process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0, baseline: before })}\n`);
process.on('message', (m) => {
  if (m === 'baseline') process.send?.(baseline());
});
process.once('SIGTERM', () => {
  void gw.close().then(() => process.exit(0));
});
