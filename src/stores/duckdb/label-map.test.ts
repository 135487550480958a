import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildFilter,
  buildLabelNamesQuery,
  buildRecordsQuery,
  buildTrafficQuery,
  buildValuesQuery,
  encodeRecords,
  encodeRecordsCursor,
  parseDuration,
  parseTiers,
  type BuildContext,
  type Retention,
  type SessionRecord,
} from '../../model/index.js';
import { sessionRecord } from '../../../test/support/records.js';
import { HOSTILE_STRINGS } from '../../../test/support/hostile.js';
import { labelExpr } from './compile.js';
import { DuckDb } from './database.js';
import { LABEL_MAP_COLUMNS, RAW_TABLE, tierTable } from './layout.js';
import { DuckDbSessionStore } from './session-store.js';
import { Params } from './sql.js';

const NOW = 1_795_600_800_000_000_000n;
const raw = parseDuration('24h', 'raw');
const retention: Retention = { raw, tiers: parseTiers('5m:7d,1h:90d', raw) };
const ctx: BuildContext = { now: NOW, retention, limits: { maxPageSize: 10_000, maxGroups: 100_000, maxSeriesPoints: 10_000 } };

// Label names as LABEL_NAME allows them, odd ones included; values from the hostile strings (SQL syntax, quotes, backslashes, unicode).
const NAMES = ['app', 'team', 'z.example.com/tier', '..', '-', 'a/b.c-d_e'];
const values = [...HOSTILE_STRINGS, '', 'plain'];

/** Records each carrying a different subset of the names on each side. */
function records(count: number, at: bigint): SessionRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const pick = (side: number) =>
      Object.fromEntries(NAMES.filter((_, n) => (i + n + side) % 3 !== 0).map((name, n) => [name, values[(i * 7 + n + side) % values.length]!]));
    return sessionRecord({ time: at - BigInt(i) * 1_000_000n, clientPort: 30_000 + i, localLabels: pick(0), remoteLabels: pick(1), totalBytes: BigInt(i + 1) });
  });
}

interface Opened {
  readonly db: DuckDb;
  readonly store: DuckDbSessionStore;
}

async function open(path: string, labelColumns: number): Promise<Opened> {
  const db = await DuckDb.open({ path, queryTimeoutMs: 30_000 });
  return { db, store: await DuckDbSessionStore.open(db, { retention, clock: () => NOW, labelColumns }) };
}

/** Every answer of a store the test compares: traffic grouped and filtered, values, label names, records and a tail, without meta. */
async function answers(store: DuckDbSessionStore, last: string): Promise<unknown> {
  const range = { last };
  const out: Record<string, unknown> = {};
  for (const name of NAMES) {
    const hostile = values[3]!;
    const grouped = await store.traffic(
      buildTrafficQuery({ range, groupBy: [{ localLabel: name }, { remoteLabel: name }], orderBy: { metric: 'SESSIONS', direction: 'ASC' }, first: 1000 }, ctx),
    );
    const filters = [
      { localLabels: [{ name, eq: hostile }] },
      { remoteLabels: [{ name, in: [values[0]!, values[5]!] }] },
      { localLabels: [{ name, exists: false }] },
      { not: { localLabels: [{ name, prefix: 'a' }] } },
      { localLabels: [{ name, regex: '^[a-z]' }], remoteLabels: [{ name, ne: 'plain' }] },
    ];
    const filtered = [];
    for (const where of filters) filtered.push((await store.traffic(buildTrafficQuery({ range, where, groupBy: [{ localLabel: name }], first: 1000 }, ctx))).groups);
    const vals = await store.values(buildValuesQuery({ range, key: { remoteLabel: name }, first: 1000 }, ctx));
    const prefixed = await store.values(buildValuesQuery({ range, key: { localLabel: name }, prefix: 'a', first: 1000 }, ctx));
    out[name] = { grouped: grouped.groups, total: grouped.total, filtered, values: vals.values, prefixed: prefixed.values };
  }
  for (const side of ['LOCAL', 'REMOTE'] as const) {
    for (const prefix of [null, 'a', '.', 'z.example.com/']) {
      out[`names ${side} ${prefix}`] = (await store.labelNames(buildLabelNamesQuery({ range, side, prefix }, ctx))).names;
      out[`names ${side} ${prefix} where`] = (
        await store.labelNames(buildLabelNamesQuery({ range, side, prefix, where: { localLabels: [{ name: 'team', eq: values[1]! }] } }, ctx))
      ).names;
    }
  }
  const pages: SessionRecord[][] = [];
  let after: string | null = null;
  for (let i = 0; i < 100; i++) {
    const q = buildRecordsQuery({ range: { last: '1h' }, first: 7, after, where: { remoteLabels: [{ name: 'a/b.c-d_e', exists: true }] } }, ctx);
    const page = await store.records(q);
    pages.push([...page.records]);
    if (page.next === null) break;
    after = encodeRecordsCursor(q, page.next);
  }
  out['records'] = pages;
  out['tail'] = (await store.tail({ filter: buildFilter({ localLabels: [{ name: '..', ne: values[2]! }] }), from: null, until: null, since: null, limit: 10_000 })).records;
  return out;
}

describe('label names past the column budget (issue 15, item 2)', () => {
  let dir: string;
  let wide: Opened;
  let narrow: Opened;
  // The last ones past the raw retention: the rollup folds them into the tiers and expires them from raw, so only a tier answers for them.
  const written = [...records(300, NOW - 10_000_000_000n), ...records(200, NOW - 2n * 3_600_000_000_000n)];
  const old = records(100, NOW - 30n * 3_600_000_000_000n);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sag-label-map-'));
    wide = await open(':memory:', 64);
    narrow = await open(join(dir, 'narrow.duckdb'), 1);
    for (const s of [wide, narrow]) {
      await s.store.write(encodeRecords(written.slice(0, 250)));
      await s.store.write(encodeRecords(written.slice(250)));
      await s.store.write(encodeRecords(old));
      expect((await s.store.rollup.run()).deletedRaw).toBe(old.length);
    }
  });

  afterAll(async () => {
    await wide.db.close();
    await narrow.db.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the first name of each side a column and every later one a key of the side map, in raw and in each tier', async () => {
    const cols = await narrow.db.read({ text: `SELECT table_name, column_name FROM information_schema.columns WHERE column_name LIKE 'label%' ORDER BY ALL`, params: [] });
    const byTable = (t: string) => cols.filter((c) => c['table_name'] === t).map((c) => String(c['column_name']));
    const rawColumns = byTable(RAW_TABLE);
    expect(rawColumns.filter((c) => c.startsWith('label.local.'))).toHaveLength(1);
    expect(rawColumns.filter((c) => c.startsWith('label.remote.'))).toHaveLength(1);
    expect(rawColumns.filter((c) => !c.startsWith('label.'))).toEqual([LABEL_MAP_COLUMNS.local, LABEL_MAP_COLUMNS.remote]);
    for (const t of retention.tiers.map(tierTable)) expect(byTable(t)).toEqual(rawColumns);
    // The tiers hold the mapped names too.
    const keys = await narrow.db.read({ text: `SELECT DISTINCT unnest(map_keys(${LABEL_MAP_COLUMNS.local})) AS k FROM ${tierTable(retention.tiers[0]!)} ORDER BY k`, params: [] });
    expect(keys.map((k) => k['k'])).toHaveLength(NAMES.length - 1);
    const stored = await narrow.store.storedLabelNames();
    expect([...stored.local].sort()).toEqual([...NAMES].sort());
    expect([...stored.remote].sort()).toEqual([...NAMES].sort());
  });

  it('filters, groups, hints and returns records of a mapped label exactly as of a column label, from raw and from the tiers', async () => {
    const week = await narrow.store.traffic(buildTrafficQuery({ range: { last: '7d' }, groupBy: [{ localLabel: 'team' }] }, ctx));
    expect(week.meta.tier).not.toBe('raw');
    expect(week.total.sessions).toBe(BigInt(written.length + old.length));
    for (const last of ['1h', '3h', '7d']) {
      expect(await answers(narrow.store, last)).toEqual(await answers(wide.store, last));
    }
    // Every record back with all its labels.
    const back = await narrow.store.tail({ filter: buildFilter(null), from: null, until: null, since: null, limit: 10_000 });
    const key = (r: SessionRecord) => `${r.time}:${r.clientPort}`;
    const sent = new Map(written.map((r) => [key(r), r]));
    expect(back.records.length).toBe(written.length);
    for (const r of back.records) {
      expect(r.localLabels).toEqual(sent.get(key(r))!.localLabels);
      expect(r.remoteLabels).toEqual(sent.get(key(r))!.remoteLabels);
    }
  });

  it('reads a mapped label through the map column, its name a bound parameter', async () => {
    const mapped = (await narrow.store.storedLabelNames()).local.find((n) => n !== 'app' && n !== 'team')!;
    const q = buildTrafficQuery({ range: { last: '1h' }, groupBy: [{ localLabel: mapped }], where: { localLabels: [{ name: mapped, eq: values[3]! }] } }, ctx);
    const got = await narrow.store.traffic(q);
    expect(got.meta.query).toContain(`${LABEL_MAP_COLUMNS.local}['${mapped}']`);
    const p = new Params();
    const schema = { labelColumns: new Set<string>(), mappedLabels: { local: new Set(['x']), remote: new Set<string>() } };
    expect(labelExpr('local', 'x', schema, p)).toBe(`${LABEL_MAP_COLUMNS.local}[$1]`);
    expect(p.values).toEqual(['x']);
    expect(labelExpr('remote', 'x', schema, p)).toBe('CAST(NULL AS VARCHAR)');
  });

  it('learns the mapped names again when reopened, and keeps each name in the form it has', async () => {
    const path = join(dir, 'narrow.duckdb');
    const before = await answers(narrow.store, '3h');
    await narrow.db.close();
    narrow = await open(path, 1);
    expect(await answers(narrow.store, '3h')).toEqual(before);
    const stored = await narrow.store.storedLabelNames();
    expect([...stored.local].sort()).toEqual([...NAMES].sort());
    // A raised budget gives new names columns, never one the map holds already.
    const labelCols = async () =>
      (await narrow.db.read({ text: `SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND column_name LIKE 'label.%'`, params: [RAW_TABLE] }))
        .map((c) => String(c['column_name']))
        .sort();
    const columns = await labelCols();
    const mappedName = NAMES.find((n) => !columns.includes(`label.local.${n}`))!;
    await narrow.db.close();
    narrow = await open(path, 64);
    await narrow.store.write(encodeRecords([sessionRecord({ time: NOW - 5n, localLabels: { [mappedName]: 'again', fresh: 'new' } })]));
    expect(await labelCols()).toEqual([...columns, 'label.local.fresh'].sort());
    const again = await narrow.store.values(buildValuesQuery({ range: { last: '1h' }, key: { localLabel: mappedName }, where: { localLabels: [{ name: 'fresh', exists: true }] } }, ctx));
    expect(again.values.map((v) => v.value)).toEqual(['again']);
  });

  it('opens a store whose every name is a column (written before the maps), keeps those columns and maps only new names', async () => {
    const path = join(dir, 'old.duckdb');
    const old = await open(path, 1000);
    await old.store.write(encodeRecords(records(50, NOW - 1_000_000_000n)));
    // As a store of before the map columns: no map column at all.
    for (const t of [RAW_TABLE, ...retention.tiers.map(tierTable)]) {
      for (const m of Object.values(LABEL_MAP_COLUMNS)) await old.db.exclusive((conn) => conn.run(`ALTER TABLE ${t} DROP COLUMN ${m}`));
    }
    await old.db.close();
    const reopened = await open(path, 2);
    try {
      await reopened.store.write(encodeRecords([sessionRecord({ time: NOW - 7n, localLabels: { app: values[4]!, late: values[6]! } })]));
      await reopened.store.rollup.run();
      const cols = await reopened.db.read({ text: `SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND column_name LIKE 'label%'`, params: [RAW_TABLE] });
      expect(cols).toHaveLength(2 * NAMES.length + 2);
      const late = await reopened.store.values(buildValuesQuery({ range: { last: '1h' }, key: { localLabel: 'late' } }, ctx));
      expect(late.values).toEqual([{ value: null, total: 50n }, { value: values[6]!, total: 1n }].sort((a, b) => (a.total > b.total ? -1 : 1)));
      const rec = await reopened.store.records(buildRecordsQuery({ range: { last: '1h' }, first: 1, where: { localLabels: [{ name: 'late', exists: true }] } }, ctx));
      expect(rec.records[0]!.localLabels).toEqual({ app: values[4]!, late: values[6]! });
    } finally {
      await reopened.db.close();
    }
  });
});
