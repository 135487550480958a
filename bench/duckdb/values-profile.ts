/**
 * Where sessionValues' time goes on DuckDB: the statement the compiler sends,
 * variants of it and the hand-written GROUP BY of bench:duckdb:flow, each run
 * straight on the store's thread, interleaved; and the whole GraphQL query.
 *
 *   npx tsx bench/duckdb/values-profile.ts      (RECORDS=10000000 ITERATIONS=15)
 */
import { buildValuesQuery } from '../../src/model/index.js';
import { compileValues } from '../../src/stores/duckdb/compile-hints.js';
import { gql } from '../../test/support/gateway.js';
import { fmt, machine, percentile, time } from '../support.js';
import { HOUR, loadDataset } from './dataset.js';

const RECORDS = Number(process.env['RECORDS'] ?? 10_000_000);
const ITERATIONS = Number(process.env['ITERATIONS'] ?? 15);
console.log(`machine: ${machine()}`);
const data = await loadDataset(RECORDS, HOUR);
const { gw, db, now } = data;

const schema = { labelColumns: new Set(['label.local.app', 'label.local.namespace', 'label.remote.app', 'label.remote.namespace']) };
const q = buildValuesQuery(
  { range: { last: '1h' }, key: { localLabel: 'app' }, where: { localLabels: [{ name: 'namespace', eq: 'ns-3' }] }, first: 20 } as never,
  { now, retention: gw.services.retention, limits: gw.services.limits } as never,
);
const stmt = compileValues(q, schema);
console.log(`tier ${q.source.tier}\n${stmt.text}\nparams ${JSON.stringify(stmt.params, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
const lo = now - HOUR;
const hand = (select: string, where: string, order: string) => `SELECT ${select} FROM sessions
WHERE time_ns >= ${lo} AND time_ns < ${now} AND ${where}
GROUP BY v ORDER BY ${order} LIMIT 20`;
const base = { sel: `"label.local.app" AS v, count(*) AS total`, where: `session_type = 'client' AND "label.local.namespace" = 'ns-3'`, order: 'total DESC, v' };
const variants: Record<string, { text: string; params: unknown[] }> = {
  'compiled, params': { text: stmt.text, params: [...stmt.params] },
  // What the compiler sent before the label eq went bare outside NOT (commit history: the coalesce).
  'compiled with coalesce(eq)': { text: stmt.text.replace(/("label\.local\.namespace" = \$[0-9]+)/, 'coalesce($1, FALSE)'), params: [...stmt.params] },
  hand: { text: hand(base.sel, base.where, base.order), params: [] },
  'hand + ::HUGEINT': { text: hand(`"label.local.app" AS v, count(*)::HUGEINT AS total`, base.where, base.order), params: [] },
  'hand + coalesce(eq)': { text: hand(base.sel, `session_type = 'client' AND coalesce("label.local.namespace" = 'ns-3', FALSE)`, base.order), params: [] },
  'hand + NULLS LAST': { text: hand(base.sel, base.where, 'total DESC, v ASC NULLS LAST'), params: [] },
  'hand + params': {
    text: `SELECT "label.local.app" AS v, count(*) AS total FROM sessions
WHERE time_ns >= $1 AND time_ns < $2 AND session_type = $3 AND "label.local.namespace" = $4
GROUP BY v ORDER BY total DESC, v LIMIT $5`,
    params: [lo, now, 'client', 'ns-3', 20],
  },
  'hand, range params only': {
    text: `SELECT "label.local.app" AS v, count(*) AS total FROM sessions
WHERE time_ns >= $1 AND time_ns < $2 AND session_type = 'client' AND "label.local.namespace" = 'ns-3'
GROUP BY v ORDER BY total DESC, v LIMIT 20`,
    params: [lo, now],
  },
  'hand, string params only': {
    text: `SELECT "label.local.app" AS v, count(*) AS total FROM sessions
WHERE time_ns >= ${lo} AND time_ns < ${now} AND session_type = $1 AND "label.local.namespace" = $2
GROUP BY v ORDER BY total DESC, v LIMIT 20`,
    params: ['client', 'ns-3'],
  },
};
const cases: Record<string, () => Promise<unknown>> = {};
for (const [name, s] of Object.entries(variants)) cases[name] = () => db.query(s as never);
cases['GraphQL sessionValues'] = async () => {
  const res = await gql(gw.app, `{ sessionValues(range: {last: "1h"}, key: {localLabel: "app"}, where: {localLabels: [{name: "namespace", eq: "ns-3"}]}, first: 20) { value total } }`);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
};
for (const [name, s] of Object.entries(variants)) {
  const plan = await db.query({ text: `EXPLAIN ${s.text}`, params: s.params } as never);
  if (process.env['EXPLAIN']) console.log(`--- ${name}\n${plan.map((r) => r['explain_value']).join('\n')}`);
}
const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (const fn of Object.values(cases)) await fn();
for (let i = 0; i < ITERATIONS; i++) for (const [name, fn] of Object.entries(cases)) samples[name]!.push(await time(fn));
for (const name of Object.keys(cases)) console.log(`  ${name.padEnd(28)} ${fmt(percentile(samples[name]!, 50))}  ${fmt(percentile(samples[name]!, 90))}`);
await data.close();
