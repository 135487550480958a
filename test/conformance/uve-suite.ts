import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUveListQuery, encodeKeyCursor, globMatches, valueAt } from '../../src/model/index.js';
import type { UveStore } from '../../src/stores/types.js';
import { HOSTILE_STRINGS } from '../support/hostile.js';
import { compareValues } from './reference.js';

export interface UveStoreUnderTest {
  readonly store: UveStore;
  readonly cleanup: () => Promise<void>;
}

interface Doc {
  type: string;
  name: string;
  document: Record<string, unknown>;
}

/** UVE types made unique per run, so suites on a shared server never collide. */
function docs(suffix: string): Doc[] {
  const vn = `virtual-network${suffix}`;
  const vmi = `virtual-machine-interface${suffix}`;
  const out: Doc[] = [];
  for (let i = 0; i < 23; i++) {
    out.push({
      type: vn,
      name: `default-domain:k8s-ns${i % 3}:net-${String(i).padStart(2, '0')}`,
      document: {
        UveVirtualNetworkAgent: { in_bytes: i * 100, acl: [{ rule: `r${i}` }] },
        ...(i % 2 === 0 ? { UveVirtualNetworkConfig: { total_acl_rules: i } } : {}),
      },
    });
  }
  HOSTILE_STRINGS.forEach((s, i) => out.push({ type: vn, name: `hostile:${s}:${i}`, document: { Weird: { s, list: [s, { s }] } } }));
  for (const n of ['a%b', 'a_b', 'axb', 'a*b', 'a?b', 'a\\b', 'a[b]']) {
    out.push({ type: vmi, name: n, document: { UveVMInterfaceAgent: { name: n } } });
  }
  return out;
}

/**
 * The UVE conformance suite, parameterised by store: upsert, replace, get,
 * delete, globs (only `*` is special), the structs filter, cursor paging to
 * the last page with totals, value paths, types, and hostile names.
 */
export function describeUveConformance(name: string, open: () => Promise<UveStoreUnderTest>): void {
  describe(`uve conformance: ${name}`, () => {
    const suffix = `-t${Date.now().toString(36)}`;
    const all = docs(suffix);
    const vn = all[0]!.type;
    const vmi = `virtual-machine-interface${suffix}`;
    let sut: UveStoreUnderTest;

    beforeAll(async () => {
      sut = await open();
      for (const d of all) await sut.store.upsert(d.type, d.name, d.document);
    }, 120_000);

    afterAll(async () => {
      if (sut === undefined) return;
      for (const d of all) await sut.store.delete(d.type, d.name);
      await sut.cleanup();
    });

    const names = (type: string, pred: (d: Doc) => boolean = () => true) =>
      all.filter((d) => d.type === type && pred(d)).map((d) => d.name).sort(compareValues);

    async function listAll(args: { type: string; name?: string; structs?: string[] }, first: number) {
      const seen: string[] = [];
      let after: string | null = null;
      let totalCount = -1;
      for (let guard = 0; guard < 100; guard++) {
        const page = await sut.store.list(buildUveListQuery({ ...args, first, after }, 10_000));
        totalCount = page.totalCount;
        seen.push(...page.nodes.map((n) => n.name));
        if (!page.hasNextPage) break;
        after = encodeKeyCursor(page.nodes[page.nodes.length - 1]!.name);
      }
      return { seen, totalCount };
    }

    it('get returns the document as upserted', async () => {
      const d = all[4]!;
      const got = await sut.store.get(d.type, d.name);
      expect(got?.name).toBe(d.name);
      expect(got?.document).toEqual(d.document);
      expect(valueAt(got?.document, 'UveVirtualNetworkAgent.in_bytes')).toBe(400);
      expect(valueAt(got?.document, 'UveVirtualNetworkAgent.acl.0.rule')).toBe('r4');
      expect(valueAt(got?.document, 'UveVirtualNetworkAgent.missing')).toBeNull();
    });

    it('get of an absent name or an unused type is null', async () => {
      expect(await sut.store.get(vn, 'no-such-name')).toBeNull();
      expect(await sut.store.get(`never-used${suffix}`, 'x')).toBeNull();
    });

    it('upsert replaces the whole document', async () => {
      await sut.store.upsert(vn, 'replace-me', { A: { x: 1 }, B: {} });
      await sut.store.upsert(vn, 'replace-me', { C: { y: 2 } });
      const got = await sut.store.get(vn, 'replace-me');
      expect(got?.document).toEqual({ C: { y: 2 } });
      expect(await sut.store.delete(vn, 'replace-me')).toBe(true);
      expect(await sut.store.delete(vn, 'replace-me')).toBe(false);
      expect(await sut.store.get(vn, 'replace-me')).toBeNull();
    });

    it('upsertMany writes a batch, the last write of a name winning', async () => {
      const written = await sut.store.upsertMany([
        { type: vn, name: 'batch-a', document: { A: { v: 1 } } },
        { type: vn, name: 'batch-b', document: { B: { v: 2 } } },
        { type: vn, name: 'batch-a', document: { A: { v: 3 } } },
      ]);
      expect(written.length).toBeGreaterThanOrEqual(2);
      expect((await sut.store.get(vn, 'batch-a'))?.document).toEqual({ A: { v: 3 } });
      const { seen } = await listAll({ type: vn, name: 'batch-*' }, 10);
      expect(seen).toEqual(['batch-a', 'batch-b']);
      expect(await sut.store.delete(vn, 'batch-a')).toBe(true);
      expect(await sut.store.delete(vn, 'batch-b')).toBe(true);
    });

    it('getMany answers in order, null where absent', async () => {
      const want = [all[2]!.name, 'absent', all[9]!.name];
      const got = await sut.store.getMany(vn, want);
      expect(got.map((d) => d?.name ?? null)).toEqual([all[2]!.name, null, all[9]!.name]);
    });

    it('lists every document of a type once, in name order, over all pages', async () => {
      const { seen, totalCount } = await listAll({ type: vn }, 5);
      expect(seen).toEqual(names(vn));
      expect(totalCount).toBe(names(vn).length);
    });

    it('a glob keeps only matching names', async () => {
      const glob = 'default-domain:k8s-ns1:*';
      const { seen, totalCount } = await listAll({ type: vn, name: glob }, 3);
      expect(seen).toEqual(names(vn, (d) => globMatches(glob, d.name)));
      expect(totalCount).toBe(seen.length);
      expect(seen.length).toBeGreaterThan(3);
    });

    it.each(['a%b', 'a_b', 'a?b', 'a\\b', 'a[b]', 'a*', '*b', '*\\*', '*%*'])('glob %s treats only * as special', async (glob) => {
      const { seen } = await listAll({ type: vmi, name: glob }, 100);
      expect(seen).toEqual(names(vmi, (d) => globMatches(glob, d.name)));
    });

    it('hostile names and values round-trip and match exactly', async () => {
      for (const [i, s] of HOSTILE_STRINGS.entries()) {
        const name = `hostile:${s}:${i}`;
        const got = await sut.store.get(vn, name);
        expect(got && { type: got.type, name: got.name, document: got.document }).toEqual({ type: vn, name, document: { Weird: { s, list: [s, { s }] } } });
        const { seen } = await listAll({ type: vn, name }, 10);
        expect(seen).toEqual([name]);
      }
    });

    it('structs keeps documents holding at least one of them', async () => {
      const { seen, totalCount } = await listAll({ type: vn, structs: ['UveVirtualNetworkConfig', 'Weird'] }, 4);
      expect(seen).toEqual(names(vn, (d) => 'UveVirtualNetworkConfig' in d.document || 'Weird' in d.document));
      expect(totalCount).toBe(seen.length);
    });

    it('structs and glob together', async () => {
      const { seen } = await listAll({ type: vn, name: '*net-1*', structs: ['UveVirtualNetworkConfig'] }, 2);
      expect(seen).toEqual(names(vn, (d) => globMatches('*net-1*', d.name) && 'UveVirtualNetworkConfig' in d.document));
    });

    it('an empty type lists nothing', async () => {
      const page = await sut.store.list(buildUveListQuery({ type: `never-used${suffix}` }, 100));
      expect(page.nodes).toEqual([]);
      expect(page.totalCount).toBe(0);
      expect(page.hasNextPage).toBe(false);
    });

    it('types lists the types holding documents', async () => {
      const types = await sut.store.types();
      expect(types).toContain(vn);
      expect(types).toContain(vmi);
      expect(types).not.toContain(`never-used${suffix}`);
      expect([...types]).toEqual([...types].sort());
    });

    it('meta shows the query sent', async () => {
      const page = await sut.store.list(buildUveListQuery({ type: vn, name: 'x*' }, 100));
      expect(page.meta.backend).toBe(sut.store.backend);
      expect(page.meta.query).toContain('x');
    });
  });
}
