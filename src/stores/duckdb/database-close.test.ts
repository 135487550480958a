import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRecords, parseDuration, parseTiers, type Retention } from '../../model/index.js';
import { sessionRecord } from '../../../test/support/records.js';
import { DuckDb } from './database.js';
import { DuckDbSessionStore } from './session-store.js';

const NOW = 1_795_600_800_000_000_000n;
const raw = parseDuration('24h', 'raw');
const retention: Retention = { raw, tiers: parseTiers('5m:7d,1h:90d', raw) };
const CLOSED = { code: 'BACKEND_UNAVAILABLE', message: 'the duckdb store is closed' };

/** 'fulfilled' or 'rejected' if `p` settles before the event loop turns (no timer involved), else 'pending'. */
function stateNow(p: Promise<unknown>): Promise<'fulfilled' | 'rejected' | 'pending'> {
  return Promise.race([
    p.then(() => 'fulfilled' as const, () => 'rejected' as const),
    new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending'))),
  ]);
}

describe('DuckDb.close', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('settles a rollup run whose next step is queued after close, with BACKEND_UNAVAILABLE "store closed"', async () => {
    const db = await DuckDb.open({ path: ':memory:', queryTimeoutMs: 10_000 });
    const store = await DuckDbSessionStore.open(db, { retention, clock: () => NOW });
    await store.write(encodeRecords([sessionRecord({ time: NOW - 1_000n })]));
    // The run queues its first step now and the rest after close was called.
    const run = store.rollup.run();
    const closed = db.close();
    await expect(run).rejects.toMatchObject(CLOSED);
    await expect(closed).resolves.toBeUndefined();
  });

  it('runs every change and read queued before close, then closes the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sag-duckdb-close-'));
    dirs.push(dir);
    const path = join(dir, 'store.duckdb');
    const db = await DuckDb.open({ path, queryTimeoutMs: 10_000 });
    const store = await DuckDbSessionStore.open(db, { retention, clock: () => NOW });
    const written = store.write(encodeRecords([sessionRecord({ time: NOW - 1n }), sessionRecord({ time: NOW - 2n })]));
    const change = db.exclusive(async (conn) => (await conn.runAndReadAll('SELECT 41 + 1 AS v')).getRowObjects());
    const read = db.read({ text: 'SELECT 7 AS v', params: [] });
    const lookup = db.lookup({ text: 'SELECT $1::INTEGER AS v', params: [9] });
    await db.close();
    await expect(written).resolves.toBeUndefined();
    expect(await change).toEqual([{ v: 42 }]);
    expect(await read).toEqual([{ v: 7 }]);
    expect(await lookup).toEqual([{ v: 9 }]);
    // Closed means released: the file opens again, with the write in it.
    const again = await DuckDb.open({ path, queryTimeoutMs: 10_000 });
    expect(await again.read({ text: 'SELECT count(*) AS n FROM sessions', params: [] })).toEqual([{ n: 2n }]);
    await again.close();
  });

  it('resolves only after the reads in flight have answered', async () => {
    const db = await DuckDb.open({ path: ':memory:', queryTimeoutMs: 10_000 });
    // Nothing queued on the writer: only the read holds the close back.
    const read = db.read({ text: 'SELECT count(*) AS n FROM range(100000) t(i) WHERE i % 7 = 3', params: [] });
    const order: string[] = [];
    void read.then(() => order.push('read'));
    await db.close();
    order.push('closed');
    expect(order).toEqual(['read', 'closed']);
    expect(await read).toEqual([{ n: 14286n }]);
  });

  it('refuses at once whatever comes after close, without running it', async () => {
    const db = await DuckDb.open({ path: ':memory:', queryTimeoutMs: 10_000 });
    const store = await DuckDbSessionStore.open(db, { retention, clock: () => NOW });
    const closing = db.close();
    let ran = false;
    const calls = {
      exclusive: db.exclusive(async () => (ran = true)),
      transaction: db.transaction(async () => (ran = true)),
      read: db.read({ text: 'SELECT 1', params: [] }),
      lookup: db.lookup({ text: 'SELECT 1', params: [] }),
      write: store.write(encodeRecords([sessionRecord({ time: NOW - 1n })])),
      rollup: store.rollup.run(),
    };
    const states = Object.fromEntries(await Promise.all(Object.entries(calls).map(async ([k, p]) => [k, await stateNow(p)])));
    expect(states).toEqual({ exclusive: 'rejected', transaction: 'rejected', read: 'rejected', lookup: 'rejected', write: 'rejected', rollup: 'rejected' });
    for (const p of Object.values(calls)) await expect(p).rejects.toMatchObject(CLOSED);
    expect(ran).toBe(false);
    await closing;
    // A write refused by a closed store does not wedge the ones after it.
    await expect(store.write(encodeRecords([sessionRecord({ time: NOW - 2n })]))).rejects.toMatchObject(CLOSED);
  });

  it('answers a second close with the first one', async () => {
    const db = await DuckDb.open({ path: ':memory:', queryTimeoutMs: 10_000 });
    const first = db.close();
    const second = db.close();
    expect(second).toBe(first);
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
  });
});
