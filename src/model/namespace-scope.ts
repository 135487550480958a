import type { Caller } from './caller.js';
import { forbidden } from './errors.js';
import type { Predicate } from './filter.js';

/** The default NAMESPACE_PROJECT_PREFIX: CN2 names a Kubernetes namespace's project `k8s-<namespace>`. */
export const DEFAULT_NAMESPACE_PROJECT_PREFIX = 'k8s-';

/**
 * The namespaces a caller may see, as the query model carries them into
 * every session and UVE query (ARCHITECTURE §9, docs/security.md
 * "Namespaces"). A session record is visible when the project of its `vn`
 * or of its `remote_vn` is one of `projects`; a UVE when the project of its
 * name is. The project of an FQ name (`domain:project:name`) is its second
 * `:`-separated component; a name without a second component has none and
 * belongs to no namespace. `projects` is `prefix + namespace` for each
 * namespace that can name a project (not empty, no `:`), deduplicated and
 * sorted; it may be empty, and then nothing is visible.
 */
export interface NamespaceScope {
  readonly prefix: string;
  /** The caller's namespaces as given (for messages). */
  readonly namespaces: readonly string[];
  readonly projects: readonly string[];
}

/** The scope of a caller: null when it sees every namespace. */
export function namespaceScopeOf(caller: Caller, prefix: string): NamespaceScope | null {
  if (caller.namespaces === null) return null;
  return buildNamespaceScope(caller.namespaces, prefix);
}

export function buildNamespaceScope(namespaces: readonly string[], prefix: string): NamespaceScope {
  // A namespace holding ':' (or empty) could never be the second component of an FQ name: it names no project.
  const projects = [...new Set(namespaces.filter((n) => n !== '' && !n.includes(':')).map((n) => prefix + n))]
    .filter((p) => !p.includes(':'))
    .sort();
  return { prefix, namespaces: [...namespaces], projects };
}

/** The project part of an FQ name: its second `:`-separated component, or null when it has none. */
export function projectOf(fqName: string): string | null {
  const first = fqName.indexOf(':');
  if (first < 0) return null;
  const second = fqName.indexOf(':', first + 1);
  return second < 0 ? fqName.slice(first + 1) : fqName.slice(first + 1, second);
}

/** Whether an FQ name (a VN, a UVE name) belongs to one of the scope's namespaces; true without a scope. */
export function scopeCovers(scope: NamespaceScope | null | undefined, fqName: string): boolean {
  if (scope == null) return true;
  const project = projectOf(fqName);
  return project !== null && scope.projects.includes(project);
}

/** Whether a session record (its two VNs) is visible under the scope. */
export function scopeCoversSession(scope: NamespaceScope | null | undefined, vn: string, remoteVn: string): boolean {
  return scopeCovers(scope, vn) || scopeCovers(scope, remoteVn);
}

/**
 * The caller's filter with the scope AND-ed in at the top, outside anything
 * the caller wrote, so no `or`, `not` or regex of theirs can reach it. The
 * query's fingerprint covers the result, which binds its cursors to the scope.
 */
export function scopeFilter(filter: Predicate, scope: NamespaceScope | null | undefined): Predicate {
  if (scope == null) return filter;
  const guard: Predicate = { kind: 'namespaces', projects: scope.projects };
  return { kind: 'and', items: [guard, ...(filter.kind === 'and' ? filter.items : [filter])] };
}

/** What identifies a scope in a UVE cursor: '' without one. */
export function scopeKey(scope: NamespaceScope | null | undefined): string {
  return scope == null ? '' : JSON.stringify(scope.projects);
}

/**
 * Refuses a write (upsertUve, deleteUve, a UVE ingested over HTTP) to a UVE
 * outside the caller's namespaces: FORBIDDEN, naming the UVE and not the
 * caller's namespaces.
 */
export function assertUveWritable(scope: NamespaceScope | null | undefined, type: string, name: string): void {
  if (!scopeCovers(scope, name)) {
    throw forbidden(`the ${type} UVE ${JSON.stringify(name.slice(0, 256))} belongs to no namespace this caller may write`);
  }
}
