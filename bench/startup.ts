/**
 * Start-up to a 200 on /health with an empty store (target: under 2 s), for
 * `npm start` (tsx from source), tsx directly, and the built `node dist/main.js`.
 *
 *   npm run bench:startup        (RUNS=5; builds dist/ first if missing)
 */
import { spawn, execSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, machine, percentile } from './support.js';

const RUNS = Number(process.env['RUNS'] ?? 5);
if (!existsSync('dist/main.js')) execSync('npm run build', { stdio: 'inherit' });

async function once(cmd: string, args: string[], port: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'sag-start-'));
  const start = performance.now();
  const child = spawn(cmd, args, {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DUCKDB_PATH: join(dir, 'g.duckdb'), LOG_LEVEL: 'error' },
    stdio: 'ignore',
    detached: true,
  });
  try {
    for (;;) {
      if (performance.now() - start > 20_000) throw new Error(`${cmd} did not answer /health within 20 s`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/health`);
        if (res.status === 200) return performance.now() - start;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`machine: ${machine()}`);
const variants: Array<[string, string, string[]]> = [
  ['npm start (tsx from source)', 'npm', ['start', '--silent']],
  ['tsx src/main.ts', 'node_modules/.bin/tsx', ['src/main.ts']],
  ['node dist/main.js', 'node', ['dist/main.js']],
];
for (const [name, cmd, args] of variants) {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(await once(cmd, args, 4600 + i));
  console.log(`${name.padEnd(30)} p50 ${fmt(percentile(samples, 50))}  max ${fmt(Math.max(...samples))}  (target < 2000 ms)`);
}
