import { describe, expect, it } from 'vitest';
import { TRUE, buildFilter, compileMatcher, type SessionRecord, type TailQuery } from '../model/index.js';
import type { SessionStore, TailPage, TailRead } from '../stores/types.js';
import { LiveStream, OutboundBudget } from './live-stream.js';
import { TailHub } from './tail-hub.js';
import { sessionRecord } from '../../test/support/records.js';

/** A store holding commits of records in memory, with the embedded store's tail semantics (at = commit sequence). */
class FakeTailStore {
  readonly backend = 'fake';
  readonly commits: SessionRecord[][] = [];
  reads = 0;
  tailHead() {
    return Promise.resolve({ at: BigInt(this.commits.length + 1), within: 0 });
  }
  async tail(read: TailRead): Promise<TailPage> {
    this.reads++;
    await new Promise((r) => setTimeout(r, Math.random() * 3));
    const from = read.from ?? { at: 0n, within: 0 };
    const matches = compileMatcher(read.filter);
    const rows: { at: bigint; r: SessionRecord }[] = [];
    this.commits.forEach((c, i) => {
      const at = BigInt(i + 1);
      if (at < from.at || (read.until !== null && at >= read.until)) return;
      for (const r of c) if ((read.since === null || r.time >= read.since) && matches(r)) rows.push({ at, r });
    });
    const page = rows.slice(from.within, from.within + read.limit + 1);
    const taken = page.slice(0, read.limit);
    let next = from;
    const last = taken[taken.length - 1];
    if (last !== undefined) {
      let within = taken.filter((x) => x.at === last.at).length;
      if (last.at === from.at) within += from.within;
      next = { at: last.at, within };
    }
    return { records: taken.map((x) => x.r), next, full: page.length > read.limit };
  }
}

let serial = 0;
const rec = (vn: string): SessionRecord =>
  sessionRecord({ time: 1_000n + BigInt(serial), vn, remoteVn: 'default-domain:k8s-b:n', clientPort: serial++, serverPort: 80 });

const query = (vn: string | null, since: bigint | null): TailQuery => {
  const filter = buildFilter(vn === null ? null : { vn: { eq: vn } });
  return { kind: 'tail', filter, since, key: JSON.stringify(filter) };
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('TailHub', () => {
  it.each([false, true])('cuts reads inside commits and still delivers each record once, in order, to tails joining at any moment (pushdown %s)', async (pushdown) => {
    const store = new FakeTailStore();
    const hub = new TailHub({ store: store as unknown as SessionStore, intervalMs: 2, readLimit: 3, backfillPage: 2, maxBackfill: 1_000_000, maxPerSecond: 1_000_000, pushdown });
    const budget = new OutboundBudget(1_000_000, () => undefined);
    const tails: { vn: string | null; since: bigint | null; stream: LiveStream<SessionRecord>; got: number[]; joinedAfter: number }[] = [];
    const vns = ['default-domain:k8s-a:x', 'default-domain:k8s-a:y'];
    for (let step = 0; step < 60; step++) {
      // Commits of 1 to 7 records: many larger than a read.
      const n = 1 + (step % 7);
      store.commits.push(Array.from({ length: n }, (_, i) => rec(vns[(step + i) % 2]!)));
      if (step % 6 === 3) {
        const vn = step % 12 === 3 ? vns[0]! : null;
        const since = step % 4 === 3 ? 1_000n : null;
        const stream = new LiveStream<SessionRecord>(budget, () => undefined);
        const t = { vn, since, stream, got: [] as number[], joinedAfter: serial };
        tails.push(t);
        await hub.subscribe(query(vn, since), stream);
        void (async () => {
          for await (const r of stream) t.got.push(r.clientPort);
        })().catch(() => undefined); // close() ends them with the shutdown error
      }
      await sleep(Math.random() * 6);
    }
    await sleep(300);
    const all = store.commits.flat();
    for (const t of tails) {
      const matching = all.filter((r) => t.vn === null || r.vn === t.vn).map((r) => r.clientPort);
      // Each record once, in store order; with since, everything from the start; without, a suffix.
      expect(new Set(t.got).size).toBe(t.got.length);
      if (t.since !== null) expect(t.got).toEqual(matching);
      else {
        expect(t.got).toEqual(matching.slice(matching.length - t.got.length));
        // Nothing stored after the join is missing.
        expect(t.got.length).toBeGreaterThanOrEqual(matching.filter((p) => p >= t.joinedAfter).length);
      }
    }
    hub.close();
  });

  it('pushes the tails\' terms into the shared read: a record no tail matches is not read, one that matches is delivered once', async () => {
    const store = new FakeTailStore();
    const read: TailRead[] = [];
    const tail = store.tail.bind(store);
    const returned: SessionRecord[] = [];
    store.tail = async (r: TailRead) => {
      const page = await tail(r);
      if (r.until === null) {
        read.push(r);
        returned.push(...page.records);
      }
      return page;
    };
    const hub = new TailHub({ store: store as unknown as SessionStore, intervalMs: 5, readLimit: 100, backfillPage: 10, maxBackfill: 100, maxPerSecond: 100, pushdown: true });
    const stream = new LiveStream<SessionRecord>(new OutboundBudget(1000, () => undefined), () => undefined);
    await hub.subscribe(query('default-domain:k8s-a:x', null), stream);
    const got: SessionRecord[] = [];
    void (async () => {
      for await (const r of stream) got.push(r);
    })().catch(() => undefined);
    await sleep(20);
    const wanted = rec('default-domain:k8s-a:x');
    const other = rec('default-domain:k8s-a:y');
    store.commits.push([other, wanted, other]);
    await sleep(60);
    expect(got).toEqual([wanted]);
    expect(returned).toEqual([wanted]);
    expect(read.at(-1)!.filter).toEqual({ kind: 'string', column: 'vn', match: { op: 'in', values: ['default-domain:k8s-a:x'] } });
    // A tail without an indexable term: the read is unfiltered again, and the first tail still gets each of its records once.
    await hub.subscribe(query(null, null), new LiveStream<SessionRecord>(new OutboundBudget(1000, () => undefined), () => undefined));
    await sleep(20);
    const later = rec('default-domain:k8s-a:x');
    store.commits.push([other, later]);
    await sleep(60);
    expect(read.at(-1)!.filter).toBe(TRUE);
    expect(got).toEqual([wanted, later]);
    hub.close();
  });

  it('reads nothing without a subscriber, and once per interval for many', async () => {
    const store = new FakeTailStore();
    const hub = new TailHub({ store: store as unknown as SessionStore, intervalMs: 50, readLimit: 100, backfillPage: 10, maxBackfill: 100, maxPerSecond: 100 });
    await sleep(120);
    expect(store.reads).toBe(0);
    const budget = new OutboundBudget(1000, () => undefined);
    const stops = await Promise.all(Array.from({ length: 200 }, (_, i) => hub.subscribe(query(`default-domain:k8s-a:${i}`, null), new LiveStream(budget, () => undefined))));
    await sleep(275);
    expect(store.reads).toBeGreaterThanOrEqual(2);
    expect(store.reads).toBeLessThanOrEqual(6);
    for (const stop of stops) stop();
    const reads = store.reads;
    await sleep(150);
    expect(store.reads).toBe(reads);
  });

  it('ends a backfill past LIVE_TAIL_MAX_BACKFILL with an error naming it, after exactly that many records', async () => {
    const store = new FakeTailStore();
    store.commits.push(Array.from({ length: 25 }, () => rec('default-domain:k8s-a:x')));
    const hub = new TailHub({ store: store as unknown as SessionStore, intervalMs: 10, readLimit: 100, backfillPage: 4, maxBackfill: 10, maxPerSecond: 100 });
    const stream = new LiveStream<SessionRecord>(new OutboundBudget(1000, () => undefined), () => undefined);
    await hub.subscribe(query(null, 0n), stream);
    const got: SessionRecord[] = [];
    await expect(
      (async () => {
        for await (const r of stream) got.push(r);
      })(),
    ).rejects.toThrow(/LIVE_TAIL_MAX_BACKFILL/);
    expect(got).toHaveLength(10);
    hub.close();
  });
});
