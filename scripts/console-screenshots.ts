/**
 * Screenshots of each console view for the README (docs/console/*.png):
 * a gateway on an in-memory store with the browser test's data set, opened
 * in headless Chromium (scripts/tools/chromium.sh). Run: npm run console:screenshots
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumPath, consoleServer, launch, settled } from '../test/console/browser.js';
import { loadConsoleData } from '../test/console/fixture.js';

const out = join(import.meta.dirname, '../docs/console');
mkdirSync(out, { recursive: true });
const path = chromiumPath();
if (path === null) throw new Error('no Chromium: run scripts/tools/chromium.sh');
const now = BigInt(Date.now()) * 1_000_000n;
const server = await consoleServer({ auth: false, now });
await loadConsoleData(server.gw, now, 4000);
const browser = await launch(path);
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 900, deviceScaleFactor: 1 });
  const shot = async (name: string, query: string, wait: string[] = ['#view']) => {
    await page.goto(`${server.url}/${query}`);
    for (const sel of wait) await settled(page, sel);
    await new Promise((r) => setTimeout(r, 300));
    await page.screenshot({ path: join(out, `${name}.png`), fullPage: true });
    console.log(`docs/console/${name}.png`);
  };
  await shot('sankey', '');
  await shot('talkers', '?view=talkers&rank=CHANGE');
  await shot('series', '?view=series');
  await shot('records', '?view=talkers&pl=frontend&pr=cart', ['#view', '#records']);
  await shot('uve', '?f=label.local.namespace~eq~shop&uveType=virtual-network&uveName=default-domain%3Ak8s-shop%3Ashop-pod-network', ['#view', '#uve']);
} finally {
  await browser.close();
  await server.close();
}
