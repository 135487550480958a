/**
 * The layout of a UVE index. One document per UVE, `_id` derived from the
 * name (see `docId`):
 *
 * - `name`: keyword, sorted and matched by the list query (byte order);
 * - `structs`: keyword, the document's top-level struct names, for the
 *   `structs` filter;
 * - `updatedAt`: date_nanos, RFC 3339 with nanoseconds (kept exact);
 * - `document`: an object holding the struct sections as given. It is kept
 *   in `_source` but not indexed (`enabled: false`): UVE structs come from
 *   many agents and versions, so indexing them would let one document's
 *   field type reject another's, grow the mapping past its field limit, and
 *   refuse keys such as "" that JSON allows.
 *
 * `dynamic: strict` refuses any other top-level field, so the mapping never
 * drifts. https://opensearch.org/docs/2.19/field-types/
 */
export const UVE_MAPPINGS = {
  dynamic: 'strict',
  properties: {
    name: { type: 'keyword' },
    structs: { type: 'keyword' },
    updatedAt: { type: 'date_nanos', format: 'strict_date_optional_time_nanos' },
    document: { type: 'object', enabled: false },
  },
} as const;

/** Bumped whenever UVE_MAPPINGS or the template settings change. */
export const TEMPLATE_VERSION = 1;

/** The fields of a stored UVE document. */
export interface UveSource {
  readonly name: string;
  readonly structs: readonly string[];
  readonly updatedAt: string;
  readonly document: Readonly<Record<string, unknown>>;
}
