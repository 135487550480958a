/**
 * What authentication and the cost check add (issue 12: at most 5% on the
 * p50 of the top-10 label-pair query and on ingest records/s), measured with
 * and without auth in the same run, interleaved:
 *
 *  - the top-10 label pairs over RECORDS raw records (as bench:duckdb) through
 *    three apps on the same stores: authentication off, a static token
 *    (AUTH_TOKENS_FILE) and an RS256 JWT (JWT_PUBLIC_KEY_FILE);
 *  - NDJSON ingest of 5 000-record bodies (as bench:ingest) through Fastify
 *    inject into two gateways with their own DuckDB file, auth off and a
 *    static token sent as HTTP Basic (fluentd out_http), in alternating rounds;
 *  - the cost check (parse is Apollo's; operationShape is ours) alone, in µs.
 *
 *   npm run bench:access        (RECORDS=10000000 ITERATIONS=21 ROUNDS=6)
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, type OperationDefinitionNode } from 'graphql';
import { SignJWT, exportSPKI, generateKeyPair } from 'jose';
import { parseConfig } from '../src/config/index.js';
import { createGateway } from '../src/gateway.js';
import { operationShape } from '../src/graphql/index.js';
import { Authenticator, JwtVerifier, TokensFile, buildApp } from '../src/server/index.js';
import { HOUR, loadDataset } from './duckdb/dataset.js';
import { bodies, RECORDS_PER_BODY } from './ingest/records.js';
import { fmt, machine, percentile, time } from './support.js';

const RECORDS = Number(process.env['RECORDS'] ?? 10_000_000);
const ITERATIONS = Number(process.env['ITERATIONS'] ?? 21);
const ROUNDS = Number(process.env['ROUNDS'] ?? 6);

const dir = mkdtempSync(join(tmpdir(), 'sag-access-bench-'));
const TOKEN = 'bench-token-3f9a1c7e5b2d4a6f8e0c1b3d5f7a9c2e';
const tokensPath = join(dir, 'tokens.json');
writeFileSync(tokensPath, JSON.stringify([
  { name: 'bench-1', sha256: createHash('sha256').update('other-1').digest('hex'), scopes: ['ingest'] },
  { name: 'bench', sha256: createHash('sha256').update(TOKEN).digest('hex'), scopes: ['sessions:read', 'uves:read', 'ingest'] },
  { name: 'bench-2', sha256: createHash('sha256').update('other-2').digest('hex'), scopes: ['ingest'] },
]));
const keys = await generateKeyPair('RS256');
const pemPath = join(dir, 'key.pem');
writeFileSync(pemPath, await exportSPKI(keys.publicKey));
const ISSUER = 'https://issuer.bench';
const jwt = await new SignJWT({ sub: 'bench', scope: 'sessions:read uves:read' })
  .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
  .setIssuer(ISSUER)
  .setAudience('gateway')
  .setExpirationTime('2h')
  .sign(keys.privateKey);
const silent = { info: () => {}, error: () => {} };

console.log(`machine: ${machine()}`);
const query = `{ sessionTraffic(range: {last: "1h"}, groupBy: [{localLabel: "app"}, {remoteLabel: "app"}], first: 10) {
  totalCount total { totalBytes } nodes { group { value } traffic { totalBytes } } } }`;

// --- the cost check alone
{
  const doc = parse(query);
  const op = doc.definitions[0] as OperationDefinitionNode;
  const n = 100_000;
  for (let i = 0; i < 10_000; i++) operationShape(doc, op);
  const ms = await time(async () => {
    for (let i = 0; i < n; i++) operationShape(doc, op);
  });
  console.log(`cost and depth check of the query: ${((ms * 1000) / n).toFixed(2)} µs per operation`);
}

// --- the query
const data = await loadDataset(RECORDS, HOUR);
const accessFor = async (authenticator: Authenticator | null) => ({
  ...parseConfig({}).access,
  authenticator,
});
const tokens = await TokensFile.open({ path: tokensPath, log: silent });
const verifier = await JwtVerifier.create(parseConfig({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: 'gateway', JWT_PUBLIC_KEY_FILE: pemPath }).access.auth!.jwt!);
// The authenticators alone, per request: what auth adds, whatever the machine's load does to the end-to-end figures.
{
  const a = new Authenticator(tokens, verifier);
  const basic = `Basic ${Buffer.from(`fluentd:${TOKEN}`).toString('base64')}`;
  const fresh: string[] = [];
  for (let i = 0; i < 2000; i++) {
    fresh.push(`Bearer ${await new SignJWT({ sub: 'bench', jti: String(i) }).setProtectedHeader({ alg: 'RS256' }).setIssuer(ISSUER).setAudience('gateway').setExpirationTime('2h').sign(keys.privateKey)}`);
  }
  const first = await time(async () => {
    for (const h of fresh) await a.authenticate(h);
  });
  console.log(`authenticate, RS256 JWT seen for the first time (signature verified): ${((first * 1000) / fresh.length).toFixed(2)} µs per request`);
  for (const [what, header, n] of [['static token (Bearer)', `Bearer ${TOKEN}`, 200_000], ['static token (Basic)', basic, 200_000], ['RS256 JWT seen before (cached)', `Bearer ${jwt}`, 200_000]] as const) {
    for (let i = 0; i < n / 10; i++) await a.authenticate(header);
    const ms = await time(async () => {
      for (let i = 0; i < n; i++) await a.authenticate(header);
    });
    console.log(`authenticate, ${what}: ${((ms * 1000) / n).toFixed(2)} µs per request`);
  }
}
const apps = {
  off: data.gw.app,
  // A second app with authentication off: the A/A control, how far two identical variants drift in this run.
  off2: await buildApp(data.gw.services, { logLevel: 'error', access: await accessFor(null) }),
  token: await buildApp(data.gw.services, { logLevel: 'error', access: await accessFor(new Authenticator(tokens, null)) }),
  jwt: await buildApp(data.gw.services, { logLevel: 'error', access: await accessFor(new Authenticator(null, verifier)) }),
};
const headers = { off: {}, off2: {}, token: { authorization: `Bearer ${TOKEN}` }, jwt: { authorization: `Bearer ${jwt}` } };
const run = (k: keyof typeof apps) => async () => {
  const res = await apps[k].inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true', ...headers[k] },
    payload: JSON.stringify({ query }),
  });
  if (res.statusCode !== 200 || res.body.includes('"errors"')) throw new Error(`${k}: ${res.statusCode} ${res.body.slice(0, 200)}`);
};
const kinds = ['off', 'off2', 'token', 'jwt'] as const;
for (const k of kinds) for (let i = 0; i < 2; i++) await run(k)();
const samples = { off: [] as number[], off2: [] as number[], token: [] as number[], jwt: [] as number[] };
for (let i = 0; i < ITERATIONS; i++) {
  // Rotate the order so that no variant always runs first.
  for (let j = 0; j < kinds.length; j++) {
    const k = kinds[(i + j) % kinds.length]!;
    samples[k].push(await time(run(k)));
  }
}
const p50 = { off: percentile(samples.off, 50), off2: percentile(samples.off2, 50), token: percentile(samples.token, 50), jwt: percentile(samples.jwt, 50) };
console.log(`top-10 label pairs over ${RECORDS} records, ${ITERATIONS} interleaved runs each (GraphQL over inject):`);
console.log(`  auth off:             p50 ${fmt(p50.off)}, p90 ${fmt(percentile(samples.off, 90))}`);
console.log(`  auth off (A/A control): p50 ${fmt(p50.off2)}, p90 ${fmt(percentile(samples.off2, 90))}  (${pct(p50.off2, p50.off)})`);
console.log(`  static token:         p50 ${fmt(p50.token)}, p90 ${fmt(percentile(samples.token, 90))}  (${pct(p50.token, p50.off)})`);
console.log(`  RS256 JWT (PEM key):  p50 ${fmt(p50.jwt)}, p90 ${fmt(percentile(samples.jwt, 90))}  (${pct(p50.jwt, p50.off)})`);
await apps.off2.close();
await apps.token.close();
await apps.jwt.close();
await data.close();
tokens.close();

// --- ingest
const gateways = {
  off: await createGateway(parseConfig({ DUCKDB_PATH: join(dir, 'off.duckdb'), DEAD_LETTER_PATH: join(dir, 'off-dl.ndjson') }), { runJobs: false, logLevel: 'error' }),
  off2: await createGateway(parseConfig({ DUCKDB_PATH: join(dir, 'off2.duckdb'), DEAD_LETTER_PATH: join(dir, 'off2-dl.ndjson') }), { runJobs: false, logLevel: 'error' }),
  token: await createGateway(parseConfig({ DUCKDB_PATH: join(dir, 'on.duckdb'), DEAD_LETTER_PATH: join(dir, 'on-dl.ndjson'), AUTH_TOKENS_FILE: tokensPath }), { runJobs: false, logLevel: 'error' }),
};
const ingestHeaders = { off: {}, off2: {}, token: { authorization: `Basic ${Buffer.from(`fluentd:${TOKEN}`).toString('base64')}` } };
const payloads = bodies().map((b) => Buffer.from(b));
type Side = keyof typeof gateways;
const send = async (k: Side) => {
  for (const p of payloads) {
    const res = await gateways[k].app.inject({ method: 'POST', url: '/ingest/sessions', headers: { 'content-type': 'application/x-ndjson', ...ingestHeaders[k] }, payload: p });
    if (res.statusCode !== 200) throw new Error(`${k} ingest: ${res.statusCode} ${res.body.slice(0, 200)}`);
  }
};
const sides = ['off', 'off2', 'token'] as const;
for (const k of sides) await send(k);
const ms = { off: 0, off2: 0, token: 0 };
for (let r = 0; r < ROUNDS; r++) {
  for (let j = 0; j < sides.length; j++) {
    const k = sides[(r + j) % sides.length]!;
    ms[k] += await time(() => send(k));
  }
}
const perRound = payloads.length * RECORDS_PER_BODY;
const rate = { off: (perRound * ROUNDS) / (ms.off / 1000), off2: (perRound * ROUNDS) / (ms.off2 / 1000), token: (perRound * ROUNDS) / (ms.token / 1000) };
console.log(`ingest, ${ROUNDS} alternating rounds of ${payloads.length} x ${RECORDS_PER_BODY}-record NDJSON bodies each (inject, DuckDB file):`);
console.log(`  auth off:                 ${Math.round(rate.off)} records/s`);
console.log(`  auth off (A/A control):   ${Math.round(rate.off2)} records/s  (${pct(rate.off, rate.off2)} slower)`);
console.log(`  static token (HTTP Basic): ${Math.round(rate.token)} records/s  (${pct(rate.off, rate.token)} slower)`);
await gateways.off.close();
await gateways.off2.close();
await gateways.token.close();
rmSync(dir, { recursive: true, force: true });

function pct(a: number, b: number): string {
  const d = (a / b - 1) * 100;
  return `${d >= 0 ? '+' : ''}${d.toFixed(1)}%`;
}
