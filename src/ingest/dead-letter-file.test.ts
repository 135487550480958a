import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatDateTime } from '../model/index.js';
import type { DeadLetter, DeadLetterDrop, DeadLetterLookup } from './dead-letter.js';
import { FileDeadLetterLog, type FileDeadLetterLogOptions } from './dead-letter-file.js';
import { serializeEntry } from './dead-letter-format.js';

const T0 = 1_795_608_000_000_000_000n; // 2026-11-25T12:00:00Z
const DAY = 86_400_000_000_000n;

/** Rejects of one size, told apart by their index (0..99). */
function reject(index: number): DeadLetter {
  return { source: 'http:/ingest/sessions', index, reason: `line ${String(index + 1).padStart(3, '0')}: vn: must not be empty`, raw: { vn: '' } };
}
/** The length of every line `reject` makes, at T0 (times of whole seconds have one length). */
const L = serializeEntry(formatDateTime(T0), reject(0)).length + 1;

describe('FileDeadLetterLog', () => {
  let dir: string;
  let path: string;
  let now: bigint;
  let drops: DeadLetterDrop[];
  let warnings: string[];
  const logs: FileDeadLetterLog[] = [];

  function log(over: Partial<FileDeadLetterLogOptions> = {}): FileDeadLetterLog {
    const l = new FileDeadLetterLog({
      path,
      clock: () => now,
      maxBytes: 1 << 20,
      segmentBytes: 3 * L,
      maxAge: { ns: 7n * DAY, text: '7d' },
      log: { warn: (_obj, msg) => warnings.push(msg) },
      onDrop: (d) => drops.push(d),
      ...over,
    });
    logs.push(l);
    return l;
  }

  async function appendEach(l: FileDeadLetterLog, from: number, to: number): Promise<void> {
    for (let i = from; i < to; i++) await l.append([reject(i)]);
  }

  async function all(l: FileDeadLetterLog): Promise<[string, number][]> {
    return (await l.list(null, 1000)).entries.map((e) => [e.id, e.index]);
  }

  const files = () => readdirSync(dir).sort();
  const kind = (r: DeadLetterLookup) => (r.kind === 'entry' ? r.entry.index : r.kind);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dead-letter-file-'));
    path = join(dir, 'dead-letter.ndjson');
    now = T0;
    drops = [];
    warnings = [];
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const l of logs.splice(0)) await l.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rotates at the segment size and lists across segments oldest first, with ids that stay through a restart', async () => {
    const a = log();
    await appendEach(a, 0, 7);
    expect(files()).toEqual(['dead-letter.000001.ndjson', 'dead-letter.000002.ndjson', 'dead-letter.000003.ndjson']);
    expect(files().map((f) => statSync(join(dir, f)).size)).toEqual([3 * L, 3 * L, L]);
    const ids = ['1:0', `1:${L}`, `1:${2 * L}`, '2:0', `2:${L}`, `2:${2 * L}`, '3:0'];
    expect(await all(a)).toEqual(ids.map((id, i) => [id, i]));

    // Pages of two cross the segments' ends.
    const pages: string[][] = [];
    let after: string | null = null;
    do {
      const page = await a.list(after, 2);
      pages.push(page.entries.map((e) => e.id));
      after = page.next;
    } while (after !== null);
    expect(pages).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4, 6), ids.slice(6)]);

    await a.close();
    const b = log();
    expect(await all(b)).toEqual(ids.map((id, i) => [id, i]));
    expect(kind(await b.read(`2:${L}`))).toBe(4);
    await b.append([reject(7)]);
    expect((await all(b)).at(-1)).toEqual([`3:${L}`, 7]);
  });

  it('drops the oldest segments past the size bound, logs and counts them, and knows a dropped id from an unknown one', async () => {
    const l = log({ maxBytes: 6 * L });
    await appendEach(l, 0, 6);
    expect(drops).toEqual([]);
    await l.append([reject(6)]); // a third segment: the first must go
    expect(files()).toEqual(['dead-letter.000002.ndjson', 'dead-letter.000003.ndjson']);
    expect(drops).toEqual([{ reason: 'max_bytes', entries: 3, bytes: 3 * L }]);
    expect(warnings).toEqual([`dropped 3 dead letters (${3 * L} bytes, the oldest segment) to keep the log within DEAD_LETTER_MAX_BYTES (${6 * L})`]);
    expect((await all(l)).map(([, i]) => i)).toEqual([3, 4, 5, 6]);

    expect(kind(await l.read('1:0'))).toBe('dropped');
    expect(kind(await l.read(`1:${L}`))).toBe('dropped');
    expect(kind(await l.read('2:0'))).toBe(3);
    expect(kind(await l.read('2:1'))).toBe('absent'); // not where a line starts
    expect(kind(await l.read(`3:${L}`))).toBe('absent'); // past the end
    expect(kind(await l.read('4:0'))).toBe('absent');
    expect(kind(await l.read('0'))).toBe('absent'); // no file of an earlier version
    await expect(l.read('1-0')).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });

    // A cursor into the dropped segment goes on with the oldest one left.
    expect((await l.list(`1:${L}`, 10)).entries.map((e) => e.id)).toEqual(['2:0', `2:${L}`, `2:${2 * L}`, '3:0']);
  });

  it('drops segments past the age bound on append, at start-up and on prune, and never reuses a segment number', async () => {
    const a = log();
    await a.append([reject(0)]);
    now = T0 + 2n * DAY;
    await a.append([reject(1)]); // the first segment is older than a seventh of 7d: a new one
    expect(files()).toEqual(['dead-letter.000001.ndjson', 'dead-letter.000002.ndjson']);
    now = T0 + 7n * DAY + 1n;
    await a.append([reject(2)]);
    expect(drops).toEqual([{ reason: 'max_age', entries: 1, bytes: L }]);
    expect(warnings).toEqual([`dropped 1 dead letters (${L} bytes, the oldest segment) older than DEAD_LETTER_MAX_AGE (7d)`]);
    expect((await all(a)).map(([, i]) => i)).toEqual([1, 2]);
    await a.close();

    now = T0 + 9n * DAY + 1n; // segment 2's only entry is now older than 7d
    const b = log();
    await b.open();
    expect(drops.at(-1)).toEqual({ reason: 'max_age', entries: 1, bytes: L });
    expect((await all(b)).map(([, i]) => i)).toEqual([2]);

    now = T0 + 14n * DAY + 2n; // nothing appended: the prune empties the log, a new empty segment keeps the numbering
    await b.prune();
    expect(files()).toEqual(['dead-letter.000004.ndjson']);
    expect(await all(b)).toEqual([]);
    expect(kind(await b.read('3:0'))).toBe('dropped');
    await b.close();

    const c = log();
    await c.append([reject(3)]);
    expect(await all(c)).toEqual([['4:0', 3]]);
  });

  it('shares one fdatasync among the appends that come while one runs, and resolves each only after its own', async () => {
    const l = log({ segmentBytes: 1 << 20 });
    await l.open();
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
    await probe.close();
    const real = proto.datasync;
    const syncs: { release: () => void }[] = [];
    let called: () => void = () => undefined;
    let hold = true;
    vi.spyOn(proto, 'datasync').mockImplementation(function (this: unknown) {
      return new Promise<void>((resolve) => {
        syncs.push({ release: resolve });
        if (!hold) resolve();
        called();
      }).then(() => real.call(this));
    });
    const nextSync = () => new Promise<void>((resolve) => (called = resolve));

    const done: number[] = [];
    const first = nextSync();
    const a = l.append([reject(0)]).then(() => done.push(0));
    await first;
    const b = l.append([reject(1)]).then(() => done.push(1));
    const c = l.append([reject(2), reject(3)]).then(() => done.push(2));
    const d = l.append([reject(4)]).then(() => done.push(4));
    expect(done).toEqual([]); // nothing is answered before it is synced

    const second = nextSync();
    syncs[0]!.release();
    await a;
    await second;
    expect(done).toEqual([0]);
    hold = false;
    for (const s of syncs) s.release();
    await Promise.all([b, c, d]);
    expect(done).toEqual([0, 1, 2, 4]);
    expect(syncs).toHaveLength(2); // five entries in four appends, two fdatasyncs
    expect((await all(l)).map(([, i]) => i)).toEqual([0, 1, 2, 3, 4]);
  });

  it('cuts off what a flush wrote when its fdatasync fails, and goes on after it', async () => {
    const l = log({ segmentBytes: 1 << 20 });
    await l.append([reject(0)]);
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
    await probe.close();
    vi.spyOn(proto, 'datasync').mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    await expect(l.append([reject(1), reject(2)])).rejects.toThrow('EIO');
    expect(statSync(join(dir, 'dead-letter.000001.ndjson')).size).toBe(L);
    await l.append([reject(3)]);
    expect(await all(l)).toEqual([
      ['1:0', 0],
      [`1:${L}`, 3],
    ]);
  });

  it('keeps an entry larger than the whole bound, alone and over the bound, until the next append', async () => {
    const l = log({ maxBytes: 6 * L });
    await appendEach(l, 0, 4); // segment 1: 0, 1, 2; segment 2: 3
    const big: DeadLetter = { ...reject(50), raw: { vn: 'x'.repeat(7 * L) } };
    const bigLine = serializeEntry(formatDateTime(T0), big).length + 1;
    await l.append([big]);
    expect(files()).toEqual(['dead-letter.000003.ndjson']);
    expect((await all(l)).map(([, i]) => i)).toEqual([50]);
    expect(drops).toEqual([{ reason: 'max_bytes', entries: 4, bytes: 4 * L }]);
    expect(warnings).toEqual([
      `dropped 4 dead letters (${4 * L} bytes, the oldest 2 segments) to keep the log within DEAD_LETTER_MAX_BYTES (${6 * L})`,
      `dead letters being appended are past DEAD_LETTER_MAX_BYTES (${6 * L}) with the segment they go to: kept whole, and dropped first once newer ones come`,
    ]);
    await l.append([reject(5)]);
    expect((await all(l)).map(([, i]) => i)).toEqual([5]);
    expect(drops.at(-1)).toEqual({ reason: 'max_bytes', entries: 1, bytes: bigLine });
  });

  it('cuts off a line a crash left half written, so that the next entry starts a line of its own', async () => {
    const full = serializeEntry(formatDateTime(T0), reject(0));
    writeFileSync(join(dir, 'dead-letter.000001.ndjson'), `${full}\n{"at":"2026-11-25T12:00:00Z","sou`);
    const l = log({ segmentBytes: 1 << 20 });
    await l.append([reject(1)]);
    expect(warnings).toEqual(['cut off a dead letter the gateway was writing when it stopped (its request was not answered)']);
    expect(readFileSync(join(dir, 'dead-letter.000001.ndjson'), 'utf8')).toBe(`${full}\n${serializeEntry(formatDateTime(T0), reject(1))}\n`);
    expect(await all(l)).toEqual([
      ['1:0', 0],
      [`1:${L}`, 1],
    ]);
  });

  it('reads the single file of earlier versions as the oldest segment, under its old ids, and drops it first', async () => {
    writeFileSync(path, [0, 1].map((i) => `${serializeEntry(formatDateTime(T0), reject(i))}\n`).join(''));
    const l = log({ maxBytes: 6 * L });
    expect(await all(l)).toEqual([
      ['0', 0],
      [String(L), 1],
    ]);
    await appendEach(l, 2, 6); // segment 1: 2, 3, 4; segment 2: 5 -> 2 + 4 lines: at the bound
    expect(drops).toEqual([]);
    await l.append([reject(6)]);
    expect(drops).toEqual([{ reason: 'max_bytes', entries: 2, bytes: 2 * L }]);
    expect(files()).toEqual(['dead-letter.000001.ndjson', 'dead-letter.000002.ndjson']);
    expect(kind(await l.read('0'))).toBe('absent'); // after a restart nothing tells segment 0 was there
    expect((await all(l)).map(([id]) => id)).toEqual(['1:0', `1:${L}`, `1:${2 * L}`, '2:0', `2:${L}`]);
  });
});
