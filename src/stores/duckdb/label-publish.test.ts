import { describe, expect, it } from 'vitest';
import { buildTrafficQuery, encodeRecords, parseDuration, parseTiers, type BuildContext, type Retention } from '../../model/index.js';
import { sessionRecord } from '../../../test/support/records.js';
import { DuckDb } from './database.js';
import { DuckDbSessionStore } from './session-store.js';

const NOW = 1_795_600_800_000_000_000n;
const raw = parseDuration('24h', 'raw');
const retention: Retention = { raw, tiers: parseTiers('5m:7d,1h:90d', raw) };
const ctx: BuildContext = { now: NOW, retention, limits: { maxPageSize: 10_000, maxGroups: 100_000, maxSeriesPoints: 10_000 } };

/** Issue 15, item 4: a label column is published to queries only once the transaction that adds it committed. */
describe('label columns and concurrent queries', () => {
  it('answers every query grouping by a label while the write that adds its column commits', async () => {
    const db = await DuckDb.open({ path: ':memory:', queryTimeoutMs: 10_000 });
    try {
      const store = await DuckDbSessionStore.open(db, { retention, clock: () => NOW });
      for (let round = 0; round < 8; round++) {
        const name = `fresh${round}`;
        const records = Array.from({ length: 3000 }, (_, i) => sessionRecord({ time: NOW - 1_000_000n - BigInt(i), localLabels: { [name]: `v${i % 3}` } }));
        const q = buildTrafficQuery({ range: { last: '1h' }, groupBy: [{ localLabel: name }] }, ctx);
        let written = false;
        const write = store.write(encodeRecords(records)).then(() => (written = true));
        const answers: number[] = [];
        while (!written) answers.push((await store.traffic(q)).totalCount);
        await write;
        // Each answer is of before the commit (the label missing: one null group of the older rounds, or none), of a query compiled
        // before the column was published that read the committed rows (one null group), or of after it (three values more); none fails.
        const before = round === 0 ? 0 : 1;
        expect(answers.filter((n) => n !== before && n !== 1 && n !== before + 3)).toEqual([]);
        expect((await store.traffic(q)).groups.map((g) => g.values[0]).sort()).toEqual(round === 0 ? ['v0', 'v1', 'v2'] : [null, 'v0', 'v1', 'v2']);
      }
    } finally {
      await db.close();
    }
  });
});
