import { ConfigError, oneOf, type Env } from './env-values.js';

/** Where the dead-letter log lives (docs/operations.md "No state on a replica"). */
export type DeadLetterStore = { readonly kind: 'file' } | { readonly kind: 'opensearch'; readonly index: string };

const INDEX = /^[a-z0-9][a-z0-9._-]{0,199}$/;

/**
 * DEAD_LETTER_STORE (`file` or `opensearch`) and DEAD_LETTER_INDEX. The
 * default is `opensearch` when both stores are the production ones
 * (SESSION_STORE=influxdb, UVE_STORE=opensearch), so that replicas keep
 * nothing on their disks, and `file` otherwise. `opensearch` needs
 * UVE_STORE=opensearch (it uses the OPENSEARCH_* connection); the index must
 * not start with OPENSEARCH_INDEX_PREFIX, or it would be taken for a UVE type.
 */
export function parseDeadLetterStore(env: Env, sessionStore: string, uveStore: string, uveIndexPrefix: string | null): DeadLetterStore {
  const fallback = sessionStore === 'influxdb' && uveStore === 'opensearch' ? 'opensearch' : 'file';
  const kind = oneOf(env, 'DEAD_LETTER_STORE', ['file', 'opensearch'] as const, fallback);
  if (kind === 'file') return { kind };
  if (uveStore !== 'opensearch' || uveIndexPrefix === null) throw new ConfigError('DEAD_LETTER_STORE', 'opensearch needs UVE_STORE=opensearch (the log uses its OPENSEARCH_* connection)');
  const index = env['DEAD_LETTER_INDEX'] || 'sag-dead-letters';
  if (!INDEX.test(index)) throw new ConfigError('DEAD_LETTER_INDEX', `"${index.slice(0, 40)}" is not an index name: lowercase letters, digits, '.', '_' and '-', starting with a letter or digit`);
  if (uveIndexPrefix !== '' && index.startsWith(uveIndexPrefix)) {
    throw new ConfigError('DEAD_LETTER_INDEX', `"${index}" starts with OPENSEARCH_INDEX_PREFIX (${uveIndexPrefix}): it would be listed as a UVE type`);
  }
  return { kind, index };
}
