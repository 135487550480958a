import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError, buildNamespaceScope, buildUveListQuery, encodeKeyCursor, scopeKey, type NamespaceScope, type UveListArgs } from '../../src/model/index.js';
import { HOSTILE_STRINGS } from '../support/hostile.js';
import type { UveStoreUnderTest } from './uve-suite.js';

interface Doc {
  readonly type: string;
  readonly name: string;
  /** The namespaces whose callers see it, by hand. */
  readonly seenBy: readonly string[];
}

/**
 * The UVE half of the tenancy suite (docs/security.md "Namespaces"): a
 * scoped caller's lists (page and totalCount), gets and batched gets (the
 * GroupValue.uve loader) reach only UVEs whose name belongs to one of its
 * namespaces, whatever glob or structs filter it gives; a vrouter UVE
 * (named by host, no project) belongs to none; hostile namespaces reach
 * the store's query safely; a list cursor is bound to its scope.
 */
export function describeUveTenancyConformance(name: string, open: () => Promise<UveStoreUnderTest>): void {
  describe(`uve tenancy conformance: ${name}`, () => {
    const suffix = `-n${Date.now().toString(36)}`;
    const vn = `virtual-network${suffix}`;
    const vrouter = `vrouter${suffix}`;
    const docs: Doc[] = [
      { type: vn, name: 'default-domain:k8s-shop:net', seenBy: ['shop'] },
      { type: vn, name: 'default-domain:k8s-shop:db', seenBy: ['shop'] },
      { type: vn, name: 'other-domain:k8s-shop', seenBy: ['shop'] },
      { type: vn, name: 'default-domain:k8s-billing:net', seenBy: ['billing'] },
      { type: vn, name: 'default-domain:k8s-secret:net', seenBy: ['secret'] },
      { type: vn, name: 'default-domain:k8s-shopx:net', seenBy: ['shopx'] },
      { type: vn, name: 'k8s-shop:other:net', seenBy: [] },
      { type: vn, name: 'default-domain:shop:k8s-shop', seenBy: [] },
      { type: vn, name: 'k8s-shop', seenBy: [] },
      ...HOSTILE_STRINGS.map((h): Doc => ({ type: vn, name: `default-domain:k8s-${h}:net`, seenBy: [h] })),
      { type: vrouter, name: 'compute-node-1', seenBy: [] },
      { type: vrouter, name: 'compute-node-2.example', seenBy: [] },
    ];
    const visible = (ns: readonly string[], type: string) =>
      docs
        .filter((d) => d.type === type && d.seenBy.some((n) => ns.includes(n)))
        .map((d) => d.name)
        .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const scope = (ns: readonly string[]): NamespaceScope => buildNamespaceScope(ns, 'k8s-');
    const CALLERS: (readonly string[])[] = [
      ['shop'],
      ['billing', 'shop'],
      [],
      ['sh.p', '.*', 's*', 'sh?p', 'shop|secret', 'shop:net', ''],
      ...HOSTILE_STRINGS.map((h) => [h]),
      [...HOSTILE_STRINGS],
    ];
    const LISTS: { name: string; args: Omit<UveListArgs, 'type'> }[] = [
      { name: 'all', args: {} },
      { name: 'glob *', args: { name: '*' } },
      { name: 'glob naming the secret', args: { name: '*secret*' } },
      { name: 'exact secret name', args: { name: 'default-domain:k8s-secret:net' } },
      { name: 'structs', args: { structs: ['S', 'Other'] } },
    ];
    let sut: UveStoreUnderTest;

    beforeAll(async () => {
      sut = await open();
      await sut.store.upsertMany(docs.map((d) => ({ type: d.type, name: d.name, document: { S: { name: d.name } } })));
    }, 120_000);

    afterAll(async () => {
      if (sut === undefined) return;
      for (const d of docs) await sut.store.delete(d.type, d.name);
      await sut.cleanup();
    });

    for (const c of CALLERS) {
      const who = JSON.stringify(c).slice(0, 80);
      for (const l of LISTS) {
        it(`${who}: list ${l.name}`, async () => {
          const q = buildUveListQuery({ type: vn, ...l.args, first: 1000 }, 1000, scope(c));
          const page = await sut.store.list(q);
          const unscoped = await sut.store.list(buildUveListQuery({ type: vn, ...l.args, first: 1000 }, 1000));
          const allowed = new Set(visible(c, vn));
          const want = unscoped.nodes.map((n) => n.name).filter((n) => allowed.has(n));
          expect(page.nodes.map((n) => n.name)).toEqual(want);
          expect(page.totalCount).toBe(want.length);
        });
      }
      it(`${who}: get and getMany`, async () => {
        const names = docs.filter((d) => d.type === vn).map((d) => d.name);
        const got = await sut.store.getMany(vn, names, scope(c));
        const allowed = new Set(visible(c, vn));
        expect(got.map((d) => d?.name ?? null)).toEqual(names.map((n) => (allowed.has(n) ? n : null)));
        const secret = await sut.store.get(vn, 'default-domain:k8s-secret:net', scope(c));
        expect(secret?.name ?? null).toBe(c.includes('secret') ? 'default-domain:k8s-secret:net' : null);
        for (const n of allowed) expect((await sut.store.get(vn, n, scope(c)))?.name).toBe(n);
      });
    }

    it('the unscoped caller sees everything (the lists are not vacuous)', async () => {
      const page = await sut.store.list(buildUveListQuery({ type: vn, first: 1000 }, 1000));
      expect(page.totalCount).toBe(docs.filter((d) => d.type === vn).length);
      expect((await sut.store.get(vn, 'default-domain:k8s-secret:net'))?.name).toBe('default-domain:k8s-secret:net');
      expect((await sut.store.list(buildUveListQuery({ type: vrouter }, 1000))).totalCount).toBe(2);
    });

    it('a vrouter UVE (a host name) belongs to no namespace', async () => {
      for (const c of [['shop'], ['compute-node-1'], [...HOSTILE_STRINGS]]) {
        const page = await sut.store.list(buildUveListQuery({ type: vrouter }, 1000, scope(c)));
        expect(page.totalCount).toBe(0);
        expect(await sut.store.getMany(vrouter, ['compute-node-1'], scope(c))).toEqual([null]);
      }
    });

    it('a list cursor is bound to the scope that made it', async () => {
      const first = buildUveListQuery({ type: vn, first: 1 }, 1000, scope(['shop']));
      const page = await sut.store.list(first);
      expect(page.hasNextPage).toBe(true);
      const cursor = encodeKeyCursor(page.nodes[0]!.name, scopeKey(first.scope));
      const next = await sut.store.list(buildUveListQuery({ type: vn, first: 10, after: cursor }, 1000, scope(['shop'])));
      expect(next.nodes.map((n) => n.name)).toEqual(visible(['shop'], vn).slice(1));
      for (const other of [scope(['billing']), scope(['shop', 'billing']), scope([]), null]) {
        const run = () => buildUveListQuery({ type: vn, after: cursor }, 1000, other);
        expect(run).toThrow(GatewayError);
        try {
          run();
        } catch (e) {
          expect((e as GatewayError).code).toBe('BAD_USER_INPUT');
        }
      }
      // An unscoped cursor is refused under a scope.
      expect(() => buildUveListQuery({ type: vn, after: encodeKeyCursor('a') }, 1000, scope(['shop']))).toThrow(/other namespaces/);
    });
  });
}
