import { parseDuration, parseTiers } from '../../src/model/index.js';
import { DuckDbThread } from '../../src/stores/duckdb/index.js';
import { describeEpochBuckets } from './epoch-suite.js';
import { describeFlowConformance } from './flow-suite.js';
import { describeSessionConformance } from './session-suite.js';
import { describeTenancyConformance } from './tenancy-suite.js';
import { describeTierConformance } from './tier-suite.js';
import { describeUveConformance } from './uve-suite.js';
import { describeUveTenancyConformance } from './uve-tenancy-suite.js';

// Both suites go through the DuckDB thread, as the gateway does: records,
// queries, answers and errors all cross between threads.
describeSessionConformance('duckdb', async ({ now, retention }) => {
  const thread = await DuckDbThread.start({
    db: { path: ':memory:', queryTimeoutMs: 30_000 },
    retention,
    sessions: true,
    uves: false,
    clock: () => now,
  });
  let first = true;
  return {
    store: thread.sessions(),
    // Fold everything into the tiers, then expire raw rows past 24h, so
    // old ranges can only be answered from the tiers.
    afterWrite: async () => {
      const stats = await thread.rollup();
      if (first && stats.deletedRaw === 0) throw new Error('expected raw rows past the retention to be expired');
      first = false;
    },
    cleanup: () => thread.close(),
  };
});

// The same cases an hour after the Unix epoch, so that ranges, raw buckets
// and tier windows cross it: a window before 1970 starts at a multiple of
// its width before it (floor), as in the reference and InfluxDB, not at 0.
describeSessionConformance(
  'duckdb around the Unix epoch',
  async ({ now, retention }) => {
    const thread = await DuckDbThread.start({ db: { path: ':memory:', queryTimeoutMs: 30_000 }, retention, sessions: true, uves: false, clock: () => now });
    return { store: thread.sessions(), afterWrite: async () => void (await thread.rollup()), cleanup: () => thread.close() };
  },
  { now: 3_600_000_000_000n },
);

describeEpochBuckets('duckdb', async ({ now, retention }) => {
  const thread = await DuckDbThread.start({ db: { path: ':memory:', queryTimeoutMs: 30_000 }, retention, sessions: true, uves: false, clock: () => now });
  return { store: thread.sessions(), cleanup: () => thread.close() };
});

describeUveConformance('duckdb', async () => {
  const raw = parseDuration('24h', 'RAW_RETENTION');
  const thread = await DuckDbThread.start({
    db: { path: ':memory:', queryTimeoutMs: 30_000 },
    retention: { raw, tiers: parseTiers('5m:7d', raw) },
    sessions: false,
    uves: true,
    clock: () => 1_795_000_000_000_000_000n,
  });
  return { store: thread.uves(), cleanup: () => thread.close() };
});

describeFlowConformance('duckdb', async ({ now, retention }) => {
  const thread = await DuckDbThread.start({
    db: { path: ':memory:', queryTimeoutMs: 30_000 },
    retention,
    sessions: true,
    uves: false,
    clock: () => now,
  });
  return { store: thread.sessions(), afterWrite: async () => void (await thread.rollup()), cleanup: () => thread.close() };
});

describeTenancyConformance('duckdb', async ({ now, retention }) => {
  const thread = await DuckDbThread.start({ db: { path: ':memory:', queryTimeoutMs: 30_000 }, retention, sessions: true, uves: false, clock: () => now });
  return { store: thread.sessions(), afterWrite: async () => void (await thread.rollup()), cleanup: () => thread.close() };
});

describeTierConformance('duckdb', async ({ now, retention }) => {
  const thread = await DuckDbThread.start({ db: { path: ':memory:', queryTimeoutMs: 30_000 }, retention, sessions: true, uves: false, clock: () => now });
  return { store: thread.sessions(), afterWrite: async () => void (await thread.rollup()), cleanup: () => thread.close() };
});

describeUveTenancyConformance('duckdb', async () => {
  const raw = parseDuration('24h', 'RAW_RETENTION');
  const thread = await DuckDbThread.start({
    db: { path: ':memory:', queryTimeoutMs: 30_000 },
    retention: { raw, tiers: parseTiers('5m:7d', raw) },
    sessions: false,
    uves: true,
    clock: () => 1_795_000_000_000_000_000n,
  });
  return { store: thread.uves(), cleanup: () => thread.close() };
});

// The same suites with labels past the column budget (DUCKDB_LABEL_COLUMNS):
// with 0 every label is a key of its side's map column, with 1 the first
// name of each side is a column and the others are map keys. Each answer
// must be the one the columns give (docs/decisions.md, "Label names past
// the column budget").
for (const labelColumns of [0, 1]) {
  const mapped = async ({ now, retention }: { now: bigint; retention: Parameters<typeof DuckDbThread.start>[0]['retention'] }) => {
    const thread = await DuckDbThread.start({ db: { path: ':memory:', queryTimeoutMs: 30_000 }, retention, sessions: true, uves: false, labelColumns, clock: () => now });
    return { store: thread.sessions(), afterWrite: async () => void (await thread.rollup()), cleanup: () => thread.close() };
  };
  describeSessionConformance(`duckdb, ${labelColumns} label columns per side`, mapped);
  describeFlowConformance(`duckdb, ${labelColumns} label columns per side`, mapped);
  describeTierConformance(`duckdb, ${labelColumns} label columns per side`, mapped);
  describeTenancyConformance(`duckdb, ${labelColumns} label columns per side`, mapped);
}
