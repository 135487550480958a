import DataLoader from 'dataloader';
import type { NamespaceScope, UveDocument } from '../model/index.js';
import type { UveStore } from '../stores/types.js';

export interface UveKey {
  readonly type: string;
  readonly name: string;
}

/**
 * A per-request UVE loader: every `GroupValue.uve` of one request is
 * collected and fetched with one `getMany` per UVE type (ARCHITECTURE §6),
 * under the caller's namespace scope: a UVE outside it loads as null.
 */
export function createUveLoader(store: UveStore, scope: NamespaceScope | null = null): DataLoader<UveKey, UveDocument | null, string> {
  return new DataLoader<UveKey, UveDocument | null, string>(
    async (keys) => {
      const names = new Map<string, string[]>();
      for (const k of keys) {
        const list = names.get(k.type) ?? [];
        if (!list.includes(k.name)) list.push(k.name);
        names.set(k.type, list);
      }
      const found = new Map<string, UveDocument | null>();
      await Promise.all(
        [...names].map(async ([type, list]) => {
          const docs = await store.getMany(type, list, scope);
          list.forEach((name, i) => found.set(`${type}\u0000${name}`, docs[i] ?? null));
        }),
      );
      return keys.map((k) => found.get(`${k.type}\u0000${k.name}`) ?? null);
    },
    { cacheKeyFn: (k) => `${k.type}\u0000${k.name}` },
  );
}
