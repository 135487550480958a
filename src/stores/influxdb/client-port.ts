import type { Predicate } from '../../model/index.js';

/** The column stored as an integer field in the `field` layout (layout.ts ClientPortForm). */
export const CLIENT_PORT = 'client_port';

/** Whether a predicate tests client_port anywhere. */
export function mentionsClientPort(p: Predicate): boolean {
  switch (p.kind) {
    case 'and':
    case 'or':
      return p.items.some(mentionsClientPort);
    case 'not':
      return mentionsClientPort(p.item);
    case 'int':
      return p.column === CLIENT_PORT;
    default:
      return false;
  }
}

/**
 * Splits a predicate into its top-level conjuncts (negations pushed through
 * `or`, so `not (a or b)` gives `not a`, `not b`) that do not test
 * client_port, which InfluxDB's storage engine evaluates on the stored
 * points, and those that do, which must run on rows where client_port, a
 * field, has been pivoted beside the tags. `and` of both is the predicate.
 */
export function splitClientPort(p: Predicate): { readonly pushed: Predicate; readonly after: Predicate } {
  const pushed: Predicate[] = [];
  const after: Predicate[] = [];
  for (const c of conjuncts(p, false)) (mentionsClientPort(c) ? after : pushed).push(c);
  return { pushed: conjunction(pushed), after: conjunction(after) };
}

function conjuncts(p: Predicate, negate: boolean): Predicate[] {
  if (p.kind === 'not') return conjuncts(p.item, !negate);
  if ((p.kind === 'and' && !negate) || (p.kind === 'or' && negate)) return p.items.flatMap((i) => conjuncts(i, negate));
  return [negate ? { kind: 'not', item: p } : p];
}

function conjunction(items: Predicate[]): Predicate {
  return items.length === 1 ? items[0]! : { kind: 'and', items };
}
