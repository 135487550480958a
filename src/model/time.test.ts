import { describe, expect, it } from 'vitest';
import { formatDateTime, parseDateTime } from './time.js';
import { formatDuration, parseDuration } from './duration.js';

describe('time', () => {
  it('round-trips nanoseconds and offsets', () => {
    const ns = parseDateTime('2026-11-25T12:00:00.000000001+02:00', 't');
    expect(formatDateTime(ns)).toBe('2026-11-25T10:00:00.000000001Z');
    expect(formatDateTime(parseDateTime('2026-11-25T10:00:00Z', 't'))).toBe('2026-11-25T10:00:00Z');
    expect(formatDateTime(parseDateTime('2026-11-25T10:00:00.5Z', 't'))).toBe('2026-11-25T10:00:00.5Z');
  });

  it('parses and prints durations', () => {
    expect(parseDuration('90s', 'd').ns).toBe(90_000_000_000n);
    expect(formatDuration(300_000_000_000n)).toBe('5m');
    expect(formatDuration(7n * 86_400_000_000_000n)).toBe('1w');
    expect(() => parseDuration('1.5h', 'every')).toThrow(/every: "1.5h" is not a duration/);
  });
});
