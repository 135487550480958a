import { RE2JS } from 're2js';
import type { IntColumn, StringColumn } from './columns.js';
import type { IntOp, LabelOp, Predicate, StringOp } from './filter.js';
import { projectOf } from './namespace-scope.js';
import type { SessionRecord } from './record.js';

/** Whether one record matches: a predicate compiled once, run per record. */
export type RecordMatcher = (r: SessionRecord) => boolean;

const STRING_FIELD = {
  vn: 'vn',
  vmi: 'vmi',
  remote_vn: 'remoteVn',
  vrouter_ip: 'vrouterIp',
  local_ip: 'localIp',
  remote_ip: 'remoteIp',
} as const satisfies Record<StringColumn, keyof SessionRecord>;

const INT_FIELD = { client_port: 'clientPort', server_port: 'serverPort', protocol: 'protocol' } as const satisfies Record<IntColumn, keyof SessionRecord>;

/**
 * Compiles the query model's filter to a function over one record in
 * memory, with the semantics every store compiles it to (ARCHITECTURE §4:
 * two-valued, a missing value matches only `ne`, `notIn` and `exists:
 * false`; regexes are RE2, unanchored). The live tail filters the records
 * it reads once for all subscribers with it; test/conformance checks it
 * against the reference evaluator.
 */
export function compileMatcher(p: Predicate): RecordMatcher {
  switch (p.kind) {
    case 'and': {
      const items = p.items.map(compileMatcher);
      if (items.length === 0) return () => true;
      if (items.length === 1) return items[0]!;
      return (r) => {
        for (const m of items) if (!m(r)) return false;
        return true;
      };
    }
    case 'or': {
      const items = p.items.map(compileMatcher);
      return (r) => {
        for (const m of items) if (m(r)) return true;
        return false;
      };
    }
    case 'not': {
      const item = compileMatcher(p.item);
      return (r) => !item(r);
    }
    case 'string': {
      const field = STRING_FIELD[p.column];
      const test = stringTest(p.match);
      return (r) => test(r[field]);
    }
    case 'int': {
      const field = INT_FIELD[p.column];
      const test = intTest(p.match);
      return (r) => test(r[field]);
    }
    case 'label': {
      const test = labelTest(p.match);
      const name = p.name;
      const read = p.side === 'local' ? (r: SessionRecord) => r.localLabels : (r: SessionRecord) => r.remoteLabels;
      return (r) => {
        const labels = read(r);
        return test(Object.hasOwn(labels, name) ? labels[name]! : null);
      };
    }
    case 'sessionType': {
      const value = p.value;
      return (r) => r.sessionType === value;
    }
    case 'namespaces': {
      const projects = new Set(p.projects);
      const covers = (vn: string) => {
        const project = projectOf(vn);
        return project !== null && projects.has(project);
      };
      return (r) => covers(r.vn) || covers(r.remoteVn);
    }
    default:
      return unreachable(p);
  }
}

function stringTest(m: StringOp): (v: string | null) => boolean {
  switch (m.op) {
    case 'eq':
      return (v) => v === m.value;
    case 'ne':
      return (v) => v !== m.value;
    case 'in': {
      const set = new Set(m.values);
      return (v) => v !== null && set.has(v);
    }
    case 'notIn': {
      const set = new Set(m.values);
      return (v) => v === null || !set.has(v);
    }
    case 'prefix':
      return (v) => v !== null && v.startsWith(m.value);
    case 'regex': {
      const re = RE2JS.compile(m.pattern);
      return (v) => v !== null && re.matcher(v).find();
    }
    default:
      return unreachable(m);
  }
}

function intTest(m: IntOp): (v: number) => boolean {
  switch (m.op) {
    case 'eq':
      return (v) => v === m.value;
    case 'ne':
      return (v) => v !== m.value;
    case 'in': {
      const set = new Set(m.values);
      return (v) => set.has(v);
    }
    case 'notIn': {
      const set = new Set(m.values);
      return (v) => !set.has(v);
    }
    case 'gte':
      return (v) => v >= m.value;
    case 'lte':
      return (v) => v <= m.value;
    default:
      return unreachable(m);
  }
}

function labelTest(m: LabelOp): (v: string | null) => boolean {
  if (m.op === 'exists') {
    const want = m.value;
    return (v) => (v !== null) === want;
  }
  return stringTest(m);
}

/**
 * A key the live tail can index a filter by: a top-level conjunct that is
 * `eq` or `in` on one column or label, so that a record can only match
 * when its value of `column` is one of `values`. `column` is a storage
 * column name (`vn`, `client_port`, `label.local.app`); int values are
 * given as decimal strings. Null when the filter has no such conjunct.
 */
export interface IndexTerm {
  readonly column: string;
  readonly values: readonly string[];
}

export function indexTermOf(p: Predicate): IndexTerm | null {
  const items = p.kind === 'and' ? p.items : [p];
  let best: IndexTerm | null = null;
  for (const item of items) {
    let term: IndexTerm | null = null;
    if (item.kind === 'string' || item.kind === 'int' || item.kind === 'label') {
      const column = item.kind === 'label' ? `label.${item.side}.${item.name}` : item.column;
      const m = item.match;
      if (m.op === 'eq') term = { column, values: [String(m.value)] };
      else if (m.op === 'in') term = { column, values: [...new Set((m.values as readonly (string | number)[]).map(String))] };
    }
    // The fewest values make the most selective key.
    if (term !== null && (best === null || term.values.length < best.values.length)) best = term;
  }
  return best;
}

/** A record's value of an index column (as indexTermOf names it), as a string; null when the record has none. */
export function indexValueOf(r: SessionRecord, column: string): string | null {
  if (column.startsWith('label.local.')) return labelValue(r.localLabels, column.slice(12));
  if (column.startsWith('label.remote.')) return labelValue(r.remoteLabels, column.slice(13));
  if (Object.hasOwn(STRING_FIELD, column)) return r[STRING_FIELD[column as StringColumn]];
  if (Object.hasOwn(INT_FIELD, column)) return String(r[INT_FIELD[column as IntColumn]]);
  return null;
}

function labelValue(labels: Readonly<Record<string, string>>, name: string): string | null {
  return Object.hasOwn(labels, name) ? labels[name]! : null;
}

function unreachable(x: never): never {
  throw new Error(`unhandled filter node ${JSON.stringify(x)}`);
}
