import { afterAll, expect, it } from 'vitest';
import { OpenSearchDeadLetterLog, UndecodedInput, type DeadLetter, type DeadLetterDrop } from '../../src/ingest/index.js';
import { parseDuration } from '../../src/model/index.js';
import { describeWithNode, findOpenSearch, rest } from './node.js';

// The dead-letter log in an OpenSearch index (DEAD_LETTER_STORE=opensearch):
// the same entries as the file log, listed in order across two logs (two
// replicas), and held to DEAD_LETTER_MAX_AGE and DEAD_LETTER_MAX_BYTES.
const node = await findOpenSearch();
const HOUR = 3_600_000_000_000n;

describeWithNode('the OpenSearch dead-letter log', node, () => {
  const index = `sagt-ops-dll-${process.pid.toString(36)}-${Date.now().toString(36)}`;
  let now = BigInt(Date.now()) * 1_000_000n;
  const drops: DeadLetterDrop[] = [];
  const open = (maxBytes = 1 << 20) =>
    new OpenSearchDeadLetterLog({
      connection: { url: node.url, requestTimeoutMs: 10_000 },
      index,
      clock: () => now,
      maxBytes,
      maxAge: parseDuration('2h', 'maxAge'),
      refreshIntervalMs: 50,
      onDrop: (d) => drops.push(d),
    });
  const reject = (i: number, raw: unknown = { vn: '', n: i, big: 9007199254740993n }): DeadLetter => ({ source: 'http:/ingest/sessions', index: i, reason: `line ${i + 1}: vn: empty`, raw });
  const listAll = async (log: OpenSearchDeadLetterLog) => {
    await rest(node.url, 'POST', `/${index}/_refresh`);
    const out = [];
    for (let after: string | null = null; ; ) {
      const page = await log.list(after, 2);
      out.push(...page.entries);
      if (page.next === null) return out;
      after = page.next;
    }
  };

  afterAll(async () => {
    await rest(node.url, 'DELETE', `/${index}`, [404]);
  });

  it('keeps entries as the file log does, lists them oldest first across replicas in pages, reads by id, and applies both bounds', async () => {
    const a = open();
    const b = open();
    await a.open();
    await b.open();
    await a.append([reject(0), reject(1, UndecodedInput.text('{"not json'))]);
    now += 1000n;
    await b.append([reject(2, UndecodedInput.bytes(Uint8Array.of(0xff, 0xfe)))]);
    now += 1000n;
    await a.append([reject(3)]);
    const fromA = await listAll(a);
    expect(await listAll(b)).toEqual(fromA);
    expect(fromA.map((e) => e.index)).toEqual([0, 1, 2, 3]);
    expect(fromA[0]).toMatchObject({ source: 'http:/ingest/sessions', reason: 'line 1: vn: empty', raw: { vn: '', n: 0, big: '9007199254740993' } });
    expect((fromA[1]!.raw as UndecodedInput).text).toBe('{"not json');
    expect((fromA[2]!.raw as UndecodedInput).toBuffer()).toEqual(Buffer.from([0xff, 0xfe]));
    // Read by id on the other replica at once (real-time get), an id of another form refused.
    expect(await b.read(fromA[3]!.id)).toEqual({ kind: 'entry', entry: fromA[3] });
    await expect(a.read('1:0')).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    await expect(a.list('nope', 10)).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });

    // Three hours later the age bound (2h) drops them all; their ids read as dropped.
    now += 3n * HOUR;
    await a.prune();
    expect(drops).toEqual([{ reason: 'max_age', entries: 4, bytes: expect.any(Number) }]);
    expect(await listAll(b)).toEqual([]);
    expect(await b.read(fromA[0]!.id)).toEqual({ kind: 'dropped' });

    // The size bound: past it, the oldest go down to 15/16 of it; an id older than the oldest kept reads as dropped.
    const small = open(64 * 1024);
    for (let i = 0; i < 40; i++) {
      now += 1000n;
      await small.append(Array.from({ length: 5 }, (_, k) => reject(i * 5 + k, { vn: '', pad: 'x'.repeat(400) })));
    }
    await rest(node.url, 'POST', `/${index}/_refresh`);
    await small.prune();
    const kept = await listAll(small);
    const bytes = (await rest(node.url, 'POST', `/${index}/_search`, [], { size: 0, aggs: { b: { sum: { field: 'bytes' } } } })).aggregations.b.value as number;
    expect(bytes).toBeLessThanOrEqual(64 * 1024);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(200);
    const sizeDrops = drops.filter((d) => d.reason === 'max_bytes').reduce((n, d) => n + d.entries, 0);
    expect(sizeDrops).toBe(200 - kept.length);
    expect(kept[0]!.index).toBe(200 - kept.length);
    const gone = `${String(now - 100n * 1000n).padStart(19, '0')}.00000000.000000000`;
    expect(await small.read(gone)).toEqual({ kind: 'dropped' });
    expect(await small.read(`${String(now + 1n).padStart(19, '0')}.00000000.000000000`)).toEqual({ kind: 'absent' });
    await Promise.all([a.close(), b.close(), small.close()]);
  });
});
