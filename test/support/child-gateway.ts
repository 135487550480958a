import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

/** A gateway process started as the image starts it (`node` running main, here through tsx's loader), on a port of its own. */
export interface ChildGateway {
  readonly proc: ChildProcess;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** Every log line it wrote, parsed. */
  readonly log: Record<string, unknown>[];
  /** Resolves with the exit code (or the signal that ended it). */
  readonly exited: Promise<number | string>;
  /** Sends SIGKILL if it is still running (afterAll). */
  kill(): void;
}

/**
 * Starts `src/main.ts` with `env` (plus PATH and HOME, PORT=0 and LOG_LEVEL
 * info) and resolves once it logged the address it listens on.
 */
export function startChildGateway(env: Record<string, string>, timeoutMs = 60_000): Promise<ChildGateway> {
  // `node --import tsx`, not the tsx CLI: that one is a second process relaying signals, the image's CMD is node itself.
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: Record<string, unknown>[] = [];
  let stderr = '';
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`the gateway did not listen within ${timeoutMs} ms: ${stderr.slice(-2000)}`));
    }, timeoutMs);
    let buffered = '';
    proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        log.push(entry);
        const m = /^Server listening at (http:\/\/127\.0\.0\.1:[0-9]+)$/.exec(String(entry['msg'] ?? ''));
        if (m !== null) {
          clearTimeout(timer);
          resolve({
            proc,
            url: m[1]!,
            log,
            exited,
            kill: () => {
              if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
            },
          });
        }
      }
    });
    proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited (${code}) before it listened: ${stderr.slice(-2000)}`));
    });
  });
}
