import { describe, expect, it } from 'vitest';
import { GatewayError } from './errors.js';
import { TIME_END, TIME_MIN, formatDateTime, parseDateTime, parseEpochNs, parseTime } from './time.js';
import { formatDuration, parseDuration } from './duration.js';

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof GatewayError) return e.message;
    throw e;
  }
  throw new Error('expected a GatewayError');
}

const BOUNDS = 'is outside the times the gateway takes: from 1700-01-01T00:00:00Z up to, not including, 2250-01-01T00:00:00Z';

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

  it('takes offsets from -23:59 to +23:59 and no others', () => {
    expect(parseDateTime('2026-11-25T23:59:00+23:59', 't')).toBe(parseDateTime('2026-11-25T00:00:00Z', 't'));
    expect(parseDateTime('2026-11-25T00:00:00-23:59', 't')).toBe(parseDateTime('2026-11-25T23:59:00Z', 't'));
    expect(parseDateTime('2026-11-25T10:00:00-00:00', 't')).toBe(parseDateTime('2026-11-25T10:00:00Z', 't'));
    for (const zone of ['+99:99', '+24:00', '-24:00', '+00:60', '-12:75']) {
      expect(message(() => parseDateTime(`2026-11-25T10:00:00${zone}`, 'range.from'))).toBe(
        `range.from: "2026-11-25T10:00:00${zone}" has the offset ${zone}; an offset is -23:59 to +23:59 (hours 00 to 23, minutes 00 to 59)`,
      );
    }
  });

  it('reads years below 100 as those years, not as 19xx', () => {
    // 0000-01-01 is -62 167 219 200 s; 0050-06-15 is 18 428 days later (50 years with 13 leap days, then 165 days).
    expect(parseDateTime('0050-06-15T12:00:00Z', 't')).toBe(-60_574_996_800_000_000_000n);
    expect(parseDateTime('0000-01-01T00:00:00Z', 't')).toBe(-62_167_219_200_000_000_000n);
    expect(parseDateTime('0099-12-31T23:59:59Z', 't')).toBe(-59_011_459_201_000_000_000n);
    expect(message(() => parseDateTime('0050-02-29T00:00:00Z', 't'))).toBe('t: "0050-02-29T00:00:00Z" is not a valid date and time');
    expect(parseDateTime('0048-02-29T00:00:00Z', 't')).toBe(parseDateTime('0048-03-01T00:00:00Z', 't') - 86_400_000_000_000n);
  });

  it('keeps times before 1970 exact, to the nanosecond', () => {
    expect(parseDateTime('1969-12-31T23:59:59.999999999Z', 't')).toBe(-1n);
    expect(formatDateTime(-1n)).toBe('1969-12-31T23:59:59.999999999Z');
    expect(formatDateTime(parseDateTime('1700-01-01T00:00:00Z', 't'))).toBe('1700-01-01T00:00:00Z');
  });

  it('takes times from 1700-01-01 up to, not including, 2250-01-01 and names the bounds past them', () => {
    expect(TIME_MIN).toBe(parseDateTime('1700-01-01T00:00:00Z', 't'));
    expect(TIME_END).toBe(parseDateTime('2250-01-01T00:00:00Z', 't'));
    expect(parseTime('1700-01-01T00:00:00Z', 'range.from')).toBe(TIME_MIN);
    expect(parseTime('2249-12-31T23:59:59.999999999Z', 'range.to')).toBe(TIME_END - 1n);
    expect(parseTime('1969-07-20T20:17:40Z', 'range.from')).toBe(-14_182_940_000_000_000n);
    for (const text of ['1699-12-31T23:59:59.999999999Z', '2250-01-01T00:00:00Z', '0050-06-15T12:00:00Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '1677-09-21T00:12:43.145224192Z']) {
      expect(message(() => parseTime(text, 'range.from'))).toBe(`range.from: ${BOUNDS}`);
    }
    expect(message(() => parseTime('2250-01-01T01:00:00+01:00', 'range.to'))).toBe(`range.to: ${BOUNDS}`);
  });

  it('reads epoch nanoseconds before 1970 as negative integers', () => {
    expect(parseEpochNs('-1000000000', 'time')).toBe(-1_000_000_000n);
    expect(parseEpochNs(-5, 'time')).toBe(-5n);
    expect(parseEpochNs(-9_223_372_036_854_775_808n, 'time')).toBe(-9_223_372_036_854_775_808n);
    expect(message(() => parseEpochNs('-', 'time'))).toBe('time: expected epoch nanoseconds as an integer');
    expect(message(() => parseEpochNs(1.5, 'time'))).toBe('time: expected epoch nanoseconds as an integer');
  });
});
