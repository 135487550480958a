import { createRequire } from 'node:module';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { describe, expect, it } from 'vitest';
import { loadTypeDefs, resolvers } from '../graphql/index.js';
import { sessionRecord } from '../../test/support/records.js';
import { compileOperation, liveSubscribe } from './live-execute.js';

const graphql = createRequire(import.meta.url)('graphql') as typeof import('graphql');
const schema = makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers: resolvers as never });
const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

const RECORDS = [
  sessionRecord({ time: 1_795_600_800_123_456_789n, clientPort: 30000 }),
  sessionRecord({ vmi: 'default-domain:k8s-shop:web-vmi', sessionType: 'server', localLabels: { app: 'web', 'app.kubernetes.io/part-of': 'store' }, remoteLabels: { app: 'ledger' }, totalBytes: 2n ** 62n }),
];

const ALL = `time vn vmi remoteVn vrouterIp localIp clientPort remoteIp serverPort protocol sessionType
  localLabels { name value } remoteLabels { value name __typename }
  traffic { forwardSampledBytes forwardSampledPkts reverseSampledBytes reverseSampledPkts totalBytes sessions }`;

describe('the projection of a subscription event answers as graphql-js execute does', () => {
  it.each([
    ['two fields', 'subscription { sessionTail { time clientPort } }'],
    ['every field, an alias on the root and inside', `subscription { tail: sessionTail(where: {clientPort: {eq: 1}}) { port: clientPort __typename ${ALL} } }`],
    ['fragments on the very type', 'subscription S { sessionTail { ...F ... on SessionRecord { serverPort } ... { vn } } } fragment F on SessionRecord { time traffic { ...T } } fragment T on Traffic { sessions }'],
  ])('%s', (_name, query) => {
    const document = graphql.parse(query);
    expect(graphql.validate(schema, document)).toEqual([]);
    const compiled = compileOperation(schema, document);
    expect(compiled).not.toBeNull();
    for (const r of RECORDS) {
      const expected = graphql.execute({ schema, document, rootValue: r, contextValue: {} }) as { data: Record<string, unknown> };
      expect(plain({ data: { [compiled!.key]: compiled!.project(r, {}) } })).toEqual(plain(expected));
      expect(Object.keys(compiled!.project(r, {}) as object)).toEqual(Object.keys(Object.values(expected.data)[0] as object));
    }
  });

  it.each([
    ['a directive', 'subscription($x: Boolean!) { sessionTail { time @include(if: $x) } }'],
    ['a merged response key', 'subscription { sessionTail { time time } }'],
    ['a fragment on another type', 'subscription { sessionTail { ... on Traffic { sessions } } }'],
  ])('leaves %s to graphql-js', (_name, query) => {
    expect(compileOperation(schema, graphql.parse(query))).toBeNull();
  });
});

describe('liveSubscribe', () => {
  const tiny = makeExecutableSchema({
    typeDefs: 'type Query { x: Int } type Ev { a: Int! b: String } type Subscription { ev: Ev! }',
    resolvers: {
      Subscription: {
        ev: {
          subscribe: async function* () {
            yield { a: 1, b: 'x' };
            yield { a: null, b: 'non-null violated' };
            yield { a: 'not an int' };
            yield { a: 2, b: null };
          },
          resolve: (e: unknown) => e,
        },
      },
    },
  });

  async function all(it: unknown): Promise<unknown[]> {
    const out: unknown[] = [];
    for await (const r of it as AsyncIterable<unknown>) out.push(plain(r));
    return out;
  }

  it('answers each event as graphql-js subscribe does, errors included (those events run through execute)', async () => {
    const document = graphql.parse('subscription { ev { a b } }');
    const fast = await all(await liveSubscribe({ schema: tiny, document }));
    const slow = await all(await graphql.subscribe({ schema: tiny, document }));
    expect(fast).toHaveLength(4);
    expect(fast).toEqual(slow);
    expect((fast[1] as { errors: unknown[] }).errors).toHaveLength(1);
  });

  it('ends its source when the consumer returns', async () => {
    let returned = false;
    const s = makeExecutableSchema({
      typeDefs: 'type Query { x: Int } type N { v: Int! } type Subscription { n: N! }',
      resolvers: {
        Subscription: {
          n: {
            subscribe: () => ({
              next: () => Promise.resolve({ value: 1, done: false }),
              return: () => ((returned = true), Promise.resolve({ value: undefined, done: true })),
              [Symbol.asyncIterator]() {
                return this;
              },
            }),
            resolve: (v: unknown) => ({ v }),
          },
        },
      },
    });
    const it2 = (await liveSubscribe({ schema: s, document: graphql.parse('subscription { n { v } }') })) as AsyncGenerator;
    expect(plain((await it2.next()).value)).toEqual({ data: { n: { v: 1 } } });
    await it2.return(undefined);
    expect(returned).toBe(true);
  });
});
