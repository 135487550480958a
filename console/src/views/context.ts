import type { GraphQLClient } from '../client.js';
import type { SessionFilter, TrafficFieldsFragment } from '../generated/graphql.js';
import type { Pair, State } from '../state.js';

/** What every view gets: the client, the state, and the ways to change it. */
export interface ViewContext {
  readonly client: GraphQLClient;
  readonly state: State;
  /** The filter bar's conditions as a SessionFilter. */
  readonly where: SessionFilter | null;
  readonly signal: AbortSignal;
  selectPair(pair: Pair): void;
  showUve(uve: { type: string; name: string }): void;
  setState(patch: Partial<State>): void;
}

export function metricOf(t: Pick<TrafficFieldsFragment, 'totalBytes' | 'sessions'>, metric: string): number {
  return metric === 'SESSIONS' ? t.sessions : t.totalBytes;
}
