/**
 * The dead-letter log alone: appends per second to a real file on this
 * machine's disk, with 1, 8 and 64 concurrent appenders (each an ingest
 * request that keeps a few rejects and waits until they are synced), and
 * how many fdatasync calls that took. Segments rotate at the default 16 MiB
 * on the way. No timing in tests: this is the
 * measurement docs/benchmarks.md records.
 *
 *   npx tsx bench/dead-letter.ts
 *   DL_MS=5000 DL_DIR=/var/tmp npx tsx bench/dead-letter.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDeadLetterLog, type DeadLetter } from '../src/ingest/index.js';
import { machine } from './support.js';

const MS = Number(process.env['DL_MS'] ?? 3000);
const DIR = process.env['DL_DIR'] ?? tmpdir();

/** A reject as the HTTP listener keeps it: a flat record and its reason, some 660 bytes a line. */
function reject(i: number): DeadLetter {
  return {
    source: 'http:/ingest/sessions',
    index: i,
    reason: `line ${i + 1}: client_port: 70000 is outside 0..65535`,
    raw: {
      time: '2026-11-25T10:00:00.123456789Z',
      vn: 'default-domain:k8s-shop:shop-pod-network',
      vmi: 'default-domain:k8s-shop:web-vmi',
      remote_vn: 'default-domain:k8s-billing:billing-pod-network',
      vrouter_ip: '192.168.0.11',
      local_ip: '10.244.1.5',
      client_port: 70000,
      remote_ip: '10.244.7.9',
      server_port: 8443,
      protocol: 6,
      session_type: 'client',
      labels: { local: { app: 'web', tier: 'front' }, remote: { app: 'ledger' } },
      forward_sampled_bytes: 100,
      forward_sampled_pkts: 1,
      reverse_sampled_bytes: 200,
      reverse_sampled_pkts: 2,
    },
  };
}

// Counts fdatasync calls on every FileHandle (the class is not exported: take it from a handle).
let syncs = 0;
{
  const probe = await open(join(DIR, `dead-letter-probe-${process.pid}`), 'w');
  const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
  const datasync = proto.datasync;
  proto.datasync = function (this: unknown) {
    syncs++;
    return datasync.call(this);
  };
  await probe.close();
  rmSync(join(DIR, `dead-letter-probe-${process.pid}`));
}

async function run(concurrency: number, perRequest: number): Promise<string> {
  const dir = mkdtempSync(join(DIR, 'dead-letter-bench-'));
  // The default bounds: 16 MiB segments, 256 MiB in all, 7 days.
  const log = new FileDeadLetterLog({
    path: join(dir, 'dead-letter.ndjson'),
    clock: () => BigInt(Date.now()) * 1_000_000n,
    maxBytes: 256 * 2 ** 20,
    segmentBytes: 16 * 2 ** 20,
    maxAge: { ns: 7n * 86_400_000_000_000n, text: '7d' },
  });
  await log.open();
  const entries = Array.from({ length: perRequest }, (_, i) => reject(i));
  let requests = 0;
  syncs = 0;
  const end = Date.now() + MS;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        await log.append(entries);
        requests++;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await log.close();
  rmSync(dir, { recursive: true, force: true });
  return `| ${concurrency} | ${perRequest} | ${Math.round(requests / seconds)} | ${Math.round((requests * perRequest) / seconds)} | ${(syncs / requests).toFixed(2)} |`;
}

console.log(machine());
console.log(`${MS} ms per row, files under ${DIR}`);
console.log('| appenders | rejects per append | appends/s | rejects/s | fdatasync per append |');
console.log('|---|---|---|---|---|');
for (const [c, n] of [
  [1, 1],
  [8, 1],
  [64, 1],
  [64, 20],
] as const) {
  console.log(await run(c, n));
}
