/**
 * What a sender with random label names costs every later write (issue 15,
 * item 2). A 5 000-record NDJSON body (the ingest benchmark's) is ingested
 * through SessionIngest into an embedded store in one process, timed over
 * ROUNDS writes and a rollup pass; then NAMES records arrive, each carrying
 * one new label name (half local, half remote), and the same body is timed
 * again. Printed: both medians and their ratio, with the label bound
 * (INGEST_MAX_LABEL_NAMES) at its default, and with it lifted past NAMES,
 * which is what the store did before the bound.
 *
 *   npm run bench:duckdb:labels            (NAMES=2000 ROUNDS=7; the figures in docs/benchmarks.md are NAMES=600 ROUNDS=3)
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

async function run(bound: number): Promise<{ before: number; after: number; rollupBefore: number; rollupAfter: number; kept: number; refused: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'sag-labels-bench-'));
  try {
    const db = await DuckDb.open({ path: join(dir, 'labels.duckdb'), queryTimeoutMs: 120_000 });
    const store = await DuckDbSessionStore.open(db, { retention: config.retention, clock: () => NOW });
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

const bounded = await run(config.ingest.maxLabelNames);
const unbounded = await run(NAMES + 10);
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
    { date: new Date().toISOString(), machine: machine(), names: NAMES, rounds: ROUNDS, bound: config.ingest.maxLabelNames, bounded: show(bounded), unbounded: show(unbounded) },
    null,
    2,
  )}\n`,
);
