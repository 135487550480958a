/**
 * GroupValue.uve on OpenSearch: one `_mget` of 100 names (what the
 * DataLoader sends for a page of 100 groups) against 100 single GETs (what
 * resolving each group on its own would send), measured in the same run on
 * the same index, interleaved so both see the same node state.
 *
 *   scripts/services/opensearch.sh start
 *   npm run bench:uve            # or OPENSEARCH_URL=... npm run bench:uve
 *
 * It also times the write path with the production refresh interval (1s,
 * refresh=wait_for): upserts one after another against one upsertMany
 * (`_bulk`), since an acknowledged write waits for the next refresh.
 *
 * Environment: OPENSEARCH_URL (default: the URL written by opensearch.sh),
 * BENCH_DOCS (UVEs in the index, default 10000), BENCH_ROUNDS (default 200).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { OpenSearchUveStore, templateName } from '../../src/stores/opensearch/index.js';
import { fmt, machine, percentile, time } from '../support.js';

const PAGE = 100;
const DOCS = Number(process.env['BENCH_DOCS'] ?? 10_000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 200);
const TYPE = 'virtual-network';

function nodeUrl(): string {
  if (process.env['OPENSEARCH_URL']) return process.env['OPENSEARCH_URL'];
  try {
    const env = readFileSync(join(homedir(), '.cache', 'session-analytics-gateway', 'run', 'opensearch.env'), 'utf8');
    return /^OPENSEARCH_URL=(.+)$/m.exec(env)?.[1]?.trim() ?? 'http://127.0.0.1:9200';
  } catch {
    return 'http://127.0.0.1:9200';
  }
}

/** A virtual-network UVE of a realistic size (about 1 KiB of JSON). */
function document(i: number): Record<string, unknown> {
  return {
    UveVirtualNetworkAgent: {
      in_bytes: i * 1013,
      out_bytes: i * 977,
      in_tpkts: i * 7,
      out_tpkts: i * 5,
      virtualmachine_list: Array.from({ length: 4 }, (_, k) => `vm-${i}-${k}`),
      vn_stats: Array.from({ length: 3 }, (_, k) => ({ other_vn: `default-domain:k8s-ns:net-${k}`, in_bytes: k * i, out_bytes: k })),
    },
    UveVirtualNetworkConfig: {
      total_acl_rules: i % 17,
      routing_instance_list: [`default-domain:k8s-ns:net-${i}:net-${i}`],
      connected_networks: [`default-domain:k8s-ns:net-${(i + 1) % DOCS}`],
    },
  };
}

const nameOf = (i: number) => `default-domain:k8s-ns${i % 50}:net-${String(i).padStart(6, '0')}`;

async function main(): Promise<void> {
  const url = nodeUrl();
  const prefix = `sagbench-${Date.now().toString(36)}-`;
  const store = OpenSearchUveStore.open({
    connection: { url, requestTimeoutMs: 30_000 },
    indexPrefix: prefix,
    refreshIntervalMs: 1000,
    clock: () => BigInt(Date.now()) * 1_000_000n,
  });
  try {
    await store.ping();
  } catch {
    process.stderr.write(`no OpenSearch node answers at ${url}; start one with scripts/services/opensearch.sh start\n`);
    process.exit(2);
  }
  try {
    process.stdout.write(`machine: ${machine()}\nnode: ${url}\nloading ${DOCS} UVEs...\n`);
    const load = await time(() =>
      store.upsertMany(Array.from({ length: DOCS }, (_, i) => ({ type: TYPE, name: nameOf(i), document: document(i) }))),
    );
    const serialWrites: number[] = [];
    for (let i = 0; i < 10; i++) serialWrites.push(await time(() => store.upsert(TYPE, nameOf(i), document(i))));
    // Pages of 100 names spread over the index; every 10th absent.
    let seed = 42;
    const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const page = () => Array.from({ length: PAGE }, (_, k) => (k % 10 === 9 ? `absent-${k}` : nameOf(Math.floor(rand() * DOCS))));

    const mget: number[] = [];
    const parallel: number[] = [];
    const serial: number[] = [];
    for (let round = -20; round < ROUNDS; round++) {
      const names = page();
      const a = await time(async () => {
        const docs = await store.getMany(TYPE, names);
        if (docs.filter((d) => d !== null).length !== 90) throw new Error('unexpected _mget answer');
      });
      const b = await time(() => Promise.all(names.map((n) => store.get(TYPE, n))));
      const c = round % 4 === 0 ? await time(async () => {
        for (const n of names) await store.get(TYPE, n);
      }) : -1;
      if (round < 0) continue; // warm-up
      mget.push(a);
      parallel.push(b);
      if (c >= 0) serial.push(c);
    }
    const row = (what: string, s: number[]) =>
      `| ${what} | ${s.length} | ${fmt(percentile(s, 50))} | ${fmt(percentile(s, 95))} |`;
    process.stdout.write(
      [
        '',
        `| ${PAGE} UVEs of one type (${DOCS} in the index) | rounds | p50 | p95 |`,
        '|---|---|---|---|',
        row('one `_mget` (DataLoader, GroupValue.uve)', mget),
        row(`${PAGE} single GETs, concurrent`, parallel),
        row(`${PAGE} single GETs, one after another`, serial),
        '',
        `| writes, refresh_interval 1s, refresh=wait_for | writes | time |`,
        '|---|---|---|',
        `| one upsertMany (\`_bulk\`, 1000 per request, 4 in flight) | ${DOCS} | ${fmt(load)} |`,
        `| one upsert (p50 of ${serialWrites.length}, one after another) | 1 | ${fmt(percentile(serialWrites, 50))} |`,
        '',
      ].join('\n'),
    );
  } finally {
    await fetch(`${url}/${prefix}*`, { method: 'DELETE' }).catch(() => undefined);
    await fetch(`${url}/_index_template/${templateName(prefix)}`, { method: 'DELETE' }).catch(() => undefined);
    await store.close();
  }
}

await main();
