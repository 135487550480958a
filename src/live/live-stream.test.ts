import { describe, expect, it } from 'vitest';
import { LiveStream, OutboundBudget } from './live-stream.js';

describe('LiveStream and OutboundBudget', () => {
  it('hands values over in order and holds one budget unit per queued value', async () => {
    const budget = new OutboundBudget(10, () => undefined);
    const s = new LiveStream<number>(budget, () => undefined);
    expect(s.push([1, 2, 3])).toBe(true);
    expect(budget.queued).toBe(3);
    expect((await s.next()).value).toBe(1);
    expect(budget.queued).toBe(2);
    const pending = s.next().then(() => s.next());
    // A waiting reader takes a value without it ever being queued.
    expect((await pending).value).toBe(3);
    const waiting = s.next();
    s.push([4]);
    expect((await waiting).value).toBe(4);
    expect(budget.queued).toBe(0);
  });

  it('refuses past the bound, calls overflow once, and the connection is closed by it', () => {
    let overflows = 0;
    const budget = new OutboundBudget(5, () => overflows++);
    const a = new LiveStream<number>(budget, () => undefined);
    const b = new LiveStream<number>(budget, () => undefined);
    expect(a.push([1, 2, 3])).toBe(true);
    expect(b.push([1, 2, 3])).toBe(false);
    expect(a.push([4])).toBe(false);
    expect(overflows).toBe(1);
  });

  it('ends with the error after what is queued, and return() frees the budget and runs onClose once', async () => {
    const budget = new OutboundBudget(100, () => undefined);
    let closes = 0;
    const s = new LiveStream<number>(budget, () => closes++);
    s.push([1]);
    s.fail(new Error('narrow the filter'));
    expect((await s.next()).value).toBe(1);
    await expect(s.next()).rejects.toThrow('narrow the filter');
    expect(closes).toBe(1);
    const t = new LiveStream<number>(budget, () => closes++);
    t.push([1, 2, 3]);
    expect(budget.queued).toBe(3);
    await t.return();
    await t.return();
    expect(budget.queued).toBe(0);
    expect(closes).toBe(2);
    expect(t.push([5])).toBe(false);
    expect((await t.next()).done).toBe(true);
  });

  it('whenDrained resolves once the reader took everything', async () => {
    const s = new LiveStream<number>(new OutboundBudget(100, () => undefined), () => undefined);
    s.push([1, 2]);
    let drained = false;
    const d = s.whenDrained().then(() => (drained = true));
    await s.next();
    await Promise.resolve();
    expect(drained).toBe(false);
    await s.next();
    await d;
    expect(drained).toBe(true);
  });
});
