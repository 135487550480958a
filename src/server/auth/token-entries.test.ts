import { describe, expect, it } from 'vitest';
import { claimAt } from './jwt-verifier.js';
import { parseTokenEntries } from './token-entries.js';

const H = 'a'.repeat(64);
const H2 = 'B'.repeat(64);

describe('parseTokenEntries', () => {
  it('reads JSON and YAML alike', () => {
    const json = parseTokenEntries(JSON.stringify([{ name: 'ops', sha256: H, scopes: ['admin'], namespaces: ['shop', 'shop'] }]));
    const yaml = parseTokenEntries(`- name: ops\n  sha256: ${H}\n  scopes: [admin]\n  namespaces:\n    - shop\n`);
    for (const e of [json, yaml]) {
      expect(e).toHaveLength(1);
      expect(e[0]!.caller).toEqual({ name: 'ops', scopes: new Set(['admin']), namespaces: ['shop'] });
      expect(e[0]!.digest).toEqual(Buffer.from(H, 'hex'));
    }
    expect(parseTokenEntries(`- {name: x, sha256: ${H2}, scopes: []}`)[0]!.caller.namespaces).toBeNull();
    expect(parseTokenEntries('[]')).toEqual([]);
  });

  it.each([
    ['{}', /must be a list/],
    ['[1]', /entry 0: must be an object/],
    [`[{name: x, sha256: ${H}, scopes: [], token: abc}]`, /unknown key "token"/],
    [`[{sha256: ${H}, scopes: []}]`, /entry 0: name must be/],
    ['[{name: x, sha256: abc, scopes: []}]', /entry 0 \(x\): sha256 must be the 64 hex digits/],
    [`[{name: x, sha256: ${H}}]`, /scopes must be a list/],
    [`[{name: x, sha256: ${H}, scopes: [read]}]`, /scope "read" is not one of sessions:read, uves:read, ingest, admin/],
    [`[{name: x, sha256: ${H}, scopes: [], namespaces: shop}]`, /namespaces must be a list/],
    [`[{name: x, sha256: ${H}, scopes: [], namespaces: [Shop_1]}]`, /"Shop_1" is not a Kubernetes namespace name/],
    [`[{name: x, sha256: ${H}, scopes: []}, {name: y, sha256: ${H.toUpperCase()}, scopes: []}]`, /entry 1 \(y\): the same sha256 is given twice/],
    ['[{name: x, sha256: [', /not JSON or YAML/],
  ])('refuses %s', (text, message) => {
    expect(() => parseTokenEntries(text)).toThrow(message);
  });

  it('never quotes a hash in its messages', () => {
    expect(() => parseTokenEntries(`[{name: x, sha256: ${H}, scopes: []}, {name: y, sha256: ${H}, scopes: []}]`)).toThrow(/^(?!.*aaaa)/);
  });
});

describe('claimAt', () => {
  it('reads a claim, a nested path, and names holding dots', () => {
    const claims = { scope: 'a b', 'kubernetes.io': { namespace: 'shop', serviceaccount: { name: 'sa' } }, 'x.y': 1, x: { y: 2 } };
    expect(claimAt(claims, 'scope')).toBe('a b');
    expect(claimAt(claims, 'kubernetes.io.namespace')).toBe('shop');
    expect(claimAt(claims, 'kubernetes.io.serviceaccount.name')).toBe('sa');
    expect(claimAt(claims, 'x.y')).toBe(1);
    expect(claimAt(claims, 'missing.path')).toBeUndefined();
    expect(claimAt(claims, 'scope.length')).toBeUndefined();
    expect(claimAt({ __proto__: { polluted: 1 } }, 'polluted')).toBeUndefined();
  });
});
