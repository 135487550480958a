import { createClient, type Client } from 'graphql-ws/client';
import { TailDocument, type RecordFieldsFragment, type SessionFilter, type TailSubscription } from './generated/graphql.js';

/**
 * The graphql-ws client of the live mode: one WebSocket to /graphql (same
 * host, ws or wss as the page), opened on the first subscription and closed
 * a moment after the last. The token goes in connection_init's payload,
 * since a browser cannot set headers on a WebSocket.
 */
export function liveClient(token: string | null): Client {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  return createClient({
    url,
    lazy: true,
    lazyCloseTimeout: 1000,
    retryAttempts: 0,
    connectionParams: token === null || token === '' ? {} : { authorization: `Bearer ${token}` },
  });
}

/** An error of graphql-ws as the API worded it: GraphQL errors, or the close reason and code. */
export function liveMessage(e: unknown): string {
  if (Array.isArray(e)) return e.map((x: { message?: string; extensions?: { code?: string } }) => `${x.message ?? String(x)}${x.extensions?.code ? ` (${x.extensions.code})` : ''}`).join('; ');
  if (typeof e === 'object' && e !== null && 'code' in e && 'reason' in e) {
    const c = e as { code: number; reason: string };
    return `${c.reason || 'the live connection closed'} (${c.code})`;
  }
  return e instanceof Error ? e.message : String(e);
}

/** sessionTail(where): calls onRecord per stored record until the returned function is called. */
export function tail(client: Client, where: SessionFilter | null, onRecord: (r: RecordFieldsFragment) => void, onError: (message: string) => void): () => void {
  return client.subscribe<TailSubscription>(
    { query: TailDocument.toString(), variables: { where } },
    {
      next: (v) => {
        if (v.errors !== undefined && v.errors.length > 0) onError(liveMessage(v.errors));
        else if (v.data) onRecord(v.data.sessionTail);
      },
      error: (e) => onError(liveMessage(e)),
      complete: () => undefined,
    },
  );
}
