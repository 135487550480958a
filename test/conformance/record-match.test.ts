import { describe, expect, it } from 'vitest';
import { buildFilter, buildNamespaceScope, compileMatcher, indexTermOf, indexValueOf, scopeFilter, type SessionFilterInput } from '../../src/model/index.js';
import { TRAFFIC_CASES } from './cases.js';
import { generateSessions } from './generator.js';
import { matches } from './reference.js';

const NOW = 1_795_600_800_000_000_000n;

// The live tail filters in memory with compileMatcher: it must mean what every store's compiler means,
// which the reference evaluator states. Every filter of the conformance table, with and without a namespace scope.
describe('compileMatcher agrees with the reference evaluator', () => {
  const { records } = generateSessions(14, NOW, 600, 6);
  const filters: SessionFilterInput[] = [
    {},
    ...TRAFFIC_CASES.flatMap((c) => (c.args.where == null ? [] : [c.args.where])),
    { clientPort: { in: [40001, 40002] }, sessionType: 'SERVER' },
    { not: { vn: { regex: 'shop' } } },
    { localLabels: [{ name: 'app', in: ['web', 'api'] }] },
  ];
  const scopes = [null, buildNamespaceScope(['shop'], 'k8s-'), buildNamespaceScope([], 'k8s-')];
  it(`on ${filters.length} filters x ${scopes.length} scopes x ${records.length} records`, () => {
    let matched = 0;
    for (const where of filters) {
      for (const scope of scopes) {
        const p = scopeFilter(buildFilter(where), scope);
        const m = compileMatcher(p);
        const term = indexTermOf(p);
        const want = records.map((r) => matches(r, p));
        expect(records.map(m), JSON.stringify(where)).toEqual(want);
        // The index never hides a match: a matching record's value of the term's column is one of its values.
        const hidden = records.filter((r, i) => want[i] && term !== null && !term.values.includes(indexValueOf(r, term.column) as string));
        expect(hidden, JSON.stringify(where)).toEqual([]);
        matched += want.filter(Boolean).length;
      }
    }
    expect(matched).toBeGreaterThan(500);
  });

  it('indexes by the narrowest eq/in conjunct and by nothing under or/not', () => {
    expect(indexTermOf(buildFilter({ vn: { in: ['a', 'b'] }, serverPort: { eq: 443 } }))).toEqual({ column: 'server_port', values: ['443'] });
    expect(indexTermOf(buildFilter({ localLabels: [{ name: 'app', eq: 'web' }] }))).toEqual({ column: 'label.local.app', values: ['web'] });
    expect(indexTermOf(buildFilter({ or: [{ vn: { eq: 'a' } }, { vn: { eq: 'b' } }] }))).toBeNull();
    expect(indexTermOf(buildFilter({ not: { vn: { eq: 'a' } } }))).toBeNull();
  });
});
