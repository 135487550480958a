import { describe, expect, it } from 'vitest';
import type { SessionStore, UveStore } from '../stores/types.js';
import { Metrics } from './metrics.js';
import { timedSessionStore, timedUveStore } from './timed-stores.js';

/** A store with every member, optional ones included, each answering its own name. */
function everything<T>(members: readonly string[]): T {
  return Object.fromEntries(members.map((m) => [m, m === 'backend' ? 'fake' : m === 'folding' ? { kind: 'time' } : () => Promise.resolve(m)])) as T;
}

const SESSION_MEMBERS = [
  'backend',
  'folding',
  'sourceStats',
  'write',
  'findIdempotency',
  'traffic',
  'series',
  'values',
  'labelNames',
  'records',
  'tailHead',
  'tail',
  'storedLabelNames',
  'ping',
  'close',
] as const satisfies readonly (keyof SessionStore)[];

const UVE_MEMBERS = ['backend', 'upsert', 'upsertMany', 'delete', 'get', 'getMany', 'list', 'types', 'ping', 'close'] as const satisfies readonly (keyof UveStore)[];

// Every member of the interfaces is listed: one added to SessionStore or UveStore and not here fails the type check.
type Unlisted<T, L extends readonly unknown[]> = Exclude<keyof T, L[number]>;
const sessionListed: [Unlisted<SessionStore, typeof SESSION_MEMBERS>] extends [never] ? true : never = true;
const uveListed: [Unlisted<UveStore, typeof UVE_MEMBERS>] extends [never] ? true : never = true;

describe('the timing decorators', () => {
  it('list every member of the store interfaces', () => {
    expect([sessionListed, uveListed]).toEqual([true, true]);
  });

  it('carry every member of a session store, optional ones included (the planner reads folding, live views tail)', async () => {
    const store = everything<SessionStore>(SESSION_MEMBERS);
    const timed = timedSessionStore(store, new Metrics({ defaultMetrics: false }));
    for (const m of SESSION_MEMBERS) expect(timed[m], m).toBeDefined();
    expect(timed.folding).toBe(store.folding);
    expect(await timed.traffic({} as never)).toBe('traffic');
    expect(await timed.tail!({} as never)).toBe('tail');
  });

  it('leave out the optional members a store does not have', () => {
    const store = everything<SessionStore>(SESSION_MEMBERS.filter((m) => !['folding', 'sourceStats', 'findIdempotency', 'tailHead', 'tail'].includes(m)));
    const timed = timedSessionStore(store, new Metrics({ defaultMetrics: false }));
    expect(timed.folding).toBeUndefined();
    for (const m of ['sourceStats', 'findIdempotency', 'tailHead', 'tail'] as const) expect(timed[m], m).toBeUndefined();
  });

  it('carry every member of a UVE store', () => {
    const timed = timedUveStore(everything<UveStore>(UVE_MEMBERS), new Metrics({ defaultMetrics: false }));
    for (const m of UVE_MEMBERS) expect(timed[m], m).toBeDefined();
  });
});
