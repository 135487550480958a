import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildUveListQuery, encodeKeyCursor, formatDateTime } from '../../src/model/index.js';
import { MAX_RESULT_WINDOW, UVE_MAPPINGS, docId, indexName, OpenSearchUveStore } from '../../src/stores/opensearch/index.js';
import { describeWithNode, dropPrefix, findOpenSearch, openTestStore, rest, runPrefix, TEST_REFRESH_MS } from './node.js';

// What the conformance suite does not show: the index layout, the refresh
// choice, exact timestamps, documents and names OpenSearch would otherwise
// refuse, paging past the result window, meta.query, and types().
const node = await findOpenSearch();
const T0 = 1_795_000_000_123_456_789n;

describeWithNode('OpenSearch UVE store', node, () => {
  const prefix = runPrefix('store');
  let store: OpenSearchUveStore;

  beforeAll(() => {
    store = openTestStore(node.url, prefix, () => T0);
  });

  afterAll(async () => {
    await store?.close();
    await dropPrefix(node.url, prefix);
  });

  it('creates the index on first upsert from a template with explicit mappings', async () => {
    await store.upsert('layout', 'one', { A: { x: 1 } });
    const index = indexName(prefix, 'layout');
    const mapping = await rest(node.url, 'GET', `/${index}/_mapping`);
    expect(mapping[index].mappings).toEqual(JSON.parse(JSON.stringify(UVE_MAPPINGS)));
    const settings = await rest(node.url, 'GET', `/${index}/_settings`);
    expect(settings[index].settings.index).toMatchObject({ number_of_shards: '1', refresh_interval: `${TEST_REFRESH_MS}ms` });
    const stored = await rest(node.url, 'GET', `/${index}/_doc/one`);
    expect(stored._source).toEqual({ name: 'one', structs: ['A'], updatedAt: formatDateTime(T0), document: { A: { x: 1 } } });
  });

  it('keeps updatedAt to the nanosecond', async () => {
    await store.upsert('layout', 'ns', { A: {} });
    expect((await store.get('layout', 'ns'))?.updatedAt).toBe(T0);
    const page = await store.list(buildUveListQuery({ type: 'layout', name: 'ns' }, 100));
    expect(page.nodes[0]?.updatedAt).toBe(T0);
  });

  it('stores documents that dynamic mapping would refuse, as given', async () => {
    const docs: Record<string, Record<string, unknown>> = {
      empty: { A: { '': 1, x: 'text' } },
      conflict: { A: { x: 5, 'a.b': { c: [1, 'two', null, { d: true }] } } },
      proto: JSON.parse('{"constructor": {"prototype": {"x": 1}}, "B": {"__proto__": {"polluted": 1}}}') as Record<string, unknown>,
      deep: { A: JSON.parse(`${'{"a":'.repeat(60)}1${'}'.repeat(60)}`) as unknown },
      big: { A: { list: Array.from({ length: 2000 }, (_, i) => ({ [`k${i}`]: i })) } },
    };
    for (const [name, document] of Object.entries(docs)) await store.upsert('loose', name, document);
    for (const [name, document] of Object.entries(docs)) {
      expect((await store.get('loose', name))?.document, name).toEqual(document);
    }
    const many = await store.getMany('loose', Object.keys(docs));
    expect(many.map((d) => d?.document)).toEqual(Object.values(docs));
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call((await store.get('loose', 'proto'))!.document['B'], '__proto__')).toBe(true);
  });

  it('handles names past the 512-byte id limit and names shaped like derived ids', async () => {
    const names = ['é'.repeat(400), 'x'.repeat(1024), `sha256~${'0'.repeat(64)}`, docId('y'.repeat(600)), '..', '.', 'a/b?c#d'];
    await Promise.all(names.map((n, i) => store.upsert('ids', n, { S: { i } })));
    for (const [i, n] of names.entries()) {
      expect((await store.get('ids', n))?.document, n.slice(0, 20)).toEqual({ S: { i } });
    }
    expect((await store.getMany('ids', names)).map((d) => d?.name)).toEqual(names);
    expect(await store.get('ids', 'y'.repeat(600))).toBeNull();
    const page = await store.list(buildUveListQuery({ type: 'ids', first: 100 }, 100));
    expect(page.totalCount).toBe(names.length);
    expect(page.nodes.map((d) => d.name)).toEqual([...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    for (const n of names) expect(await store.delete('ids', n)).toBe(true);
    expect(await store.getMany('ids', names)).toEqual(names.map(() => null));
  });

  it('upsertMany writes a batch in order with one refresh wait per 1000 writes (the last write of a name wins)', async () => {
    const writes = Array.from({ length: 2500 }, (_, i) => ({
      type: i % 2 === 0 ? 'batch-a' : 'batch-b',
      name: `n-${String(i % 1200).padStart(4, '0')}`,
      document: { S: { i } },
    }));
    const started = Date.now();
    const done = await store.upsertMany(writes);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(done).toHaveLength(writes.length);
    expect(done[0]).toEqual({ ...writes[0], updatedAt: T0 });
    const last = new Map(writes.map((w) => [`${w.type}/${w.name}`, w.document]));
    for (const type of ['batch-a', 'batch-b']) {
      const page = await store.list(buildUveListQuery({ type, first: 10_000 }, 10_000));
      const want = [...last].filter(([k]) => k.startsWith(`${type}/`));
      expect(page.totalCount).toBe(want.length);
      expect(page.nodes.map((d) => [`${type}/${d.name}`, d.document])).toEqual(want.sort(([a], [b]) => (a < b ? -1 : 1)));
    }
    expect(await store.upsertMany([])).toEqual([]);
  });

  it('reads of a type with no index answer empty, not an error', async () => {
    expect(await store.get('nothing-here', 'x')).toBeNull();
    expect(await store.getMany('nothing-here', ['x', 'y'])).toEqual([null, null]);
    expect(await store.delete('nothing-here', 'x')).toBe(false);
    const page = await store.list(buildUveListQuery({ type: 'nothing-here', name: 'a*', structs: ['S'] }, 100));
    expect(page).toMatchObject({ nodes: [], totalCount: 0, hasNextPage: false });
  });

  it('meta.query is the exact request: sent as is, it answers the same page', async () => {
    await Promise.all(['m-a', 'm-b', 'm-c', 'x-a'].map((n) => store.upsert('meta', n, { S: {} })));
    const page = await store.list(buildUveListQuery({ type: 'meta', name: 'm-*', structs: ['S', 'T'], first: 2 }, 100));
    const [line, body] = page.meta.query.split('\n');
    const [method, path] = line!.split(' ');
    expect(method).toBe('POST');
    const direct = await rest(node.url, method!, path!, [], JSON.parse(body!));
    expect(direct.hits.total.value).toBe(page.totalCount);
    expect(direct.hits.hits.slice(0, 2).map((h: { _source: { name: string } }) => h._source.name)).toEqual(page.nodes.map((n) => n.name));
    expect(page.meta.query).toContain('"wildcard":{"name":{"value":"m-*"}}');
    expect(page.meta.query).not.toContain('"from"');
  });

  it('types lists indices holding documents, without emptied or foreign ones', async () => {
    await store.upsert('emptied', 'x', { S: {} });
    await store.delete('emptied', 'x');
    await store.upsert('kept', 'x', { S: {} });
    await rest(node.url, 'PUT', `/${prefix}foreign.index/_doc/x?refresh=wait_for`, [], { name: 'x' });
    const types = await store.types();
    expect(types).toContain('kept');
    expect(types).not.toContain('emptied');
    expect(types.some((t) => t.includes('.'))).toBe(false);
    expect(types).toEqual([...types].sort());
  });

  it(
    'pages past the 10 000 result window with search_after, never from/size',
    async () => {
      const n = MAX_RESULT_WINDOW + 50;
      await store.upsert('big', 'seed', { S: {} });
      const index = indexName(prefix, 'big');
      const lines: string[] = [];
      for (let i = 0; i < n - 1; i++) {
        const name = `n${String(i).padStart(6, '0')}`;
        lines.push(JSON.stringify({ index: { _index: index, _id: name } }));
        lines.push(JSON.stringify({ name, structs: ['S'], updatedAt: '2026-01-01T00:00:00Z', document: { S: { i } } }));
      }
      const res = await fetch(`${node.url}/_bulk?refresh=wait_for`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: `${lines.join('\n')}\n`,
      });
      const bulk = (await res.json()) as { errors?: boolean };
      expect(bulk, JSON.stringify(bulk).slice(0, 300)).toMatchObject({ errors: false });

      const big = await store.list(buildUveListQuery({ type: 'big', first: MAX_RESULT_WINDOW + 1 }, 1_000_000));
      expect(big.nodes.length).toBe(MAX_RESULT_WINDOW + 1);
      expect(big.totalCount).toBe(n);
      expect(big.hasNextPage).toBe(true);
      const rest2 = await store.list(
        buildUveListQuery({ type: 'big', first: 100_000, after: encodeKeyCursor(big.nodes.at(-1)!.name) }, 1_000_000),
      );
      expect(rest2.nodes.length).toBe(n - MAX_RESULT_WINDOW - 1);
      expect(rest2.hasNextPage).toBe(false);
      expect(rest2.totalCount).toBe(n);
      const names = [...big.nodes, ...rest2.nodes].map((d) => d.name);
      expect(new Set(names).size).toBe(n);
      expect(names).toEqual([...names].sort());

      const none = await store.list(buildUveListQuery({ type: 'big', first: 0 }, 100));
      expect(none).toMatchObject({ nodes: [], hasNextPage: true, totalCount: n });
    },
    60_000,
  );

  it('creates the index itself, also when the cluster does not auto-create it and the index was deleted', async () => {
    const noAuto = `${prefix}noauto-`;
    const other = openTestStore(node.url, noAuto, () => T0);
    await rest(node.url, 'PUT', '/_cluster/settings', [], { transient: { 'action.auto_create_index': `-${noAuto}*,+*` } });
    try {
      await other.upsert('t', 'x', { S: { v: 1 } });
      expect((await other.get('t', 'x'))?.document).toEqual({ S: { v: 1 } });
      const mapping = await rest(node.url, 'GET', `/${noAuto}t/_mapping`);
      expect(mapping[`${noAuto}t`].mappings.dynamic).toBe('strict');
      // The index goes away behind the store's back: the next write makes it again.
      await rest(node.url, 'DELETE', `/${noAuto}t`);
      await other.upsert('t', 'y', { S: { v: 2 } });
      expect((await other.getMany('t', ['x', 'y'])).map((d) => d?.name ?? null)).toEqual([null, 'y']);
      const again = await rest(node.url, 'GET', `/${noAuto}t/_mapping`);
      expect(again[`${noAuto}t`].mappings.dynamic).toBe('strict');
      await rest(node.url, 'DELETE', `/${noAuto}t`);
      await other.upsertMany([{ type: 't', name: 'z', document: { S: { v: 3 } } }]);
      expect((await other.getMany('t', ['y', 'z'])).map((d) => d?.name ?? null)).toEqual([null, 'z']);
    } finally {
      await rest(node.url, 'PUT', '/_cluster/settings', [], { transient: { 'action.auto_create_index': null } });
      await other.close();
      await dropPrefix(node.url, noAuto);
    }
  });
});

describeWithNode('OpenSearch UVE store with the default 1s refresh interval', node, () => {
  const prefix = runPrefix('refresh');
  let store: OpenSearchUveStore;

  beforeAll(() => {
    store = OpenSearchUveStore.open({ connection: { url: node.url, requestTimeoutMs: 10_000 }, indexPrefix: prefix, refreshIntervalMs: 1000, clock: () => T0 });
  });

  afterAll(async () => {
    await store?.close();
    await dropPrefix(node.url, prefix);
  });

  it('a search right after an acknowledged upsert sees it, and after a delete does not (refresh=wait_for)', async () => {
    for (let i = 0; i < 2; i++) {
      const name = `rw-${i}`;
      await store.upsert('rw', name, { S: { i } });
      const seen = await store.list(buildUveListQuery({ type: 'rw', name }, 10));
      expect(seen.nodes.map((d) => d.document)).toEqual([{ S: { i } }]);
      expect(await store.types()).toContain('rw');
      expect(await store.delete('rw', name)).toBe(true);
      const gone = await store.list(buildUveListQuery({ type: 'rw', name }, 10));
      expect(gone.totalCount).toBe(0);
    }
  }, 30_000);
});
