import { Kind, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { Scope } from '../model/index.js';

/**
 * The scope each root field needs (ARCHITECTURE.md §9, docs/security.md);
 * null: none. A root field missing here needs `admin`, so that a field added
 * without a decision is closed rather than open (access.test.ts checks every
 * schema root field is listed).
 */
export const ROOT_FIELD_SCOPES: Readonly<Record<'query' | 'mutation' | 'subscription', Readonly<Record<string, Scope | null>>>> = {
  query: {
    sessionTraffic: 'sessions:read',
    sessionSeries: 'sessions:read',
    sessionValues: 'sessions:read',
    sessionLabelNames: 'sessions:read',
    sessionRecords: 'sessions:read',
    uve: 'uves:read',
    uves: 'uves:read',
    uveTypes: 'uves:read',
    deadLetters: 'admin',
    viewer: null,
    __typename: null,
    __schema: null,
    __type: null,
  },
  mutation: {
    ingestSessions: 'ingest',
    upsertUve: 'ingest',
    deleteUve: 'admin',
    replayDeadLetters: 'admin',
    __typename: null,
  },
  subscription: {
    sessionTail: 'sessions:read',
    sessionTrafficLive: 'sessions:read',
    __typename: null,
  },
};

/** What one root field costs (docs/security.md, "Limits"); a root field not listed costs 1. */
const ROOT_FIELD_COST: Readonly<Record<string, number>> = {
  sessionSeries: 2,
  viewer: 0,
  __typename: 0,
  __schema: 0,
  __type: 0,
};

/** Introspection reads the schema only: its subtrees count for neither cost nor depth (QUERY_MAX_BYTES bounds them). */
const INTROSPECTION = new Set(['__schema', '__type']);

export interface OperationShape {
  /** Every root field as written, aliases and fragment spreads counted once each. */
  readonly rootFields: readonly FieldNode[];
  readonly cost: number;
  readonly depth: number;
}

/**
 * The root fields, cost and depth of a validated operation. Cost: each root
 * field (each alias, each spread of a fragment holding one) counts its cost;
 * sessionTraffic with compareTo and sessionSeries count 2; a nested
 * GroupValue.uve adds 1 per root field (one batched lookup).
 */
export function operationShape(document: DocumentNode, operation: OperationDefinitionNode): OperationShape {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const rootFields: FieldNode[] = [];
  collectFields(operation.selectionSet, fragments, rootFields, new Set());
  const depths = new Map<string, number>();
  let cost = 0;
  let depth = 0;
  for (const f of rootFields) {
    const name = f.name.value;
    cost += ROOT_FIELD_COST[name] ?? 1;
    if (name === 'sessionTraffic' && f.arguments?.some((a) => a.name.value === 'compareTo' && a.value.kind !== Kind.NULL)) cost += 1;
    if (INTROSPECTION.has(name) || f.selectionSet === undefined) {
      depth = Math.max(depth, 1);
      continue;
    }
    if (selects(f.selectionSet, 'uve', fragments, new Set())) cost += 1;
    depth = Math.max(depth, 1 + setDepth(f.selectionSet, fragments, depths));
  }
  return { rootFields, cost, depth };
}

function collectFields(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, out: FieldNode[], path: Set<string>): void {
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) out.push(s);
    else if (s.kind === Kind.INLINE_FRAGMENT) collectFields(s.selectionSet, fragments, out, path);
    else {
      const f = fragments.get(s.name.value);
      // Validation refuses fragment cycles before this runs; the path guards anyway.
      if (f === undefined || path.has(f.name.value)) continue;
      path.add(f.name.value);
      collectFields(f.selectionSet, fragments, out, path);
      path.delete(f.name.value);
    }
  }
}

/** The deepest field nesting under a selection set (a set of leaves: 1). */
function setDepth(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, memo: Map<string, number>, path = new Set<string>()): number {
  let deepest = 0;
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) {
      if (INTROSPECTION.has(s.name.value)) deepest = Math.max(deepest, 1);
      else deepest = Math.max(deepest, 1 + (s.selectionSet === undefined ? 0 : setDepth(s.selectionSet, fragments, memo, path)));
    } else if (s.kind === Kind.INLINE_FRAGMENT) deepest = Math.max(deepest, setDepth(s.selectionSet, fragments, memo, path));
    else {
      const name = s.name.value;
      const f = fragments.get(name);
      if (f === undefined || path.has(name)) continue;
      let d = memo.get(name);
      if (d === undefined) {
        path.add(name);
        d = setDepth(f.selectionSet, fragments, memo, path);
        path.delete(name);
        memo.set(name, d);
      }
      deepest = Math.max(deepest, d);
    }
  }
  return deepest;
}

function selects(set: SelectionSetNode, field: string, fragments: Map<string, FragmentDefinitionNode>, path: Set<string>): boolean {
  return set.selections.some((s) => {
    if (s.kind === Kind.FIELD) return s.name.value === field || (s.selectionSet !== undefined && selects(s.selectionSet, field, fragments, path));
    if (s.kind === Kind.INLINE_FRAGMENT) return selects(s.selectionSet, field, fragments, path);
    const f = fragments.get(s.name.value);
    if (f === undefined || path.has(f.name.value)) return false;
    path.add(f.name.value);
    const found = selects(f.selectionSet, field, fragments, path);
    path.delete(f.name.value);
    return found;
  });
}

/** The scope a root field of this operation type needs; null: none. */
export function scopeOf(operation: 'query' | 'mutation' | 'subscription', field: string): Scope | null {
  const scopes = ROOT_FIELD_SCOPES[operation];
  return Object.hasOwn(scopes, field) ? scopes[field]! : 'admin';
}
