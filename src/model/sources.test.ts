import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';
import { planSources, type Folding, type SourcePlan } from './sources.js';
import { parseTiers } from './tiers.js';
import { parseDateTime } from './time.js';

const M = 60_000_000_000n;
const H = 60n * M;
const now = parseDateTime('2026-11-25T10:02:30Z', 'now');
const raw = parseDuration('24h', 'raw');
const retention = { raw, tiers: parseTiers('1m:7d:client_port+local_ip+remote_ip+vrouter_ip+vmi,5m:7d,1h:90d', raw) };
const none = new Set<string>();

function shape(plan: SourcePlan): string[] {
  return plan.pieces.map((p) => `${p.kind === 'raw' ? 'raw' : `${p.kind}:${p.tier.name}`} ${(p.span.from - now) / 1_000_000_000n}..${(p.span.to - now) / 1_000_000_000n}`);
}

describe('planSources', () => {
  it('without statistics, takes every tier window to hold 30 s of raw records', () => {
    // 5m: 11 windows (330 s-equivalents) and 300 s of raw edges; 1m: 59 windows (1770) and 60 s of edges.
    expect(planSources({ from: now - H, to: now }, none, { retention, now }).name).toBe('raw+5m');
  });

  it('splits a range inside the raw retention at the windows of the cheapest tier', () => {
    const stats = { rawPerSecond: 1000, tierRowsPerWindow: { '1m': 100, '5m': 50_000, '1h': 500_000 } };
    const plan = planSources({ from: now - H, to: now }, new Set(['label.local.app', 'label.remote.app']), { retention, now, stats });
    expect(plan.name).toBe('raw+1m');
    expect(shape(plan)).toEqual(['raw -3600..-3570', 'tier:1m -3570..-30', 'unfolded:1m -3570..-30', 'raw -30..0']);
    expect(plan.span).toEqual({ from: now - H, to: now });
  });

  it('keeps to tiers that keep every column read', () => {
    const plan = planSources({ from: now - H, to: now }, new Set(['local_ip']), { retention, now });
    expect(plan.name).toBe('raw+5m');
    expect(planSources({ from: now - H, to: now }, new Set(['client_port']), { retention, now }).name).toBe('raw');
  });

  it('reads raw alone when no tier has a whole window', () => {
    expect(planSources({ from: now - 50_000_000_000n, to: now }, none, { retention, now }).name).toBe('raw');
  });

  it('chooses by the rows known to be read', () => {
    const stats = { rawPerSecond: 1000, tierRowsPerWindow: { '1m': 60_000, '5m': 10, '1h': 1_000_000 } };
    expect(planSources({ from: now - H, to: now }, none, { retention, now, stats }).name).toBe('raw+5m');
  });

  it('weighs tier rows by what the store measured them to cost', () => {
    const stats = { rawPerSecond: 1000, tierRowsPerWindow: { '1m': 50_000, '5m': 200_000, '1h': 3_000_000 } };
    // 5m: 2.2 M tier rows and 0.3 M raw ones against raw's 3.6 M; at 12 raw rows per tier row, raw.
    expect(planSources({ from: now - H, to: now }, none, { retention, now, stats }).name).toBe('raw+5m');
    expect(planSources({ from: now - H, to: now }, none, { retention, now, stats: { ...stats, tierRowCost: 12 } }).name).toBe('raw');
  });

  it('folding by time: windows past what the tier holds come from raw', () => {
    const folding: Folding = { kind: 'time', foldedBefore: (_t, n) => n - 10n * M };
    const plan = planSources({ from: now - H, to: now }, new Set(['local_ip']), { retention, now, folding });
    expect(shape(plan)).toEqual(['raw -3600..-3450', 'tier:5m -3450..-750', 'raw -750..0']);
    expect(plan.name).toBe('raw+5m');
  });

  it('widens an edge raw no longer holds, and clamps to the tier retention', () => {
    const plan = planSources({ from: now - 3n * 24n * H, to: now }, none, { retention, now });
    expect(plan.span.from).toBe(now - 3n * 24n * H - 30_000_000_000n);
    expect(plan.pieces[0]).toMatchObject({ kind: 'tier', tier: { name: '1m' } });
    const old = planSources({ from: now - 400n * 24n * H, to: now - 80n * 24n * H }, none, { retention, now });
    expect(old.name).toBe('raw+1h'); // unfolded rows the embedded store keeps past the raw retention
    expect(old.span.from).toBe(now - 90n * 24n * H - 150_000_000_000n);
    expect(old.span.to).toBe(now - 80n * 24n * H + 57n * M + 30_000_000_000n);
    const gone = planSources({ from: now - 400n * 24n * H, to: now - 200n * 24n * H }, none, { retention, now });
    expect(gone.span.from).toBe(gone.span.to);
  });

  it('a series only reads tiers whose window divides every', () => {
    const every = parseDuration('7m', 'every');
    expect(planSources({ from: now - H, to: now }, none, { retention, now, every }).name).toBe('raw+1m');
    expect(planSources({ from: now - H, to: now }, none, { retention, now, every: parseDuration('10m', 'every') }).name).toBe('raw+5m');
    expect(planSources({ from: now - H, to: now }, none, { retention, now, every: parseDuration('90s', 'every') }).name).toBe('raw');
    expect(() => planSources({ from: now - 3n * 24n * H, to: now }, new Set(['local_ip']), { retention, now, every })).toThrow(/every/);
  });
});
