import {
  SCOPES,
  assertUveWritable,
  scopeKey,
  buildSeriesQuery,
  buildTrafficQuery,
  buildUveListQuery,
  encodeKeyCursor,
  structsOf,
  trafficPageInfo,
  validateUveDocument,
  validateUveName,
  validateUveType,
  valueAt,
  type RecordCandidate,
} from '../model/index.js';
import type { Resolvers } from './generated/resolvers.js';
import { flowResolvers, groupValues } from './flow-resolvers.js';
import { ingestResolvers } from './ingest-resolvers.js';
import { liveResolvers } from './live-resolvers.js';
import { requestedTraffic } from './selection.js';
import { DateTimeScalar, DurationScalar, JsonScalar, LongScalar } from './scalars.js';

/**
 * The resolvers: arguments -> validated model -> store, and back. No query
 * logic lives here; the model builders validate, the stores compile.
 */
export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Duration: DurationScalar,
  Long: LongScalar,
  JSON: JsonScalar,

  Subscription: liveResolvers.Subscription,

  Query: {
    ...ingestResolvers.Query,
    ...flowResolvers.Query,

    async sessionTraffic(_, args, ctx, info) {
      const q = buildTrafficQuery(args, ctx.build, requestedTraffic(info));
      const page = await ctx.services.sessions.traffic(q);
      return {
        nodes: page.groups.map((g) => ({ group: groupValues(q.groupBy, g.values), traffic: g.traffic, previous: g.previous ?? null })),
        pageInfo: trafficPageInfo(q, page.groups.length, page.totalCount),
        totalCount: page.totalCount,
        total: page.total,
        previousTotal: page.previousTotal ?? null,
        meta: page.meta,
      };
    },

    async sessionSeries(_, args, ctx) {
      const q = buildSeriesQuery(args, ctx.build);
      const result = await ctx.services.sessions.series(q);
      return {
        series: result.series.map((s) => ({ group: groupValues(q.groupBy, s.values), points: [...s.points], other: s.other ?? false })),
        meta: result.meta,
      };
    },

    uve(_, args, ctx) {
      return ctx.services.uves.get(validateUveType(args.type), validateUveName(args.name), ctx.build.scope ?? null);
    },

    async uves(_, args, ctx) {
      const q = buildUveListQuery(args, ctx.build.limits.maxPageSize, ctx.build.scope ?? null);
      const page = await ctx.services.uves.list(q);
      const last = page.nodes[page.nodes.length - 1];
      return {
        nodes: [...page.nodes],
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: last === undefined ? null : encodeKeyCursor(last.name, scopeKey(q.scope)) },
        totalCount: page.totalCount,
        meta: page.meta,
      };
    },

    uveTypes(_, __, ctx) {
      return ctx.services.uves.types();
    },

    viewer(_, __, ctx) {
      const c = ctx.caller;
      return { name: c.name, scopes: SCOPES.filter((s) => c.scopes.has(s)), namespaces: c.namespaces === null ? null : [...c.namespaces] };
    },
  },

  Mutation: {
    ...ingestResolvers.Mutation,

    async ingestSessions(_, args, ctx) {
      const incoming = args.records.map((r) => ({ candidate: r as RecordCandidate, raw: r }));
      // Held in the in-flight budget with the HTTP ingest: past it, SATURATED (HTTP 429, server/saturated-plugin.ts).
      // A scoped caller's records outside its namespaces are rejected with NAMESPACE_FORBIDDEN (docs/security.md).
      const result = await ctx.services.ingest.ingest(incoming, 'camel', 'graphql', { bytes: ctx.requestBytes, scope: ctx.build.scope ?? null });
      return { ...result, errors: [...result.errors] };
    },

    upsertUve(_, args, ctx) {
      const type = validateUveType(args.type);
      const name = validateUveName(args.name);
      // A scoped caller writes only its namespaces' UVEs: FORBIDDEN before any store is called (docs/security.md).
      assertUveWritable(ctx.build.scope, type, name);
      return ctx.services.uves.upsert(type, name, validateUveDocument(args.document));
    },

    deleteUve(_, args, ctx) {
      const type = validateUveType(args.type);
      const name = validateUveName(args.name);
      assertUveWritable(ctx.build.scope, type, name);
      return ctx.services.uves.delete(type, name);
    },
  },

  GroupValue: {
    key: (p) => p.key,
    value: (p) => p.value,
    // A caller without uves:read reads sessions, not the UVEs they name: null, as for a UVE it may not see.
    uve: (p, _, ctx) =>
      p.uveType === undefined || p.value === null || !ctx.caller.scopes.has('uves:read') ? null : ctx.uveLoader.load({ type: p.uveType, name: p.value }),
  },

  Uve: {
    type: (u) => u.type,
    name: (u) => u.name,
    updatedAt: (u) => u.updatedAt,
    structs: (u) => structsOf(u),
    value: (u, args) => valueAt(u.document, args.path),
  },

  QueryMeta: {
    from: (m) => m.from,
    to: (m) => m.to,
  },

  SessionRecord: flowResolvers.SessionRecord,
};
