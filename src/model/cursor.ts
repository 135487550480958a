import { badInput } from './errors.js';
import type { EpochNs } from './time.js';

/**
 * Opaque paging cursors. A traffic cursor holds the offset of the next group
 * in the query's total order, the moment the first page resolved its range
 * against (so `last: 1h` pages over one fixed window), and a fingerprint of
 * the query, so a cursor from another query is refused, not misapplied.
 */
export function encodeOffsetCursor(offset: number, now: EpochNs, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ o: offset, n: now.toString(), f: fingerprint }), 'utf8').toString('base64url');
}

export function decodeOffsetCursor(cursor: string, fingerprint: string, field = 'after'): { offset: number; now: EpochNs } {
  let p = null as { o?: unknown; n?: unknown; f?: unknown } | null;
  try {
    p = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as typeof p;
  } catch {
    // reported below
  }
  if (
    p === null ||
    typeof p !== 'object' ||
    !Number.isSafeInteger(p.o) ||
    (p.o as number) < 0 ||
    typeof p.n !== 'string' ||
    !/^[0-9]{1,19}$/.test(p.n)
  ) {
    throw badInput(field, 'is not a cursor returned by this query');
  }
  if (p.f !== fingerprint) throw badInput(field, 'belongs to a different query (filter, grouping or order changed)');
  return { offset: p.o as number, now: BigInt(p.n) };
}

/**
 * A UVE cursor: the name of the last UVE of the page (search_after), and
 * the key of the namespace scope it was made under (`scopeKey`, '' for
 * none), so a cursor made under one scope is refused under another.
 */
export function encodeKeyCursor(key: string, scope = ''): string {
  return Buffer.from(JSON.stringify(scope === '' ? { k: key } : { k: key, s: scope }), 'utf8').toString('base64url');
}

export function decodeKeyCursor(cursor: string, field = 'after', scope = ''): string {
  let p = null as { k?: unknown; s?: unknown } | null;
  try {
    p = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as typeof p;
  } catch {
    // reported below
  }
  if (p === null || typeof p !== 'object' || typeof p.k !== 'string' || !(p.s === undefined || typeof p.s === 'string')) {
    throw badInput(field, 'is not a cursor returned by uves');
  }
  if ((p.s ?? '') !== scope) throw badInput(field, 'was made for a caller with other namespaces');
  return p.k;
}
