import { describe, expect, it } from 'vitest';
import { TRUE, buildFilter } from '../../model/index.js';
import { compileTail } from './compile-tail.js';

describe('compileTail (DuckDB)', () => {
  it('reads in commit order from a position, values bound as parameters', () => {
    const hostile = "x'); DROP TABLE sessions; --";
    const stmt = compileTail({ filter: buildFilter({ vn: { eq: hostile } }), from: { at: 7n, within: 3 }, until: 12n, since: 5n, limit: 100 }, { labelColumns: new Set(['label.local.app']) });
    expect(stmt.text).not.toContain(hostile);
    expect(stmt.params).toContain(hostile);
    expect(stmt.text).toMatch(/WHERE seq >= \$1\s+AND seq < \$2\s+AND time_ns >= \$3/);
    expect(stmt.text).toMatch(/ORDER BY seq ASC, time_ns ASC/);
    expect(stmt.params.slice(0, 3)).toEqual([7n, 12n, 5n]);
    expect(stmt.params.slice(-2)).toEqual([101, 3]);
  });

  it('starts from the beginning without a position, and reads everything with TRUE', () => {
    const stmt = compileTail({ filter: TRUE, from: null, until: null, since: null, limit: 10 }, { labelColumns: new Set() });
    expect(stmt.text).toMatch(/WHERE seq >= \$1\n/);
    expect(stmt.params).toEqual([0n, 11, 0]);
  });
});
