/**
 * The ingest layer alone, in one process, no HTTP: how many session records
 * per second `SessionIngest.ingestBody` takes from NDJSON bodies (the
 * records of records.ts) to `store.write`, with a store that confirms at
 * once and keeps nothing and a dead-letter sink that keeps nothing; with the
 * flat record lane (the default) and on the reference path alone
 * (`flatLane: false`), as NDJSON and as JSON arrays. For scale it also measures, in the same run,
 * `JSON.parse` of each line of the same bodies, and prints the ratios
 * (ingest / JSON.parse).
 *
 *   npm run bench:ingest:layer               # about 5 s of ingest
 *   LAYER_MS=10000 npx tsx bench/ingest/layer.ts
 *   node --cpu-prof --import tsx bench/ingest/layer.ts   # profile it
 */
import { SessionIngest } from '../../src/ingest/index.js';
import type { DeadLetter, DeadLetterSink } from '../../src/ingest/dead-letter.js';
import { AGGS_PER_MESSAGE, BODIES, SESSIONS_PER_AGG, bodies, sessionBody } from './records.js';
import { captureStore } from '../../test/support/capture-ingest.js';

const MS = Number(process.env['LAYER_MS'] ?? 5000);

/** Confirms every write at once; no findIdempotency, so keys are ignored. */
const store = captureStore();

let rejected = 0;
const deadLetters: DeadLetterSink = {
  append: (entries: readonly DeadLetter[]) => {
    rejected += entries.length;
    return Promise.resolve();
  },
  close: () => Promise.resolve(),
};

const ingest = (flatLane: boolean) =>
  new SessionIngest({
    store,
    deadLetters,
    clock: () => 1_795_600_800_000_000_000n,
    limits: { maxRecords: 50_000, maxLabels: 64 },
    flatLane,
  });
const withLane = ingest(true);
const reference = ingest(false);

const texts = bodies();
const buffers = texts.map((t) => Buffer.from(t, 'utf8'));
// The same records as fluentd's json_array sends them: one JSON array a body.
const arrays = texts.map((t) => Buffer.from(`[${t.trimEnd().split('\n').join(',\n')}]`, 'utf8'));
const lines = texts.flatMap((t) => t.split('\n').filter((l) => l !== ''));
// SessionEndpoint messages expanding to as many records (records.ts), as one JSON array a body.
const sessionTexts = Array.from({ length: BODIES }, (_, b) => sessionBody(b));
const sessions = sessionTexts.map((t) => Buffer.from(t, 'utf8'));

/** Records per second of ingestBody over the bodies, for about `ms`. */
async function ingestRate(ingest: SessionIngest, ms: number, format: 'ndjson' | 'json' | 'session' = 'ndjson'): Promise<number> {
  let records = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (const b of format === 'ndjson' ? buffers : format === 'json' ? arrays : sessions) {
      const r = await ingest.ingestBody(b, format === 'ndjson' ? 'ndjson' : 'json', 'http:/ingest/sessions');
      records += r.accepted + r.rejected;
    }
  }
  return records / ((performance.now() - start) / 1000);
}

/** Records per second of JSON.parse over every line of the bodies, for about `ms`. */
function parseRate(ms: number): number {
  let records = 0;
  let keep = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (const l of lines) keep += (JSON.parse(l) as { protocol: number }).protocol;
    records += lines.length;
  }
  if (keep === 0) console.log(''); // keeps the parse from being optimised away
  return records / ((performance.now() - start) / 1000);
}

await ingestRate(withLane, 500); // warm up
await ingestRate(reference, 500);
parseRate(300);
const lanePerS = await ingestRate(withLane, MS);
const referencePerS = await ingestRate(reference, MS / 2);
await ingestRate(withLane, 300, 'json');
const laneJsonPerS = await ingestRate(withLane, MS / 2, 'json');
const referenceJsonPerS = await ingestRate(reference, MS / 2, 'json');
const parsePerS = parseRate(Math.max(1000, MS / 2));
await ingestRate(withLane, 300, 'session');
const laneSessionPerS = await ingestRate(withLane, MS / 2, 'session');
const referenceSessionPerS = await ingestRate(reference, MS / 2, 'session');
/** Records per second of JSON.parse of the SessionEndpoint bodies whole. */
const sessionParsePerS = (() => {
  let records = 0;
  const start = performance.now();
  while (performance.now() - start < Math.max(1000, MS / 2)) {
    for (const t of sessionTexts) records += (JSON.parse(t) as unknown[]).length * AGGS_PER_MESSAGE * SESSIONS_PER_AGG;
  }
  return records / ((performance.now() - start) / 1000);
})();
if (rejected > 0) throw new Error(`${rejected} records were rejected; the benchmark's records should all be valid`);
const k = (n: number) => `${Math.round(n / 1000)}k`;
const ratio = (n: number) => (n / parsePerS).toFixed(3);
console.log(`JSON.parse per line: ${k(parsePerS)} records/s`);
console.log(`ingestBody with the flat record lane: ${k(lanePerS)} records/s  ratio: ${ratio(lanePerS)}`);
console.log(`ingestBody on the reference path:     ${k(referencePerS)} records/s  ratio: ${ratio(referencePerS)}`);
console.log(`the same as JSON arrays (fluentd's json_array): ${k(laneJsonPerS)} records/s with the lane, ${k(referenceJsonPerS)} on the reference path`);
console.log(`SessionEndpoint messages (JSON.parse of the bodies ${k(sessionParsePerS)} records/s): ${k(laneSessionPerS)} records/s with the lanes  ratio: ${(laneSessionPerS / sessionParsePerS).toFixed(3)}, ${k(referenceSessionPerS)} on the reference path  ratio: ${(referenceSessionPerS / sessionParsePerS).toFixed(3)}`);
