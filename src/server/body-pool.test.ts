import { describe, expect, it } from 'vitest';
import { BodyPool, MIN_POOLED } from './body-pool.js';

describe('BodyPool', () => {
  it('gives the buffer of an ended lease to the next body of its size class', () => {
    const pool = new BodyPool(32 * 1024 * 1024);
    const first = pool.lease();
    const a = first.alloc(3_000_000);
    expect(a.length).toBe(3_000_000);
    expect(a.buffer.byteLength).toBe(4 * 1024 * 1024);
    first.end();
    expect(pool.pooledBytes).toBe(4 * 1024 * 1024);
    const second = pool.lease();
    const b = second.alloc(2_500_000);
    expect(b.buffer).toBe(a.buffer);
    expect(pool.pooledBytes).toBe(0);
    // A body of another class gets a buffer of its own.
    const third = pool.lease();
    expect(third.alloc(1_000_000).buffer).not.toBe(a.buffer);
    second.end();
    third.end();
    expect(pool.pooledBytes).toBe(4 * 1024 * 1024 + 1024 * 1024);
  });

  it('keeps small bodies, and free buffers past its limit, out of the pool', () => {
    const pool = new BodyPool(5 * 1024 * 1024);
    const small = pool.lease();
    small.alloc(MIN_POOLED - 1);
    small.end();
    expect(pool.pooledBytes).toBe(0);
    const leases = [pool.lease(), pool.lease()];
    for (const l of leases) l.alloc(3_000_000);
    for (const l of leases) l.end();
    expect(pool.pooledBytes).toBe(4 * 1024 * 1024); // the second would pass 5 MiB
  });

  it('gives one buffer per lease and takes it back once', () => {
    const pool = new BodyPool(32 * 1024 * 1024);
    const lease = pool.lease();
    lease.alloc(MIN_POOLED);
    expect(() => lease.alloc(MIN_POOLED)).toThrow(/one buffer/);
    lease.end();
    lease.end();
    expect(pool.pooledBytes).toBe(MIN_POOLED);
    expect(() => lease.alloc(MIN_POOLED)).toThrow(/before it ends/);
  });
});
