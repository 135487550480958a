import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError, encodeRecords, parseDuration, parseTiers } from '../../../model/index.js';
import { sessionRecord } from '../../../../test/support/records.js';
import { DuckDbThread, type DuckDbThreadOptions } from './client.js';

const raw = parseDuration('24h', 'RAW_RETENTION');
const NOW = 1_795_600_800_000_000_000n;

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
    const err = await thread.call('read', [{ text: 'SELECT 1 AS x', params: [], extra: () => 1 }]).catch((e: unknown) => e);
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
