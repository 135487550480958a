import { decodeKeyCursor } from './cursor.js';
import { badInput, type GatewayError } from './errors.js';
import { scopeKey, type NamespaceScope } from './namespace-scope.js';
import type { EpochNs } from './time.js';

/** A UVE type: its documents live in the index (or table rows) named after it. */
export const UVE_TYPE = /^[a-z0-9][a-z0-9_-]{0,99}$/;
const MAX_NAME = 1024;
const MAX_STRUCT = 256;

/** One UVE document, keyed by (type, name). */
export interface UveDocument {
  readonly type: string;
  readonly name: string;
  readonly document: Readonly<Record<string, unknown>>;
  readonly updatedAt: EpochNs | null;
}

/** One UVE of a batch write. */
export interface UveWrite {
  readonly type: string;
  readonly name: string;
  readonly document: Readonly<Record<string, unknown>>;
}

/** A validated `uves` query: names ascending, `first` after the name `after`. */
export interface UveListQuery {
  readonly type: string;
  /** A glob where `*` matches any run of characters; every other character is literal. */
  readonly nameGlob: string | null;
  /** Keep documents holding at least one of these top-level structs. */
  readonly structs: readonly string[] | null;
  readonly first: number;
  readonly after: string | null;
  /** The caller's namespaces: only UVEs whose name belongs to one are listed and counted; null: all. */
  readonly scope: NamespaceScope | null;
}

export interface UveListArgs {
  type: string;
  name?: string | null;
  structs?: readonly string[] | null;
  first?: number | null;
  after?: string | null;
}

/** Checks a UVE type: it can never address another index or a wildcard. */
export function validateUveType(type: unknown, field = 'type'): string {
  if (typeof type !== 'string' || !UVE_TYPE.test(type)) {
    throw badInput(field, `${JSON.stringify(String(type).slice(0, 64))} is not a UVE type: 1 to 100 of a-z 0-9 _ -, starting with a letter or digit`);
  }
  return type;
}

export function validateUveName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || name.length === 0) throw badInput(field, 'must be a non-empty string');
  if (name.length > MAX_NAME) throw badInput(field, `is longer than ${MAX_NAME} characters`);
  return name;
}

/**
 * Checks an upserted document, on every way in (the upsertUve mutation,
 * POST /ingest/uves, a replay): a JSON object whose values are the struct
 * sections, every number of which is kept exactly (see `checkNumbers`).
 */
export function validateUveDocument(document: unknown, field = 'document'): Record<string, unknown> {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw badInput(field, 'must be a JSON object of struct sections, e.g. {"UveVirtualNetworkAgent": {...}}');
  }
  for (const key of Object.keys(document)) {
    if (key.length === 0 || key.length > MAX_STRUCT || key.includes('.')) {
      throw badInput(field, `struct name ${JSON.stringify(key.slice(0, 64))} must be 1 to ${MAX_STRUCT} characters without dots`);
    }
  }
  checkNumbers(document as Record<string, unknown>, field);
  return document as Record<string, unknown>;
}

/** A container being walked by `checkNumbers`, and where it sits. */
interface Walk {
  readonly node: Readonly<Record<string, unknown>> | readonly unknown[];
  readonly keys: readonly string[] | null;
  next: number;
  readonly path: string;
}

/**
 * Refuses a number the API cannot give back as it was sent: the GraphQL API
 * serializes JSON numbers as doubles (like the Long scalar, exact up to
 * 2^53-1), so an integer outside ±(2^53-1) (a `bigint` from the exact JSON
 * parser, or a double that large, which may already be rounded) or a number
 * that is not finite (`1e400`) is a BAD_USER_INPUT error naming its dotted
 * path (`document.S.list.0`, the form `value(path)` reads). Walks with a
 * stack of its own: a document from GraphQL variables has no depth bound.
 */
function checkNumbers(document: Readonly<Record<string, unknown>>, field: string): void {
  const stack: Walk[] = [{ node: document, keys: Object.keys(document), next: 0, path: field }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const length = top.keys === null ? (top.node as readonly unknown[]).length : top.keys.length;
    if (top.next === length) {
      stack.pop();
      continue;
    }
    const i = top.next++;
    const key = top.keys === null ? String(i) : top.keys[i]!;
    const v = top.keys === null ? (top.node as readonly unknown[])[i] : (top.node as Readonly<Record<string, unknown>>)[key];
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw badInput(pathOf(top.path, key), 'a number past the range of a double (about 1.8e308) cannot be kept; send it as a string');
      if (v > Number.MAX_SAFE_INTEGER || v < -Number.MAX_SAFE_INTEGER) throw pastSafe(pathOf(top.path, key), v);
    } else if (typeof v === 'bigint') {
      throw pastSafe(pathOf(top.path, key), v);
    } else if (typeof v === 'object' && v !== null) {
      stack.push({ node: v as Walk['node'], keys: Array.isArray(v) ? null : Object.keys(v), next: 0, path: pathOf(top.path, key) });
    }
  }
}

function pastSafe(path: string, v: number | bigint): GatewayError {
  return badInput(path, `${v} is past ${v < 0 ? '-(2^53-1)' : '2^53-1'} and cannot be kept exactly; send it as a string`);
}

/** `parent.key`, a long key cut to 64 characters so the message stays short. */
function pathOf(parent: string, key: string): string {
  return `${parent}.${key.length > 64 ? `${key.slice(0, 64)}…` : key}`;
}

export function buildUveListQuery(args: UveListArgs, maxPageSize: number, scope: NamespaceScope | null = null): UveListQuery {
  const type = validateUveType(args.type);
  const first = args.first ?? 100;
  if (!Number.isInteger(first) || first < 0) throw badInput('first', 'must be a non-negative integer');
  if (args.structs != null && args.structs.length === 0) {
    throw badInput('structs', 'an empty list matches nothing; give at least one struct name');
  }
  return {
    type,
    nameGlob: args.name ?? null,
    structs: args.structs ?? null,
    first: Math.min(first, maxPageSize),
    after: args.after == null ? null : decodeKeyCursor(args.after, 'after', scopeKey(scope)),
    scope,
  };
}

/** The top-level struct names of a document, sorted. */
export function structsOf(doc: UveDocument): string[] {
  return Object.keys(doc.document).sort();
}

/**
 * Reads a dotted path (`UveVirtualNetworkAgent.in_bytes`, `a.list.0`) from a
 * document; a number addresses an array element. Null when absent.
 */
export function valueAt(document: unknown, path: string | null | undefined): unknown {
  if (path == null || path === '') return document;
  let cur: unknown = document;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return null;
    if (Array.isArray(cur)) {
      if (!/^[0-9]+$/.test(part)) return null;
      cur = cur[Number(part)];
    } else {
      cur = Object.prototype.hasOwnProperty.call(cur, part) ? (cur as Record<string, unknown>)[part] : undefined;
    }
    if (cur === undefined) return null;
  }
  return cur;
}

/** Whether `name` matches a glob where `*` is any run of characters. */
export function globMatches(glob: string, name: string): boolean {
  const parts = glob.split('*');
  if (parts.length === 1) return glob === name;
  if (!name.startsWith(parts[0]!) || !name.endsWith(parts[parts.length - 1]!)) return false;
  let pos = parts[0]!.length;
  const end = name.length - parts[parts.length - 1]!.length;
  for (const mid of parts.slice(1, -1)) {
    const at = name.indexOf(mid, pos);
    if (at < 0 || at + mid.length > end) return false;
    pos = at + mid.length;
  }
  return pos <= end;
}
