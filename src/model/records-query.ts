import { badInput } from './errors.js';
import { buildFilter, type Predicate, type SessionFilterInput } from './filter.js';
import { scopeFilter } from './namespace-scope.js';
import { fingerprintOf, type BuildContext } from './query.js';
import { resolveRange, type TimeRangeInput, type TimeSpan } from './range.js';
import { formatDateTime, type EpochNs } from './time.js';

/**
 * Where a page of raw records resumes. Records come newest first, then in
 * a stable order the store defines among records of one time; `time` is the
 * time of the last record delivered, `within` how many records of that time
 * the pages so far delivered, and `tie` an optional store-defined key that
 * narrows "that time" further (the embedded store's commit sequence), so a
 * record stored later with the same time can never shift the count.
 */
export interface RecordsPosition {
  readonly time: EpochNs;
  readonly tie: bigint | null;
  readonly within: number;
}

/** A validated `sessionRecords` query: raw records in `span`, newest first. */
export interface RecordsQuery {
  readonly kind: 'records';
  readonly span: TimeSpan;
  readonly filter: Predicate;
  readonly first: number;
  readonly after: RecordsPosition | null;
  readonly now: EpochNs;
  readonly fingerprint: string;
}

export interface RecordsArgs {
  range: TimeRangeInput;
  where?: SessionFilterInput | null;
  first?: number | null;
  after?: string | null;
}

/**
 * Builds and validates a `sessionRecords` query. Only the raw tier holds
 * records, so a range starting before the raw retention is BAD_USER_INPUT
 * naming RAW_RETENTION rather than a page that silently starts later.
 */
export function buildRecordsQuery(args: RecordsArgs, ctx: BuildContext): RecordsQuery {
  const filter = scopeFilter(buildFilter(args.where), ctx.scope);
  const first = args.first ?? 100;
  if (!Number.isInteger(first) || first < 0) throw badInput('first', 'must be a non-negative integer');
  const fingerprint = fingerprintOf({ records: true, filter, range: args.range });
  let now = ctx.now;
  let after: RecordsPosition | null = null;
  if (args.after != null) {
    ({ now, after } = decodeRecordsCursor(args.after, fingerprint));
  }
  const span = resolveRange(args.range, now);
  const oldest = now - ctx.retention.raw.ns;
  if (span.from < oldest) {
    throw badInput(
      'range',
      `sessionRecords reads raw records, kept for RAW_RETENTION (${ctx.retention.raw.text}): ` +
        `the range starts at ${formatDateTime(span.from)}, before ${formatDateTime(oldest)}`,
    );
  }
  return { kind: 'records', span, filter, first: Math.min(first, ctx.limits.maxPageSize), after, now, fingerprint };
}

/** The cursor after the last record of a page. */
export function encodeRecordsCursor(q: RecordsQuery, position: RecordsPosition): string {
  const body = { t: position.time.toString(), s: position.tie?.toString() ?? null, w: position.within, n: q.now.toString(), f: q.fingerprint };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

function decodeRecordsCursor(cursor: string, fingerprint: string): { now: EpochNs; after: RecordsPosition } {
  let p = null as { t?: unknown; s?: unknown; w?: unknown; n?: unknown; f?: unknown } | null;
  try {
    p = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as typeof p;
  } catch {
    // reported below
  }
  const int = (v: unknown) => typeof v === 'string' && /^-?[0-9]{1,19}$/.test(v);
  if (
    p === null ||
    typeof p !== 'object' ||
    !int(p.t) ||
    !(p.s === null || int(p.s)) ||
    !Number.isSafeInteger(p.w) ||
    (p.w as number) < 1 ||
    !int(p.n)
  ) {
    throw badInput('after', 'is not a cursor returned by sessionRecords');
  }
  if (p.f !== fingerprint) throw badInput('after', 'belongs to a different query (filter or range changed)');
  return {
    now: BigInt(p.n as string),
    after: { time: BigInt(p.t as string), tie: p.s === null ? null : BigInt(p.s as string), within: p.w as number },
  };
}
