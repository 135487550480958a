/**
 * What a sender with random label names costs every later write (issue 15,
 * item 2). A 5 000-record NDJSON body (the ingest benchmark's) is ingested
 * through SessionIngest into an embedded store in one process, timed over
 * ROUNDS writes and a rollup pass; then NAMES records arrive, each carrying
 * one new label name (half local, half remote), and the same body is timed
 * again. Printed: both medians and their ratio, with the label bound
 * (INGEST_MAX_LABEL_NAMES) at its default, for each layout in the same run:
 * every kept name a column (the layout before DUCKDB_LABEL_COLUMNS, as a
 * budget past the bound), and the first LABEL_COLUMNS names per side as
 * columns with the rest in the side's map column; and with the bound
 * lifted past NAMES, every name a column (the store before the bound)
 * unless UNBOUNDED=0.
 *
 *   npm run bench:duckdb:labels            (NAMES=2000 ROUNDS=7 LABEL_COLUMNS=16,32,64; docs/benchmarks.md has the figures)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/index.js';
import { LabelNames, SessionIngest } from '../../src/ingest/index.js';
import { DuckDb, DuckDbSessionStore } from '../../src/stores/duckdb/index.js';
import { body } from '../ingest/records.js';
import { machine, percentile } from '../support.js';

const NAMES = Number(process.env['NAMES'] ?? 2000);
const ROUNDS = Number(process.env['ROUNDS'] ?? 7);
const NOW = 1_795_600_800_000_000_000n;
const config = parseConfig({});

/** One record per new name, on alternating sides. */
function attack(names: number): string {
  const lines: string[] = [];
  for (let i = 0; i < names; i++) {
    const side = i % 2 === 0 ? 'local' : 'remote';
    lines.push(
      JSON.stringify({
        time: String(NOW + BigInt(i)),
        vn: 'default-domain:k8s-x:x-net',
        remote_vn: 'default-domain:k8s-y:y-net',
        vrouter_ip: '192.168.1.1',
        local_ip: '10.0.0.1',
        client_port: 40000,
        remote_ip: '10.0.0.2',
        server_port: 80,
        protocol: 6,
        labels: { [side]: { [`random-${i}`]: 'v' } },
        forward_sampled_bytes: 1,
        forward_sampled_pkts: 1,
        reverse_sampled_bytes: 1,
        reverse_sampled_pkts: 1,
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

async function run(bound: number, labelColumns: number): Promise<{ before: number; after: number; rollupBefore: number; rollupAfter: number; kept: number; refused: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'sag-labels-bench-'));
  try {
    const db = await DuckDb.open({ path: join(dir, 'labels.duckdb'), queryTimeoutMs: 120_000 });
    const store = await DuckDbSessionStore.open(db, { retention: config.retention, clock: () => NOW, labelColumns });
    const ingest = new SessionIngest({
      store,
      deadLetters: { append: () => Promise.resolve(), close: () => Promise.resolve() },
      clock: () => NOW,
      limits: { maxRecords: 50_000, maxLabels: 64 },
      labelNames: new LabelNames(bound),
    });
    const normal = Buffer.from(body(0));
    const timed = async (): Promise<[number, number]> => {
      const writes: number[] = [];
      const rollups: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        let t = performance.now();
        const r = await ingest.ingestBody(normal, 'ndjson', 'bench');
        writes.push(performance.now() - t);
        if (r.accepted !== 5000) throw new Error(`a normal body was not stored whole: ${JSON.stringify(r.errors.slice(0, 3))}`);
        t = performance.now();
        await store.rollup.run();
        rollups.push(performance.now() - t);
      }
      return [percentile(writes, 50), percentile(rollups, 50)];
    };
    const [before, rollupBefore] = await timed();
    const answer = await ingest.ingestBody(Buffer.from(attack(NAMES)), 'ndjson', 'bench');
    await store.rollup.run();
    const [after, rollupAfter] = await timed();
    await db.close();
    return { before, after, rollupBefore, rollupAfter, kept: answer.accepted, refused: answer.rejected };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const LABEL_COLUMNS = (process.env['LABEL_COLUMNS'] ?? '16,32,64').split(',').map(Number);
const bound = config.ingest.maxLabelNames;
// Interleaved: every layout once, then again, so drift of a shared machine spreads over all of them.
const layouts: [string, number, number][] = [
  [`columns only, bound ${bound}`, bound, bound + 1],
  ...LABEL_COLUMNS.map((n): [string, number, number] => [`${n} columns + map, bound ${bound}`, bound, n]),
  ...(process.env['UNBOUNDED'] === '0' ? [] : [['columns only, no bound', NAMES + 10, NAMES + 10] as [string, number, number]]),
];
const results: Record<string, Awaited<ReturnType<typeof run>>> = {};
for (const [name, b, n] of layouts) results[name] = await run(b, n);
const show = (r: Awaited<ReturnType<typeof run>>) => ({
  attackStored: r.kept,
  attackRefused: r.refused,
  writeMsBefore: +r.before.toFixed(1),
  writeMsAfter: +r.after.toFixed(1),
  writeRatio: +(r.after / r.before).toFixed(2),
  rollupMsBefore: +r.rollupBefore.toFixed(1),
  rollupMsAfter: +r.rollupAfter.toFixed(1),
  rollupRatio: +(r.rollupAfter / r.rollupBefore).toFixed(2),
});
process.stdout.write(
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      machine: machine(),
      names: NAMES,
      rounds: ROUNDS,
      bound,
      layouts: Object.fromEntries(Object.entries(results).map(([k, r]) => [k, show(r)])),
    },
    null,
    2,
  )}\n`,
);
