import { UndecodedInput, type DeadLetterEntry } from '../ingest/index.js';
import type { DeadLetter, Resolvers } from './generated/resolvers.js';

/** The dead-letter log's query and mutation (schema/ingest.graphql); merged into `resolvers`. */
export const ingestResolvers: Required<Pick<Resolvers, 'Query' | 'Mutation'>> = {
  Query: {
    async deadLetters(_, args, ctx) {
      const page = await ctx.services.deadLetters.list(args.first ?? 100, args.after ?? null);
      return {
        nodes: page.entries.map(deadLetter),
        pageInfo: { hasNextPage: page.next !== null, endCursor: page.next },
      };
    },
  },
  Mutation: {
    async replayDeadLetters(_, args, ctx) {
      const result = await ctx.services.deadLetters.replay(args.ids);
      return { accepted: result.accepted, rejected: result.rejected, errors: [...result.errors] };
    },
  },
};

function deadLetter(e: DeadLetterEntry): DeadLetter {
  const undecoded = e.raw instanceof UndecodedInput ? e.raw : undefined;
  return {
    id: e.id,
    at: e.at,
    source: e.source,
    index: e.index,
    reason: e.reason,
    raw: undecoded === undefined ? e.raw : null,
    rawText: undecoded?.text ?? null,
    rawBase64: undecoded?.base64 ?? null,
  };
}
