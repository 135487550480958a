import { describe, expect, it } from 'vitest';
import { buildNamespaceScope, buildUveListQuery } from '../../model/index.js';
import { HOSTILE_STRINGS } from '../../../test/support/hostile.js';
import { compileList, compileScopedGet, luceneRegexQuote, scopeQuery } from './compile.js';

const scope = (ns: readonly string[]) => buildNamespaceScope(ns, 'k8s-');

/**
 * Lucene's RegExp over one whole term, as OpenSearch runs a `regexp` query
 * with flags NONE on a keyword: translated here to a JS RegExp for the few
 * constructs scopeQuery writes (`[^:]`, `*`, `( | )`, `?`, `.`, `\\c`).
 */
function luceneMatches(pattern: string, term: string): boolean {
  let js = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      const cp = pattern.codePointAt(i + 1)!;
      js += `\\u{${cp.toString(16)}}`;
      i += cp > 0xffff ? 2 : 1;
    } else if (ch === '.') js += '[^]';
    else js += ch;
  }
  return new RegExp(`^(?:${js})$`, 'u').test(term);
}

describe('OpenSearch DSL: the namespace scope', () => {
  it('is a regexp on the name keyword, flags NONE, as a JSON value', () => {
    expect(scopeQuery(scope(['shop', 'billing']))).toEqual({
      regexp: { name: { value: '[^:]*:(k8s\\-billing|k8s\\-shop)(:.*)?', flags: 'NONE' } },
    });
    expect(scopeQuery(scope([]))).toEqual({ match_none: {} });
    expect(scopeQuery(scope(['a:b', '']))).toEqual({ match_none: {} });
  });

  it('is ANDed into a list beside the caller glob and structs, for the page and its count', () => {
    const q = buildUveListQuery({ type: 'virtual-network', name: '*secret*', structs: ['S'] }, 10, scope(['shop']));
    const req = compileList('uve-', q, 11, null, true);
    const filter = (req.body as { query: { bool: { filter: unknown[] } } }).query.bool.filter;
    expect(filter).toHaveLength(3);
    expect(filter[2]).toEqual(scopeQuery(scope(['shop'])));
    const plain = compileList('uve-', buildUveListQuery({ type: 'virtual-network' }, 10), 11, null, true);
    expect(JSON.stringify(plain.body)).not.toContain('regexp');
  });

  it('scoped gets search by name with the scope (a get by id cannot carry a query)', () => {
    const req = compileScopedGet('uve-', 'virtual-network', ['a', 'b', 'a'], scope(['shop']));
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/uve-virtual-network/_search');
    expect(req.body).toMatchObject({ size: 2, query: { bool: { filter: [{ terms: { name: ['a', 'b'] } }, scopeQuery(scope(['shop']))] } } });
  });

  it('matches exactly the names whose second component is the project', () => {
    const v = (scopeQuery(scope(['shop'])) as { regexp: { name: { value: string } } }).regexp.name.value;
    for (const n of ['default-domain:k8s-shop:net', 'd:k8s-shop', ':k8s-shop:x:y']) expect(luceneMatches(v, n)).toBe(true);
    for (const n of ['default-domain:k8s-shopx:net', 'k8s-shop:x:y', 'd:x:k8s-shop', 'k8s-shop', 'compute-node-1']) expect(luceneMatches(v, n)).toBe(false);
  });

  it.each(HOSTILE_STRINGS.map((s) => [s]))('escapes every character of the hostile namespace %j', (s) => {
    const quoted = luceneRegexQuote(`k8s-${s}`);
    expect(quoted.replace(/\\[\s\S]/gu, '')).toMatch(/^[A-Za-z0-9]*$/u);
    const v = (scopeQuery(scope([s])) as { regexp: { name: { value: string } } }).regexp.name.value;
    expect(luceneMatches(v, `default-domain:k8s-${s}:net`)).toBe(true);
    expect(luceneMatches(v, 'default-domain:k8s-secret:net')).toBe(false);
    expect(luceneMatches(v, `default-domain:k8s-${s}x:net`)).toBe(false);
  });
});
