import { createRequire } from 'node:module';
import type { DocumentNode, ExecutionArgs, ExecutionResult, FragmentDefinitionNode, GraphQLObjectType, GraphQLOutputType, GraphQLSchema, OperationDefinitionNode, SelectionSetNode } from 'graphql';

/** graphql-js of the schema's realm (see live-socket.ts). */
const graphql = createRequire(import.meta.url)('graphql') as typeof import('graphql');
const { Kind, createSourceEventStream, defaultFieldResolver, execute, getNullableType, getOperationAST, isEnumType, isListType, isNonNullType, isObjectType, isScalarType, subscribe } = graphql;

/** An event the projection cannot answer exactly as graphql-js would (a null where the schema says non-null, a resolver that throws or is async): that event runs through `execute`. */
class Fallback extends Error {}

type Project = (source: unknown, context: unknown) => unknown;

/**
 * `subscribe` for the subscription transports (docs/live.md, "Delivery
 * cost"): graphql-js runs the whole `execute` (arguments checked, variables
 * coerced, fields collected, one resolver call per field) again for every
 * event, some 25-50 µs each, which at thousands of tail records a second is
 * most of what a tail costs the event loop. When the operation's selection
 * below its one root field is plain (fields without arguments or
 * directives, `__typename`, fragments on the very type), it is compiled
 * once into a projection that calls the same field resolvers and the same
 * serializers; anything else, and any event the projection cannot answer
 * exactly, goes through graphql-js.
 */
export async function liveSubscribe(args: ExecutionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
  const compiled = compileOperation(args.schema, args.document, args.operationName ?? undefined);
  if (compiled === null) return subscribe(args) as Promise<AsyncGenerator<ExecutionResult> | ExecutionResult>;
  const stream = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in stream)) return stream as ExecutionResult;
  const source: AsyncIterator<unknown> = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  const context = args.contextValue;
  const answer = (payload: unknown): ExecutionResult | Promise<ExecutionResult> => {
    try {
      return { data: { [compiled.key]: compiled.project(payload, context) } } as ExecutionResult;
    } catch (e) {
      if (!(e instanceof Fallback)) throw e;
      return execute({ ...args, rootValue: payload }) as ExecutionResult | Promise<ExecutionResult>;
    }
  };
  const mapped: AsyncGenerator<ExecutionResult> = {
    async next() {
      const r = await source.next();
      return r.done === true ? { value: undefined, done: true } : { value: await answer(r.value), done: false };
    },
    async return() {
      await source.return?.();
      return { value: undefined, done: true };
    },
    async throw(e: unknown) {
      await source.return?.();
      throw e;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  } as AsyncGenerator<ExecutionResult>;
  return mapped;
}

/** The projection of a subscription's events, or null when its shape is not plain enough (graphql-js runs it). */
export function compileOperation(schema: GraphQLSchema, document: DocumentNode, operationName?: string): { key: string; project: Project } | null {
  const operation: OperationDefinitionNode | null | undefined = getOperationAST(document, operationName);
  const root = schema.getSubscriptionType();
  if (operation === null || operation === undefined || operation.operation !== 'subscription' || root === null || root === undefined) return null;
  if ((operation.directives?.length ?? 0) > 0) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const fields = operation.selectionSet.selections;
  if (fields.length !== 1 || fields[0]!.kind !== Kind.FIELD || (fields[0]!.directives?.length ?? 0) > 0) return null;
  const rootField = fields[0]!;
  const def = root.getFields()[rootField.name.value];
  if (def === undefined || rootField.selectionSet === undefined) return null;
  const inner = compileValue(def.type, rootField.selectionSet, fragments, 0);
  if (inner === null) return null;
  const resolve = def.resolve ?? defaultFieldResolver;
  const name = rootField.name.value;
  return {
    key: rootField.alias?.value ?? name,
    // The root field's resolver maps the event to its value (sessionTail: the record itself); it takes no arguments that matter here.
    project: (payload, context) => inner(call(resolve, payload, context, name), context),
  };
}

const MAX_DEPTH = 8;

/** A value of `type` with `selection` below it (null selection for a leaf): a function, or null when not plain. */
function compileValue(type: GraphQLOutputType, selection: SelectionSetNode | undefined, fragments: Map<string, FragmentDefinitionNode>, depth: number): Project | null {
  if (depth > MAX_DEPTH) return null;
  const nonNull = isNonNullType(type);
  const nullable = getNullableType(type) as GraphQLOutputType;
  let body: Project | null;
  if (isListType(nullable)) {
    const item = compileValue(nullable.ofType as GraphQLOutputType, selection, fragments, depth + 1);
    if (item === null) return null;
    body = (v, ctx) => {
      if (!Array.isArray(v)) throw new Fallback();
      return v.map((x) => item(x, ctx));
    };
  } else if (isScalarType(nullable) || isEnumType(nullable)) {
    if (selection !== undefined) return null;
    const leaf = nullable;
    body = (v) => {
      let out: unknown;
      try {
        out = leaf.serialize(v);
      } catch {
        throw new Fallback(); // graphql-js answers the error
      }
      if (out === undefined) throw new Fallback();
      return out;
    };
  } else if (isObjectType(nullable)) {
    if (selection === undefined) return null;
    body = compileObject(nullable, selection, fragments, depth + 1);
    if (body === null) return null;
  } else {
    return null; // interfaces and unions: graphql-js resolves the type
  }
  const inner = body;
  return (v, ctx) => {
    if (v === null || v === undefined) {
      if (nonNull) throw new Fallback();
      return null;
    }
    return inner(v, ctx);
  };
}

function compileObject(type: GraphQLObjectType, selection: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, depth: number): Project | null {
  const defs = type.getFields();
  const parts: { key: string; name: string; resolve: NonNullable<(typeof defs)[string]['resolve']>; value: Project | null }[] = [];
  const keys = new Set<string>();
  const collect = (set: SelectionSetNode, seen: Set<string>): boolean => {
    for (const s of set.selections) {
      if ((s.directives?.length ?? 0) > 0) return false;
      if (s.kind === Kind.INLINE_FRAGMENT) {
        if (s.typeCondition !== undefined && s.typeCondition.name.value !== type.name) return false;
        if (!collect(s.selectionSet, seen)) return false;
        continue;
      }
      if (s.kind === Kind.FRAGMENT_SPREAD) {
        const f = fragments.get(s.name.value);
        if (f === undefined || f.typeCondition.name.value !== type.name || seen.has(f.name.value)) return false;
        if ((f.directives?.length ?? 0) > 0) return false;
        if (!collect(f.selectionSet, new Set([...seen, f.name.value]))) return false;
        continue;
      }
      const key = s.alias?.value ?? s.name.value;
      // The same response key twice means merged selections: graphql-js merges them.
      if (keys.has(key) || (s.arguments?.length ?? 0) > 0) return false;
      keys.add(key);
      if (s.name.value === '__typename') {
        parts.push({ key, name: '__typename', resolve: () => type.name, value: null });
        continue;
      }
      const def = defs[s.name.value];
      if (def === undefined) return false;
      const value = compileValue(def.type, s.selectionSet, fragments, depth);
      if (value === null) return false;
      parts.push({ key, name: s.name.value, resolve: def.resolve ?? defaultFieldResolver, value });
    }
    return true;
  };
  if (!collect(selection, new Set())) return null;
  if (parts.some((p) => p.value === null && p.name !== '__typename')) return null;
  return (source, ctx) => {
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const p of parts) {
      const v = call(p.resolve, source, ctx, p.name);
      out[p.key] = p.value === null ? v : p.value(v, ctx);
    }
    return out;
  };
}

const NO_ARGS = Object.freeze(Object.create(null) as Record<string, unknown>);

/** One resolver call; a resolver that needs `info`, throws or answers a promise makes the event fall back. */
function call(resolve: (source: any, args: any, context: any, info: any) => unknown, source: unknown, context: unknown, fieldName: string): unknown {
  let v: unknown;
  try {
    v = resolve(source, NO_ARGS, context, resolve === defaultFieldResolver ? { fieldName } : undefined);
  } catch {
    throw new Fallback();
  }
  if (v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function') throw new Fallback();
  if (typeof v === 'function') throw new Fallback();
  return v;
}
