import { describe, expect, it } from 'vitest';
import { TRUE, buildFilter, parseDuration } from '../../model/index.js';
import { compileTail } from './compile-tail.js';
import { influxLayout } from './layout.js';

describe('compileTail (Flux)', () => {
  const layout = influxLayout('org', 'sessions', '{bucket}_{tier}', { raw: parseDuration('24h', 'raw'), tiers: [] });
  it('reads [start, stop) oldest first, skipping the records of the start time already read, values escaped', () => {
    const text = compileTail({ filter: buildFilter({ vn: { eq: 'a"b\\c${x}' } }), from: { at: 1_000n, within: 4 }, until: null, since: null, limit: 50 }, 1_000n, 2_000n, layout, ['label.local.app']);
    expect(text).toContain('range(start: 1970-01-01T00:00:00.000001Z, stop: 1970-01-01T00:00:00.000002Z)');
    expect(text).toContain('sort(columns: ["_time", "vrouter_ip"');
    expect(text).not.toMatch(/desc: true/);
    expect(text).toContain('limit(n: 51, offset: 4)');
    expect(text).toContain('a\\"b\\\\c\\${x}');
  });

  it('reads every record with TRUE', () => {
    const text = compileTail({ filter: TRUE, from: null, until: 5n, since: 1n, limit: 10 }, 1n, 5n, layout, []);
    expect(text).toContain('limit(n: 11, offset: 0)');
  });
});
