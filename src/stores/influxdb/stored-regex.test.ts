import { describe, expect, it } from 'vitest';
import { buildFilter, compileMatcher, GatewayError, type SessionRecord } from '../../model/index.js';
import { HOSTILE_STRINGS } from '../../../test/support/hostile.js';
import { sessionRecord } from '../../../test/support/records.js';
import { compilePredicate } from './predicate.js';
import { encodeTagValue, TAG_ESCAPE } from './tag-codec.js';
import { escapedValuesScript, exactRegex, MAX_ESCAPED_VALUES, readEscapedValues, regexColumns } from './stored-regex.js';

const ESCAPED = ['', 'new\nline', 'trailing\\', 'tab\tand\rreturn', '\u0001'];

describe('regexes over tags made exact', () => {
  it('finds the columns regex leaves test, under and/or/not, and no other', () => {
    const p = buildFilter({
      vn: { regex: 'a' },
      vmi: { eq: 'x' },
      or: [{ localLabels: [{ name: 'app', regex: '^$' }] }, { not: { remoteLabels: [{ name: 'tier', regex: '.' }, { name: 'zone', prefix: 'z' }] } }],
    });
    expect(regexColumns(p)).toEqual(['label.local.app', 'label.remote.tier', 'vn']);
    expect(regexColumns(buildFilter({ vn: { prefix: 'a' }, localLabels: [{ name: 'app', eq: '' }] }))).toEqual([]);
  });

  it('lists the stored values holding ESC per column and bucket, from the index', () => {
    const text = escapedValuesScript(['sessions', 'sessions_5m'], ['label.local.app'], 0n, 60_000_000_000n);
    expect(text).toContain('import "influxdata/influxdb/schema"');
    expect(text).toContain('schema.tagValues(bucket: "sessions", tag: "label.local.app", predicate: (r) => r._measurement == "session" and r["label.local.app"] =~ /\\x01/');
    expect(text).toContain('schema.tagValues(bucket: "sessions_5m", tag: "label.local.app"');
    expect(text.match(/yield\(name: "e0_[01]"\)/g)).toHaveLength(2);
  });

  it('reads them decoded, once each over the buckets, and refuses more than the bound', () => {
    const rows = (values: string[]) => values.map((v) => ({ _value: encodeTagValue(v) }));
    const got = readEscapedValues(new Map([['e0_0', rows(['', 'new\nline'])], ['e0_1', [...rows(['new\nline']), { _value: 'plain' }]]]), ['a', 'b'], ['label.local.app']);
    expect(got).toEqual(new Map([['label.local.app', ['', 'new\nline']]]));
    expect(readEscapedValues(new Map(), ['a'], ['vn'])).toEqual(new Map());
    const many = Array.from({ length: MAX_ESCAPED_VALUES + 1 }, (_, i) => `v${i}\n`);
    const e = (() => {
      try {
        readEscapedValues(new Map([['e0_0', rows(many)]]), ['a'], ['vn']);
      } catch (x) {
        return x;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(GatewayError);
    expect((e as GatewayError).code).toBe('QUERY_TOO_EXPENSIVE');
    expect((e as GatewayError).message).toContain('vn');
  });

  it('the rewritten filter is the same predicate on values, for every hostile value and pattern, negated too', () => {
    const values = [...HOSTILE_STRINGS, ...ESCAPED, 'web', 'front'];
    const patterns = ['^$', '.+', '\\\\$', '[\\n\\t]', '^tab\\tand\\rreturn$', '^(front|)$', 'e', '(?s)^new.line$', '\\x01'];
    const escaped = new Map([
      ['label.local.app', values.filter((v) => encodeTagValue(v).includes(TAG_ESCAPE))],
      ['vn', values.filter((v) => encodeTagValue(v).includes(TAG_ESCAPE))],
    ]);
    const records: SessionRecord[] = values.flatMap((v) => [
      sessionRecord({ vn: v === '' ? 'x' : v, localLabels: { app: v } }),
      sessionRecord({ vn: 'plain', localLabels: {} }),
    ]);
    for (const pattern of patterns) {
      for (const input of [{ localLabels: [{ name: 'app', regex: pattern }] }, { not: { localLabels: [{ name: 'app', regex: pattern }] } }, { vn: { regex: pattern } }]) {
        const p = buildFilter(input);
        const was = compileMatcher(p);
        const now = compileMatcher(exactRegex(p, escaped));
        for (const r of records) expect(now(r), `${JSON.stringify(input)} on ${JSON.stringify(r.localLabels)} ${JSON.stringify(r.vn)}`).toBe(was(r));
      }
    }
  });

  it('leaves the Flux alone when no stored value holds ESC, and otherwise compares those values whole', () => {
    const p = buildFilter({ remoteLabels: [{ name: 'tier', regex: '^$' }] });
    expect(exactRegex(p, new Map())).toBe(p);
    expect(exactRegex(p, new Map([['vn', ['']]]))).toEqual(p);
    const flux = compilePredicate(exactRegex(p, new Map([['label.remote.tier', ['', 'a\n']]])));
    // The regex sees only values stored as themselves; the empty value, which it matches, is compared whole; "a\n" is excluded.
    expect(flux).toContain('r["label.remote.tier"] =~ /^$/');
    expect(flux).toContain('r["label.remote.tier"] != "\\x01"');
    expect(flux).toContain('r["label.remote.tier"] != "a\\x01J"');
    expect(flux).toContain('r["label.remote.tier"] == "\\x01"');
    expect(flux).not.toContain('== "a\\x01J"');
  });
});
