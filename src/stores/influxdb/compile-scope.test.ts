import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { influxFolding } from './folding.js';
import {
  buildLabelNamesQuery,
  buildNamespaceScope,
  buildRecordsQuery,
  buildSeriesQuery,
  buildTrafficQuery,
  buildValuesQuery,
  parseDuration,
  parseTiers,
  type BuildContext,
} from '../../model/index.js';
import { HOSTILE_STRINGS } from '../../../test/support/hostile.js';
import { compileSeries, compileTraffic } from './compile.js';
import { compileLabelCounts, compileValues } from './compile-hints.js';
import { compileRecords } from './compile-records.js';
import { influxLayout } from './layout.js';
import { namespacesTest, projectPattern } from './predicate.js';
import { encodeTagValue } from './tag-codec.js';

const raw = parseDuration('24h', 'raw');
const retention = { raw, tiers: parseTiers('5m:7d,1h:90d', raw) };
const plain: BuildContext = {
  now: 1_795_600_800_000_000_000n,
  retention,
  limits: { maxPageSize: 100, maxGroups: 100, maxSeriesPoints: 1000 },
  // As the store plans (folding.ts): 45 s task offsets, INFLUX_LATE_AFTER 5m.
  folding: influxFolding(new Map([['5m', 45_000_000_000n], ['1h', 45_000_000_000n]]), 300_000_000_000n),
};
const layout = influxLayout('sag', 'sessions', '{bucket}_{tier}', retention);
const scoped = (ns: readonly string[]): BuildContext => ({ ...plain, scope: buildNamespaceScope(ns, 'k8s-') });

/** Whether the Flux regex of `projects` matches the stored form of `vn`, as RE2 (InfluxDB's dialect) runs it. */
function storedMatch(projects: readonly string[], vn: string): boolean {
  return RE2JS.compile(projectPattern(projects)).matcher(encodeTagValue(vn)).find();
}

describe('Flux compiler: the namespace scope', () => {
  it('is one tag regex on vn or remote_vn', () => {
    expect(namespacesTest(['k8s-shop'])).toBe('(r["vn"] =~ /^[^:]*:(?:k8s-shop)(?::|\\x01?$)/ or r["remote_vn"] =~ /^[^:]*:(?:k8s-shop)(?::|\\x01?$)/)');
    expect(namespacesTest(['k8s-a', 'k8s-b'], true)).toBe(
      '(r["vn"] !~ /^[^:]*:(?:k8s-a|k8s-b)(?::|\\x01?$)/ and r["remote_vn"] !~ /^[^:]*:(?:k8s-a|k8s-b)(?::|\\x01?$)/)',
    );
    expect(namespacesTest([])).toBe('false');
  });

  it('matches exactly the names whose second component is the project, over the stored tag form', () => {
    const p = ['k8s-shop'];
    for (const vn of ['default-domain:k8s-shop:net', 'd:k8s-shop', ':k8s-shop:', 'a\nb:k8s-shop:x']) expect(storedMatch(p, vn)).toBe(true);
    for (const vn of ['default-domain:k8s-shopx:net', 'k8s-shop:x:y', 'd:x:k8s-shop', 'k8s-shop', '', 'd:K8S-SHOP:n', 'd:k8s-sho:p']) {
      expect(storedMatch(p, vn)).toBe(false);
    }
    // A project ending with a backslash: the tag code puts ESC after it when it ends the name.
    expect(storedMatch(['k8s-a\\'], 'd:k8s-a\\')).toBe(true);
    expect(storedMatch(['k8s-a\\'], 'd:k8s-a\\:n')).toBe(true);
    expect(storedMatch(['k8s-a'], 'd:k8s-a\u0001')).toBe(false);
  });

  it.each(HOSTILE_STRINGS.map((s) => [s]))('quotes the hostile namespace %j: matches only itself', (s) => {
    const projects = buildNamespaceScope([s], 'k8s-').projects;
    expect(storedMatch(projects, `default-domain:k8s-${s}:net`)).toBe(true);
    expect(storedMatch(projects, `default-domain:k8s-${s}`)).toBe(true);
    expect(storedMatch(projects, 'default-domain:k8s-secret:net')).toBe(false);
    expect(storedMatch(projects, `default-domain:k8s-${s}x:net`)).toBe(false);
    const flux = compileTraffic(buildTrafficQuery({ range: { last: '1h' } }, scoped([s])), layout);
    // No interpolation opened, no literal ended early: every `${` is escaped, and the text holds no raw line break from the value.
    expect(flux).not.toMatch(/(^|[^\\])\$\{/);
    if (s.includes('\n')) expect(flux).not.toContain(s);
  });

  it('compiles it into every session query', () => {
    const ctx = scoped(['shop']);
    const guard = 'r["vn"] =~ /^[^:]*:(?:k8s-shop)(?::|\\x01?$)/';
    const texts = [
      compileTraffic(buildTrafficQuery({ range: { last: '1h' }, compareTo: '1d' }, ctx), layout),
      compileSeries(buildSeriesQuery({ range: { last: '1h' }, every: '5m' }, ctx), layout),
      compileValues(buildValuesQuery({ range: { last: '1h' }, key: { dimension: 'VN' } }, ctx), layout),
      compileLabelCounts(buildLabelNamesQuery({ range: { last: '1h' }, side: 'LOCAL' }, ctx), layout, ['label.local.app']),
      compileRecords(buildRecordsQuery({ range: { last: '1h' } }, ctx), layout, ['label.local.app']),
    ];
    for (const t of texts) expect(t).toContain(guard);
    expect(texts[0]!.split(guard).length - 1).toBeGreaterThanOrEqual(2);
    expect(compileTraffic(buildTrafficQuery({ range: { last: '1h' } }, plain), layout)).not.toContain('[^:]');
  });
});
