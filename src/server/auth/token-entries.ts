import { parse as parseYaml } from 'yaml';
import { SCOPES, type Caller, type Scope } from '../../model/index.js';

/** One caller of the tokens file: the token itself is never in it, only its SHA-256. */
export interface TokenEntry {
  readonly caller: Caller;
  /** The 32 bytes of the token's SHA-256. */
  readonly digest: Buffer;
}

/** A Kubernetes namespace name (an RFC 1123 label). */
export const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

const NAME = /^[\x21-\x7e][\x20-\x7e]{0,199}$/;
const SHA256 = /^[0-9a-fA-F]{64}$/;

/**
 * Reads the tokens file's text, JSON or YAML (YAML 1.2 reads JSON too): a
 * list of `{name, sha256, scopes, namespaces?}`. Throws an Error saying which
 * entry is wrong and why; its message never quotes a hash.
 */
export function parseTokenEntries(text: string): TokenEntry[] {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 0 });
  } catch (e) {
    throw new Error(`not JSON or YAML: ${String((e as Error).message).split('\n')[0]}`);
  }
  if (!Array.isArray(doc)) throw new Error('must be a list of {name, sha256, scopes, namespaces?} entries');
  const seen = new Set<string>();
  return doc.map((raw: unknown, i) => {
    const at = `entry ${i}`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${at}: must be an object {name, sha256, scopes, namespaces?}`);
    const e = raw as Record<string, unknown>;
    for (const k of Object.keys(e)) if (!['name', 'sha256', 'scopes', 'namespaces'].includes(k)) throw new Error(`${at}: unknown key ${JSON.stringify(k.slice(0, 32))}`);
    if (typeof e['name'] !== 'string' || !NAME.test(e['name'])) throw new Error(`${at}: name must be 1 to 200 printable ASCII characters`);
    const name = e['name'];
    const where = `entry ${i} (${name})`;
    if (typeof e['sha256'] !== 'string' || !SHA256.test(e['sha256'])) {
      throw new Error(`${where}: sha256 must be the 64 hex digits of the token's SHA-256 (printf %s "$TOKEN" | sha256sum), never the token`);
    }
    const hex = e['sha256'].toLowerCase();
    if (seen.has(hex)) throw new Error(`${where}: the same sha256 is given twice`);
    seen.add(hex);
    if (!Array.isArray(e['scopes'])) throw new Error(`${where}: scopes must be a list out of ${SCOPES.join(', ')}`);
    const scopes = new Set<Scope>();
    for (const s of e['scopes']) {
      if (typeof s !== 'string' || !(SCOPES as readonly string[]).includes(s)) throw new Error(`${where}: scope ${JSON.stringify(s)} is not one of ${SCOPES.join(', ')}`);
      scopes.add(s as Scope);
    }
    let namespaces: string[] | null = null;
    if (e['namespaces'] !== undefined && e['namespaces'] !== null) {
      if (!Array.isArray(e['namespaces'])) throw new Error(`${where}: namespaces must be a list of Kubernetes namespace names (omit it for every namespace)`);
      namespaces = e['namespaces'].map((n: unknown) => {
        if (typeof n !== 'string' || !NAMESPACE.test(n)) throw new Error(`${where}: ${JSON.stringify(n)} is not a Kubernetes namespace name`);
        return n;
      });
      namespaces = [...new Set(namespaces)];
    }
    return { caller: Object.freeze({ name, scopes, namespaces }), digest: Buffer.from(hex, 'hex') };
  });
}
