/**
 * SessionEndpoint bodies alone through the ingest layer (no HTTP, a store
 * that keeps nothing), for profiling that path:
 *   node --cpu-prof --import tsx bench/ingest/session-layer.ts
 * FLAT=0 reads them on the reference path alone.
 */
import { SessionIngest } from '../../src/ingest/index.js';
import { AGGS_PER_MESSAGE, BODIES, SESSIONS_PER_AGG, sessionBody } from './records.js';
import { captureStore } from '../../test/support/capture-ingest.js';

const MS = Number(process.env['LAYER_MS'] ?? 5000);
const store = captureStore();
let rejected = 0;
const ingest = new SessionIngest({
  store,
  deadLetters: { append: (e) => ((rejected += e.length), Promise.resolve()), close: () => Promise.resolve() },
  clock: () => 1_795_600_800_000_000_000n,
  limits: { maxRecords: 50_000, maxLabels: 64 },
  flatLane: process.env['FLAT'] !== '0',
});
const texts = Array.from({ length: BODIES }, (_, b) => sessionBody(b));
const buffers = texts.map((t) => Buffer.from(t, 'utf8'));
let records = 0;
const start = performance.now();
while (performance.now() - start < MS) {
  for (const b of buffers) {
    const r = await ingest.ingestBody(b, 'json', 'http:/ingest/sessions');
    records += r.accepted + r.rejected;
  }
}
const rate = records / ((performance.now() - start) / 1000);
let parsed = 0;
const p0 = performance.now();
while (performance.now() - p0 < 1500) for (const t of texts) parsed += (JSON.parse(t) as unknown[]).length * AGGS_PER_MESSAGE * SESSIONS_PER_AGG;
const parseRate = parsed / ((performance.now() - p0) / 1000);
if (rejected > 0) throw new Error(`${rejected} records were rejected`);
console.log(`SessionEndpoint bodies: ${Math.round(rate / 1000)}k records/s; JSON.parse ${Math.round(parseRate / 1000)}k; ratio ${(rate / parseRate).toFixed(3)}`);
