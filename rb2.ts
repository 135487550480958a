import { body } from './bench/ingest/records.ts';
import { parseConfig } from './src/config/index.ts';
import { createGateway } from './src/gateway.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const dir = mkdtempSync(join(tmpdir(), 'rb-'));
const gw = await createGateway(parseConfig({ DUCKDB_PATH: join(dir, 'g.duckdb'), DUCKDB_MEMORY_LIMIT: '64MB', LOG_LEVEL: 'error' }), { runJobs: false, clock: () => 1_795_600_800_000_000_000n + 60_000_000_000n });
const bodies = Array.from({ length: 8 }, (_, b) => Buffer.from(body(b)));
for (let i = 0; i < 120; i += 4) await Promise.all([0, 1, 2, 3].map((k) => gw.services.ingest.ingestBody(bodies[(i + k) % 8]!, 'ndjson', 'x')));
const cols = (await gw.embedded!.query({ text: `SELECT string_agg('"' || column_name || '"', ', ') AS c FROM information_schema.columns WHERE table_name = 'sessions_5m' AND column_name NOT IN ('window_start','forward_sampled_bytes','forward_sampled_pkts','reverse_sampled_bytes','reverse_sampled_pkts','total_bytes','sessions')`, params: [] }))[0]!['c'];
const q = `SELECT time_ns - (time_ns % 300000000000) AS w, ${cols}, sum(forward_sampled_bytes), sum(forward_sampled_pkts), sum(reverse_sampled_bytes), sum(reverse_sampled_pkts), sum(total_bytes), count(*) FROM sessions GROUP BY ALL`;
const base = `SELECT time_ns - (time_ns % @W) AS w, ${cols}, sum(forward_sampled_bytes), sum(forward_sampled_pkts), sum(reverse_sampled_bytes), sum(reverse_sampled_pkts), sum(total_bytes), count(*) FROM sessions WHERE seq > @A AND seq <= @B GROUP BY ALL`;
const variants: [string, string, unknown[]][] = [
  ['literals', base.replace('@W', '300000000000').replace('@A', '5').replace('@B', '20'), []],
  ['params', base.replace('@W', '$1').replace('@A', '$2').replace('@B', '$3'), [300000000000n, 5n, 20n]],
  ['params cast', base.replace('@W', '$1::BIGINT').replace('@A', '$2::BIGINT').replace('@B', '$3::BIGINT'), [300000000000n, 5n, 20n]],
];
for (const [name, text, params] of variants) {
  for (let k = 0; k < 2; k++) {
    const t = performance.now();
    const r = await gw.embedded!.query({ text: `SELECT count(*) AS n FROM (${text})`, params });
    console.log(name, ((performance.now() - t) / 1000).toFixed(3), 's', String(r[0]!['n']));
  }
}
await gw.close();
