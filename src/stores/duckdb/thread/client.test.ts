import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GatewayError, encodeRecords, parseDuration, parseTiers } from '../../../model/index.js';
import { sessionRecord } from '../../../../test/support/records.js';
import { DuckDbThread, type DuckDbThreadOptions } from './client.js';

const raw = parseDuration('24h', 'RAW_RETENTION');
const NOW = 1_795_600_800_000_000_000n;
const CLOSED = { code: 'BACKEND_UNAVAILABLE', message: 'the duckdb store is closed' };

/** 'fulfilled' or 'rejected' if `p` settles before the event loop turns (no timer involved), else 'pending'. */
function stateNow(p: Promise<unknown>): Promise<'fulfilled' | 'rejected' | 'pending'> {
  return Promise.race([
    p.then(() => 'fulfilled' as const, () => 'rejected' as const),
    new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending'))),
  ]);
}

function options(over: Partial<DuckDbThreadOptions> = {}): DuckDbThreadOptions {
  return {
    db: { path: ':memory:', queryTimeoutMs: 10_000 },
    retention: { raw, tiers: parseTiers('5m:7d', raw) },
    sessions: true,
    uves: true,
    clock: () => NOW,
    ...over,
  };
}

describe('DuckDbThread (the embedded database on its own thread)', () => {
  const open: DuckDbThread[] = [];
  const start = async (over: Partial<DuckDbThreadOptions> = {}) => {
    const t = await DuckDbThread.start(options(over));
    open.push(t);
    return t;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });

  it('stores what it is sent, labels and 64-bit values exact', async () => {
    const thread = await start();
    await thread.sessions().write(encodeRecords([
      sessionRecord({ time: NOW - 1n, vmi: 'vmi-1', totalBytes: 2n, localLabels: { app: 'a"b', 'app.kubernetes.io/name': 'x' }, remoteLabels: { app: 'db' } }),
      sessionRecord({ time: NOW - 2n, vmi: null, forwardSampledBytes: (1n << 62n) + 1n, reverseSampledBytes: 0n, totalBytes: (1n << 62n) + 1n }),
    ]));
    const rows = await thread.query({
      text: 'SELECT time_ns, vmi, total_bytes, "label.local.app" AS app, "label.remote.app" AS remote FROM sessions ORDER BY time_ns',
      params: [],
    });
    expect(rows).toEqual([
      { time_ns: NOW - 2n, vmi: null, total_bytes: (1n << 62n) + 1n, app: null, remote: null },
      { time_ns: NOW - 1n, vmi: 'vmi-1', total_bytes: 2n, app: 'a"b', remote: 'db' },
    ]);
  });

  it('stores a large write whose records carry different label sets, each value in the columns of its own record', async () => {
    const thread = await start();
    const n = 2 * 512 + 300;
    const records = Array.from({ length: n }, (_, i) =>
      sessionRecord({
        time: NOW - BigInt(i + 1),
        forwardSampledBytes: BigInt(i),
        reverseSampledBytes: 0n,
        totalBytes: BigInt(i),
        // A label count that varies per record shifts every later record's strings.
        localLabels: i % 3 === 0 ? { app: `app-${i}`, tier: 'x' } : { app: `app-${i}` },
        remoteLabels: i % 2 === 0 ? { app: `srv-${i}` } : {},
      }),
    );
    await thread.sessions().write(encodeRecords(records));
    const rows = await thread.query({
      text: `SELECT count(*) AS n, sum(total_bytes) AS bytes,
        count(*) FILTER (WHERE "label.local.app" = 'app-' || (${NOW} - time_ns - 1)) AS local_ok,
        count("label.local.tier") AS tiers,
        count(*) FILTER (WHERE "label.remote.app" = 'srv-' || (${NOW} - time_ns - 1)) AS remote_ok
        FROM sessions`,
      params: [],
    });
    expect(rows).toEqual([
      { n: BigInt(n), bytes: BigInt((n * (n - 1)) / 2), local_ok: BigInt(n), tiers: BigInt(Math.ceil(n / 3)), remote_ok: BigInt(Math.ceil(n / 2)) },
    ]);
  });

  it('keeps the code of an error raised in the thread', async () => {
    const thread = await start();
    const err = await thread.query({ text: 'SELECT * FROM no_such_table', params: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('INTERNAL');
  });

  it('fails a call whose arguments cannot cross threads, and only that call', async () => {
    const thread = await start();
    // A function cannot be cloned: postMessage throws before anything is sent.
    const stmt = { text: 'SELECT 1 AS x', params: [], extra: () => 1 };
    const err = await thread.call('read', [stmt]).catch((e: unknown) => e);
    expect((err as Error).name).toBe('DataCloneError');
    expect(await thread.query({ text: 'SELECT 2 AS y', params: [] })).toEqual([{ y: 2 }]);
  });

  it('dates what it writes with the gateway clock of each call', async () => {
    let now = NOW;
    const thread = await start({ clock: () => now });
    expect((await thread.uves().upsert('virtual-network', 'vn1', { a: 1 })).updatedAt).toBe(NOW);
    now = NOW + 5n;
    expect((await thread.uves().upsert('virtual-network', 'vn1', { a: 2 })).updatedAt).toBe(NOW + 5n);
    expect((await thread.uves().get('virtual-network', 'vn1'))?.document).toEqual({ a: 2 });
  });

  it('answers BACKEND_UNAVAILABLE once the thread is gone, and says so once', async () => {
    const failures: Error[] = [];
    const thread = await DuckDbThread.start(options({ onFailure: (e) => failures.push(e) }));
    // Killed while idle: a thread killed in the middle of a DuckDB call makes
    // the addon abort the whole process when the call completes (it cannot
    // call back into a torn-down thread), which is not what is tested here.
    await thread.sessions().ping();
    const dying = (thread as unknown as { worker: Worker }).worker.terminate();
    const pending = thread.query({ text: 'SELECT 1', params: [] });
    await dying;
    await expect(pending).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await expect(thread.sessions().ping()).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect(failures).toHaveLength(1);
    await thread.close();
  });

  it('settles every call made before close, then closes; a rollup run cut short says the store closed', async () => {
    const thread = await start();
    await thread.sessions().write(encodeRecords([sessionRecord({ time: NOW - 1_000n })]));
    const state = new Map<string, { ok: true; value: unknown } | { ok: false; error: unknown }>();
    const track = (name: string, p: Promise<unknown>) =>
      void p.then((value) => state.set(name, { ok: true, value }), (error: unknown) => state.set(name, { ok: false, error }));
    // Made in one go with close: the thread gets them all queued behind each other.
    track('rollup', thread.rollup());
    track('read', thread.query({ text: 'SELECT 1 AS x', params: [] }));
    track('write', thread.sessions().write(encodeRecords([sessionRecord({ time: NOW - 2_000n })])));
    track('upsert', thread.uves().upsert('virtual-network', 'vn1', { a: 1 }));
    track('ping', thread.sessions().ping());
    await thread.close();
    // Answers cross before the thread's last message: nothing may be left pending.
    expect([...state.keys()].sort()).toEqual(['ping', 'read', 'rollup', 'upsert', 'write']);
    expect(state.get('read')).toEqual({ ok: true, value: [{ x: 1 }] });
    expect(state.get('write')).toEqual({ ok: true, value: undefined });
    expect(state.get('upsert')).toEqual({ ok: true, value: { type: 'virtual-network', name: 'vn1', document: { a: 1 }, updatedAt: NOW } });
    expect(state.get('ping')).toEqual({ ok: true, value: undefined });
    // The run's first step was queued before close; whether the rest made it depends on timing.
    const rollup = state.get('rollup')!;
    if (rollup.ok) expect(rollup.value).toEqual({ rolledUp: { '5m': expect.any(Number) }, deletedRaw: 0 });
    else expect(rollup.error).toMatchObject(CLOSED);
  });

  it('refuses at once every call after close, and answers a second close with the first', async () => {
    const thread = await start();
    const first = thread.close();
    const calls = [
      thread.rollup(),
      thread.query({ text: 'SELECT 1', params: [] }),
      thread.sessions().write(encodeRecords([sessionRecord({ time: NOW - 1n })])),
      thread.sessions().findIdempotency!('k'),
      thread.uves().get('virtual-network', 'vn1'),
      thread.uves().ping(),
    ];
    expect(await Promise.all(calls.map(stateNow))).toEqual(calls.map(() => 'rejected'));
    for (const c of calls) await expect(c).rejects.toMatchObject(CLOSED);
    expect(thread.close()).toBe(first);
    await expect(first).resolves.toBeUndefined();
    await expect(thread.query({ text: 'SELECT 1', params: [] })).rejects.toMatchObject(CLOSED);
  });

  it('does not report a timed rollup run that close cut short as a failure', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const thread = await start();
      await thread.sessions().write(encodeRecords([sessionRecord({ time: NOW - 1_000n })]));
      const failures: unknown[] = [];
      thread.startRollup(60_000, (e) => failures.push(e));
      vi.advanceTimersByTime(60_000);
      await thread.close();
      expect(failures).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('fails to start with the reason when the database cannot be opened', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sag-thread-'));
    try {
      // A directory where the database file should be.
      await expect(DuckDbThread.start(options({ db: { path: dir, queryTimeoutMs: 1000 } }))).rejects.toThrow(/./);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
