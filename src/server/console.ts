import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';

/** console/ at the package root, from src/server/ and from dist/server/ alike. */
const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

export interface ConsoleBundle {
  readonly js: string;
  /** The same, gzipped once (level 9): what a browser that accepts gzip gets. */
  readonly gzip: Buffer;
  /** Milliseconds esbuild took. */
  readonly buildMs: number;
}

let bundle: Promise<ConsoleBundle> | undefined;

/**
 * The console's page script: console/src/main.ts and the parts of ECharts it
 * imports, bundled and minified by esbuild in memory on first use and kept
 * for the life of the process (docs/decisions.md: bundle at start). A failed
 * build is not kept, so the next request tries again.
 */
export function consoleBundle(): Promise<ConsoleBundle> {
  bundle ??= (async () => {
    const started = performance.now();
    const { build } = await import('esbuild');
    const out = await build({
      entryPoints: [`${CONSOLE_DIR}src/main.ts`],
      tsconfig: `${CONSOLE_DIR}tsconfig.json`,
      bundle: true,
      minify: true,
      format: 'esm',
      target: 'es2020',
      platform: 'browser',
      write: false,
      legalComments: 'none',
      logLevel: 'silent',
      define: { 'process.env.NODE_ENV': '"production"' },
    });
    const js = out.outputFiles[0]!.text;
    return { js, gzip: gzipSync(js, { level: 9 }), buildMs: performance.now() - started };
  })().catch((e: unknown) => {
    bundle = undefined;
    throw e;
  });
  return bundle;
}

/**
 * The flow console (docs/console.md): its page at / and its script at
 * /console/app.js, both public like the playground (the page asks for a
 * token when the gateway needs one; every GraphQL request it makes is
 * authenticated as usual).
 */
export function consoleRoutes(app: FastifyInstance): void {
  let html: Promise<string> | undefined;
  app.get('/', async (_req, reply) => {
    // Start the bundle now: the browser asks for it as soon as it reads the page.
    void consoleBundle().catch(() => undefined);
    html ??= readFile(`${CONSOLE_DIR}index.html`, 'utf8');
    return reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-cache').send(await html);
  });
  app.get('/console/app.js', async (req, reply) => {
    let b: ConsoleBundle;
    try {
      b = await consoleBundle();
    } catch (e) {
      app.log.error({ err: e }, 'the console bundle failed to build');
      return reply.code(500).header('content-type', 'text/plain; charset=utf-8').send(`the console bundle failed to build: ${(e as Error).message}`);
    }
    reply.header('content-type', 'text/javascript; charset=utf-8').header('cache-control', 'no-cache').header('vary', 'accept-encoding');
    if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) return reply.header('content-encoding', 'gzip').send(b.gzip);
    return reply.send(b.js);
  });
}
