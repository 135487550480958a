import { describe, expect, it } from 'vitest';
import { toCsv } from '../../console/src/csv.js';
import { conditionFilter, groupKey, whereOf } from '../../console/src/keys.js';
import { DEFAULTS, everyOf, formatState, parseState, rangeOf } from '../../console/src/state.js';

describe('the console state in the URL', () => {
  it('leaves defaults out and reads back every parameter', () => {
    expect(formatState(DEFAULTS)).toBe('');
    const s = {
      ...DEFAULTS,
      last: null,
      from: '2026-12-01T10:00',
      to: '2026-12-01T12:00',
      filters: [
        { key: 'label.local.namespace', op: 'eq' as const, value: 'shop' },
        { key: 'server_port', op: 'ne' as const, value: '443' },
        { key: 'label.remote.app', op: 'eq' as const, value: null },
        { key: 'vn', op: 'prefix' as const, value: 'a~b&c=d' },
      ],
      local: 'vn',
      remote: 'label.remote.team',
      view: 'talkers' as const,
      top: 25,
      metric: 'SESSIONS' as const,
      compareTo: '7d',
      ranking: 'CHANGE' as const,
      direction: 'ASC' as const,
      pair: { local: 'a', remote: null },
      uve: { type: 'virtual-network', name: 'default-domain:k8s-shop:net' },
      live: true,
    };
    expect(parseState(formatState(s))).toEqual(s);
  });

  it('ignores what it does not know', () => {
    const s = parseState('?last=2h&view=pie&top=1000&f=nope~eq~1&f=vn~like~x&local=label.local.&metric=X&rank=Y');
    expect(s).toEqual({ ...DEFAULTS, filters: [] });
  });

  it('reads an absolute range as UTC and picks about 60 series buckets', () => {
    const s = parseState('?from=2026-12-01T10:00&to=2026-12-01T16:00');
    expect(rangeOf(s)).toEqual({ from: '2026-12-01T10:00:00Z', to: '2026-12-01T16:00:00Z' });
    expect(everyOf(s)).toBe('10m');
    expect(everyOf(parseState(''))).toBe('1m');
    expect(everyOf(parseState('?last=7d'))).toBe('3h');
    expect(everyOf(parseState('?last=15m'))).toBe('15s');
  });
});

describe('the console filter', () => {
  it('compiles conditions into a SessionFilter', () => {
    expect(conditionFilter({ key: 'label.local.app', op: 'eq', value: 'web' })).toEqual({ localLabels: [{ name: 'app', eq: 'web' }] });
    expect(conditionFilter({ key: 'label.remote.app', op: 'eq', value: null })).toEqual({ remoteLabels: [{ name: 'app', exists: false }] });
    expect(conditionFilter({ key: 'label.remote.app', op: 'ne', value: null })).toEqual({ remoteLabels: [{ name: 'app', exists: true }] });
    expect(conditionFilter({ key: 'server_port', op: 'eq', value: '443' })).toEqual({ serverPort: { eq: 443 } });
    expect(conditionFilter({ key: 'remote_vn', op: 'prefix', value: 'default-domain:' })).toEqual({ remoteVn: { prefix: 'default-domain:' } });
    expect(whereOf([])).toBeNull();
    expect(whereOf([{ key: 'vn', op: 'eq', value: 'a' }, { key: 'protocol', op: 'eq', value: '6' }])).toEqual({ and: [{ vn: { eq: 'a' } }, { protocol: { eq: 6 } }] });
    expect(groupKey('label.local.app')).toEqual({ localLabel: 'app' });
    expect(groupKey('remote_ip')).toEqual({ dimension: 'REMOTE_IP' });
  });

  it('writes CSV with quoting', () => {
    expect(toCsv(['a', 'b'], [['x,y', 1], [null, 'say "hi"']])).toBe('a,b\r\n"x,y",1\r\n,"say ""hi"""\r\n');
  });
});
