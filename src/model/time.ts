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
 * keeps only milliseconds). Rejects impossible dates such as 2026-02-30.
 */
export function parseDateTime(text: unknown, field: string): EpochNs {
  if (typeof text !== 'string') throw badInput(field, 'expected an RFC 3339 timestamp');
  const m = RFC3339.exec(text);
  if (m === null) {
    throw badInput(field, `"${truncate(text)}" is not an RFC 3339 timestamp (e.g. 2026-11-25T10:00:00Z)`);
  }
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!);
  const check = new Date(ms);
  if (
    check.getUTCFullYear() !== +y! ||
    check.getUTCMonth() !== +mo! - 1 ||
    check.getUTCDate() !== +d! ||
    +h! > 23 ||
    +mi! > 59 ||
    +s! > 59
  ) {
    throw badInput(field, `"${text}" is not a valid date and time`);
  }
  let ns = BigInt(ms) * 1_000_000n + BigInt((frac ?? '').padEnd(9, '0'));
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone![0] === '-' ? -1n : 1n;
    const offMin = BigInt(+zone!.slice(1, 3) * 60 + +zone!.slice(4, 6));
    ns -= sign * offMin * 60_000_000_000n;
  }
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

/** Parses epoch nanoseconds given as an integer number or a decimal string. */
export function parseEpochNs(value: unknown, field: string): EpochNs {
  // A JSON number past 2^53 has already lost its last digits when it gets
  // here; decoders that need them exact keep big integers as strings.
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 2 ** 63) {
    return BigInt(value);
  }
  if (typeof value === 'string' && /^[0-9]{1,19}$/.test(value)) return BigInt(value);
  if (typeof value === 'bigint' && value >= 0n) return value;
  throw badInput(field, 'expected epoch nanoseconds as a non-negative integer');
}

function truncate(s: string): string {
  return s.length > 64 ? `${s.slice(0, 61)}...` : s;
}

/** Formats as RFC 3339 UTC with all nine fraction digits, the nanoseconds a record keeps. */
export function formatDateTimeNanos(ns: EpochNs): string {
  const sub = ((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  return `${formatDateTime(ns - sub).slice(0, 19)}.${sub.toString().padStart(9, '0')}Z`;
}
