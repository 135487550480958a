/**
 * Provokes the influxd crash of docs/influxdb.md ("A crash of influxd") on
 * purpose, on an influxd of its own (a free port, a temp data directory:
 * never the shared server of scripts/services/influxdb.sh), and reports
 * whether the server survived. Each round: a fresh bucket with SERIES series,
 * QUERIES loops of Flux reading it (filter reads and pushed-down groups, some
 * cancelled by the client mid-answer), a task reading it every second, then
 * the bucket deleted while they run, and queries kept going for a while after.
 *
 *   npm run bench:influx:delete-race
 *   (ROUNDS=20 SERIES=5000 POINTS=20 QUERIES=4 DELETE_AFTER_MS=300 TASK=1
 *    DELETE_WHEN=during|after INFLUXD_BIN=<path>)
 *
 * DELETE_WHEN=after stops the query loops, waits until every answer is in
 * (or was cancelled) and AFTER_WAIT_MS (2000) more, then deletes: with the
 * wait, a delete with no reader left. QUERIES=0 TASK=1: the
 * task alone reads the bucket. TASK=0: no task. OTHER=1: the queries and
 * the task read another bucket (same data), not the one deleted.
 *
 * Exit code 0: influxd survived every round; 1: it died (its log's fatal
 * lines are printed). Bounded: ROUNDS rounds, each a few seconds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OwnInfluxd } from '../../test/influxdb/own-influxd.js';

const ROUNDS = Number(process.env['ROUNDS'] ?? 20);
const SERIES = Number(process.env['SERIES'] ?? 5000);
const POINTS = Number(process.env['POINTS'] ?? 20);
const QUERIES = Number(process.env['QUERIES'] ?? 4);
const DELETE_AFTER_MS = Number(process.env['DELETE_AFTER_MS'] ?? 300);
const TASK = process.env['TASK'] !== '0';
const DELETE_WHEN = process.env['DELETE_WHEN'] === 'after' ? 'after' : 'during';
const OTHER = process.env['OTHER'] === '1';
const AFTER_WAIT_MS = Number(process.env['AFTER_WAIT_MS'] ?? 2000);
const QUERY_AFTER_MS = 1500;

const found = OwnInfluxd.findBinary();
if (!('bin' in found)) {
  console.error(found.problem);
  process.exit(2);
}
const server = await OwnInfluxd.start(found.bin);
const headers = { authorization: `Token ${server.token}` };

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
  return text === '' ? null : JSON.parse(text);
}

const healthy = () => fetch(`${server.url}/health`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);

function fatalLines(): string {
  try {
    const log = readFileSync(join(server.dir, 'influxd.log'), 'utf8');
    const i = log.search(/fatal error|SIGSEGV|panic:/);
    return i < 0 ? log.slice(-1500) : log.slice(i, i + 3000);
  } catch {
    return '(no log)';
  }
}

const orgID: string = (await api('GET', `/api/v2/orgs?org=${server.org}`)).orgs[0].id;
const now = BigInt(Date.now()) * 1_000_000n;
let queriesRun = 0;
let queryErrors = 0;
let queriesCancelled = 0;
let survived = 0;
const started = Date.now();

try {
  for (let round = 1; round <= ROUNDS; round++) {
    const name = `race-${round}`;
    const bucket = await api('POST', '/api/v2/buckets', { orgID, name, retentionRules: [] });
    const read = OTHER ? `other-${round}` : name;
    if (OTHER) await api('POST', '/api/v2/buckets', { orgID, name: read, retentionRules: [] });
    // SERIES series (tags a, b, c), POINTS points each over the last 20 minutes.
    for (const target of OTHER ? [name, read] : [name])
    for (let s0 = 0; s0 < SERIES; s0 += 1000) {
      const lines: string[] = [];
      for (let s = s0; s < Math.min(SERIES, s0 + 1000); s++) {
        for (let p = 0; p < POINTS; p++) {
          lines.push(`m,a=a${s % 50},b=b${s % 997},c=c${s} v=${p}i ${now - BigInt(p) * 60_000_000_000n}`);
        }
      }
      const res = await fetch(`${server.url}/api/v2/write?org=${server.org}&bucket=${target}&precision=ns`, { method: 'POST', headers, body: lines.join('\n') });
      if (res.status !== 204) throw new Error(`write: HTTP ${res.status} ${await res.text()}`);
    }
    const task = !TASK ? null : await api('POST', '/api/v2/tasks', {
      orgID,
      flux: `option task = {name: "${name}", every: 1s}\nfrom(bucket: "${read}") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "m") |> group(columns: ["a"]) |> count() |> yield()`,
    });
    const fluxes = [
      `from(bucket: "${read}") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "m" and r._field == "v")`,
      `from(bucket: "${read}") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "m") |> group(columns: ["a", "b"]) |> sum()`,
      `from(bucket: "${read}") |> range(start: -1h) |> group(columns: ["a"]) |> count()`,
    ];
    let stop = false;
    const loops = Array.from({ length: QUERIES }, async (_, q) => {
      for (let i = 0; !stop; i++) {
        // Every other loop cancels its query after 50 ms: influxd still reads when the client is gone.
        const signal = AbortSignal.timeout(q % 2 === 1 ? 50 : 30_000);
        queriesRun++;
        try {
          const res = await fetch(`${server.url}/api/v2/query?orgID=${orgID}`, {
            method: 'POST',
            headers: { ...headers, 'content-type': 'application/json', accept: 'application/csv' },
            body: JSON.stringify({ query: fluxes[(q + i) % fluxes.length], type: 'flux' }),
            signal,
          });
          await res.text();
          if (!res.ok) queryErrors++;
        } catch {
          if (signal.aborted && q % 2 === 1) queriesCancelled++;
          else queryErrors++;
          if (!(await healthy())) return;
        }
      }
    });
    await new Promise((r) => setTimeout(r, DELETE_AFTER_MS));
    if (DELETE_WHEN === 'after') {
      stop = true;
      await Promise.all(loops);
      if (task !== null) await api('DELETE', `/api/v2/tasks/${task.id}`).catch(() => undefined);
      await new Promise((r) => setTimeout(r, AFTER_WAIT_MS));
    }
    await api('DELETE', `/api/v2/buckets/${bucket.id}`).catch((e: Error) => console.log(`round ${round}: delete failed: ${e.message}`));
    await new Promise((r) => setTimeout(r, QUERY_AFTER_MS));
    stop = true;
    await Promise.all(loops);
    if (task !== null) await api('DELETE', `/api/v2/tasks/${task.id}`).catch(() => undefined);
    if (!(await healthy())) {
      console.log(`influxd DIED in round ${round} of ${ROUNDS} (${queriesRun} queries, ${queriesCancelled} cancelled, ${queryErrors} failed, ${((Date.now() - started) / 1000).toFixed(0)} s)`);
      console.log(fatalLines());
      process.exitCode = 1;
      break;
    }
    survived = round;
    console.log(`round ${round}: influxd alive (${queriesRun} queries so far, ${queriesCancelled} cancelled, ${queryErrors} failed)`);
  }
  if (survived === ROUNDS) console.log(`influxd SURVIVED ${ROUNDS} rounds (${SERIES} series, ${QUERIES} query loops, task ${TASK ? 'on' : 'off'}, reading ${OTHER ? 'another bucket' : 'the deleted bucket'}, delete ${DELETE_WHEN} queries at ${DELETE_AFTER_MS} ms; ${queriesRun} queries, ${queriesCancelled} cancelled, ${queryErrors} failed)`);
} finally {
  await server.destroy();
}
