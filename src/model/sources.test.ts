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
    // 5m: 11 windows (330 s-equivalents) and 300 s of raw edges; 1m: 59 windows (1770) and 60 s of edges;
    // nested, 5m inside and 1m at the edges: 330 + 4 windows (120) + 60 s of raw.
    expect(planSources({ from: now - H, to: now }, none, { retention, now }).name).toBe('raw+1m+5m');
    expect(planSources({ from: now - H, to: now }, new Set(['local_ip']), { retention, now }).name).toBe('raw+5m');
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
    const stats = { rawPerSecond: 1000, tierRowsPerWindow: { '1m': 100_000, '5m': 200_000, '1h': 3_000_000 } };
    // 5m: 2.2 M tier rows and 0.3 M raw ones against raw's 3.6 M (and 1m at the edges: 2.66 M); at 12 raw rows per tier row, raw.
    expect(planSources({ from: now - H, to: now }, none, { retention, now, stats }).name).toBe('raw+5m');
    expect(planSources({ from: now - H, to: now }, none, { retention, now, stats: { ...stats, tierRowCost: 12 } }).name).toBe('raw');
  });

  it('adds what each read costs whatever its span (readCost: a cursor per series on InfluxDB)', () => {
    const defaults = { raw, tiers: parseTiers('5m:7d,1h:90d', raw) };
    const folding: Folding = { kind: 'time', foldedBefore: (_t, n) => n - 10n * M };
    const labels = new Set(['label.local.app', 'label.remote.app']);
    // bench:influx: 20 000 series reported every ~70 s (1 M points an hour), the 5m tier as many series.
    // Rows alone: raw 1 M against raw+5m's 150 s + 750 s of raw edges (250 k) and 9 windows of 20 000.
    const rows = { rawPerSecond: 1_000_000 / 3600, tierRowsPerWindow: { '5m': 20_000, '1h': 20_000 } };
    expect(planSources({ from: now - H, to: now }, labels, { retention: defaults, now, folding, stats: rows }).name).toBe('raw+5m');
    // With 400 rows a series a read (InfluxDB's SERIES_READ_POINTS): raw 9 M against three reads of 20 000 series (24 M).
    const readCost = { raw: 20_000 * 400, tiers: { '5m': 20_000 * 400, '1h': 20_000 * 400 } };
    expect(planSources({ from: now - H, to: now }, labels, { retention: defaults, now, folding, stats: { ...rows, readCost } }).name).toBe('raw');
    // Sessions that share their tags (2 000 series, each reported every few seconds): raw still, for an hour
    // (1.8 M against 2.67 M: the tier saves 0.73 M points and costs two more reads of 0.8 M) ...
    const shared = { rawPerSecond: 1_000_000 / 3600, tierRowsPerWindow: { '5m': 2_000, '1h': 2_000 }, readCost: { raw: 800_000, tiers: { '5m': 800_000, '1h': 800_000 } } };
    expect(planSources({ from: now - H, to: now }, labels, { retention: defaults, now, folding, stats: shared }).name).toBe('raw');
    // ... but for a day (24 M points) the 5m tier (nesting the hour tier in it would cost two more reads than it saves).
    const day = planSources({ from: now - 24n * H, to: now }, labels, { retention: defaults, now, folding, stats: shared });
    expect(day.name).toBe('raw+5m');
    expect(day.span).toEqual({ from: now - 24n * H, to: now });
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
    expect(planSources({ from: now - H, to: now }, none, { retention, now, every: parseDuration('10m', 'every') }).name).toBe('raw+1m+5m');
    expect(planSources({ from: now - H, to: now }, new Set(['local_ip']), { retention, now, every: parseDuration('10m', 'every') }).name).toBe('raw+5m');
    expect(planSources({ from: now - H, to: now }, none, { retention, now, every: parseDuration('90s', 'every') }).name).toBe('raw');
    expect(() => planSources({ from: now - 3n * 24n * H, to: now }, new Set(['local_ip']), { retention, now, every })).toThrow(/every/);
  });

  describe('nested plans', () => {
    const defaults = { raw, tiers: parseTiers('5m:7d,1h:90d', raw) };
    // 1 200 records a second, 10 000 tag sets a 5m window, 40 000 an hour; tier rows cost 12 raw ones.
    const stats = { rawPerSecond: 1200, tierRowsPerWindow: { '5m': 10_000, '1h': 40_000 }, tierRowCost: 12 };
    const labels = new Set(['label.local.app', 'label.remote.app']);

    it('reads the coarsest tier inside, the finer one at the edges and raw for the rest', () => {
      const plan = planSources({ from: now - 24n * H, to: now }, labels, { retention: defaults, now, stats });
      expect(plan.name).toBe('raw+5m+1h');
      // now is 10:02:30: raw 10:02:30-10:05 yesterday, 5m 10:05-11:00, 1h 11:00-10:00 today, raw 10:00-10:02:30.
      expect(shape(plan)).toEqual([
        'raw -86400..-86250',
        'tier:5m -86250..-82950',
        'unfolded:5m -86250..-82950',
        'tier:1h -82950..-150',
        'unfolded:1h -82950..-150',
        'raw -150..0',
      ]);
      const later = planSources({ from: now - 23n * H - 10n * M, to: now - 10n * M }, labels, { retention: defaults, now, stats });
      expect(shape(later).filter((p) => !p.startsWith('unfolded'))).toEqual([
        'raw -83400..-83250',
        'tier:5m -83250..-82950',
        'tier:1h -82950..-3750',
        'tier:5m -3750..-750',
        'raw -750..-600',
      ]);
      expect(plan.span).toEqual({ from: now - 24n * H, to: now });
    });

    it('a range starting and ending inside both windows', () => {
      const from = now - 5n * H - 15n * M - 17_000_000_000n; // 04:47:13
      const to = now - 2n * H + 11n * M + 4_000_000_000n; // 08:13:34
      const plan = planSources({ from, to }, labels, { retention: defaults, now, stats });
      expect(plan.name).toBe('raw+5m+1h');
      const kinds = plan.pieces.map((p) => (p.kind === 'raw' ? 'raw' : `${p.kind}:${p.tier.name}`));
      expect(kinds).toEqual(['raw', 'tier:5m', 'unfolded:5m', 'tier:1h', 'unfolded:1h', 'tier:5m', 'unfolded:5m', 'raw']);
      expect(plan.pieces[1]!.span).toEqual({ from: from + 167_000_000_000n, to: from + 767_000_000_000n }); // 04:50-05:00
      expect(plan.pieces[5]!.span).toEqual({ from: to - 814_000_000_000n, to: to - 214_000_000_000n }); // 08:00-08:10
      // The pieces tile the range without overlap.
      const counted = plan.pieces.filter((p) => p.kind !== 'unfolded');
      for (let i = 1; i < counted.length; i++) expect(counted[i]!.span.from).toBe(counted[i - 1]!.span.to);
      expect(counted[0]!.span.from).toBe(from);
      expect(counted[counted.length - 1]!.span.to).toBe(to);
    });

    it('is chosen only when it reads less', () => {
      // Within one hour, no whole 1h window: the 5m tier alone, or raw.
      expect(planSources({ from: now - H, to: now }, labels, { retention: defaults, now, stats }).name).toBe('raw+5m');
      // A 5m tier as large per window as the hour's: its edges cost more than the raw they replace.
      const dear = { ...stats, tierRowsPerWindow: { '5m': 40_000, '1h': 40_000 } };
      expect(planSources({ from: now - 24n * H, to: now }, labels, { retention: defaults, now, stats: dear }).name).toBe('raw+1h');
    });

    it('folding by time hands the windows a tier has not completed down to the finer tier, then raw', () => {
      const folding: Folding = { kind: 'time', foldedBefore: (t, n) => n - (t.name === '1h' ? 2n * H : 10n * M) };
      const plan = planSources({ from: now - 24n * H, to: now }, labels, { retention: defaults, now, stats, folding });
      expect(plan.name).toBe('raw+5m+1h');
      expect(shape(plan)).toEqual([
        'raw -86400..-86250',
        'tier:5m -86250..-82950',
        'tier:1h -82950..-7350', // 1h folded before 08:00
        'tier:5m -7350..-750', // 5m folded before 09:50
        'raw -750..0',
      ]);
    });

    it('only chains tiers whose windows divide one another', () => {
      const odd = { raw, tiers: parseTiers('4m:7d,6m:8d,1h:90d', raw) };
      const names = planSources({ from: now - 24n * H, to: now }, labels, { retention: odd, now }).name;
      expect(['raw+4m+1h', 'raw+6m+1h']).toContain(names);
    });
  });
});
