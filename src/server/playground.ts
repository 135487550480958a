import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import type { ApolloServerPlugin } from '@apollo/server';
import type { FastifyInstance } from 'fastify';

const require = createRequire(import.meta.url);

/** The GraphiQL bundle and its React, served from node_modules: no CDN. */
const ASSETS: Record<string, { pkg: string; file: string; type: string }> = {
  'react.js': { pkg: 'react', file: 'umd/react.production.min.js', type: 'text/javascript' },
  'react-dom.js': { pkg: 'react-dom', file: 'umd/react-dom.production.min.js', type: 'text/javascript' },
  'graphiql.js': { pkg: 'graphiql', file: 'graphiql.min.js', type: 'text/javascript' },
  'graphiql.css': { pkg: 'graphiql', file: 'graphiql.min.css', type: 'text/css' },
  'graphql-ws.js': { pkg: 'graphql-ws', file: 'umd/graphql-ws.min.js', type: 'text/javascript' },
};

/** A file of an installed package, past its `exports` map. */
function packageFile(pkg: string, file: string): Buffer {
  return readFileSync(join(dirname(require.resolve(`${pkg}/package.json`)), file));
}

const EXAMPLE = `# Bytes between every client-app / server-app pair in a namespace, last hour.
# Subscriptions run too: try subscription { sessionTail(where: {serverPort: {eq: 443}}) { time vn remoteVn } }
{
  sessionTraffic(
    range: { last: "1h" }
    where: { localLabels: [{ name: "namespace", eq: "contrail-analytics" }] }
    groupBy: [{ localLabel: "app" }, { remoteLabel: "app" }]
    first: 20
  ) {
    totalCount
    total { totalBytes sessions }
    nodes { group { key value } traffic { totalBytes sessions } }
    pageInfo { hasNextPage endCursor }
    meta { backend tier query from to }
  }
}
`;

/**
 * The page. With authentication on, the headers editor opens with an
 * Authorization header to fill in; GraphiQL sends the editor's headers with
 * every request, introspection included, and keeps them out of localStorage
 * (shouldPersistHeaders: false), so a token lives only as long as the tab.
 */
const page = (authRequired: boolean) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Session analytics gateway</title>
<link rel="stylesheet" href="/playground/graphiql.css">
<style>html,body,#graphiql{height:100%;margin:0}</style></head>
<body><div id="graphiql">Loading the playground...</div>
<script src="/playground/react.js"></script>
<script src="/playground/react-dom.js"></script>
<script src="/playground/graphiql.js"></script>
<script src="/playground/graphql-ws.js"></script>
<script>
  // Queries and mutations over HTTP; subscriptions over graphql-ws on the same path, with the
  // headers editor's Authorization sent in connection_init (a browser cannot set WebSocket headers).
  const http = GraphiQL.createFetcher({ url: location.pathname });
  const wsUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + location.pathname;
  const isSubscription = (q) => /(^|[}\\s])subscription[\\s({]/.test(q.replace(/#[^\\n]*/g, ''));
  const fetcher = (params, opts) => {
    if (!isSubscription(params.query || '')) return http(params, opts);
    const auth = Object.entries((opts && opts.headers) || {}).find(([k]) => k.toLowerCase() === 'authorization');
    const client = graphqlWs.createClient({ url: wsUrl, lazy: true, retryAttempts: 0, connectionParams: auth ? { authorization: auth[1] } : {} });
    const it = client.iterate(params);
    return {
      [Symbol.asyncIterator]() {
        return {
          next: () => it.next(),
          return: async () => { if (it.return) await it.return(); await client.dispose(); return { done: true, value: undefined }; },
        };
      },
    };
  };
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, { fetcher, defaultQuery: ${JSON.stringify(EXAMPLE)}, isHeadersEditorEnabled: true, shouldPersistHeaders: false, ${
      authRequired ? `defaultHeaders: ${JSON.stringify(JSON.stringify({ Authorization: 'Bearer <your token>' }, null, 2))}, defaultEditorToolsVisibility: 'headers'` : 'defaultEditorToolsVisibility: true'
    } }),
  );
</script></body></html>`;

/**
 * A GraphiQL playground for browser GETs of /graphql, self-hosted so that it
 * works in clusters without internet access (Apollo's default page loads its
 * IDE from a CDN). Registers the asset routes on `app`.
 */
export function playgroundPlugin(app: FastifyInstance, authRequired = false): ApolloServerPlugin {
  // Read on first use: most gateways never serve the 4 MB of the playground.
  const files = new Map<string, { body: Buffer; type: string }>();
  app.get<{ Params: { file: string } }>('/playground/:file', async (req, reply) => {
    const asset = ASSETS[req.params.file];
    if (asset === undefined || !Object.hasOwn(ASSETS, req.params.file)) {
      return reply.code(404).send({ error: 'no such playground file' });
    }
    let f = files.get(req.params.file);
    if (f === undefined) files.set(req.params.file, (f = { body: packageFile(asset.pkg, asset.file), type: asset.type }));
    return reply.header('content-type', f.type).header('cache-control', 'public, max-age=86400').send(f.body);
  });
  return {
    async serverWillStart() {
      const html = page(authRequired);
      return { renderLandingPage: async () => ({ html }) };
    },
  };
}
