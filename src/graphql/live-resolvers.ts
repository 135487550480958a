import type { Duration } from '../model/index.js';
import {
  buildTailQuery,
  buildTrafficLiveQuery,
  GatewayError,
  trafficPageInfo,
  type SessionRecord,
} from '../model/index.js';
import { LiveStream, OutboundBudget, type TailHub, type TrafficAnswer, type TrafficLiveHub } from '../live/index.js';
import type { GatewayContext } from './context.js';
import { groupValues } from './flow-resolvers.js';
import type { Resolvers } from './generated/resolvers.js';

/** The live hubs of one gateway, in Services. */
export interface LiveServices {
  readonly tails: TailHub;
  readonly traffic: TrafficLiveHub;
  /** LIVE_TRAFFIC_MIN_EVERY */
  readonly minEvery: Duration;
}

/** A context without a transport's budget (a test calling the resolver directly) queues without a practical bound. */
const UNBOUNDED = () => new OutboundBudget(Number.MAX_SAFE_INTEGER, () => undefined);

function liveOf(ctx: GatewayContext): LiveServices {
  if (ctx.services.live === undefined) throw new GatewayError('BAD_USER_INPUT', 'subscriptions are not served by this gateway');
  return ctx.services.live;
}

/**
 * The subscriptions (schema/live.graphql): arguments -> validated model ->
 * a hub registration -> a LiveStream the transport pulls from. The stream
 * holds the connection's outbound budget; when the client completes or the
 * connection closes, the transport returns the stream and the hub forgets
 * the subscriber.
 */
export const liveResolvers: Required<Pick<Resolvers, 'Subscription'>> = {
  Subscription: {
    sessionTail: {
      subscribe: async (_parent: unknown, args: { where?: unknown; since?: string | null }, ctx: GatewayContext) => {
        const live = liveOf(ctx);
        // A subscription's "now" is when it starts, not when its connection opened.
        const query = buildTailQuery(args as never, { ...ctx.build, now: ctx.services.clock() });
        let stop: (() => void) | null = null;
        let closed = false;
        const stream = new LiveStream<SessionRecord>(ctx.outbound ?? UNBOUNDED(), () => {
          closed = true;
          stop?.();
        });
        stop = await live.tails.subscribe(query, stream);
        if (closed) stop();
        return stream;
      },
      resolve: (record: SessionRecord) => record,
    } as never,

    sessionTrafficLive: {
      subscribe: (_parent: unknown, args: Record<string, unknown>, ctx: GatewayContext) => {
        const live = liveOf(ctx);
        const query = buildTrafficLiveQuery(args as never, { ...ctx.build, now: ctx.services.clock() }, live.minEvery);
        let stop: (() => void) | null = null;
        let closed = false;
        const stream = new LiveStream<TrafficAnswer>(ctx.outbound ?? UNBOUNDED(), () => {
          closed = true;
          stop?.();
        });
        stop = live.traffic.subscribe(query, stream);
        if (closed) stop();
        return stream;
      },
      resolve: ({ query: q, page }: TrafficAnswer) => ({
        nodes: page.groups.map((g) => ({ group: groupValues(q.groupBy, g.values), traffic: g.traffic, previous: g.previous ?? null })),
        pageInfo: trafficPageInfo(q, page.groups.length, page.totalCount),
        totalCount: page.totalCount,
        total: page.total,
        previousTotal: page.previousTotal ?? null,
        meta: page.meta,
      }),
    } as never,
  },
};
