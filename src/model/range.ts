import { parseDuration } from './duration.js';
import { badInput } from './errors.js';
import { parseTime, type EpochNs } from './time.js';

export interface TimeRangeInput {
  from?: string | null;
  to?: string | null;
  last?: string | null;
}

/** A half-open interval [from, to) in epoch nanoseconds. */
export interface TimeSpan {
  readonly from: EpochNs;
  readonly to: EpochNs;
}

/**
 * Resolves a `TimeRange` against `now` (ARCHITECTURE §4): `last` counts back
 * from now; `from` with an optional `to` (default now). Both forms at once,
 * neither, `from` after `to`, a range that starts in the future, or a `from`
 * or `to` outside the times the gateway takes (TIME_MIN..TIME_END) are errors.
 */
export function resolveRange(input: TimeRangeInput | null | undefined, now: EpochNs, field = 'range'): TimeSpan {
  if (input == null) throw badInput(field, 'is required');
  const hasLast = input.last != null;
  const hasFrom = input.from != null || input.to != null;
  if (hasLast && hasFrom) throw badInput(field, 'give either `last`, or `from` with an optional `to`, not both');
  if (hasLast) {
    const d = parseDuration(input.last, `${field}.last`);
    return { from: now - d.ns, to: now };
  }
  if (input.from == null) throw badInput(`${field}.from`, 'is required (or give `last`)');
  const from = parseTime(input.from, `${field}.from`);
  const to = input.to == null ? now : parseTime(input.to, `${field}.to`);
  if (from > to) throw badInput(field, '`from` is after `to`');
  if (from === to) throw badInput(field, '`from` equals `to`: the range is empty');
  if (from > now) throw badInput(`${field}.from`, 'the range starts in the future');
  return { from, to };
}
