import { DIMENSION_COLUMNS, type DimensionColumn } from './columns.js';
import { formatDuration, parseDuration, type Duration } from './duration.js';
import { badInput } from './errors.js';
import { formatDateTime, type EpochNs } from './time.js';
import type { TimeSpan } from './range.js';

/** One downsampled tier: sums per `window`, kept for `retention`. */
export interface TierSpec {
  /** The tier's name, its window literal: `5m`. */
  readonly name: string;
  readonly window: Duration;
  readonly retention: Duration;
  /** Columns the tier does not keep (default: client_port). */
  readonly drop: readonly DimensionColumn[];
}

export interface Retention {
  readonly raw: Duration;
  /** Finest first. */
  readonly tiers: readonly TierSpec[];
}

/** What serves a query: the raw table or one tier, and the range it covers. */
export interface Source {
  readonly tier: 'raw' | TierSpec;
  /** The range covered: clamped to retention, and aligned to the tier window. */
  readonly span: TimeSpan;
}

export const DEFAULT_DROP: readonly DimensionColumn[] = ['client_port'];

/**
 * The longest any retention may be (RAW_RETENTION and each tier's): ten
 * years keeps `now - retention` and every window far inside the 64-bit
 * nanosecond times the stores hold, and InfluxDB's bucket retention in range.
 */
export const MAX_RETENTION: Duration = parseDuration('3650d', 'MAX_RETENTION');

/**
 * Parses TIERS: `window:retention[:drop+drop]`, comma separated, e.g.
 * `5m:7d,1h:90d` or `5m:7d:client_port+local_ip`; an empty drop part keeps
 * every column. Windows must grow and each retention must exceed the raw one
 * and hold at least one window, and be at most MAX_RETENTION (3650d).
 */
export function parseTiers(text: string, raw: Duration, field = 'TIERS'): TierSpec[] {
  if (text.trim() === '' || text.trim() === 'none') return [];
  const tiers = text.split(',').map((part, i): TierSpec => {
    const bits = part.trim().split(':');
    if (bits.length < 2 || bits.length > 3) {
      throw badInput(field, `"${part}" is not window:retention[:drop+drop]`);
    }
    const window = parseDuration(bits[0], `${field}[${i}].window`);
    const retention = parseDuration(bits[1], `${field}[${i}].retention`);
    let drop = DEFAULT_DROP;
    if (bits.length === 3) {
      drop = bits[2] === '' ? [] : bits[2]!.split('+').map((c) => {
        if (!(DIMENSION_COLUMNS as readonly string[]).includes(c)) {
          throw badInput(`${field}[${i}].drop`, `"${c}" is not a session column (${DIMENSION_COLUMNS.join(', ')})`);
        }
        return c as DimensionColumn;
      });
    }
    if (retention.ns <= raw.ns) {
      throw badInput(`${field}[${i}]`, `retention ${retention.text} must exceed the raw retention ${raw.text}`);
    }
    if (retention.ns > MAX_RETENTION.ns) {
      throw badInput(`${field}[${i}]`, `retention ${retention.text} must be at most ${MAX_RETENTION.text} (10 years)`);
    }
    if (window.ns > retention.ns) {
      throw badInput(`${field}[${i}]`, `window ${window.text} must not be longer than the retention ${retention.text}`);
    }
    if (window.ns < 1_000_000_000n || window.ns % 1_000_000_000n !== 0n) {
      throw badInput(`${field}[${i}]`, `window ${window.text} must be a whole number of seconds`);
    }
    return { name: formatDuration(window.ns), window, retention, drop };
  });
  for (let i = 1; i < tiers.length; i++) {
    if (tiers[i]!.window.ns <= tiers[i - 1]!.window.ns) {
      throw badInput(field, 'tiers must be listed finest first, each window longer than the one before');
    }
  }
  return tiers;
}

/**
 * Chooses what serves a query (ARCHITECTURE §5): the finest store that still
 * covers the start of the range and holds every column the query reads.
 * When the range starts before every retention, the longest-kept store that
 * holds the columns serves it and the span is clamped to its retention.
 * Tier spans are aligned to the window (down at the start, up at the end),
 * since a window's sum cannot be split.
 */
export function routeSource(span: TimeSpan, columns: ReadonlySet<string>, retention: Retention, now: EpochNs): Source {
  if (span.from >= now - retention.raw.ns) return { tier: 'raw', span };
  const holding = retention.tiers.filter((t) => !t.drop.some((c) => columns.has(c)));
  const covering = holding.find((t) => span.from >= now - t.retention.ns);
  const chosen = covering ?? holding[holding.length - 1];
  if (chosen === undefined) {
    const missing = [...columns].find((c) => retention.tiers.every((t) => (t.drop as readonly string[]).includes(c)));
    throw badInput(
      'range',
      `the range starts at ${formatDateTime(span.from)}, before the raw retention (${retention.raw.text}), ` +
        `and no downsampled tier keeps ${missing ?? 'the columns this query reads'}; ` +
        `filter or group on other columns, or query the last ${retention.raw.text}`,
    );
  }
  const w = chosen.window.ns;
  const from = maxBig(span.from, now - chosen.retention.ns);
  const alignedFrom = from - mod(from, w);
  const alignedTo = mod(span.to, w) === 0n ? span.to : span.to - mod(span.to, w) + w;
  return { tier: chosen, span: { from: alignedFrom, to: alignedTo } };
}

export function tierName(source: Source): string {
  return source.tier === 'raw' ? 'raw' : source.tier.name;
}

function mod(a: bigint, b: bigint): bigint {
  return ((a % b) + b) % b;
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
