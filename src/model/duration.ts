import { badInput } from './errors.js';

const UNIT_NS: Record<string, bigint> = {
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
  w: 604_800_000_000_000n,
};

const DURATION = /^([1-9][0-9]{0,11})(ms|s|m|h|d|w)$/;

/** A parsed `Duration` literal: nanoseconds plus the literal it came from. */
export interface Duration {
  readonly ns: bigint;
  readonly text: string;
}

/**
 * Parses a duration literal (`30s`, `15m`, `7d`): a positive integer and one
 * unit out of ms, s, m, h, d, w. `field` names the input in the error.
 */
export function parseDuration(text: unknown, field: string): Duration {
  if (typeof text !== 'string') throw badInput(field, 'expected a duration such as 15m');
  const m = DURATION.exec(text);
  if (m === null) {
    throw badInput(field, `"${text}" is not a duration: a positive integer and one of ms, s, m, h, d, w (e.g. 15m)`);
  }
  return { ns: BigInt(m[1]!) * UNIT_NS[m[2]!]!, text };
}

/** The shortest literal for `ns` (e.g. 300000000000n -> `5m`). */
export function formatDuration(ns: bigint): string {
  for (const unit of ['w', 'd', 'h', 'm', 's', 'ms'] as const) {
    const size = UNIT_NS[unit]!;
    if (ns % size === 0n) return `${ns / size}${unit}`;
  }
  return `${ns}ns`;
}
