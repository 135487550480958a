import type { FastifyInstance } from 'fastify';
import { createRequire } from 'node:module';
import type { DocumentNode, ExecutionArgs, GraphQLError as GraphQLErrorType, GraphQLSchema } from 'graphql';
import type { Context, SubscribeMessage } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { IncomingMessage } from 'node:http';
import type { CostLimits, LiveConfig } from '../config/index.js';
import { GatewayError, UNRESTRICTED, tooExpensive, type Caller } from '../model/index.js';
import { OutboundBudget, isShutdownError } from '../live/index.js';
import { createContext, formatError, operationShape, scopeOf, type Services } from '../graphql/index.js';
import type { Authenticator } from './auth/index.js';
import type { LiveCredential, LiveCredentials } from './live-credentials.js';
import { liveSubscribe } from './live-execute.js';
import { GOING_AWAY, SLOW_CONSUMER, closeReason, type LiveMetrics } from './live-metrics.js';

export interface LiveSocketOptions {
  readonly schema: GraphQLSchema;
  readonly services: Services;
  readonly authenticator: Authenticator | null;
  readonly cost: CostLimits;
  readonly live: LiveConfig;
  readonly metrics: LiveMetrics;
  /** Open subscriptions per caller name, shared with the SSE route. */
  readonly perCaller: Map<string, number>;
  /** Ends connections whose credential expired or left AUTH_TOKENS_FILE (shared with the SSE route). */
  readonly credentials: LiveCredentials;
}

/** What the gateway keeps per connection, once it is authenticated (graphql-ws `ctx.extra.state`). */
interface ConnectionState {
  readonly caller: Caller;
  readonly budget: OutboundBudget;
  /** Accepted subscriptions by id, with their root field. */
  readonly open: Map<string, string>;
  /** Stops watching the connection's credential (it closed). */
  readonly unwatch: () => void;
}

/**
 * graphql-js as Node resolves it for graphql-ws and @graphql-tools/schema
 * (its CommonJS build: graphql 16 has no `exports` map), so that the
 * schema, the errors handed to graphql-ws and the functions that run them
 * are of one realm even where a bundler gave this module the ESM build
 * (vitest does; graphql/errors.ts matches by name for the same reason).
 */
const graphql = createRequire(import.meta.url)('graphql') as typeof import('graphql');
const { GraphQLError, getOperationAST, parse, validate, execute } = graphql;

type Extra = { readonly socket: WebSocket; readonly request: IncomingMessage; state?: ConnectionState };
type LiveContext = Context<Record<string, unknown> | undefined, Extra>;

/**
 * GraphQL subscriptions over WebSocket on /graphql (the graphql-ws
 * protocol, subprotocol graphql-transport-ws; docs/live.md): a `ws` server
 * on Fastify's HTTP server takes the upgrades of /graphql only. The caller
 * authenticates with `connection_init`'s payload (`{authorization: "Bearer
 * ..."}`: browsers cannot set WebSocket headers) or the upgrade's
 * Authorization header, through the same authenticator as HTTP. Each
 * subscribe is parsed and validated here, must be a subscription (queries
 * and mutations go over HTTP, where every limit applies), and its root
 * fields are checked against the same scope map and cost limits as HTTP;
 * then the per-connection and per-caller limits apply. The connection's
 * outbound budget is shared by its subscriptions: a client that does not
 * read is closed with 4421. Shutdown (Fastify's preClose) ends every
 * subscription with an error naming the reason, then closes with 1001.
 */
export function liveSocket(app: FastifyInstance, options: LiveSocketOptions): void {
  const { schema, services, authenticator, cost, live, metrics, perCaller, credentials } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: Math.max(cost.maxBytes, 64 * 1024) });
  const format = formatError(app.log);
  // A shutdown ends every subscription with the same expected error: logged once (preClose), not per subscription.
  const formatAll = (errors: readonly GraphQLErrorType[]) =>
    errors.map((e) => (isShutdownError(e.originalError) ? { message: e.message, extensions: { code: 'BACKEND_UNAVAILABLE' } } : format(e.toJSON(), e)));

  app.server.on('upgrade', (request: IncomingMessage, socket, head) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/graphql') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  });

  const release = (state: ConnectionState | undefined, id: string) => {
    const kind = state?.open.get(id);
    if (state === undefined || kind === undefined) return;
    state.open.delete(id);
    metrics.subscriptionEnded(kind);
    const name = state.caller.name;
    const n = (perCaller.get(name) ?? 1) - 1;
    if (n <= 0) perCaller.delete(name);
    else perCaller.set(name, n);
  };

  const server = useServer<Record<string, unknown> | undefined, { state: ConnectionState }>(
    {
      isProd: true,
      parse,
      validate,
      // Each event projected without a full graphql-js execute where the selection allows (live-execute.ts).
      subscribe: liveSubscribe as never,
      execute,
      connectionInitWaitTimeout: live.initTimeoutMs,
      onConnect: async (ctx: LiveContext) => {
        const extra = ctx.extra;
        let credential: LiveCredential;
        try {
          credential = await authenticate(authenticator, ctx.connectionParams, extra.request);
        } catch (e) {
          const error = e instanceof GatewayError ? e : new GatewayError('INTERNAL', 'authentication failed');
          app.log.warn({ audit: 'refused', caller: null, code: error.code, route: '/graphql (ws)' }, error.message);
          // graphql-ws closes with 4403 on false; 4401 with the reason says more, and is sent first.
          extra.socket.close(error.code === 'UNAUTHENTICATED' ? 4401 : 4500, limitReason(`${error.code}: ${error.message}`));
          return false;
        }
        const budget = new OutboundBudget(live.maxBuffered, () => {
          app.log.warn({ caller: caller.name, queued: live.maxBuffered }, 'live: closing a slow consumer');
          extra.socket.close(SLOW_CONSUMER, limitReason(`slow consumer: more than ${live.maxBuffered} messages queued (LIVE_MAX_BUFFERED_MESSAGES)`));
        });
        const caller = credential.caller;
        // A credential that expires or leaves the tokens file ends the connection, and so its subscriptions.
        const unwatch = credentials.watch(credential, (code, reason) => extra.socket.close(code, limitReason(reason)));
        extra.state = { caller, budget, open: new Map(), unwatch };
        return true;
      },
      onSubscribe: (ctx: LiveContext, id: string, payload: SubscribeMessage['payload']) => {
        const state = ctx.extra.state!;
        const caller = state.caller;
        const refused = (error: GatewayError) => {
          app.log.warn({ audit: 'refused', caller: caller.name, code: error.code, route: '/graphql (ws)' }, error.message);
          return [new GraphQLError(error.message, { originalError: error })];
        };
        // The counts first: a flood of subscribes past them costs no parse.
        if (state.open.size >= live.maxPerConnection) {
          return refused(new GatewayError('RATE_LIMITED', `this connection has ${state.open.size} subscriptions open, the most LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION allows; complete one first`));
        }
        const mine = perCaller.get(caller.name) ?? 0;
        if (mine >= live.maxPerCaller) {
          return refused(new GatewayError('RATE_LIMITED', `${caller.name} has ${mine} subscriptions open, the most LIVE_MAX_SUBSCRIPTIONS_PER_CALLER allows; complete one first`));
        }
        if (Buffer.byteLength(payload.query, 'utf8') > cost.maxBytes) {
          return refused(tooExpensive(`the document is larger than QUERY_MAX_BYTES (${cost.maxBytes} bytes)`));
        }
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (e) {
          return [e as GraphQLErrorType];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return [...errors];
        const operation = getOperationAST(document, payload.operationName ?? undefined);
        if (operation === null || operation === undefined) return [new GraphQLError('no operation to run: give operationName, or send one operation')];
        if (operation.operation !== 'subscription') {
          return refused(new GatewayError('BAD_USER_INPUT', `a ${operation.operation} is sent with POST /graphql; this socket runs subscriptions only`));
        }
        const shape = operationShape(document, operation);
        const fields = shape.rootFields.map((f) => f.name.value).filter((f) => f !== '__typename');
        for (const f of shape.rootFields) {
          const scope = scopeOf('subscription', f.name.value);
          if (scope !== null && !caller.scopes.has(scope)) {
            return refused(new GatewayError('FORBIDDEN', `${f.name.value} needs the scope ${scope}, which ${caller.name} does not have`, { field: f.name.value }));
          }
        }
        if (shape.cost > cost.maxCost) return refused(tooExpensive(`the operation costs ${shape.cost}, past QUERY_MAX_COST (${cost.maxCost})`));
        if (shape.depth > cost.maxDepth) return refused(tooExpensive(`the operation nests ${shape.depth} fields deep, past QUERY_MAX_DEPTH (${cost.maxDepth})`));
        const kind = fields[0] ?? '__typename';
        state.open.set(id, kind);
        perCaller.set(caller.name, mine + 1);
        metrics.subscriptionStarted(kind);
        const args: ExecutionArgs = {
          schema,
          document,
          operationName: payload.operationName ?? null,
          variableValues: payload.variables ?? null,
          contextValue: createContext(services, 0, caller, state.budget),
        };
        return args;
      },
      onNext: (ctx: LiveContext, id: string, _payload, _args, result) => {
        const kind = ctx.extra.state?.open.get(id);
        if (kind !== undefined) metrics.countSent(kind);
        if (result.errors === undefined || result.errors.length === 0) return undefined;
        return { ...result, errors: formatAll(result.errors) } as never;
      },
      onError: (_ctx: LiveContext, _id: string, _payload, errors) => formatAll(errors) as never,
      onComplete: (ctx: LiveContext, id: string) => release(ctx.extra.state, id),
      onClose: (ctx: LiveContext, code?: number) => {
        ctx.extra.state?.unwatch();
        for (const id of [...(ctx.extra.state?.open.keys() ?? [])]) release(ctx.extra.state, id);
        metrics.connectionClosed('ws', closeReason(code ?? 1005));
      },
    },
    wss,
    live.keepAliveMs,
  );
  wss.on('connection', (ws: WebSocket) => {
    metrics.connectionOpened('ws');
    coalesceWrites(ws);
  });

  app.addHook('preClose', async () => {
    // Every subscription ends with an error saying why, then every connection closes with 1001.
    if (wss.clients.size > 0) app.log.info({ connections: wss.clients.size }, 'live: closing subscriptions for shutdown');
    services.live?.tails.close();
    services.live?.traffic.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const client of wss.clients) client.close(GOING_AWAY, 'the gateway is shutting down');
    await server.dispose();
  });
}

/** The caller of a connection: connection_init's authorization (any case) first, else the upgrade's header. */
async function authenticate(authenticator: Authenticator | null, params: Record<string, unknown> | undefined, request: IncomingMessage): Promise<LiveCredential> {
  if (authenticator === null) return { header: undefined, caller: UNRESTRICTED, expiresAt: null };
  let header: string | undefined;
  if (params !== undefined && params !== null) {
    for (const [k, v] of Object.entries(params)) {
      if (k.toLowerCase() === 'authorization' && typeof v === 'string') header = v;
      else if (k.toLowerCase() === 'headers' && v !== null && typeof v === 'object') {
        for (const [hk, hv] of Object.entries(v as Record<string, unknown>)) if (hk.toLowerCase() === 'authorization' && typeof hv === 'string') header = hv;
      }
    }
  }
  const presented = header ?? request.headers.authorization;
  return { header: presented, ...(await authenticator.authenticateUntil(presented)) };
}

/**
 * The messages a connection sends in one turn of the event loop leave in
 * one write: each `send` corks the TCP socket, uncorked once the turn's
 * promise jobs are done (process.nextTick runs after them). A shared tail
 * read that has records for a hundred subscriptions of one connection
 * costs one system call, not a hundred (docs/live.md, "Delivery cost").
 */
function coalesceWrites(ws: WebSocket): void {
  const socket = (ws as unknown as { _socket?: import('node:net').Socket })._socket;
  if (socket === undefined || typeof socket.cork !== 'function') return;
  const send = ws.send.bind(ws);
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  ws.send = ((...args: Parameters<WebSocket['send']>) => {
    if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return (send as (...a: unknown[]) => void)(...args);
  }) as WebSocket['send'];
}

/** A close reason must fit in 123 bytes (RFC 6455 §5.5). */
export function limitReason(text: string): string {
  let out = text;
  while (Buffer.byteLength(out, 'utf8') > 123) out = out.slice(0, -2);
  return out === text ? out : `${out.slice(0, -1)}…`;
}

