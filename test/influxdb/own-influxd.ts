import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port.js';

/**
 * An influxd of a test's own, on a free port with its own data directory,
 * which the test may stop and start again on the same data (the shared
 * server of scripts/services/influxdb.sh starts fresh each time, and other
 * suites use it). The binary is the one that script built.
 */
export class OwnInfluxd {
  readonly org = 'sag';
  readonly token = `own-${process.pid}-${Date.now()}-token`;
  private child: ChildProcess | undefined;
  private constructor(
    readonly bin: string,
    readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The influxd binary, or why there is none. */
  static findBinary(): { bin: string } | { problem: string } {
    const fromEnv = process.env['INFLUXD_BIN'];
    if (fromEnv !== undefined && fromEnv !== '') return existsSync(fromEnv) ? { bin: fromEnv } : { problem: `INFLUXD_BIN=${fromEnv} does not exist` };
    try {
      const bin = execFileSync('bash', ['scripts/services/influxdb.sh', 'bin'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
      return { bin };
    } catch {
      return { problem: 'influxd is not built (scripts/services/influxdb.sh build)' };
    }
  }

  /** Starts a fresh, onboarded server. */
  static async start(bin: string): Promise<OwnInfluxd> {
    const server = new OwnInfluxd(bin, mkdtempSync(join(tmpdir(), 'sag-influxd-')), await freePort());
    await server.resume();
    const res = await fetch(`${server.url}/api/v2/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'sag', password: 'sag-password', org: server.org, bucket: 'default', token: server.token }),
    });
    if (res.status !== 201) throw new Error(`onboarding answered HTTP ${res.status}: ${await res.text()}`);
    return server;
  }

  /** Starts influxd on the same port and data, and waits until it is healthy. */
  async resume(): Promise<void> {
    if (this.child !== undefined) throw new Error('already running');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INFLUXD_')));
    const log = openSync(join(this.dir, 'influxd.log'), 'a');
    // `timeout` ends a server the test forgot (a crashed run); it passes SIGINT on to influxd.
    const child = spawn(
      'timeout',
      [
        '-s', 'INT', '--kill-after=30', '900', this.bin,
        '--http-bind-address', `127.0.0.1:${this.port}`,
        '--reporting-disabled',
        '--bolt-path', join(this.dir, 'influxd.bolt'),
        '--engine-path', join(this.dir, 'engine'),
        '--sqlite-path', join(this.dir, 'influxd.sqlite'),
        '--log-level', 'warn',
      ],
      { cwd: this.dir, env, stdio: ['ignore', log, log] },
    );
    closeSync(log);
    this.child = child;
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`influxd exited (${code}): ${this.logTail()}`))));
    exited.catch(() => undefined);
    for (let i = 0; i < 300; i++) {
      const healthy = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
      if (healthy) return;
      await Promise.race([new Promise((resolve) => setTimeout(resolve, 100)), exited]);
    }
    throw new Error(`influxd did not become healthy: ${this.logTail()}`);
  }

  /** Stops influxd (SIGINT, its clean shutdown) and waits until it is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await gone;
    clearTimeout(timer);
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private logTail(): string {
    try {
      return readFileSync(join(this.dir, 'influxd.log'), 'utf8').slice(-2000);
    } catch {
      return '(no log)';
    }
  }
}

