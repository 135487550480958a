import { describe, expect, it } from 'vitest';
import { encodeRecords } from '../model/index.js';
import { sessionRecord } from '../../test/support/records.js';
import { LabelNames } from './label-names.js';

describe('LabelNames', () => {
  it('takes new names while a side has room and refuses, per record, the first name past it', () => {
    const names = new LabelNames(2);
    names.learn('local', ['app']);
    const batch = encodeRecords([
      sessionRecord({ localLabels: { app: 'a', tier: 't' } }), // tier: the second local name
      sessionRecord({ localLabels: { zone: 'z', color: 'c' } }), // both past the bound: the first is named
      sessionRecord({ remoteLabels: { zone: 'z' } }), // the remote side has room
      sessionRecord({ localLabels: { tier: 'u' }, remoteLabels: { x: '1', y: '2' } }), // y past the remote bound
    ]);
    expect(names.screen(batch)).toEqual([
      { record: 1, side: 'local', name: 'zone' },
      { record: 3, side: 'remote', name: 'y' },
    ]);
    expect([names.size('local'), names.size('remote')]).toEqual([2, 2]);
  });

  it('keeps learnt names past a lowered bound and refuses only new ones', () => {
    const names = new LabelNames(1);
    names.learn('remote', ['a', 'b', 'c']);
    expect(names.screen(encodeRecords([sessionRecord({ remoteLabels: { c: '1' } }), sessionRecord({ remoteLabels: { d: '1' } })]))).toEqual([
      { record: 1, side: 'remote', name: 'd' },
    ]);
  });

  it('refuses every new name with a bound of 0', () => {
    const names = new LabelNames(0);
    expect(names.screen(encodeRecords([sessionRecord({ localLabels: {}, remoteLabels: {} }), sessionRecord({ localLabels: { a: '1' } })]))).toEqual([
      { record: 1, side: 'local', name: 'a' },
    ]);
  });
});
