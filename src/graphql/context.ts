import type DataLoader from 'dataloader';
import type { DeadLetterAdmin, SessionIngest } from '../ingest/index.js';
import { UNRESTRICTED, namespaceScopeOf, type BuildContext, type Caller, type Clock, type QueryLimits, type Retention, type UveDocument } from '../model/index.js';
import type { SessionStore, UveStore } from '../stores/types.js';
import type { OutboundBudget } from '../live/index.js';
import type { LiveServices } from './live-resolvers.js';
import { createUveLoader, type UveKey } from './loaders.js';

/** What the resolvers are given once at start-up. */
export interface Services {
  readonly sessions: SessionStore;
  readonly uves: UveStore;
  readonly ingest: SessionIngest;
  /** The dead-letter log: list and replay (schema/ingest.graphql). */
  readonly deadLetters: DeadLetterAdmin;
  readonly clock: Clock;
  readonly retention: Retention;
  readonly limits: QueryLimits;
  /** NAMESPACE_PROJECT_PREFIX: namespace N's project is this plus N (docs/security.md "Namespaces"). */
  readonly namespacePrefix: string;
  /** The subscriptions' hubs (docs/live.md); absent: subscriptions are refused. */
  readonly live?: LiveServices;
}

/** Per request: the services, the moment the request started, fresh loaders. */
export interface GatewayContext {
  readonly services: Services;
  readonly build: BuildContext;
  readonly uveLoader: DataLoader<UveKey, UveDocument | null, string>;
  /** The size of the request's body when known (its Content-Length), else 0: what ingestSessions holds of the in-flight byte budget. */
  readonly requestBytes: number;
  /** Who asked: the authenticator's answer, UNRESTRICTED when authentication is off. */
  readonly caller: Caller;
  /** Over a WebSocket or SSE: what the connection may hold queued for its client, shared by its subscriptions. */
  readonly outbound?: OutboundBudget;
}

export function createContext(services: Services, requestBytes = 0, caller: Caller = UNRESTRICTED, outbound?: OutboundBudget): GatewayContext {
  // The caller's namespaces, once per request: every query built from `build` carries them, and the loader.
  const scope = namespaceScopeOf(caller, services.namespacePrefix);
  return {
    services,
    build: {
      now: services.clock(),
      retention: services.retention,
      limits: services.limits,
      scope,
      folding: services.sessions.folding,
      stats: services.sessions.sourceStats?.() ?? null,
    },
    uveLoader: createUveLoader(services.uves, scope),
    requestBytes,
    caller,
    ...(outbound === undefined ? {} : { outbound }),
  };
}
