import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { LightMyRequestResponse } from 'fastify';
import { parseConfig, type Env } from '../../src/config/index.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway.js';
import { NOW, flat } from '../ingest/support.js';

export { NOW, flat };

/** Tokens of the test tokens file, by what they may do. */
export const TOKENS = {
  reader: 'tok-reader-0123456789abcdef',
  uveReader: 'tok-uve-reader-0123456789',
  shipper: 'tok-shipper-0123456789abcdef',
  admin: 'tok-admin-0123456789abcdef',
  tenant: 'tok-tenant-0123456789abcdef',
  tenantShipper: 'tok-tenant-shipper-0123456789',
} as const;

export const sha256 = (t: string) => createHash('sha256').update(t).digest('hex');

export const TOKEN_ENTRIES = [
  { name: 'dashboards', sha256: sha256(TOKENS.reader), scopes: ['sessions:read', 'uves:read'] },
  { name: 'uve-browser', sha256: sha256(TOKENS.uveReader), scopes: ['uves:read'] },
  { name: 'fluentd', sha256: sha256(TOKENS.shipper), scopes: ['ingest'] },
  { name: 'ops', sha256: sha256(TOKENS.admin), scopes: ['sessions:read', 'uves:read', 'ingest', 'admin'] },
  { name: 'team-shop', sha256: sha256(TOKENS.tenant), scopes: ['sessions:read'], namespaces: ['shop'] },
  { name: 'shop-fluentd', sha256: sha256(TOKENS.tenantShipper), scopes: ['ingest', 'uves:read'], namespaces: ['shop'] },
];

export function yamlEntries(entries: readonly { name: string; sha256: string; scopes: string[]; namespaces?: string[] }[]): string {
  return entries
    .map((e) => `- name: ${e.name}\n  sha256: ${e.sha256}\n  scopes: [${e.scopes.join(', ')}]\n${e.namespaces === undefined ? '' : `  namespaces: [${e.namespaces.join(', ')}]\n`}`)
    .join('');
}

export interface AccessGateway extends Gateway {
  readonly dir: string;
  /** Every log line so far, parsed. */
  logs(): Record<string, unknown>[];
  /** Every log line so far, as written. */
  logText(): string;
  cleanup(): Promise<void>;
}

/** A gateway on the in-memory store whose log is kept; `files` are written into its directory first ({dir} in env values is replaced). */
export async function accessGateway(env: Env, options: GatewayOptions & { files?: Record<string, string> } = {}): Promise<AccessGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'sag-access-'));
  for (const [name, text] of Object.entries(options.files ?? {})) writeFileSync(join(dir, name), text);
  const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v?.replaceAll('{dir}', dir)]));
  const lines: string[] = [];
  const { files: _files, ...rest } = options;
  const gw = await createGateway(parseConfig({ DUCKDB_PATH: ':memory:', DEAD_LETTER_PATH: join(dir, 'dead-letter.ndjson'), ...resolved }), {
    runJobs: false,
    logLevel: 'info',
    clock: () => NOW,
    logStream: { write: (l: string) => void lines.push(l) },
    ...rest,
  });
  return Object.assign(gw, {
    dir,
    logs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    logText: () => lines.join(''),
    async cleanup() {
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

export const tokensEnv = { AUTH_TOKENS_FILE: '{dir}/tokens.yaml' };
export const tokensFiles = { 'tokens.yaml': yamlEntries(TOKEN_ENTRIES) };

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
export const basic = (user: string, token: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}` });

export const RANGE = { from: '2026-11-25T00:00:00Z', to: '2026-11-25T12:00:00Z' };
export const TRAFFIC = `query { sessionTraffic(range: {from: "${RANGE.from}", to: "${RANGE.to}"}) { total { sessions } meta { query } } }`;
export const UPSERT = `mutation { upsertUve(type: "virtual-network", name: "default-domain:k8s-shop:net", document: {UveVirtualNetworkAgent: {in_bytes: 1}}) { name } }`;

/** One GraphQL operation over HTTP with these headers; the raw answer. */
export function graphql(app: FastifyInstance, query: string, headers: Record<string, string> = {}, variables?: Record<string, unknown>): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true', ...headers },
    payload: JSON.stringify({ query, variables }),
  });
}

/** The four ways in: a GraphQL query, a GraphQL mutation, HTTP session ingest, HTTP UVE ingest. */
export const WAYS_IN = ['query', 'mutation', '/ingest/sessions', '/ingest/uves'] as const;
export type WayIn = (typeof WAYS_IN)[number];

export function callWay(app: FastifyInstance, way: WayIn, headers: Record<string, string>): Promise<LightMyRequestResponse> {
  switch (way) {
    case 'query':
      return graphql(app, TRAFFIC, headers);
    case 'mutation':
      return graphql(app, UPSERT, headers);
    case '/ingest/sessions':
      return app.inject({ method: 'POST', url: way, headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify([flat()]) });
    case '/ingest/uves':
      return app.inject({
        method: 'POST',
        url: way,
        headers: { 'content-type': 'application/json', ...headers },
        payload: JSON.stringify({ type: 'virtual-network', name: 'default-domain:k8s-shop:net', document: { UveVirtualNetworkAgent: { in_bytes: 1 } } }),
      });
    default: {
      const never: never = way;
      throw new Error(String(never));
    }
  }
}

/** The error code of an answer in either shape (GraphQL errors or the ingest answer). */
export function codeOf(res: LightMyRequestResponse): unknown {
  const body = res.json() as { code?: string; errors?: { extensions?: { code?: string } }[] };
  return body.code ?? body.errors?.[0]?.extensions?.code;
}

export function messageOf(res: LightMyRequestResponse): string {
  const body = res.json() as { message?: string; errors?: { message: string }[] };
  return body.message ?? body.errors?.[0]?.message ?? '';
}

/** A JWKS endpoint on 127.0.0.1 serving whatever `keys` holds at the time; counts its fetches. */
export async function jwksServer(): Promise<{ url: string; keys: object[]; fetches: number; close(): Promise<void> }> {
  const state = { keys: [] as object[], fetches: 0 };
  const server: Server = createServer((_req, res) => {
    state.fetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/jwks.json`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  });
}
