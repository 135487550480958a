import { describe, expect, it } from 'vitest';
import { globMatches, type UveListQuery } from '../../model/index.js';
import {
  HASHED_ID_PREFIX,
  MAX_RESULT_WINDOW,
  compileBulkUpsert,
  compileDelete,
  compileGet,
  compileList,
  compileMget,
  compileTemplate,
  compileTypes,
  compileUpsert,
  docId,
  formatRequest,
  globToWildcard,
  indexName,
  pathSegment,
} from './compile.js';

const q = (over: Partial<UveListQuery> = {}): UveListQuery => ({
  type: 'virtual-network',
  nameGlob: null,
  structs: null,
  first: 10,
  after: null,
  scope: null,
  ...over,
});

/** Lucene's WildcardQuery over one term, as OpenSearch runs it on a keyword. */
function luceneWildcard(pattern: string, term: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]!);
    else if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`, 'u').test(term);
}

function escapeRe(c: string): string {
  return c.replace(/[\\^$.*+?()[\]{}|/-]/g, (x) => `\\${x}`);
}

const HOSTILE = [
  'a?b',
  'a\\b',
  'a\\*b',
  '100%',
  'a_b',
  '[x]',
  '{a,b}',
  '"quoted"',
  "it's",
  'a/b/../c',
  '..',
  '.',
  '#frag',
  'a+b c',
  'ünïcødé €',
  '\u0000nul',
  'new\nline',
  '😀',
  '*',
  '\\',
  '?',
];

describe('globToWildcard', () => {
  it('keeps * and escapes ? and \\ only', () => {
    expect(globToWildcard('a*b?c\\d')).toBe('a*b\\?c\\\\d');
    expect(globToWildcard('%_[]{}')).toBe('%_[]{}');
  });

  it('matches exactly the names the model glob matches (hostile table)', () => {
    const globs = ['*', 'a*', '*b', 'a?b', 'a\\*', '*\\*', '*?*', '[x]', '100%', '*.*', '..', '\\', '?', '*😀*'];
    for (const glob of globs) {
      for (const name of [...HOSTILE, 'ab', 'axb', 'a?bb', 'a\\', 'x\\b']) {
        expect(luceneWildcard(globToWildcard(glob), name), `${glob} ~ ${name}`).toBe(globMatches(glob, name));
      }
    }
  });
});

describe('docId and pathSegment', () => {
  it('uses the name as id when it fits in 512 bytes', () => {
    expect(docId('default-domain:k8s:podnet')).toBe('default-domain:k8s:podnet');
    expect(docId('x'.repeat(512))).toBe('x'.repeat(512));
  });

  it('hashes names over 512 bytes and names that start with the hash marker', () => {
    const long = 'é'.repeat(257); // 514 bytes
    expect(docId(long)).toMatch(/^sha256~[0-9a-f]{64}$/);
    expect(docId(long)).not.toBe(docId(`${long}x`));
    expect(docId(`${HASHED_ID_PREFIX}abc`)).toMatch(/^sha256~[0-9a-f]{64}$/);
    expect(docId(docId(long))).not.toBe(docId(long));
  });

  it('encodes every character that could change the path', () => {
    for (const name of HOSTILE) {
      const seg = pathSegment(name);
      expect(seg).toMatch(/^[A-Za-z0-9%_-]*$/);
      expect(decodeURIComponent(seg)).toBe(name);
    }
    expect(pathSegment('..')).toBe('%2E%2E');
  });
});

describe('index names', () => {
  it('is the prefix plus a validated type', () => {
    expect(indexName('uve-', 'virtual-network')).toBe('uve-virtual-network');
    for (const bad of ['*', 'a*', '_all', '../x', 'A', 'a,b', '', 'x/y', 'a b']) {
      expect(() => indexName('uve-', bad), bad).toThrow(/not a UVE type/);
    }
  });
});

describe('compileList', () => {
  it('filters nothing, sorts by name and counts the total on the first page', () => {
    const r = compileList('uve-', q(), 11, null, true);
    expect(r).toEqual({
      method: 'POST',
      path: '/uve-virtual-network/_search',
      querystring: { ignore_unavailable: 'true', allow_no_indices: 'true' },
      body: {
        size: 11,
        track_total_hits: true,
        query: { match_all: {} },
        sort: [{ name: { order: 'asc' } }],
        _source: ['name', 'updatedAt', 'document'],
      },
    });
  });

  it('uses term without *, wildcard with *, terms for structs and search_after for the cursor', () => {
    const exact = compileList('uve-', q({ nameGlob: 'a?b', structs: ['S1', 'S2'] }), 5, 'a?a', false);
    expect(exact.body).toMatchObject({
      track_total_hits: false,
      query: { bool: { filter: [{ term: { name: { value: 'a?b' } } }, { terms: { structs: ['S1', 'S2'] } }] } },
      search_after: ['a?a'],
    });
    const glob = compileList('uve-', q({ nameGlob: 'default-domain:*?' }), 5, null, true);
    expect(glob.body).toMatchObject({
      query: { bool: { filter: [{ wildcard: { name: { value: 'default-domain:*\\?' } } }] } },
    });
    expect(glob.body).not.toHaveProperty('search_after');
    expect(glob.body).not.toHaveProperty('from');
  });

  it('never asks for more than the result window', () => {
    expect(() => compileList('uve-', q(), MAX_RESULT_WINDOW + 1, null, true)).toThrow(RangeError);
    expect(compileList('uve-', q(), MAX_RESULT_WINDOW, null, true).body).toMatchObject({ size: MAX_RESULT_WINDOW });
  });

  it('carries hostile values as JSON values, never into the path', () => {
    for (const name of HOSTILE) {
      const r = compileList('uve-', q({ nameGlob: name, structs: [name] }), 1, name, true);
      expect(r.path).toBe('/uve-virtual-network/_search');
      expect(JSON.parse(JSON.stringify(r.body))).toEqual(r.body);
    }
  });
});

describe('document requests', () => {
  it('upserts with id = name, the sorted struct names and the time with nanoseconds, waiting for refresh', () => {
    const r = compileUpsert('uve-', 'vrouter', 'a/b', { Z: {}, A: { x: 1 } }, 1_767_225_600_123_456_789n);
    expect(r).toEqual({
      method: 'PUT',
      path: '/uve-vrouter/_doc/a%2Fb',
      querystring: { refresh: 'wait_for' },
      body: {
        name: 'a/b',
        structs: ['A', 'Z'],
        updatedAt: '2026-01-01T00:00:00.123456789Z',
        document: { Z: {}, A: { x: 1 } },
      },
    });
  });

  it('gets, deletes and mgets by id', () => {
    expect(compileGet('uve-', 'vrouter', '..')).toEqual({ method: 'GET', path: '/uve-vrouter/_doc/%2E%2E' });
    expect(compileDelete('uve-', 'vrouter', 'x')).toEqual({
      method: 'DELETE',
      path: '/uve-vrouter/_doc/x',
      querystring: { refresh: 'wait_for' },
    });
    const long = 'n'.repeat(600);
    expect(compileMget('uve-', 'vrouter', ['a', 'b', 'a', long])).toEqual({
      method: 'POST',
      path: '/uve-vrouter/_mget',
      body: { ids: ['a', 'b', docId(long)] },
    });
  });
});

describe('compileBulkUpsert', () => {
  it('writes each UVE to its type index, in order, waiting for refresh once', () => {
    const r = compileBulkUpsert(
      'uve-',
      [
        { type: 'vrouter', name: 'a', document: { S: {} } },
        { type: 'virtual-network', name: 'x'.repeat(600), document: {} },
        { type: 'vrouter', name: 'a', document: { T: { v: 1 } } },
      ],
      0n,
    );
    expect(r.method).toBe('POST');
    expect(r.path).toBe('/_bulk');
    expect(r.querystring).toEqual({ refresh: 'wait_for' });
    expect(r.bulkBody).toEqual([
      { index: { _index: 'uve-vrouter', _id: 'a' } },
      { name: 'a', structs: ['S'], updatedAt: '1970-01-01T00:00:00Z', document: { S: {} } },
      { index: { _index: 'uve-virtual-network', _id: docId('x'.repeat(600)) } },
      { name: 'x'.repeat(600), structs: [], updatedAt: '1970-01-01T00:00:00Z', document: {} },
      { index: { _index: 'uve-vrouter', _id: 'a' } },
      { name: 'a', structs: ['T'], updatedAt: '1970-01-01T00:00:00Z', document: { T: { v: 1 } } },
    ]);
    expect(formatRequest(r).split('\n')).toHaveLength(7);
    expect(() => compileBulkUpsert('uve-', [{ type: '_all', name: 'a', document: {} }], 0n)).toThrow(/not a UVE type/);
  });
});

describe('template and types', () => {
  it('maps name and structs as keyword, updatedAt as date_nanos, the document as an unindexed object', () => {
    const r = compileTemplate('uve-', 250);
    expect(r.method).toBe('PUT');
    expect(r.path).toBe('/_index_template/sag-uves-uve-');
    expect(r.body).toMatchObject({
      index_patterns: ['uve-*'],
      priority: 104,
      template: {
        settings: { index: { number_of_shards: 1, refresh_interval: '250ms' } },
        mappings: {
          dynamic: 'strict',
          properties: {
            name: { type: 'keyword' },
            structs: { type: 'keyword' },
            updatedAt: { type: 'date_nanos' },
            document: { type: 'object', enabled: false },
          },
        },
      },
    });
    expect((compileTemplate('uve-test-', 1000).body as { priority: number }).priority).toBeGreaterThan(104);
  });

  it('lists types with a terms aggregation on _index under the prefix', () => {
    expect(compileTypes('uve-')).toMatchObject({
      method: 'POST',
      path: '/uve-*/_search',
      body: { size: 0, aggs: { types: { terms: { field: '_index' } } } },
    });
  });
});

describe('formatRequest', () => {
  it('prints what the Dev Tools console takes', () => {
    expect(formatRequest(compileList('uve-', q({ nameGlob: 'a*' }), 2, null, true))).toBe(
      'POST /uve-virtual-network/_search?ignore_unavailable=true&allow_no_indices=true\n' +
        '{"size":2,"track_total_hits":true,"query":{"bool":{"filter":[{"wildcard":{"name":{"value":"a*"}}}]}},' +
        '"sort":[{"name":{"order":"asc"}}],"_source":["name","updatedAt","document"]}',
    );
    expect(formatRequest(compileGet('uve-', 'vrouter', 'x'))).toBe('GET /uve-vrouter/_doc/x');
  });
});
