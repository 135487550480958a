import { DuckDb, DuckDbSessionStore, DuckDbUveStore } from '../../src/stores/duckdb/index.js';
import { describeSessionConformance } from './session-suite.js';
import { describeUveConformance } from './uve-suite.js';

describeSessionConformance('duckdb', async ({ now, retention }) => {
  const db = await DuckDb.open({ path: ':memory:', queryTimeoutMs: 30_000 });
  const store = await DuckDbSessionStore.open(db, { retention, clock: () => now });
  let first = true;
  return {
    store,
    // Fold everything into the tiers, then expire raw rows past 24h, so
    // old ranges can only be answered from the tiers.
    afterWrite: async () => {
      const stats = await store.rollup.run();
      if (first && stats.deletedRaw === 0) throw new Error('expected raw rows past the retention to be expired');
      first = false;
    },
    cleanup: async () => {
      await store.close();
      await db.close();
    },
  };
});

describeUveConformance('duckdb', async () => {
  const db = await DuckDb.open({ path: ':memory:', queryTimeoutMs: 30_000 });
  const store = await DuckDbUveStore.open(db, () => 1_795_000_000_000_000_000n);
  return { store, cleanup: () => db.close() };
});
