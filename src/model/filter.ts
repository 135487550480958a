import { RE2JS } from 're2js';
import { INT_MAX, LABEL_NAME, type IntColumn, type LabelSide, type StringColumn } from './columns.js';
import { badInput } from './errors.js';
import type { SessionType } from './record.js';

/** One string operator; a StringMatch with several becomes an `and` of these. */
export type StringOp =
  | { readonly op: 'eq'; readonly value: string }
  | { readonly op: 'ne'; readonly value: string }
  | { readonly op: 'in'; readonly values: readonly string[] }
  | { readonly op: 'notIn'; readonly values: readonly string[] }
  | { readonly op: 'prefix'; readonly value: string }
  | { readonly op: 'regex'; readonly pattern: string };

export type IntOp =
  | { readonly op: 'eq'; readonly value: number }
  | { readonly op: 'ne'; readonly value: number }
  | { readonly op: 'in'; readonly values: readonly number[] }
  | { readonly op: 'notIn'; readonly values: readonly number[] }
  | { readonly op: 'gte'; readonly value: number }
  | { readonly op: 'lte'; readonly value: number };

export type LabelOp = StringOp | { readonly op: 'exists'; readonly value: boolean };

/**
 * The validated filter: a tree of single-operator predicates. Semantics are
 * two-valued everywhere: a missing value (a record without the label, or
 * without a vmi) matches only `ne`, `notIn` and `exists: false`, and `not`
 * is plain negation of that.
 */
export type Predicate =
  | { readonly kind: 'and'; readonly items: readonly Predicate[] }
  | { readonly kind: 'or'; readonly items: readonly Predicate[] }
  | { readonly kind: 'not'; readonly item: Predicate }
  | { readonly kind: 'string'; readonly column: StringColumn; readonly match: StringOp }
  | { readonly kind: 'int'; readonly column: IntColumn; readonly match: IntOp }
  | { readonly kind: 'label'; readonly side: LabelSide; readonly name: string; readonly match: LabelOp }
  | { readonly kind: 'sessionType'; readonly value: SessionType }
  /**
   * The namespace scope (namespace-scope.ts), never built from a filter the
   * caller writes: the project (second `:` component) of `vn` or of
   * `remote_vn` is one of `projects`; with no projects, nothing matches.
   */
  | { readonly kind: 'namespaces'; readonly projects: readonly string[] };

export const TRUE: Predicate = { kind: 'and', items: [] };

/** The GraphQL `SessionFilter` input as it arrives (all fields optional). */
export interface SessionFilterInput {
  vn?: StringMatchInput | null;
  vmi?: StringMatchInput | null;
  remoteVn?: StringMatchInput | null;
  vrouterIp?: StringMatchInput | null;
  localIp?: StringMatchInput | null;
  remoteIp?: StringMatchInput | null;
  clientPort?: IntMatchInput | null;
  serverPort?: IntMatchInput | null;
  protocol?: IntMatchInput | null;
  localLabels?: readonly LabelMatchInput[] | null;
  remoteLabels?: readonly LabelMatchInput[] | null;
  sessionType?: 'CLIENT' | 'SERVER' | null;
  and?: readonly SessionFilterInput[] | null;
  or?: readonly SessionFilterInput[] | null;
  not?: SessionFilterInput | null;
}

export interface StringMatchInput {
  eq?: string | null;
  ne?: string | null;
  in?: readonly string[] | null;
  notIn?: readonly string[] | null;
  prefix?: string | null;
  regex?: string | null;
}

export interface IntMatchInput {
  eq?: number | null;
  ne?: number | null;
  in?: readonly number[] | null;
  notIn?: readonly number[] | null;
  gte?: number | null;
  lte?: number | null;
}

export interface LabelMatchInput extends StringMatchInput {
  name: string;
  exists?: boolean | null;
}

const STRING_FIELDS: ReadonlyArray<[keyof SessionFilterInput, StringColumn]> = [
  ['vn', 'vn'],
  ['vmi', 'vmi'],
  ['remoteVn', 'remote_vn'],
  ['vrouterIp', 'vrouter_ip'],
  ['localIp', 'local_ip'],
  ['remoteIp', 'remote_ip'],
];

const INT_FIELDS: ReadonlyArray<[keyof SessionFilterInput, IntColumn]> = [
  ['clientPort', 'client_port'],
  ['serverPort', 'server_port'],
  ['protocol', 'protocol'],
];

/** Deepest nesting of and/or/not accepted, against pathological inputs. */
const MAX_DEPTH = 32;

/**
 * Builds the predicate tree of a `SessionFilter` (ARCHITECTURE §4). Applies
 * the session type default: when no `sessionType` appears anywhere in the
 * filter, only `client` records count, so a session seen by both vRouters
 * counts once. `field` is the argument path used in error messages.
 */
export function buildFilter(input: SessionFilterInput | null | undefined, field = 'where'): Predicate {
  const tree = input == null ? TRUE : filterNode(input, field, 0);
  return namesSessionType(tree) ? tree : and([tree, { kind: 'sessionType', value: 'client' }]);
}

function filterNode(f: SessionFilterInput, field: string, depth: number): Predicate {
  if (depth > MAX_DEPTH) throw badInput(field, `filters nest deeper than ${MAX_DEPTH} levels`);
  const items: Predicate[] = [];
  for (const [key, column] of STRING_FIELDS) {
    const m = f[key] as StringMatchInput | null | undefined;
    if (m != null) {
      for (const match of stringOps(m, `${field}.${key}`)) items.push({ kind: 'string', column, match });
    }
  }
  for (const [key, column] of INT_FIELDS) {
    const m = f[key] as IntMatchInput | null | undefined;
    if (m != null) {
      for (const match of intOps(m, `${field}.${key}`, INT_MAX[column])) items.push({ kind: 'int', column, match });
    }
  }
  for (const side of ['local', 'remote'] as const) {
    const key = side === 'local' ? 'localLabels' : 'remoteLabels';
    (f[key] ?? []).forEach((m, i) => {
      const at = `${field}.${key}[${i}]`;
      if (typeof m.name !== 'string' || !LABEL_NAME.test(m.name)) {
        throw badInput(`${at}.name`, 'a label name is 1 to 317 characters of A-Z a-z 0-9 . _ / -');
      }
      const ops: LabelOp[] = stringOps(m, at, m.exists != null);
      if (m.exists != null) ops.push({ op: 'exists', value: m.exists });
      for (const match of ops) items.push({ kind: 'label', side, name: m.name, match });
    });
  }
  if (f.sessionType != null) {
    items.push({ kind: 'sessionType', value: f.sessionType === 'SERVER' ? 'server' : 'client' });
  }
  if (f.and != null) {
    items.push(and(f.and.map((sub, i) => filterNode(sub, `${field}.and[${i}]`, depth + 1))));
  }
  if (f.or != null) {
    if (f.or.length === 0) throw badInput(`${field}.or`, 'an empty `or` matches nothing; give at least one filter');
    items.push({ kind: 'or', items: f.or.map((sub, i) => filterNode(sub, `${field}.or[${i}]`, depth + 1)) });
  }
  if (f.not != null) items.push({ kind: 'not', item: filterNode(f.not, `${field}.not`, depth + 1) });
  return and(items);
}

function and(items: Predicate[]): Predicate {
  const flat = items.flatMap((p) => (p.kind === 'and' ? p.items : [p]));
  return flat.length === 1 ? flat[0]! : { kind: 'and', items: flat };
}

function stringOps(m: StringMatchInput, field: string, hasOther = false): StringOp[] {
  const ops: StringOp[] = [];
  if (m.eq != null) ops.push({ op: 'eq', value: m.eq });
  if (m.ne != null) ops.push({ op: 'ne', value: m.ne });
  if (m.in != null) ops.push({ op: 'in', values: nonEmpty(m.in, `${field}.in`) });
  if (m.notIn != null) ops.push({ op: 'notIn', values: nonEmpty(m.notIn, `${field}.notIn`) });
  if (m.prefix != null) ops.push({ op: 'prefix', value: m.prefix });
  if (m.regex != null) ops.push({ op: 'regex', pattern: checkRegex(m.regex, `${field}.regex`) });
  if (ops.length === 0 && !hasOther) {
    throw badInput(field, 'give at least one operator (eq, ne, in, notIn, prefix, regex)');
  }
  return ops;
}

function intOps(m: IntMatchInput, field: string, max: number): IntOp[] {
  const check = (v: number, at: string) => {
    if (!Number.isInteger(v) || v < 0 || v > max) throw badInput(at, `${v} is outside 0..${max}`);
    return v;
  };
  const ops: IntOp[] = [];
  if (m.eq != null) ops.push({ op: 'eq', value: check(m.eq, `${field}.eq`) });
  if (m.ne != null) ops.push({ op: 'ne', value: check(m.ne, `${field}.ne`) });
  if (m.in != null) ops.push({ op: 'in', values: nonEmpty(m.in, `${field}.in`).map((v) => check(v, `${field}.in`)) });
  if (m.notIn != null) {
    ops.push({ op: 'notIn', values: nonEmpty(m.notIn, `${field}.notIn`).map((v) => check(v, `${field}.notIn`)) });
  }
  if (m.gte != null) ops.push({ op: 'gte', value: check(m.gte, `${field}.gte`) });
  if (m.lte != null) ops.push({ op: 'lte', value: check(m.lte, `${field}.lte`) });
  if (ops.length === 0) throw badInput(field, 'give at least one operator (eq, ne, in, notIn, gte, lte)');
  return ops;
}

function nonEmpty<T>(values: readonly T[], field: string): readonly T[] {
  if (values.length === 0) throw badInput(field, 'an empty list matches nothing; give at least one value');
  return values;
}

/** Checks a pattern against RE2 syntax, the dialect of DuckDB and Flux alike. */
function checkRegex(pattern: string, field: string): string {
  try {
    RE2JS.compile(pattern);
  } catch (e) {
    throw badInput(field, `invalid RE2 regular expression: ${(e as Error).message}`);
  }
  return pattern;
}

function namesSessionType(p: Predicate): boolean {
  switch (p.kind) {
    case 'sessionType':
      return true;
    case 'and':
    case 'or':
      return p.items.some(namesSessionType);
    case 'not':
      return namesSessionType(p.item);
    default:
      return false;
  }
}

/** Every label (side, name) the predicate reads; tier routing needs them. */
export function predicateColumns(p: Predicate, out: Set<string> = new Set()): Set<string> {
  switch (p.kind) {
    case 'and':
    case 'or':
      p.items.forEach((i) => predicateColumns(i, out));
      break;
    case 'not':
      predicateColumns(p.item, out);
      break;
    case 'string':
    case 'int':
      out.add(p.column);
      break;
    case 'label':
      out.add(`label.${p.side}.${p.name}`);
      break;
    case 'sessionType':
      out.add('session_type');
      break;
    case 'namespaces':
      out.add('vn');
      out.add('remote_vn');
      break;
  }
  return out;
}
