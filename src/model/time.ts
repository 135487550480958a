import { badInput } from './errors.js';

/** Time in nanoseconds since the Unix epoch. */
export type EpochNs = bigint;

/** The source of "now"; injected so that tests are exact. */
export type Clock = () => EpochNs;

export const systemClock: Clock = () => BigInt(Date.now()) * 1_000_000n;

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$/;

/**
 * Parses an RFC 3339 timestamp keeping its nanoseconds (JavaScript's Date
 * keeps only milliseconds). Rejects impossible dates such as 2026-02-30 and
 * offsets past ±23:59; years 0000 to 0099 are those years (Date.UTC would
 * read them as 1900 to 1999). The result is not bounded: a time a user gives
 * goes through parseTime, which is.
 */
export function parseDateTime(text: unknown, field: string): EpochNs {
  if (typeof text !== 'string') throw badInput(field, 'expected an RFC 3339 timestamp');
  const m = RFC3339.exec(text);
  if (m === null) {
    throw badInput(field, `"${truncate(text)}" is not an RFC 3339 timestamp (e.g. 2026-11-25T10:00:00Z)`);
  }
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const date = new Date(0);
  date.setUTCFullYear(+y!, +mo! - 1, +d!);
  if (
    date.getUTCFullYear() !== +y! ||
    date.getUTCMonth() !== +mo! - 1 ||
    date.getUTCDate() !== +d! ||
    +h! > 23 ||
    +mi! > 59 ||
    +s! > 59
  ) {
    throw badInput(field, `"${text}" is not a valid date and time`);
  }
  date.setUTCHours(+h!, +mi!, +s!, 0);
  let ns = BigInt(date.getTime()) * 1_000_000n + BigInt((frac ?? '').padEnd(9, '0'));
  if (zone !== 'Z' && zone !== 'z') {
    const hours = +zone!.slice(1, 3);
    const minutes = +zone!.slice(4, 6);
    if (hours > 23 || minutes > 59) {
      throw badInput(field, `"${text}" has the offset ${zone}; an offset is -23:59 to +23:59 (hours 00 to 23, minutes 00 to 59)`);
    }
    const sign = zone![0] === '-' ? -1n : 1n;
    ns -= sign * BigInt(hours * 60 + minutes) * 60_000_000_000n;
  }
  return ns;
}

/**
 * The earliest time a record or a query range may hold, 1700-01-01T00:00:00Z
 * (docs/decisions.md, "Times"). With TIME_END it leaves more than ten years,
 * the longest tier window, to each end of the 64-bit nanoseconds that
 * DuckDB's BIGINT and InfluxDB hold, so that every window start and end
 * around an accepted time is a 64-bit value too.
 */
export const TIME_MIN: EpochNs = -8_520_336_000_000_000_000n;
/** The first time past those a record or a query range may hold, 2250-01-01T00:00:00Z. */
export const TIME_END: EpochNs = 8_835_955_200_000_000_000n;

/** What a sender is told of a time outside [TIME_MIN, TIME_END), after the field's name. */
export const TIME_OUTSIDE = 'is outside the times the gateway takes: from 1700-01-01T00:00:00Z up to, not including, 2250-01-01T00:00:00Z';

/** True when `ns` lies in [TIME_MIN, TIME_END), the times the gateway takes. */
export function isTimeInBounds(ns: EpochNs): boolean {
  return ns >= TIME_MIN && ns < TIME_END;
}

/** Parses a time a user gives (parseDateTime) and refuses one outside [TIME_MIN, TIME_END), naming `field`. */
export function parseTime(text: unknown, field: string): EpochNs {
  const ns = parseDateTime(text, field);
  if (!isTimeInBounds(ns)) throw badInput(field, TIME_OUTSIDE);
  return ns;
}

/** Formats as RFC 3339 UTC, with a fraction only when it is not zero. */
export function formatDateTime(ns: EpochNs): string {
  const ms = ns / 1_000_000n - (ns < 0n && ns % 1_000_000n !== 0n ? 1n : 0n);
  const iso = new Date(Number(ms)).toISOString(); // 2026-11-25T10:00:00.123Z
  const sub = ((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  const base = iso.slice(0, 19);
  if (sub === 0n) return `${base}Z`;
  return `${base}.${sub.toString().padStart(9, '0').replace(/0+$/, '')}Z`;
}

/**
 * Parses epoch nanoseconds given as an integer number, a bigint or a decimal
 * string; negative before 1970. Not bounded: the caller checks isTimeInBounds.
 */
export function parseEpochNs(value: unknown, field: string): EpochNs {
  // A JSON number past 2^53 has already lost its last digits when it gets
  // here; decoders that need them exact keep big integers as strings.
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?[0-9]{1,30}$/.test(value)) return BigInt(value);
  if (typeof value === 'bigint') return value;
  throw badInput(field, 'expected epoch nanoseconds as an integer');
}

function truncate(s: string): string {
  return s.length > 64 ? `${s.slice(0, 61)}...` : s;
}

/** Formats as RFC 3339 UTC with all nine fraction digits, the nanoseconds a record keeps. */
export function formatDateTimeNanos(ns: EpochNs): string {
  const sub = ((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  return `${formatDateTime(ns - sub).slice(0, 19)}.${sub.toString().padStart(9, '0')}Z`;
}
