import { parse as parseYaml } from 'yaml';

/** One forward sender: the username and password it gives in PING; the password is an access token of the gateway. */
export interface ForwardUser {
  readonly username: string;
  readonly password: string;
}

const NAME = /^[\x21-\x7e]{1,200}$/;

/**
 * What FORWARD_USERS_FILE (JSON or YAML) holds: a list of `{username, password}`.
 * The handshake proves a password by a salted digest, so the gateway must
 * hold it: each password is a token the gateway's authenticator accepts (a
 * static token of AUTH_TOKENS_FILE, or a JWT), and that token decides the
 * sender's scopes and namespaces (docs/fluentd.md, "Forward protocol").
 * The listener keeps the file in a WatchedFile, so an edit applies to the
 * next handshake. Throws an Error naming the entry; never quotes a password.
 */
export function parseForwardUsers(text: string): Map<string, ForwardUser> {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 0 });
  } catch (e) {
    throw new Error(`not JSON or YAML: ${String((e as Error).message).split('\n')[0]}`);
  }
  if (!Array.isArray(doc) || doc.length === 0) throw new Error('must be a non-empty list of {username, password} entries');
  const users = new Map<string, ForwardUser>();
  doc.forEach((raw: unknown, i) => {
    const at = `entry ${i}`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${at}: must be an object {username, password}`);
    const e = raw as Record<string, unknown>;
    for (const k of Object.keys(e)) if (k !== 'username' && k !== 'password') throw new Error(`${at}: unknown key ${JSON.stringify(k.slice(0, 32))}`);
    const { username, password } = e;
    if (typeof username !== 'string' || !NAME.test(username)) throw new Error(`${at}: username must be 1 to 200 printable ASCII characters without spaces`);
    if (typeof password !== 'string' || password === '' || password.length > 8192) throw new Error(`${at} (${username}): password must be an access token (1 to 8192 characters)`);
    if (users.has(username)) throw new Error(`${at}: username ${username} is given twice`);
    users.set(username, { username, password });
  });
  return users;
}
