import { createHash } from 'node:crypto';
import { formatDateTime, validateUveType, type EpochNs, type NamespaceScope, type UveListQuery, type UveWrite } from '../../model/index.js';
import { TEMPLATE_VERSION, UVE_MAPPINGS, type UveSource } from './mapping.js';

/**
 * The OpenSearch DSL compiler: pure functions from validated input to REST
 * requests, bodies built as JSON values (never `query_string`, never text
 * concatenation). https://opensearch.org/docs/2.19/api-reference/
 */

export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';

/** One REST call, as sent and as shown in `meta.query`. */
export interface OsRequest {
  readonly method: HttpMethod;
  /** Every component percent-encoded. */
  readonly path: string;
  readonly querystring?: Readonly<Record<string, string>>;
  readonly body?: Readonly<Record<string, unknown>>;
  /** The lines of an NDJSON body (`_bulk`), instead of `body`. */
  readonly bulkBody?: readonly Readonly<Record<string, unknown>>[];
}

/** Largest `size` (from + size) a search may ask for: index.max_result_window. */
export const MAX_RESULT_WINDOW = 10_000;

/** `_id` is at most 512 bytes (UTF-8). */
export const MAX_ID_BYTES = 512;

/** Ids of long names (and of names that start with it) are this plus a hash. */
export const HASHED_ID_PREFIX = 'sha256~';

/**
 * Writes wait until a refresh made them searchable, so a read after an
 * acknowledged write sees it without forcing a refresh per write.
 * https://opensearch.org/docs/2.19/api-reference/document-apis/index-document/
 */
export const WRITE_REFRESH = 'wait_for';

/** The index of a UVE type: the prefix (validated by the config) plus the validated type. */
export function indexName(prefix: string, type: string): string {
  return `${prefix}${validateUveType(type)}`;
}

/** The index template's name for one prefix. */
export function templateName(prefix: string): string {
  return `sag-uves-${prefix}`;
}

/**
 * The `_id` of a UVE: its name, unless the name is over 512 bytes or starts
 * with HASHED_ID_PREFIX; then the prefix and the SHA-256 of the name. So two
 * names never share an id, and a name never needs to be shortened.
 */
export function docId(name: string): string {
  if (Buffer.byteLength(name, 'utf8') <= MAX_ID_BYTES && !name.startsWith(HASHED_ID_PREFIX)) return name;
  return HASHED_ID_PREFIX + createHash('sha256').update(name, 'utf8').digest('hex');
}

/** One path component, with `.` and the other characters encodeURIComponent keeps encoded too. */
export function pathSegment(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*.~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * A name glob (only `*` is special) as a `wildcard` pattern: `?` and `\`
 * are escaped, `*` kept. https://opensearch.org/docs/2.19/query-dsl/term/wildcard/
 */
export function globToWildcard(glob: string): string {
  return glob.replace(/[\\?]/g, (c) => `\\${c}`);
}

/** Settings and mappings of a UVE index, for the template and for explicit creation. */
export function uveIndexBody(refreshIntervalMs: number): Record<string, unknown> {
  return {
    settings: { index: { number_of_shards: 1, refresh_interval: `${refreshIntervalMs}ms` } },
    mappings: UVE_MAPPINGS,
  };
}

/**
 * The index template behind every UVE index of `prefix`, so an index
 * auto-created by a write gets the same layout. Its priority grows with the
 * prefix length, so gateways with nested prefixes (`uve-` and `uve-test-`)
 * never tie. https://opensearch.org/docs/2.19/im-plugin/index-templates/
 */
export function compileTemplate(prefix: string, refreshIntervalMs: number): OsRequest {
  return {
    method: 'PUT',
    path: `/_index_template/${pathSegment(templateName(prefix))}`,
    body: {
      index_patterns: [`${prefix}*`],
      priority: 100 + prefix.length,
      template: uveIndexBody(refreshIntervalMs),
      _meta: { managed_by: 'session-analytics-gateway', version: TEMPLATE_VERSION },
    },
  };
}

/**
 * Creates a type's index with its settings and mappings (400
 * resource_already_exists_exception when it exists).
 * https://opensearch.org/docs/2.19/api-reference/index-apis/create-index/
 */
export function compileCreateIndex(prefix: string, type: string, refreshIntervalMs: number): OsRequest {
  return { method: 'PUT', path: `/${indexName(prefix, type)}`, body: uveIndexBody(refreshIntervalMs) };
}

/** The stored form of a UVE. */
export function uveSource(name: string, document: Readonly<Record<string, unknown>>, updatedAt: EpochNs): UveSource {
  return { name, structs: Object.keys(document).sort(), updatedAt: formatDateTime(updatedAt), document };
}

/** Creates or replaces one UVE (id from the name), acknowledged once searchable. */
export function compileUpsert(
  prefix: string,
  type: string,
  name: string,
  document: Readonly<Record<string, unknown>>,
  updatedAt: EpochNs,
): OsRequest {
  return {
    method: 'PUT',
    path: `/${indexName(prefix, type)}/_doc/${pathSegment(docId(name))}`,
    querystring: { refresh: WRITE_REFRESH },
    body: { ...uveSource(name, document, updatedAt) },
  };
}

export type { UveWrite };

/**
 * Creates or replaces many UVEs in one `_bulk`, applied in order (the last
 * of two writes to one name wins), acknowledged once all are searchable.
 * https://opensearch.org/docs/2.19/api-reference/document-apis/bulk/
 */
export function compileBulkUpsert(prefix: string, writes: readonly UveWrite[], updatedAt: EpochNs): OsRequest {
  return {
    method: 'POST',
    path: '/_bulk',
    querystring: { refresh: WRITE_REFRESH },
    bulkBody: writes.flatMap((w) => [
      { index: { _index: indexName(prefix, w.type), _id: docId(w.name) } },
      { ...uveSource(w.name, w.document, updatedAt) },
    ]),
  };
}

/** Deletes one UVE by id; acknowledged once a search no longer sees it. */
export function compileDelete(prefix: string, type: string, name: string): OsRequest {
  return {
    method: 'DELETE',
    path: `/${indexName(prefix, type)}/_doc/${pathSegment(docId(name))}`,
    querystring: { refresh: WRITE_REFRESH },
  };
}

/** One UVE by id (realtime: sees acknowledged writes without a refresh). */
export function compileGet(prefix: string, type: string, name: string): OsRequest {
  return { method: 'GET', path: `/${indexName(prefix, type)}/_doc/${pathSegment(docId(name))}` };
}

/**
 * Many UVEs of one type in one `_mget` (realtime), each id once.
 * https://opensearch.org/docs/2.19/api-reference/document-apis/multi-get/
 */
export function compileMget(prefix: string, type: string, names: readonly string[]): OsRequest {
  return {
    method: 'POST',
    path: `/${indexName(prefix, type)}/_mget`,
    body: { ids: [...new Set(names.map(docId))] },
  };
}

/**
 * One page of `uves`: filters on the name (`term`, or `wildcard` when the
 * glob has a `*`) and on the structs (`terms`: at least one), names
 * ascending, continued with `search_after` from the last name seen, never
 * with `from`. `size` is at most MAX_RESULT_WINDOW; `countTotal` asks for the
 * exact total of matches over all pages. A missing index answers no hits.
 * https://opensearch.org/docs/2.19/search-plugins/searching-data/paginate/#the-search_after-parameter
 */
export function compileList(
  prefix: string,
  q: UveListQuery,
  size: number,
  after: string | null,
  countTotal: boolean,
): OsRequest {
  if (!Number.isInteger(size) || size < 0 || size > MAX_RESULT_WINDOW) {
    throw new RangeError(`search size ${size} is outside 0..${MAX_RESULT_WINDOW}`);
  }
  const filter: Record<string, unknown>[] = [];
  if (q.nameGlob !== null) {
    filter.push(
      q.nameGlob.includes('*')
        ? { wildcard: { name: { value: globToWildcard(q.nameGlob) } } }
        : { term: { name: { value: q.nameGlob } } },
    );
  }
  if (q.structs !== null) filter.push({ terms: { structs: [...q.structs] } });
  if (q.scope !== null) filter.push(scopeQuery(q.scope));
  return {
    method: 'POST',
    path: `/${indexName(prefix, q.type)}/_search`,
    querystring: { ignore_unavailable: 'true', allow_no_indices: 'true' },
    body: {
      size,
      track_total_hits: countTotal,
      query: filter.length === 0 ? { match_all: {} } : { bool: { filter } },
      sort: [{ name: { order: 'asc' } }],
      ...(after === null ? {} : { search_after: [after] }),
      _source: ['name', 'updatedAt', 'document'],
    },
  };
}

/**
 * The namespace scope on the `name` keyword: the name's project (its second
 * `:` component) is one of the scope's projects. The domain before it is
 * any text without `:`, so no `prefix` or `term` can say it: a `regexp`
 * (Lucene syntax, anchored to the whole term, `flags: NONE` so no optional
 * operator applies), `[^:]*:(p1|p2)(:.*)?`, every character of a project
 * but letters and digits escaped with `\`. With no project, `match_none`.
 * https://opensearch.org/docs/2.19/query-dsl/term/regexp/
 */
export function scopeQuery(scope: NamespaceScope): Record<string, unknown> {
  if (scope.projects.length === 0) return { match_none: {} };
  const alternatives = scope.projects.map(luceneRegexQuote).join('|');
  return { regexp: { name: { value: `[^:]*:(${alternatives})(:.*)?`, flags: 'NONE' } } };
}

/** Text matched literally by a Lucene regexp: every code point but ASCII letters and digits escaped. */
export function luceneRegexQuote(text: string): string {
  let out = '';
  for (const ch of text) out += /^[A-Za-z0-9]$/.test(ch) ? ch : `\\${ch}`;
  return out;
}

/**
 * UVEs of one type by name, only those inside the scope: a `_search` (a
 * get by id cannot carry a query), `terms` on the names AND the scope.
 * Writes are acknowledged once searchable, so it sees them like `_mget`.
 */
export function compileScopedGet(prefix: string, type: string, names: readonly string[], scope: NamespaceScope): OsRequest {
  const unique = [...new Set(names)];
  if (unique.length > MAX_RESULT_WINDOW) throw new RangeError(`${unique.length} names is more than ${MAX_RESULT_WINDOW}`);
  return {
    method: 'POST',
    path: `/${indexName(prefix, type)}/_search`,
    querystring: { ignore_unavailable: 'true', allow_no_indices: 'true' },
    body: {
      size: unique.length,
      track_total_hits: false,
      query: { bool: { filter: [{ terms: { name: unique } }, scopeQuery(scope)] } },
      _source: ['name', 'updatedAt', 'document'],
    },
  };
}

/**
 * The UVE indices of `prefix` that hold at least one document, counted by a
 * terms aggregation on `_index` (searchable documents only).
 */
export function compileTypes(prefix: string, maxTypes = 10_000): OsRequest {
  return {
    method: 'POST',
    path: `/${prefix}*/_search`,
    querystring: { ignore_unavailable: 'true', allow_no_indices: 'true' },
    body: {
      size: 0,
      track_total_hits: false,
      aggs: { types: { terms: { field: '_index', size: maxTypes, order: { _key: 'asc' } } } },
    },
  };
}

/** The cheapest call that proves the node answers and accepts our credentials (`/ready`). */
export function compilePing(): OsRequest {
  return { method: 'GET', path: '/' };
}

/**
 * A request as the Dev Tools console takes it: `METHOD /path?query` and the
 * JSON body on the next line.
 */
export function formatRequest(req: OsRequest): string {
  const qs = req.querystring === undefined ? '' : new URLSearchParams(req.querystring as Record<string, string>).toString();
  const line = `${req.method} ${req.path}${qs === '' ? '' : `?${qs}`}`;
  if (req.bulkBody !== undefined) return [line, ...req.bulkBody.map((l) => JSON.stringify(l))].join('\n');
  return req.body === undefined ? line : `${line}\n${JSON.stringify(req.body)}`;
}
