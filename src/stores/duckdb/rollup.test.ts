import { describe, expect, it } from 'vitest';
import { TIME_END, TIME_MIN, buildTrafficQuery, formatDateTime, encodeRecords, parseDuration, parseTiers, type Retention, type SessionRecord } from '../../model/index.js';
import { sessionRecord } from '../../../test/support/records.js';
import { DuckDb } from './database.js';
import { tierDdl, tierTable } from './layout.js';
import { sliceBounds } from './rollup.js';
import { DuckDbSessionStore } from './session-store.js';

const MIN = 60_000_000_000n;
const DAY = 1440n * MIN;

const NOW = 1_795_600_800_000_000_000n;

/** An in-memory store with a day of raw retention and `tiers`, on the clock `now()`. */
async function openStore(tiers: string, now: () => bigint, foldSliceRows?: number): Promise<{ db: DuckDb; store: DuckDbSessionStore; retention: Retention }> {
  const raw = parseDuration('24h', 'raw');
  const retention = { raw, tiers: parseTiers(tiers, raw) };
  const db = await DuckDb.open({ path: ':memory:', queryTimeoutMs: 10_000 });
  const store = await DuckDbSessionStore.open(db, { retention, clock: now, ...(foldSliceRows === undefined ? {} : { foldSliceRows }) });
  return { db, store, retention };
}

function record(time: bigint, bytes: bigint, app: string): SessionRecord {
  return sessionRecord({ time, localLabels: { app }, forwardSampledBytes: bytes, reverseSampledBytes: 0n, totalBytes: bytes });
}

describe('embedded rollup job', () => {
  it('folds late records into windows already rolled up, compacts, and expires raw rows', async () => {
    let now = NOW;
    const { db, store, retention } = await openStore('5m:7d,1h:90d', () => now);
    const old = now - 2n * DAY; // only a tier can serve this after expiry
    await store.write(encodeRecords([record(old + MIN, 100n, 'web'), record(old + 2n * MIN, 50n, 'web')]));
    expect((await store.rollup.run()).deletedRaw).toBe(2);
    // A record for the same 5m window arrives late, after its window was rolled up.
    await store.write(encodeRecords([record(old + 3n * MIN, 7n, 'web'), record(old + 4n * MIN, 1n, 'new-label-value')]));
    now += MIN;
    const stats = await store.rollup.run();
    expect(stats.rolledUp['5m']).toBeGreaterThan(0);
    expect(stats.deletedRaw).toBe(2);

    const q = buildTrafficQuery(
      { range: { last: '3d' }, groupBy: [{ localLabel: 'app' }] },
      { now, retention, limits: { maxPageSize: 100, maxGroups: 100, maxSeriesPoints: 100 } },
    );
    const page = await store.traffic(q);
    // The start widened to whole windows of the 1h tier (cheapest of the two widened as little); raw rows past its watermark too.
    expect(page.meta.tier).toBe('raw+1h');
    expect(page.groups.map((g) => [g.values[0], g.traffic.totalBytes, g.traffic.sessions])).toEqual([
      ['web', 157n, 3n],
      ['new-label-value', 1n, 1n],
    ]);
    // A second run with nothing new changes nothing (each row counted once).
    await store.rollup.run();
    expect((await store.traffic(q)).total.totalBytes).toBe(158n);
    await db.close();
  });
});

describe('a tier and the raw rows it has not folded in', () => {
  it('answers exactly before, between and after rollup runs, records arriving after a run included', async () => {
    const now = NOW + 2n * MIN + 30_000_000_000n; // inside a 5m window
    const { db, store, retention } = await openStore('5m:7d', () => now);
    const ctx = { now, retention, limits: { maxPageSize: 100, maxGroups: 100, maxSeriesPoints: 100 } };
    // From 1h 2m 30s ago to 30 s ago: both inside a 5m window.
    const range = { from: formatDateTime(now - 61n * MIN - 30_000_000_000n), to: formatDateTime(now - 30_000_000_000n) };
    const q = () => buildTrafficQuery({ range, groupBy: [{ localLabel: 'app' }] }, ctx);
    const batch = (k: bigint) => [
      record(now - 63n * MIN, 1000n * k, 'before'), // before the range
      record(now - 61n * MIN, 1n * k, 'web'), // the partial window at the start
      record(now - 40n * MIN, 10n * k, 'web'), // a whole window
      record(now - 5n * MIN, 100n * k, 'db'), // a whole window
      record(now - MIN, 10_000n * k, 'db'), // the partial window at the end
      record(now - 10_000_000_000n, 5000n * k, 'web'), // after the range
    ];
    const totals = async () => {
      const page = await store.traffic(q());
      expect(page.meta.tier).toBe('raw+5m');
      expect(page.meta.from).toBe(now - 61n * MIN - 30_000_000_000n);
      return page.groups.map((g) => [g.values[0], g.traffic.totalBytes, g.traffic.sessions]);
    };
    await store.write(encodeRecords(batch(1n)));
    expect(await totals()).toEqual([['db', 10_100n, 2n], ['web', 11n, 2n]]); // nothing folded in yet
    await store.rollup.run();
    expect(await totals()).toEqual([['db', 10_100n, 2n], ['web', 11n, 2n]]);
    await store.write(encodeRecords(batch(2n))); // after the rollup ran, into windows already folded
    expect(await totals()).toEqual([['db', 30_300n, 4n], ['web', 33n, 4n]]);
    await store.rollup.run();
    expect(await totals()).toEqual([['db', 30_300n, 4n], ['web', 33n, 4n]]);
    // The tier piece really is the tier's: its rows hold what the window sums read.
    const rows = await db.read({ text: `SELECT sum(sessions) AS n FROM ${tierTable(retention.tiers[0]!)}`, params: [] });
    expect(rows[0]!['n']).toBe(12n);
    await db.close();
  });
});

describe('rollup windows at the ends of the times taken', () => {
  it('floors records of 1700 and 2249 into ten-year windows that stay 64-bit values', async () => {
    // A ten-year tier, the longest window a tier may have (MAX_RETENTION), on a clock of 1700 so that the tier keeps them all.
    const { db, store, retention } = await openStore('3650d:3650d', () => TIME_MIN + DAY);
    await store.write(encodeRecords([record(TIME_MIN, 1n, 'first'), record(TIME_MIN + 1n, 2n, 'first'), record(TIME_END - 1n, 4n, 'last'), record(-1n, 8n, 'epoch')]));
    await store.rollup.run();
    const w = 3650n * DAY;
    const floor = (t: bigint) => t - (((t % w) + w) % w);
    const rows = await db.read({ text: `SELECT window_start, sum(total_bytes) AS b FROM ${tierTable(retention.tiers[0]!)} GROUP BY ALL ORDER BY 1`, params: [] });
    expect(rows).toEqual([
      { window_start: floor(TIME_MIN), b: 3n },
      { window_start: -w, b: 8n },
      { window_start: floor(TIME_END - 1n), b: 4n },
    ]);
    expect(floor(TIME_MIN)).toBe(-8_830_080_000_000_000_000n); // 1690-03-09: more than ten years from 1677-09-21, where 64-bit nanoseconds end
    await db.close();
  });
});

describe('rollup slices', () => {
  const commits = (...rows: number[]) => rows.map((n, i) => ({ seq: BigInt(i + 11), rows: n }));

  it('takes whole commits up to the limit per slice, and a larger commit alone', () => {
    expect(sliceBounds(10n, commits(2, 2, 2, 2, 2), 4)).toEqual([10n, 12n, 14n, 15n]);
    expect(sliceBounds(10n, commits(1, 9, 1), 4)).toEqual([10n, 11n, 12n, 13n]);
    expect(sliceBounds(10n, commits(3), 4)).toEqual([10n, 11n]);
    expect(sliceBounds(10n, [], 4)).toEqual([10n]);
  });

  it('folds many commits in slices to the same sums as in one, each row once', async () => {
    const now = NOW;
    const { db, store } = await openStore('5m:7d,1h:90d', () => now, 3);
    for (let c = 0; c < 5; c++) {
      await store.write(encodeRecords([record(now - 30n * MIN + BigInt(c) * MIN, 10n, 'web'), record(now - 90n * MIN, 1n, `app-${c}`)]));
    }
    const stats = await store.rollup.run();
    // Five commits of two rows, three rows a slice: one commit per slice, two partial rows each.
    expect(stats.rolledUp).toEqual({ '5m': 10, '1h': 10 });
    expect(await store.rollup.run()).toMatchObject({ rolledUp: { '5m': 0, '1h': 0 } });
    const [tier] = await db.read({ text: `SELECT sum(total_bytes) AS b, sum(sessions) AS n FROM sessions_1h`, params: [] });
    expect(tier).toEqual({ b: 55n, n: 10n });
    await db.close();
  });
});

describe('rollup tier groups', () => {
  it('sums a tier from the finest one where it can, and from the raw rows where it cannot, to the same totals', async () => {
    const now = NOW;
    // 1h can be summed from 2m (a multiple, fewer columns); 5m cannot (not a multiple of 2m).
    const { db, store } = await openStore('2m:2d,5m:7d,1h:90d:client_port+local_ip', () => now, 4);
    const records = Array.from({ length: 12 }, (_, i) =>
      sessionRecord({ time: now - BigInt(7 * i + 1) * MIN, localIp: `10.0.0.${i % 3}`, localLabels: { app: `a${i % 2}` }, totalBytes: BigInt(i + 1) }),
    );
    for (let i = 0; i < records.length; i += 3) await store.write(encodeRecords(records.slice(i, i + 3)));
    const stats = await store.rollup.run();
    expect(Object.keys(stats.rolledUp).sort()).toEqual(['1h', '2m', '5m']);
    const sums = async (table: string) =>
      (await db.read({ text: `SELECT sum(total_bytes) AS b, sum(sessions) AS n, count(DISTINCT window_start % ${table === 'sessions_1h' ? 60n * MIN : 1n}) AS off FROM ${table}`, params: [] }))[0];
    for (const table of ['sessions_2m', 'sessions_5m', 'sessions_1h']) expect(await sums(table)).toMatchObject({ b: 78n, n: 12n });
    expect((await sums('sessions_1h'))!['off']).toBe(1n); // every 1h row starts on the hour
    const columns = await db.read({ text: `SELECT column_name FROM information_schema.columns WHERE table_name = 'sessions_1h' AND column_name = 'local_ip'`, params: [] });
    expect(columns).toEqual([]);
    expect(await store.rollup.run()).toMatchObject({ rolledUp: { '2m': 0, '5m': 0, '1h': 0 } });
    await db.close();
  });
});

describe('tier counters past BIGINT', () => {
  const BIG = 9_000_000_000_000_000_000n; // each fits BIGINT; two do not

  it('carries a sum past BIGINT as several rows, and answers it exactly, before and after compaction', async () => {
    let now = NOW;
    const { db, store, retention } = await openStore('5m:7d,1h:90d', () => now);
    const t = now - 2n * DAY + MIN;
    await store.write(encodeRecords([record(t, BIG, 'web'), record(t + MIN, BIG, 'web'), record(t + 2n * MIN, BIG, 'web'), record(t, 5n, 'db')]));
    await store.rollup.run();
    const rows = await db.read({ text: `SELECT count(*) AS n, sum(forward_sampled_bytes) AS s, sum(sessions) AS k FROM ${tierTable(retention.tiers[0]!)} WHERE "label.local.app" = 'web'`, params: [] });
    expect(rows[0]).toMatchObject({ n: 3n, k: 3n });
    expect(BigInt(String(rows[0]!['s']))).toBe(3n * BIG);
    const q = buildTrafficQuery(
      { range: { last: '3d' }, groupBy: [{ localLabel: 'app' }] },
      { now, retention, limits: { maxPageSize: 100, maxGroups: 100, maxSeriesPoints: 100 } },
    );
    const answer = async () => (await store.traffic(q)).groups.map((g) => [g.values[0], g.traffic.forwardSampledBytes, g.traffic.sessions]);
    expect(await answer()).toEqual([
      ['web', 3n * BIG, 3n],
      ['db', 5n, 1n],
    ]);
    now += DAY; // compacts again, with the rows already split
    await store.rollup.run();
    expect(await answer()).toEqual([
      ['web', 3n * BIG, 3n],
      ['db', 5n, 1n],
    ]);
    await db.close();
  });

  it('changes the HUGEINT counters of an older tier table to BIGINT, splitting the rows past it', async () => {
    const raw = parseDuration('24h', 'raw');
    const retention = { raw, tiers: parseTiers('5m:7d', raw) };
    const db = await DuckDb.open({ path: ':memory:', queryTimeoutMs: 10_000 });
    const tier = tierTable(retention.tiers[0]!);
    const huge = tierDdl(retention.tiers[0]!).replace(/(forward_sampled_bytes|forward_sampled_pkts|reverse_sampled_bytes|reverse_sampled_pkts|total_bytes) BIGINT/g, '$1 HUGEINT')
      // and no label map columns: those came later too
      .replace(/,\n  labels_local [^\n]*\n  labels_remote [^\n]*\n\)$/, '\n)');
    await db.exclusive(async (conn) => {
      await conn.run(huge);
      await conn.run(`INSERT INTO ${tier} VALUES (0, 'vn', NULL, 'vn', '1.1.1.1', '1.1.1.2', '1.1.1.3', 80, 6, 'client', 20000000000000000000, 1, 0, 0, 20000000000000000000, 4),
        (0, 'vn', NULL, 'vn', '1.1.1.1', '1.1.1.2', '1.1.1.3', 443, 6, 'client', 7, 1, 0, 0, 7, 2)`);
    });
    await DuckDbSessionStore.open(db, { retention, clock: () => NOW });
    const types = await db.read({ text: `SELECT DISTINCT data_type FROM information_schema.columns WHERE table_name = '${tier}' AND column_name LIKE '%_b%s'`, params: [] });
    expect(types.map((r) => r['data_type'])).toEqual(['BIGINT']);
    const rows = await db.read({ text: `SELECT server_port, count(*) AS n, sum(forward_sampled_bytes)::VARCHAR AS s, sum(sessions) AS k FROM ${tier} GROUP BY 1 ORDER BY 1`, params: [] });
    expect(rows).toEqual([
      { server_port: 80, n: 3n, s: '20000000000000000000', k: 4n },
      { server_port: 443, n: 1n, s: '7', k: 2n },
    ]);
    await db.close();
  });
});

describe('a fold that runs out of memory', () => {
  it('halves its slice and goes on from the watermark, the tiers exact, instead of failing every run', async () => {
    const now = NOW;
    const { db, store, retention } = await openStore('5m:7d,1h:90d', () => now, 40_000);
    // Four commits of 10 000 records: one slice of 40 000 rows at first.
    for (let c = 0; c < 4; c++) {
      await store.write(encodeRecords(Array.from({ length: 10_000 }, (_, i) => record(now - 30n * MIN + BigInt(c * 10_000 + i), 1n, `app-${i % 7}`))));
    }
    // DuckDB runs out of memory on a fold of more than two commits (20 000 rows), as it did at DUCKDB_MEMORY_LIMIT=64MB.
    const transaction = db.transaction.bind(db);
    let refused = 0;
    db.transaction = (fn) =>
      transaction((conn) =>
        fn(
          new Proxy(conn, {
            get(target, p) {
              const value = Reflect.get(target, p) as unknown;
              if (p !== 'run') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
              return (sql: string, params?: unknown[]) => {
                if (sql.startsWith('CREATE OR REPLACE TEMP TABLE folding AS') && (params![2] as bigint) - (params![1] as bigint) > 2n) {
                  refused++;
                  return Promise.reject(new Error('Out of Memory Error: failed to pin block of size 256.0 KiB (test)'));
                }
                return target.run(sql, params as never);
              };
            },
          }),
        ),
      );
    const stats = await store.rollup.run();
    expect(refused).toBe(1);
    expect(store.rollup.foldSliceRows).toBe(20_000);
    expect(stats.rolledUp['5m']).toBeGreaterThan(0);
    const q = buildTrafficQuery(
      { range: { last: '1h' }, groupBy: [{ localLabel: 'app' }] },
      { now, retention, limits: { maxPageSize: 100, maxGroups: 100, maxSeriesPoints: 100 } },
    );
    const page = await store.traffic(q);
    expect(page.meta.tier).not.toBe('raw');
    expect(page.total.totalBytes).toBe(40_000n);
    expect(page.total.sessions).toBe(40_000n);
    // Nothing left to fold: a second run refuses nothing and counts nothing twice.
    await store.rollup.run();
    expect(refused).toBe(1);
    expect((await store.traffic(q)).total.totalBytes).toBe(40_000n);
    await db.close();
  });
});
