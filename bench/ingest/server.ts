/**
 * The gateway side of the ingest benchmark (started by run.ts): measures how
 * fast this process merely JSON.parses the benchmark's bodies of each kind
 * (records.ts: NDJSON line by line, a JSON body whole), then serves the
 * gateway on the embedded store and reports its address on stdout.
 */
import { createServer } from 'node:http';
import { parseConfig } from '../../src/config/index.js';
import { createGateway } from '../../src/gateway.js';
import { parseJson } from '../../src/ingest/index.js';
import type { SessionStore } from '../../src/stores/types.js';
import { BODY_KINDS, bodiesOf, recordsIn, type BodyKind } from './records.js';

function bind(store: SessionStore): SessionStore {
  return {
    backend: store.backend,
    write: store.write.bind(store),
    traffic: store.traffic.bind(store),
    series: store.series.bind(store),
    values: store.values.bind(store),
    labelNames: store.labelNames.bind(store),
    records: store.records.bind(store),
    storedLabelNames: store.storedLabelNames.bind(store),
    ping: store.ping.bind(store),
    close: store.close.bind(store),
  };
}

/** Records per second of `parse` over every line of the bodies, for about `ms`. */
export function parseRate(texts: readonly string[], parse: (line: string) => unknown, ms = 2000): number {
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

/** Records per second of `parse` over each body whole (a JSON body of `kind`), for about `ms`. */
export function bodyParseRate(kind: BodyKind, texts: readonly string[], parse: (text: string) => unknown, ms = 2000): number {
  const perBody = texts.map((t) => recordsIn(kind, JSON.parse(t)));
  parse(texts[0]!); // warm up
  let records = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let i = 0; i < texts.length; i++) {
      parse(texts[i]!);
      records += perBody[i]!;
    }
  }
  return records / ((performance.now() - start) / 1000);
}

export interface KindBaseline {
  readonly jsonParse: number;
  readonly gatewayParser: number;
}

// The bodies are built afresh for each measurement: the gateway process should not hold a copy of them during the run.
const baseline = (): Record<BodyKind, KindBaseline> => {
  const out = {} as Record<BodyKind, KindBaseline>;
  for (const kind of BODY_KINDS) {
    const texts = bodiesOf(kind);
    out[kind] =
      kind === 'ndjson'
        ? { jsonParse: parseRate(texts, JSON.parse), gatewayParser: parseRate(texts, parseJson) }
        : { jsonParse: bodyParseRate(kind, texts, JSON.parse), gatewayParser: bodyParseRate(kind, texts, parseJson) };
  }
  return out;
};
const before = baseline();
// DISCARD=1: a store that confirms without storing, to measure the ingest layer alone.
const discard = process.env['DISCARD'] === '1';
const gw = await createGateway(parseConfig({ ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'error' }), {
  ...(discard ? { decorateSessions: (store: SessionStore): SessionStore => ({ ...bind(store), write: async () => undefined }) } : {}),
});
await gw.app.listen({ host: '127.0.0.1', port: 0 });
const address = gw.app.server.address();
const control = await parseOnlyServer();
process.stdout.write(
  `${JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0, controlPort: control, baseline: before })}\n`,
);
process.on('message', (m) => {
  if (m === 'baseline') process.send?.(baseline());
});
process.once('SIGTERM', () => {
  void gw.close().then(() => process.exit(0));
});

/**
 * The HTTP control: a bare Node server in this process that reads each
 * request body whole and merely JSON.parses its lines (a JSON body whole), answering what the
 * gateway answers. The load generator sends it the same requests after the
 * run, to give the rate of HTTP plus JSON.parse on this machine at that
 * moment. Returns its port.
 */
async function parseOnlyServer(): Promise<number> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let accepted = 0;
      const text = Buffer.concat(chunks).toString('utf8');
      if (req.headers['content-type'] === 'application/json') {
        const parsed = JSON.parse(text) as { sess_agg_info?: unknown }[];
        accepted = recordsIn(parsed[0]?.sess_agg_info === undefined ? 'json' : 'session', parsed);
      } else {
        for (const line of text.split('\n')) {
          if (line === '') continue;
          JSON.parse(line);
          accepted++;
        }
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ accepted, rejected: 0, errors: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  const a = server.address();
  return typeof a === 'object' && a !== null ? a.port : 0;
}

