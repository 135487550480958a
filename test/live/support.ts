import { createClient, type Client, type FormattedExecutionResult as ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import type { Gateway } from '../../src/gateway.js';

/** The ws:// URL of a listening gateway's /graphql. */
export async function listen(gw: Gateway): Promise<string> {
  await gw.app.listen({ host: '127.0.0.1', port: 0 });
  const address = gw.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `ws://127.0.0.1:${address.port}/graphql`;
}

/** A graphql-ws client that does not retry (tests see every close). */
export function wsClient(url: string, connectionParams?: Record<string, unknown>, extra: Partial<Parameters<typeof createClient>[0]> = {}): Client {
  return createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, ...(connectionParams === undefined ? {} : { connectionParams }), ...extra });
}

/** What one subscription brought: its results, and how it ended. */
export interface Collected<T = Record<string, any>> {
  readonly results: ExecutionResult<T, unknown>[];
  /** Resolves when the subscription completes (null) or errors (the error). */
  readonly done: Promise<unknown>;
  /** Resolves once `n` results came. */
  waitFor(n: number, timeoutMs?: number): Promise<ExecutionResult<T, unknown>[]>;
  stop(): void;
}

export function collect<T = Record<string, any>>(client: Client, query: string, variables?: Record<string, unknown>): Collected<T> {
  const results: ExecutionResult<T, unknown>[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let stop: () => void = () => undefined;
  const done = new Promise<unknown>((resolve) => {
    stop = client.subscribe<T>(
      { query, ...(variables === undefined ? {} : { variables }) },
      {
        next: (r) => {
          results.push(r);
          for (const w of waiters.filter((w) => results.length >= w.n)) w.resolve();
        },
        error: (e) => resolve(e),
        complete: () => resolve(null),
      },
    );
  });
  return {
    results,
    done,
    stop: () => stop(),
    waitFor(n, timeoutMs = 10_000) {
      if (results.length >= n) return Promise.resolve(results);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`only ${results.length} of ${n} results within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(t);
            resolve(results);
          },
        });
      });
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The errors a subscription ended with: an `error` message (refused before
 * it ran), or a `next` carrying errors (its resolver refused the arguments:
 * GraphQL answers a subscribe error as a result), then complete.
 */
export async function errorsOf(c: Collected): Promise<{ message: string; extensions?: { code?: string } }[]> {
  const end = await c.done;
  if (Array.isArray(end)) return end as never;
  const errors = c.results.find((r) => r.errors !== undefined)?.errors;
  if (errors === undefined) throw new Error(`the subscription ended without errors: ${JSON.stringify(end)}`);
  return errors as never;
}
