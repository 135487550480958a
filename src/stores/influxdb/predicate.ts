import {
  labelColumn,
  type IntColumn,
  type IntOp,
  type LabelOp,
  type Predicate,
  type StringOp,
} from '../../model/index.js';
import { CLIENT_PORT } from './client-port.js';
import { fluxColumn, fluxInt, fluxRegex, fluxString, regexQuote } from './flux.js';
import { intRangePattern } from './int-range.js';
import { INT_MAX } from './layout.js';
import { encodeTagPrefix, encodeTagValue } from './tag-codec.js';

/** Columns a record may lack (besides labels): a missing vmi. */
const OPTIONAL_COLUMNS: ReadonlySet<string> = new Set(['vmi']);

/**
 * Compiles a predicate to a Flux boolean expression over the row `r`, with
 * negations pushed to the leaves so that every test stays one InfluxDB's
 * storage engine evaluates (it does not push down `not (...)`). Two-valued:
 * a missing label or vmi matches only ne, notIn and exists: false
 * (`not exists r[c] or ...`), never through a null.
 *
 * `portField`: client_port is an integer field pivoted into the row (the
 * `field` layout, client-port.ts), compared as a number; otherwise it is a
 * tag like server_port. Only a filter after `pivot` may set it.
 */
export function compilePredicate(p: Predicate, negate = false, portField = false): string {
  switch (p.kind) {
    case 'and':
    case 'or': {
      const conj = (p.kind === 'and') !== negate;
      return junction(conj, p.items.map((i) => compilePredicate(i, negate, portField)));
    }
    case 'not':
      return compilePredicate(p.item, !negate, portField);
    case 'string':
      return stringTest(p.column, OPTIONAL_COLUMNS.has(p.column), p.match, negate);
    case 'label':
      return labelTest(labelColumn(p.side, p.name), p.match, negate);
    case 'int':
      return portField && p.column === CLIENT_PORT ? intFieldTest(p.column, p.match, negate) : intTest(p.column, p.match, negate);
    case 'sessionType':
      return `${fluxColumn('session_type')} ${negate ? '!=' : '=='} ${fluxString(p.value)}`;
    case 'namespaces':
      return namespacesTest(p.projects, negate);
    default:
      return assertNever(p);
  }
}

/**
 * The namespace scope: the project (second `:` component) of the `vn` tag
 * or of the `remote_vn` tag is one of `projects`, as one regular expression
 * per tag over the stored form (tag-codec.ts): `^[^:]*:(?:p1|p2)(?::|\x01?$)`,
 * each project quoted by `regexQuote` after the tag code, the optional ESC
 * before the end being the marker the code puts after a trailing backslash.
 * The code never makes a `:` (ESC is followed by a character past 0x3f), so
 * `[^:]*` spans exactly the first component. Both tags are on every record;
 * a tag regex is a test InfluxDB's storage engine evaluates.
 */
export function namespacesTest(projects: readonly string[], negate = false): string {
  if (projects.length === 0) return negate ? 'true' : 'false';
  const re = fluxRegex(projectPattern(projects));
  const op = negate ? '!~' : '=~';
  return junction(negate, ['vn', 'remote_vn'].map((c) => `${fluxColumn(c)} ${op} ${re}`));
}

/** The RE2 pattern of namespacesTest, over stored tag values. */
export function projectPattern(projects: readonly string[]): string {
  return `^[^:]*:(?:${projects.map((p) => regexQuote(encodeTagPrefix(p))).join('|')})(?::|\\x01?$)`;
}

function junction(conj: boolean, items: string[]): string {
  const unit = conj ? 'true' : 'false';
  const zero = conj ? 'false' : 'true';
  const kept = items.filter((i) => i !== unit);
  if (kept.includes(zero)) return zero;
  if (kept.length === 0) return unit;
  if (kept.length === 1) return kept[0]!;
  return `(${kept.join(conj ? ' and ' : ' or ')})`;
}

function labelTest(column: string, m: LabelOp, negate: boolean): string {
  if (m.op === 'exists') return m.value !== negate ? `exists ${fluxColumn(column)}` : `not exists ${fluxColumn(column)}`;
  return stringTest(column, true, m, negate);
}

/**
 * A test on a string tag. `optional` columns may be missing on a record:
 * then the positive tests must be false and the negative ones true.
 */
function stringTest(column: string, optional: boolean, m: StringOp, negate: boolean): string {
  const c = fluxColumn(column);
  const missingOr = (test: string) => (optional ? `(not exists ${c} or ${test})` : test);
  const presentAnd = (test: string) => (optional ? `(exists ${c} and ${test})` : test);
  switch (m.op) {
    case 'eq':
    case 'ne': {
      const equal = (m.op === 'eq') !== negate;
      const lit = fluxString(encodeTagValue(m.value));
      return equal ? `${c} == ${lit}` : missingOr(`${c} != ${lit}`);
    }
    case 'in':
    case 'notIn': {
      const member = (m.op === 'in') !== negate;
      const lits = m.values.map((v) => fluxString(encodeTagValue(v)));
      if (member) return junction(false, lits.map((l) => `${c} == ${l}`));
      return missingOr(junction(true, lits.map((l) => `${c} != ${l}`)));
    }
    case 'prefix': {
      if (m.value === '') {
        if (!optional) return negate ? 'false' : 'true';
        return negate ? `not exists ${c}` : `exists ${c}`;
      }
      const re = fluxRegex(`^${regexQuote(encodeTagPrefix(m.value))}`);
      return negate ? missingOr(`${c} !~ ${re}`) : `${c} =~ ${re}`;
    }
    case 'regex': {
      const re = fluxRegex(m.pattern);
      return negate ? missingOr(`${c} !~ ${re}`) : presentAnd(`${c} =~ ${re}`);
    }
    default:
      return assertNever(m);
  }
}

/** A test on a number stored as a tag (always present): equality on its decimal, ranges as patterns. */
function intTest(column: IntColumn, m: IntOp, negate: boolean): string {
  const c = fluxColumn(column);
  const lit = (v: number) => fluxString(String(v));
  switch (m.op) {
    case 'eq':
    case 'ne':
      return `${c} ${(m.op === 'eq') !== negate ? '==' : '!='} ${lit(m.value)}`;
    case 'in':
    case 'notIn': {
      const member = (m.op === 'in') !== negate;
      return member
        ? junction(false, m.values.map((v) => `${c} == ${lit(v)}`))
        : junction(true, m.values.map((v) => `${c} != ${lit(v)}`));
    }
    case 'gte':
    case 'lte': {
      const max = INT_MAX.get(column)!;
      const [lo, hi] = m.op === 'gte' ? [m.value, max] : [0, m.value];
      if (lo === 0 && hi === max) return negate ? 'false' : 'true';
      return `${c} ${negate ? '!~' : '=~'} ${fluxRegex(intRangePattern(lo, hi))}`;
    }
    default:
      return assertNever(m);
  }
}

/** A test on a number pivoted from an integer field (always present): comparisons of ints. */
function intFieldTest(column: IntColumn, m: IntOp, negate: boolean): string {
  const c = fluxColumn(column);
  switch (m.op) {
    case 'eq':
    case 'ne':
      return `${c} ${(m.op === 'eq') !== negate ? '==' : '!='} ${fluxInt(m.value)}`;
    case 'in':
    case 'notIn': {
      const member = (m.op === 'in') !== negate;
      return member
        ? junction(false, m.values.map((v) => `${c} == ${fluxInt(v)}`))
        : junction(true, m.values.map((v) => `${c} != ${fluxInt(v)}`));
    }
    case 'gte':
      return `${c} ${negate ? '<' : '>='} ${fluxInt(m.value)}`;
    case 'lte':
      return `${c} ${negate ? '>' : '<='} ${fluxInt(m.value)}`;
    default:
      return assertNever(m);
  }
}

function assertNever(x: never): never {
  throw new Error(`unhandled case ${JSON.stringify(x)}`);
}
