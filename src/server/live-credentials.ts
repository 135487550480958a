import { GatewayError, type Caller } from '../model/index.js';
import type { Authenticator } from './auth/index.js';

/** The close code of a connection whose credential expired or was removed (graphql-ws: Unauthorized). */
export const CREDENTIAL_GONE = 4401;
/** The close code of a connection whose token now carries other scopes or namespaces (graphql-ws: Forbidden). */
export const CREDENTIAL_CHANGED = 4403;

/** How a live connection is ended when its credential no longer holds: a close code and a reason for the caller. */
export type EndConnection = (code: number, reason: string) => void;

/** What a live connection authenticated with. */
export interface LiveCredential {
  /** The Authorization value it presented (connection_init or the request). */
  readonly header: string | undefined;
  readonly caller: Caller;
  /** Epoch ms when the credential stops being taken (a JWT's exp plus tolerance); null: while AUTH_TOKENS_FILE names it. */
  readonly expiresAt: number | null;
}

interface Watched {
  readonly credential: LiveCredential;
  readonly end: EndConnection;
  timer: NodeJS.Timeout | null;
  ended: boolean;
}

/** setTimeout's longest delay; a later expiry is re-armed. */
const MAX_DELAY = 2 ** 31 - 1;

/**
 * Ends live connections (WebSocket and SSE) whose credential stops
 * holding (docs/live.md, "Credentials"): at a JWT's expiry (its `exp` plus
 * JWT_CLOCK_TOLERANCE, when HTTP starts refusing it), and when an edit of
 * AUTH_TOKENS_FILE takes force: each connection's token is checked again,
 * one no longer named ends with 4401, one whose scopes or namespaces
 * changed with 4403 (the caller reconnects and gets what the file now
 * says). A check that cannot run (JWKS down) leaves the connection open.
 */
export class LiveCredentials {
  private readonly watched = new Set<Watched>();
  private readonly unlisten: () => void;

  constructor(
    private readonly authenticator: Authenticator | null,
    private readonly log: { info(obj: object, msg: string): void },
  ) {
    this.unlisten = authenticator?.onTokensChange(() => void this.recheck()) ?? (() => undefined);
  }

  /** Watches a connection's credential until the returned function is called (the connection closed). */
  watch(credential: LiveCredential, end: EndConnection): () => void {
    if (this.authenticator === null) return () => undefined;
    const w: Watched = { credential, end, timer: null, ended: false };
    this.watched.add(w);
    if (credential.expiresAt !== null) this.arm(w, credential.expiresAt);
    return () => this.forget(w);
  }

  /** Checks every watched credential again now (after a tokens file edit; tests). */
  async recheck(): Promise<void> {
    const authenticator = this.authenticator;
    if (authenticator === null) return;
    await Promise.all(
      [...this.watched].map(async (w) => {
        let caller: Caller;
        try {
          ({ caller } = await authenticator.authenticateUntil(w.credential.header));
        } catch (e) {
          if (e instanceof GatewayError && e.code === 'UNAUTHENTICATED') {
            this.finish(w, CREDENTIAL_GONE, 'the token is no longer valid (AUTH_TOKENS_FILE changed): reconnect with a valid one');
          }
          return;
        }
        if (!sameCaller(caller, w.credential.caller)) {
          this.finish(w, CREDENTIAL_CHANGED, "the token's name, scopes or namespaces changed in AUTH_TOKENS_FILE: reconnect");
        }
      }),
    );
  }

  close(): void {
    this.unlisten();
    for (const w of this.watched) this.forget(w);
  }

  private arm(w: Watched, expiresAt: number): void {
    const wait = expiresAt - Date.now();
    if (wait <= 0) {
      this.finish(w, CREDENTIAL_GONE, `the token expired at ${new Date(expiresAt).toISOString()}: reconnect with a new one`);
      return;
    }
    w.timer = setTimeout(() => this.arm(w, expiresAt), Math.min(wait, MAX_DELAY));
    w.timer.unref?.();
  }

  private finish(w: Watched, code: number, reason: string): void {
    if (w.ended) return;
    w.ended = true;
    this.forget(w);
    this.log.info({ caller: w.credential.caller.name, code }, `live: closing a connection: ${reason}`);
    w.end(code, reason);
  }

  private forget(w: Watched): void {
    if (w.timer !== null) clearTimeout(w.timer);
    w.timer = null;
    this.watched.delete(w);
  }
}

function sameCaller(a: Caller, b: Caller): boolean {
  if (a.name !== b.name || a.scopes.size !== b.scopes.size) return false;
  for (const s of a.scopes) if (!b.scopes.has(s)) return false;
  if (a.namespaces === null || b.namespaces === null) return a.namespaces === b.namespaces;
  if (a.namespaces.length !== b.namespaces.length) return false;
  const mine = new Set(a.namespaces);
  return b.namespaces.every((n) => mine.has(n));
}
