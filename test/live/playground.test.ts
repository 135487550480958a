import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { testGateway } from '../support/gateway.js';

describe('the playground runs subscriptions', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await testGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('loads the graphql-ws browser client and sends subscriptions over it, queries over HTTP', async () => {
    const page = await gw.app.inject({ url: '/graphql', headers: { accept: 'text/html' } });
    expect(page.body).toContain('<script src="/playground/graphql-ws.js"></script>');
    const js = await gw.app.inject({ url: '/playground/graphql-ws.js' });
    expect(js.statusCode).toBe(200);
    expect(js.body).toContain('graphql-transport-ws');
    const script = /<script>([\s\S]*?)<\/script>/.exec(page.body)![1]!;
    // The page's own script parses, and tells a subscription from a query as the fetcher does.
    expect(() => new Function(script)).not.toThrow();
    const isSubscription = new Function('q', `return (${/const isSubscription = ([^;]*);/.exec(script)![1]!})(q);`) as (q: string) => boolean;
    expect(isSubscription('subscription { sessionTail { time } }')).toBe(true);
    expect(isSubscription('# subscription in a comment\n{ viewer { name } }')).toBe(false);
    expect(isSubscription('query A { viewer { name } } subscription B($w: SessionFilter) { sessionTail(where: $w) { time } }')).toBe(true);
  });
});
