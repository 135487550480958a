/**
 * First meaningful paint of the console's default view (the Sankey of the
 * top 10 client app -> server app pairs over the last hour) with the 10 M
 * records of bench:duckdb in the embedded store, in headless Chromium:
 * from navigation start to the mark the page sets once the chart is drawn
 * (performance.mark('console-painted')). Target: under 1.5 s.
 *
 * - cold: the first load after the gateway started, which includes esbuild
 *   bundling the page script (once per process);
 * - warm: ITERATIONS later loads, each in a fresh tab (no HTTP cache).
 *
 * Also prints the page script's size, minified and gzipped.
 *
 *   npm run bench:console            (RECORDS=10000000 ITERATIONS=10 by default)
 *
 * Run only when `uptime` shows a load under 3 (the machine is shared).
 */
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { gzipSync } from 'node:zlib';
import { chromiumPath, launch } from '../../test/console/browser.js';
import { HOUR, loadDataset } from '../duckdb/dataset.js';
import { fmt, machine, percentile } from '../support.js';

const RECORDS = Number(process.env['RECORDS'] ?? 10_000_000);
const ITERATIONS = Number(process.env['ITERATIONS'] ?? 10);

const path = chromiumPath();
if (path === null) throw new Error('no Chromium: run scripts/tools/chromium.sh');
console.log(`machine: ${machine()}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const data = await loadDataset(RECORDS, HOUR);
await data.gw.app.listen({ host: '127.0.0.1', port: 0 });
const url = `http://127.0.0.1:${(data.gw.app.server.address() as AddressInfo).port}/`;
const browser = await launch(path);

const breakdown: { script: number; viewer: number; view: number; viewEnd: number }[] = [];

/** One page load in a fresh tab: ms from navigation start to the painted mark, and what the view said. */
async function paint(): Promise<{ ms: number; summary: string }> {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  await page.setCacheEnabled(false);
  await page.goto(url);
  await page.waitForFunction(() => (globalThis as any).performance.getEntriesByName('console-painted').length > 0 || (globalThis as any).document.querySelector('#view').dataset.state === 'error', { timeout: 120_000 });
  const ms = await page.evaluate(() => ((globalThis as any).performance.getEntriesByName('console-painted')[0]?.startTime as number | undefined) ?? -1);
  const summary = await page.$eval('#view', (e) => (e as any).innerText.split('\n')[0] as string);
  // Where the time went: the script's arrival, and the GraphQL requests (viewer, then the view's one).
  const parts = await page.evaluate(() =>
    ((globalThis as any).performance.getEntriesByType('resource') as { name: string; startTime: number; responseEnd: number }[]).map((r) => ({ name: r.name, start: r.startTime, end: r.responseEnd })),
  );
  const js = parts.find((p) => p.name.endsWith('/console/app.js'));
  const gql = parts.filter((p) => p.name.endsWith('/graphql')).slice(0, 2);
  breakdown.push({ script: js?.end ?? NaN, viewer: gql[0] ? gql[0].end - gql[0].start : NaN, view: gql[1] ? gql[1].end - gql[1].start : NaN, viewEnd: gql[1]?.end ?? NaN });
  // Let the page finish its hint requests (sessionLabelNames after the paint): closing earlier leaves
  // them running on the store's one thread, in front of the next load's request.
  await page.waitForSelector('body[data-hints=ready]', { timeout: 120_000 });
  await ctx.close();
  if (ms < 0) throw new Error(`the view failed: ${summary}`);
  return { ms, summary };
}

try {
  const cold = await paint();
  console.log(`cold (bundle built on this load): ${fmt(cold.ms)} — ${cold.summary}`);
  const warm: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) warm.push((await paint()).ms);
  const warmParts = breakdown.slice(1);
  const p50 = (k: keyof (typeof breakdown)[number]) => fmt(percentile(warmParts.map((b) => b[k]), 50));
  console.log(`warm breakdown (p50): app.js received at ${p50('script')}, viewer query ${p50('viewer')}, the view's sessionTraffic ${p50('view')} (answered at ${p50('viewEnd')}); the rest to the mark is parsing, rendering the Sankey and the browser`);
  console.log(`warm: p50 ${fmt(percentile(warm, 50))}, p90 ${fmt(percentile(warm, 90))}, max ${fmt(Math.max(...warm))} over ${ITERATIONS} loads (target < 1500 ms)`);
  const js = await (await fetch(`${url}console/app.js`, { headers: { 'accept-encoding': 'identity' } })).text();
  console.log(`page script: ${(js.length / 1024).toFixed(0)} KiB minified, ${(gzipSync(js, { level: 9 }).length / 1024).toFixed(0)} KiB gzipped (target < 600 KB gzipped)`);
} finally {
  await browser.close();
  await data.close();
}
