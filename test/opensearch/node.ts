import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { OpenSearchUveStore, templateName } from '../../src/stores/opensearch/index.js';

/**
 * Which OpenSearch node the server suites use, and whether they must run.
 *
 * - OPENSEARCH_URL set, or CI=true: the node is required; a suite whose node
 *   does not answer FAILS (CI must never skip it silently).
 * - Neither set: the node that `scripts/services/opensearch.sh start` wrote
 *   to its env file is used when it answers; otherwise the suites skip with
 *   a message, so `npm test` passes on a fresh machine on the embedded store.
 */
export interface OpenSearchNode {
  readonly url: string;
  readonly required: boolean;
  readonly answers: boolean;
  /** Why the node is not usable, for the failure or skip message. */
  readonly problem: string;
}

const ENV_FILE = join(
  process.env['SAG_STATE'] ?? join(process.env['SAG_CACHE'] ?? join(homedir(), '.cache', 'session-analytics-gateway'), 'run'),
  'opensearch.env',
);

export async function findOpenSearch(): Promise<OpenSearchNode> {
  const fromEnv = process.env['OPENSEARCH_URL'];
  const required = (fromEnv !== undefined && fromEnv !== '') || process.env['CI'] === 'true';
  const url = fromEnv || urlFromEnvFile() || 'http://127.0.0.1:9200';
  const problem = await probe(url);
  return {
    url,
    required,
    answers: problem === '',
    problem:
      problem === ''
        ? ''
        : `no OpenSearch node answers at ${url} (${problem}); start one with scripts/services/opensearch.sh start` +
          (required ? ' (required: OPENSEARCH_URL or CI is set)' : ''),
  };
}

function urlFromEnvFile(): string | undefined {
  try {
    return /^OPENSEARCH_URL=(.+)$/m.exec(readFileSync(ENV_FILE, 'utf8'))?.[1]?.trim();
  } catch {
    return undefined;
  }
}

async function probe(url: string): Promise<string> {
  try {
    const res = await fetch(`${url}/_cluster/health?wait_for_status=yellow&timeout=5s`, { signal: AbortSignal.timeout(8000) });
    if (!res.ok) return `HTTP ${res.status}`;
    const body = (await res.json()) as { status?: string };
    return body.status === 'red' ? 'cluster is red' : '';
  } catch (e) {
    return (e as Error).message;
  }
}

/** A prefix unique to this run and file, so runs on one node never collide. */
export function runPrefix(tag: string): string {
  return `sagt-${tag}-${process.pid.toString(36)}-${Date.now().toString(36)}-`;
}

/** A short refresh interval keeps suites that write one document at a time fast. */
export const TEST_REFRESH_MS = 50;

export function openTestStore(url: string, prefix: string, clock: () => bigint): OpenSearchUveStore {
  return OpenSearchUveStore.open({
    connection: { url, requestTimeoutMs: 10_000 },
    indexPrefix: prefix,
    refreshIntervalMs: TEST_REFRESH_MS,
    clock,
  });
}

/** Deletes every index of `prefix` and its template. */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  await rest(url, 'DELETE', `/${prefix}*?expand_wildcards=all`);
  await rest(url, 'DELETE', `/_index_template/${templateName(prefix)}`, [404]);
}

/** A raw REST call for test setup and inspection. */
export async function rest(url: string, method: string, path: string, okStatuses: number[] = [], body?: unknown): Promise<any> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok && !okStatuses.includes(res.status)) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text === '' ? null : JSON.parse(text);
}

/**
 * A suite that needs the node: runs when it answers, FAILS when it is
 * required and does not answer, and skips with the reason otherwise.
 */
export function describeWithNode(title: string, node: OpenSearchNode, body: () => void): void {
  const full = `${title} (needs the OpenSearch server)`;
  if (node.answers) {
    describe(full, body);
  } else if (node.required) {
    describe(full, () => {
      it('reaches the OpenSearch node', () => {
        throw new Error(node.problem);
      });
    });
  } else {
    console.warn(`skipping "${full}": ${node.problem}`);
    describe.skip(`${full}: skipped, ${node.problem}`, () => {
      it('needs the OpenSearch server', () => {});
    });
  }
}
