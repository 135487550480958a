import { describe, expect, it } from 'vitest';
import { InflightBudget, Saturated } from './inflight-budget.js';

describe('InflightBudget', () => {
  it('holds records and bytes until released, refuses past either limit, and releases once', () => {
    const budget = new InflightBudget(10, 100);
    const a = budget.reserve();
    a.addBytes(60);
    a.addRecords(8);
    const b = budget.reserve();
    expect(() => b.addBytes(41)).toThrow(Saturated);
    expect(() => b.addRecords(3)).toThrow(/INGEST_MAX_INFLIGHT_RECORDS/);
    b.addBytes(40);
    expect(budget.inFlight).toEqual({ records: 8, bytes: 100 });
    a.release();
    a.release();
    expect(budget.inFlight).toEqual({ records: 0, bytes: 40 });
    b.addRecords(10);
    b.release();
    expect(budget.inFlight).toEqual({ records: 0, bytes: 0 });
  });
});
