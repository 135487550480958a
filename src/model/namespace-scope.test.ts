import { describe, expect, it } from 'vitest';
import { SCOPES } from './caller.js';
import { buildFilter } from './filter.js';
import {
  assertUveWritable,
  buildNamespaceScope,
  namespaceScopeOf,
  projectOf,
  scopeCovers,
  scopeCoversSession,
  scopeFilter,
  scopeKey,
} from './namespace-scope.js';
import { GatewayError } from './errors.js';

describe('namespace scope', () => {
  it('reads the project as the second component of an FQ name', () => {
    expect(projectOf('default-domain:k8s-shop:net')).toBe('k8s-shop');
    expect(projectOf('d:k8s-shop')).toBe('k8s-shop');
    expect(projectOf('d::n')).toBe('');
    expect(projectOf('compute-node-1')).toBeNull();
  });

  it('is null for a caller of every namespace; projects are prefixed, deduplicated, sorted, impossible ones dropped', () => {
    expect(namespaceScopeOf({ name: 'a', scopes: new Set(SCOPES), namespaces: null }, 'k8s-')).toBeNull();
    expect(buildNamespaceScope(['shop', 'billing', 'shop', '', 'a:b'], 'k8s-').projects).toEqual(['k8s-billing', 'k8s-shop']);
    expect(buildNamespaceScope(['shop'], '').projects).toEqual(['shop']);
    expect(buildNamespaceScope([], 'k8s-').projects).toEqual([]);
  });

  it('covers a name of its namespaces only, and a session by either VN', () => {
    const s = buildNamespaceScope(['shop'], 'k8s-');
    expect(scopeCovers(s, 'default-domain:k8s-shop:net')).toBe(true);
    for (const n of ['default-domain:k8s-shopx:net', 'k8s-shop:x:y', 'd:x:k8s-shop', 'k8s-shop', 'vrouter-1']) expect(scopeCovers(s, n)).toBe(false);
    expect(scopeCovers(null, 'anything')).toBe(true);
    expect(scopeCoversSession(s, 'd:k8s-billing:n', 'd:k8s-shop:n')).toBe(true);
    expect(scopeCoversSession(s, 'd:k8s-billing:n', 'd:k8s-secret:n')).toBe(false);
  });

  it('ANDs the guard at the top of the filter, outside the caller filter', () => {
    const f = buildFilter({ or: [{ vn: { eq: 'a' } }, { not: { vn: { eq: 'b' } } }] });
    const s = buildNamespaceScope(['shop'], 'k8s-');
    const scoped = scopeFilter(f, s);
    expect(scoped.kind).toBe('and');
    expect(scoped.kind === 'and' ? scoped.items[0] : null).toEqual({ kind: 'namespaces', projects: ['k8s-shop'] });
    expect(scopeFilter(f, null)).toBe(f);
    expect(scopeKey(null)).toBe('');
    expect(scopeKey(s)).not.toBe(scopeKey(buildNamespaceScope(['billing'], 'k8s-')));
  });

  it('refuses a UVE write outside the scope with FORBIDDEN', () => {
    const s = buildNamespaceScope(['shop'], 'k8s-');
    expect(() => assertUveWritable(s, 'virtual-network', 'd:k8s-shop:n')).not.toThrow();
    expect(() => assertUveWritable(null, 'vrouter', 'node')).not.toThrow();
    try {
      assertUveWritable(s, 'vrouter', 'node-1');
      expect.unreachable();
    } catch (e) {
      expect((e as GatewayError).code).toBe('FORBIDDEN');
    }
  });
});
