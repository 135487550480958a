import { INT_MAX, TRUE, indexTermOf, indexValueOf, type IntColumn, type Predicate, type StringColumn, type SessionRecord } from '../model/index.js';

/**
 * Which subscribers a record may match, without running every filter on
 * every record: a filter with an `eq`/`in` conjunct (indexTermOf) is found
 * through the record's value of that column, the others are always
 * candidates. With 1 000 tails of distinct `vn: {eq: ...}` filters, a
 * record costs one map lookup instead of 1 000 filter runs
 * (docs/decisions.md, "Live tail: one read, filtered in memory").
 */
export class SubscriberIndex<S> {
  private readonly byColumn = new Map<string, Map<string, Set<S>>>();
  private readonly always = new Set<S>();
  private readonly terms = new Map<S, { column: string; values: readonly string[] } | null>();

  get size(): number {
    return this.terms.size;
  }

  add(sub: S, filter: Predicate): void {
    const term = indexTermOf(filter);
    this.terms.set(sub, term);
    if (term === null) {
      this.always.add(sub);
      return;
    }
    let byValue = this.byColumn.get(term.column);
    if (byValue === undefined) this.byColumn.set(term.column, (byValue = new Map()));
    for (const v of term.values) {
      let set = byValue.get(v);
      if (set === undefined) byValue.set(v, (set = new Set()));
      set.add(sub);
    }
  }

  delete(sub: S): void {
    const term = this.terms.get(sub);
    if (term === undefined) return;
    this.terms.delete(sub);
    if (term === null) {
      this.always.delete(sub);
      return;
    }
    const byValue = this.byColumn.get(term.column)!;
    for (const v of term.values) {
      const set = byValue.get(v);
      set?.delete(sub);
      if (set?.size === 0) byValue.delete(v);
    }
    if (byValue.size === 0) this.byColumn.delete(term.column);
  }

  /** Calls `fn` once for each subscriber whose filter the record may match (each filter must still be run). */
  candidates(r: SessionRecord, fn: (sub: S) => void): void {
    for (const s of this.always) fn(s);
    for (const [column, byValue] of this.byColumn) {
      const v = indexValueOf(r, column);
      if (v === null) continue;
      const set = byValue.get(v);
      if (set !== undefined) for (const s of set) fn(s);
    }
  }

  /**
   * A filter every subscriber's matches pass: the OR of their index terms
   * (one `in` per column, the union of its values), TRUE while any
   * subscriber has no term (or nobody subscribes). What the shared read
   * pushes into the store (docs/live.md, "Pushdown").
   */
  readFilter(): Predicate {
    if (this.always.size > 0 || this.byColumn.size === 0) return TRUE;
    const items: Predicate[] = [];
    for (const [column, byValue] of this.byColumn) items.push(termPredicate(column, [...byValue.keys()]));
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }

  all(): IterableIterator<S> {
    return this.terms.keys();
  }
}

/** The predicate `column in values` of an index term (indexTermOf names the column, values as strings). */
function termPredicate(column: string, values: readonly string[]): Predicate {
  for (const side of ['local', 'remote'] as const) {
    if (column.startsWith(`label.${side}.`)) return { kind: 'label', side, name: column.slice(side.length + 7), match: { op: 'in', values } };
  }
  if (Object.hasOwn(INT_MAX, column)) return { kind: 'int', column: column as IntColumn, match: { op: 'in', values: values.map(Number) } };
  return { kind: 'string', column: column as StringColumn, match: { op: 'in', values } };
}
