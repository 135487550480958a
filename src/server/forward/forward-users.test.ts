import { describe, expect, it } from 'vitest';
import { parseForwardUsers } from './forward-users.js';

describe('parseForwardUsers', () => {
  it('reads a YAML or JSON list of {username, password}', () => {
    expect([...parseForwardUsers('- username: a\n  password: tok-a\n- {username: b, password: tok-b}\n').keys()]).toEqual(['a', 'b']);
    expect(parseForwardUsers('[{"username":"a","password":"p"}]').get('a')).toEqual({ username: 'a', password: 'p' });
  });

  it('names the bad entry and never quotes a password', () => {
    expect(() => parseForwardUsers('')).toThrow(/non-empty list/);
    expect(() => parseForwardUsers('- username: a\n  password: secret\n  scopes: [x]\n')).toThrow(/entry 0: unknown key "scopes"/);
    expect(() => parseForwardUsers('- username: a\n  password: ""\n')).toThrow(/entry 0 \(a\): password must be an access token/);
    expect(() => parseForwardUsers('- username: a b\n  password: s\n')).toThrow(/username must be/);
    let message = '';
    try {
      parseForwardUsers('- username: a\n  password: secret-1\n- username: a\n  password: secret-2\n');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe('entry 1: username a is given twice');
  });
});
