import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { parseConfig, type Env } from '../../src/config/index.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { TOKEN_ENTRIES, TOKENS, yamlEntries } from '../access/support.js';

export { TOKENS };

/** Chromium's path: CHROMIUM_PATH, else what scripts/tools/chromium.sh finds; null when it is not installed. */
export function chromiumPath(env: Record<string, string | undefined> = process.env): string | null {
  const given = env['CHROMIUM_PATH'];
  if (given !== undefined && given !== '' && existsSync(given)) return given;
  try {
    const p = execFileSync('bash', [join(import.meta.dirname, '../../scripts/tools/chromium.sh'), 'path'], { encoding: 'utf8' }).trim();
    return p === '' ? null : p;
  } catch {
    return null;
  }
}

export async function launch(path: string): Promise<Browser> {
  return puppeteer.launch({
    executablePath: path,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--font-render-hinting=none'],
  });
}

export interface ConsoleServer {
  readonly gw: Gateway;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * A gateway listening on 127.0.0.1 with an embedded store (`path`, default
 * in memory), raw records kept 3 days so that the compared day is raw too;
 * with `auth`, the test tokens file of test/access.
 */
export async function consoleServer(options: { auth: boolean; path?: string; env?: Env; now?: bigint }): Promise<ConsoleServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sag-console-'));
  const env: Record<string, string | undefined> = { DUCKDB_PATH: options.path ?? ':memory:', RAW_RETENTION: '3d', DEAD_LETTER_PATH: join(dir, 'dead-letter.ndjson'), ...options.env };
  if (options.auth) {
    writeFileSync(join(dir, 'tokens.yaml'), yamlEntries(TOKEN_ENTRIES));
    env['AUTH_TOKENS_FILE'] = join(dir, 'tokens.yaml');
  }
  const now = options.now;
  const gw = await createGateway(parseConfig(env), { runJobs: false, logLevel: 'silent', ...(now === undefined ? {} : { clock: () => now }) });
  await gw.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (gw.app.server.address() as AddressInfo).port;
  return {
    gw,
    url: `http://127.0.0.1:${port}`,
    async close() {
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until the view (or the records, or the UVE panel) has rendered an answer or an error. */
export async function settled(page: Page, selector = '#view'): Promise<string> {
  // Callbacks run in the page; the test program has no DOM types.
  await page.waitForFunction((sel: string) => ['ready', 'error', 'auth'].includes((globalThis as any).document.querySelector(sel)?.dataset.state ?? ''), { timeout: 20_000 }, selector);
  return page.$eval(selector, (e) => (e as any).dataset.state ?? '');
}
