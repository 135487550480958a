import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError, backendUnavailable, encodeRecords, parseDuration, parseTiers } from '../../model/index.js';
import { sessionRecord } from '../../../test/support/records.js';
import { DuckDb, storeError } from './database.js';
import { DuckDbSessionStore } from './session-store.js';
import { DuckDbUveStore } from './uve-store.js';

// Which failures of the embedded database are BACKEND_UNAVAILABLE (a 503
// that senders retry) and which are INTERNAL (retrying cannot help), with
// the errors DuckDB really raises.
const NOW = 1_795_600_800_000_000_000n;

async function failure(p: Promise<unknown>): Promise<GatewayError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(GatewayError);
  return e as GatewayError;
}

describe('embedded store errors', () => {
  const open: DuckDb[] = [];
  const dirs: string[] = [];
  const db = async () => {
    const d = await DuckDb.open({ path: ':memory:', queryTimeoutMs: 10_000 });
    open.push(d);
    return d;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((d) => d.close()));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('an I/O failure is BACKEND_UNAVAILABLE, on writes and reads, the DuckDB message kept as the cause', async () => {
    const d = await db();
    const dir = mkdtempSync(join(tmpdir(), 'sag-db-'));
    dirs.push(dir);
    const missing = join(dir, 'gone', 'x.csv');
    const write = await failure(d.exclusive((conn) => conn.run(`COPY (SELECT 1) TO '${missing}'`)));
    expect([write.code, write.message, String((write.cause as Error).message)]).toEqual([
      'BACKEND_UNAVAILABLE',
      'the duckdb store is unavailable; retry later',
      expect.stringMatching(/^IO Error: /),
    ]);
    const read = await failure(d.read({ text: `SELECT * FROM read_csv('${missing}')`, params: [] }));
    expect(read.code).toBe('BACKEND_UNAVAILABLE');
  });

  it('a failure caused by what was sent is INTERNAL, never a reason to retry', async () => {
    const d = await db();
    await d.exclusive((conn) => conn.run('CREATE TABLE t (k INTEGER PRIMARY KEY)'));
    const constraint = await failure(d.transaction((conn) => conn.run('INSERT INTO t VALUES (1), (1)')));
    expect([constraint.code, constraint.message, String((constraint.cause as Error).message)]).toEqual([
      'INTERNAL',
      'the embedded store failed to write',
      expect.stringMatching(/^Constraint Error: /),
    ]);
    const thrown = await failure(d.exclusive(async () => JSON.stringify({ x: 1n })));
    expect([thrown.code, (thrown.cause as Error).name]).toEqual(['INTERNAL', 'TypeError']);
    const conversion = await failure(d.read({ text: `SELECT 'x'::INTEGER`, params: [] }));
    expect(conversion.code).toBe('INTERNAL');
    // The writer goes on after either.
    await d.transaction((conn) => conn.run('INSERT INTO t VALUES (2)'));
    expect(await d.read({ text: 'SELECT k FROM t', params: [] })).toEqual([{ k: 2 }]);
  });

  it('a GatewayError passes through unchanged', () => {
    const e = backendUnavailable('duckdb');
    expect(storeError(e, 'x')).toBe(e);
    expect(storeError(new Error('Out of Memory Error: failed to allocate'), 'x').code).toBe('BACKEND_UNAVAILABLE');
    expect(storeError(new Error('FATAL Error: database has been invalidated'), 'x').code).toBe('BACKEND_UNAVAILABLE');
    expect(storeError('not an error', 'x').code).toBe('INTERNAL');
  });

  it('a UVE the store cannot write is INTERNAL, and the store goes on', async () => {
    const d = await db();
    const uves = await DuckDbUveStore.open(d, () => 1n);
    const e = await failure(uves.upsertMany([{ type: 'vrouter', name: 'a', document: { S: { x: 1n } } }]));
    expect(e.code).toBe('INTERNAL');
    await uves.upsert('vrouter', 'a', { S: { x: 1 } });
    expect((await uves.get('vrouter', 'a'))?.document).toEqual({ S: { x: 1 } });
  });

  it('a session write that fails on what it holds is INTERNAL, and the next write is stored', async () => {
    const raw = parseDuration('24h', 'RAW_RETENTION');
    const sessions = await DuckDbSessionStore.open(await db(), { retention: { raw, tiers: parseTiers('5m:7d', raw) }, clock: () => NOW });
    // Validation never lets such a label name through; DuckDB refuses it as a column name.
    const e = await failure(sessions.write(encodeRecords([sessionRecord({ time: NOW - 1n, localLabels: { 'a\u0000b': 'x' } })])));
    expect(e.code).toBe('INTERNAL');
    await sessions.write(encodeRecords([sessionRecord({ time: NOW - 2n })]));
  });
});
