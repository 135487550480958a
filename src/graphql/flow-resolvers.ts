import {
  DIMENSIONS,
  buildLabelNamesQuery,
  buildRecordsQuery,
  buildValuesQuery,
  encodeRecordsCursor,
  formatDateTimeNanos,
  groupKeyColumn,
  type GroupKey,
  type SessionRecord,
} from '../model/index.js';
import type { Resolvers } from './generated/resolvers.js';
import type { GroupValueParent } from './parents.js';

/**
 * The flow-view queries (schema/flow.graphql): filter hints and raw records.
 * Thin like the rest: arguments -> validated model -> store -> answer.
 */
export const flowResolvers: Required<Pick<Resolvers, 'Query' | 'SessionRecord'>> = {
  Query: {
    async sessionValues(_, args, ctx) {
      const q = buildValuesQuery(args, ctx.build);
      const result = await ctx.services.sessions.values(q);
      return result.values.map((v) => ({ value: v.value, total: v.total }));
    },

    async sessionLabelNames(_, args, ctx) {
      const q = buildLabelNamesQuery(args, ctx.build);
      const result = await ctx.services.sessions.labelNames(q);
      return result.names.map((n) => ({ name: n.name, records: n.records }));
    },

    async sessionRecords(_, args, ctx) {
      const q = buildRecordsQuery(args, ctx.build);
      const page = await ctx.services.sessions.records(q);
      return {
        nodes: [...page.records],
        pageInfo: { hasNextPage: page.next !== null, endCursor: page.next === null ? null : encodeRecordsCursor(q, page.next) },
        meta: page.meta,
      };
    },
  },

  SessionRecord: {
    time: (r) => formatDateTimeNanos(r.time),
    sessionType: (r) => (r.sessionType === 'server' ? 'SERVER' : 'CLIENT'),
    localLabels: (r) => labels(r.localLabels),
    remoteLabels: (r) => labels(r.remoteLabels),
    traffic: (r: SessionRecord) => ({
      forwardSampledBytes: r.forwardSampledBytes,
      forwardSampledPkts: r.forwardSampledPkts,
      reverseSampledBytes: r.reverseSampledBytes,
      reverseSampledPkts: r.reverseSampledPkts,
      totalBytes: r.totalBytes,
      sessions: 1n,
    }),
  },
};

function labels(set: Readonly<Record<string, string>>): { name: string; value: string }[] {
  return Object.keys(set)
    .sort()
    .map((name) => ({ name, value: set[name]! }));
}

/** The GroupValue parents of one group: its keys' columns and values, and the UVE type each value names. */
export function groupValues(keys: readonly GroupKey[], values: readonly (string | null)[]): GroupValueParent[] {
  return keys.map((k, i) => ({
    key: groupKeyColumn(k),
    value: values[i] ?? null,
    uveType: k.kind === 'dimension' ? DIMENSIONS[k.dimension].uveType : undefined,
  }));
}
