import { RE2JS } from 're2js';
import { labelColumn, tooExpensive, type EpochNs, type Predicate } from '../../model/index.js';
import type { FluxRow } from './client.js';
import { fluxColumn, fluxRegex, fluxString, fluxTime } from './flux.js';
import { MEASUREMENT } from './layout.js';
import { decodeTagValue, TAG_ESCAPE } from './tag-codec.js';

/**
 * Regular expressions over tags, made exact (docs/influxdb.md "Tag values").
 *
 * A tag holds a value's stored form (tag-codec.ts), which differs from the
 * value exactly when it holds ESC: a value with control characters, one
 * ending with a backslash, the empty value (a Kubernetes label may be
 * empty). InfluxDB runs a regex over the stored form, so on those values it
 * would answer for the wrong text (`^$` misses the empty value, `.+`
 * matches it). So before a query with a regex on a tag, one statement lists
 * the stored values holding ESC of the columns those regexes test (the
 * index answers it), and each such regex leaf becomes
 *
 *     (regex and notIn S) or in M
 *
 * S the values found (decoded), M those of S the regex matches, decided
 * here by RE2 (re2js, as the model's record matcher). On values this is the
 * same predicate, so every other part of the compiler stays as it is; on the
 * stored form the regex now sees only values stored as themselves, and the
 * others are compared whole. With no such values (the usual case) the
 * filter is unchanged.
 */

/** More values holding ESC than this in one column of one query is QUERY_TOO_EXPENSIVE. */
export const MAX_ESCAPED_VALUES = 1000;

/** The tag columns the regex leaves of `p` test, sorted. */
export function regexColumns(p: Predicate): string[] {
  const out = new Set<string>();
  const walk = (q: Predicate): void => {
    switch (q.kind) {
      case 'and':
      case 'or':
        q.items.forEach(walk);
        return;
      case 'not':
        walk(q.item);
        return;
      case 'string':
        if (q.match.op === 'regex') out.add(q.column);
        return;
      case 'label':
        if (q.match.op === 'regex') out.add(labelColumn(q.side, q.name));
        return;
      default:
        return;
    }
  };
  walk(p);
  return [...out].sort();
}

/** The result name of column `c` in bucket `b` (by index). */
const resultName = (c: number, b: number) => `e${c}_${b}`;

/**
 * One statement: per column and bucket, the stored values of the column
 * that hold ESC over [from, to) (`schema.tagValues`, from the index).
 */
export function escapedValuesScript(buckets: readonly string[], columns: readonly string[], from: EpochNs, to: EpochNs): string {
  const parts: string[] = [];
  columns.forEach((column, c) => {
    const test = `r._measurement == ${fluxString(MEASUREMENT)} and ${fluxColumn(column)} =~ ${fluxRegex(TAG_ESCAPE)}`;
    buckets.forEach((bucket, b) => {
      parts.push(`schema.tagValues(bucket: ${fluxString(bucket)}, tag: ${fluxString(column)}, predicate: (r) => ${test}, start: ${fluxTime(from)}, stop: ${fluxTime(to)})
  |> yield(name: ${fluxString(resultName(c, b))})`);
    });
  });
  return `import "influxdata/influxdb/schema"\n\n${parts.join('\n\n')}\n`;
}

/** Per column, the values (decoded) whose stored form holds ESC, from the answer of escapedValuesScript. */
export function readEscapedValues(results: ReadonlyMap<string, readonly FluxRow[]>, buckets: readonly string[], columns: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  columns.forEach((column, c) => {
    const values = new Set<string>();
    buckets.forEach((_, b) => {
      for (const row of results.get(resultName(c, b)) ?? []) {
        const stored = row['_value'];
        if (stored !== undefined && stored.includes(TAG_ESCAPE)) values.add(decodeTagValue(stored));
      }
    });
    if (values.size > MAX_ESCAPED_VALUES) {
      throw tooExpensive(
        `a regex on ${column} must be checked against ${values.size} stored values with control characters, a trailing backslash or an empty value; at most ${MAX_ESCAPED_VALUES} are allowed: narrow the range, or match them with eq or in`,
      );
    }
    if (values.size > 0) out.set(column, [...values].sort());
  });
  return out;
}

/**
 * `p` with each regex leaf on a column of `escaped` (its values whose stored
 * form holds ESC) rewritten as `(regex and notIn S) or in M`; the same
 * predicate on values.
 */
export function exactRegex(p: Predicate, escaped: ReadonlyMap<string, readonly string[]>): Predicate {
  if (escaped.size === 0) return p;
  const rewrite = (leaf: Predicate, pattern: string, values: readonly string[] | undefined, column: (match: { op: 'in' | 'notIn'; values: readonly string[] }) => Predicate): Predicate => {
    if (values === undefined) return leaf;
    const re = RE2JS.compile(pattern);
    const matched = values.filter((v) => re.matcher(v).find());
    const plain: Predicate = { kind: 'and', items: [leaf, column({ op: 'notIn', values })] };
    return matched.length === 0 ? plain : { kind: 'or', items: [plain, column({ op: 'in', values: matched })] };
  };
  const walk = (q: Predicate): Predicate => {
    switch (q.kind) {
      case 'and':
      case 'or':
        return { kind: q.kind, items: q.items.map(walk) };
      case 'not':
        return { kind: 'not', item: walk(q.item) };
      case 'string':
        if (q.match.op !== 'regex') return q;
        return rewrite(q, q.match.pattern, escaped.get(q.column), (match) => ({ kind: 'string', column: q.column, match }));
      case 'label':
        if (q.match.op !== 'regex') return q;
        return rewrite(q, q.match.pattern, escaped.get(labelColumn(q.side, q.name)), (match) => ({ kind: 'label', side: q.side, name: q.name, match }));
      default:
        return q;
    }
  };
  return walk(p);
}
