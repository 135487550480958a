/** What a caller may do: ARCHITECTURE.md "Access". */
export type Scope = 'sessions:read' | 'uves:read' | 'ingest' | 'admin';

export const SCOPES: readonly Scope[] = ['sessions:read', 'uves:read', 'ingest', 'admin'];

/**
 * Who made a request, as the authenticator established it. `namespaces` is
 * null for a caller who sees every namespace, else the namespaces (not VN
 * names, not prefixed) whose sessions and UVEs the caller may see; the query
 * model carries them into every store query.
 */
export interface Caller {
  readonly name: string;
  readonly scopes: ReadonlySet<Scope>;
  readonly namespaces: readonly string[] | null;
}

/** The caller when authentication is off (AUTH=none, or loopback with nothing configured): every scope, every namespace. */
export const UNRESTRICTED: Caller = Object.freeze({ name: 'anonymous', scopes: new Set(SCOPES), namespaces: null });
