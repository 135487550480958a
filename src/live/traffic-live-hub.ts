import { GatewayError, type BuildContext, type TrafficLiveQuery, type TrafficQuery } from '../model/index.js';
import type { SessionStore, TrafficPage } from '../stores/types.js';
import { shutdownError } from './tail-hub.js';

/** One answer of a sessionTrafficLive: the query as built for it and the store's page. */
export interface TrafficAnswer {
  readonly query: TrafficQuery;
  readonly page: TrafficPage;
}

export interface TrafficSink {
  push(answers: readonly TrafficAnswer[]): boolean;
  fail(error: unknown): void;
}

export interface TrafficLiveHubOptions {
  readonly store: SessionStore;
  /** The build context of each answer: now, retention, limits (the scope is the subscription's own). */
  readonly context: () => BuildContext;
  readonly log?: { warn(obj: object, msg: string): void };
  /** Each query run: how long it took. */
  readonly onQuery?: (ms: number) => void;
}

interface Shared {
  readonly query: TrafficLiveQuery;
  readonly sinks: Set<TrafficSink>;
  last: TrafficAnswer | null;
  timer: NodeJS.Timeout | null;
  running: boolean;
}

/**
 * The sessionTrafficLive subscriptions of one gateway (docs/live.md):
 * subscriptions with the same arguments and the same caller scope (the
 * query's key) share one query per `every`; a new one gets the last answer
 * at once. No query runs for a key nobody subscribes to. A store that does
 * not answer (BACKEND_UNAVAILABLE) skips that interval; any other error
 * ends the subscriptions of the key with it.
 */
export class TrafficLiveHub {
  private readonly shared = new Map<string, Shared>();
  private closed = false;
  queries = 0;

  constructor(private readonly options: TrafficLiveHubOptions) {}

  /** Distinct queries running (one per key). */
  get keys(): number {
    return this.shared.size;
  }

  subscribe(query: TrafficLiveQuery, sink: TrafficSink): () => void {
    if (this.closed) throw new GatewayError('BACKEND_UNAVAILABLE', 'the gateway is shutting down: reconnect to another replica or retry');
    let s = this.shared.get(query.key);
    if (s === undefined) {
      this.shared.set(query.key, (s = { query, sinks: new Set(), last: null, timer: null, running: false }));
      s.sinks.add(sink);
      void this.run(s);
    } else {
      s.sinks.add(sink);
      if (s.last !== null) sink.push([s.last]);
    }
    const shared = s;
    return () => this.remove(shared, sink);
  }

  close(reason = 'the gateway is shutting down'): void {
    this.closed = true;
    for (const s of [...this.shared.values()]) {
      for (const sink of s.sinks) sink.fail(shutdownError(`${reason}: reconnect and subscribe again`));
      this.drop(s);
    }
  }

  private remove(s: Shared, sink: TrafficSink): void {
    s.sinks.delete(sink);
    if (s.sinks.size === 0) this.drop(s);
  }

  private drop(s: Shared): void {
    if (s.timer !== null) clearTimeout(s.timer);
    s.timer = null;
    s.sinks.clear();
    if (this.shared.get(s.query.key) === s) this.shared.delete(s.query.key);
  }

  private async run(s: Shared): Promise<void> {
    if (this.shared.get(s.query.key) !== s) return;
    s.running = true;
    const started = performance.now();
    try {
      const query = s.query.at(this.options.context());
      this.queries++;
      const page = await this.options.store.traffic(query);
      this.options.onQuery?.(performance.now() - started);
      s.last = { query, page };
      for (const sink of [...s.sinks]) if (!sink.push([s.last])) this.remove(s, sink);
    } catch (e) {
      if (e instanceof GatewayError && e.code === 'BACKEND_UNAVAILABLE') {
        this.options.log?.warn({ err: e }, 'sessionTrafficLive: the store did not answer; trying again at the next interval');
      } else {
        for (const sink of [...s.sinks]) sink.fail(e);
        this.drop(s);
        return;
      }
    } finally {
      s.running = false;
    }
    if (this.shared.get(s.query.key) !== s) return;
    const everyMs = Number(s.query.every.ns / 1_000_000n);
    s.timer = setTimeout(() => {
      s.timer = null;
      void this.run(s);
    }, Math.max(0, everyMs - (performance.now() - started)));
    s.timer.unref?.();
  }
}
