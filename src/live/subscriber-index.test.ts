import { describe, expect, it } from 'vitest';
import { TRUE, buildFilter, compileMatcher, type SessionRecord } from '../model/index.js';
import { sessionRecord } from '../../test/support/records.js';
import { SubscriberIndex } from './subscriber-index.js';

const record = (over: Partial<SessionRecord>): SessionRecord =>
  sessionRecord({ time: 1n, vn: 'default-domain:k8s-a:x', remoteVn: 'default-domain:k8s-b:n', serverPort: 80, ...over });

describe('SubscriberIndex.readFilter', () => {
  it('is the OR of the subscribers\' index terms, one `in` per column, and passes every record any of them matches', () => {
    const index = new SubscriberIndex<string>();
    const filters = {
      a: buildFilter({ clientPort: { eq: 7 } }),
      b: buildFilter({ clientPort: { in: [8, 9] }, vn: { prefix: 'default' } }),
      c: buildFilter({ localLabels: [{ name: 'app', eq: 'web' }] }),
    };
    for (const [k, f] of Object.entries(filters)) index.add(k, f);
    const read = compileMatcher(index.readFilter());
    const records = [
      record({ clientPort: 7 }),
      record({ clientPort: 9 }),
      record({ clientPort: 10, localLabels: { app: 'web' } }),
      record({ clientPort: 10, localLabels: { app: 'db' } }),
      record({ clientPort: 11 }),
    ];
    expect(records.map(read)).toEqual([true, true, true, false, false]);
    for (const f of Object.values(filters)) for (const r of records) if (compileMatcher(f)(r)) expect(read(r)).toBe(true);
    index.delete('c');
    expect(index.readFilter()).toEqual({ kind: 'int', column: 'client_port', match: { op: 'in', values: [7, 8, 9] } });
  });

  it('is TRUE while one subscriber has no eq/in term, or nobody subscribes', () => {
    const index = new SubscriberIndex<string>();
    expect(index.readFilter()).toBe(TRUE);
    index.add('a', buildFilter({ vn: { eq: 'default-domain:k8s-a:x' } }));
    index.add('b', buildFilter({ vn: { prefix: 'default' } }));
    expect(index.readFilter()).toBe(TRUE);
    index.delete('b');
    expect(index.readFilter()).not.toBe(TRUE);
  });
});
