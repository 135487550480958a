import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { createGateway } from '../../src/gateway.js';
import { startChildGateway, type ChildGateway } from '../support/child-gateway.js';
import { stored } from '../ingest/support.js';

const WORKERS = 6;
const PER_REQUEST = 300;

/**
 * SIGTERM under load, as Kubernetes sends it: a gateway process on the
 * embedded store takes ingest from six senders; mid-way it gets SIGTERM;
 * once it exited the store is opened again. Every record that was answered
 * 2xx must be there, every refusal is a 503 with Retry-After, and the
 * process exits 0 after a drain.
 */
describe('SIGTERM under ingest load (a gateway process on the embedded store)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sigterm-test-'));
  const env = { DUCKDB_PATH: join(dir, 'gateway.duckdb'), DEAD_LETTER_PATH: join(dir, 'dead-letter.ndjson'), SHUTDOWN_DRAIN_TIMEOUT: '20s' };
  let child: ChildGateway | undefined;
  afterAll(() => {
    child?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores every acknowledged record, refuses with 503 + Retry-After, answers /ready 503, and exits 0', async () => {
    child = await startChildGateway(env);
    const { url } = child;
    // Records a minute old (within RAW_RETENTION), each with a nanosecond of its own: the time identifies it.
    const base = `${new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000).toISOString().slice(0, 19)}.`;
    let seq = 0;
    const acked = new Set<bigint>();
    const statuses = new Map<string, number>();
    const baseNs = BigInt(Date.parse(`${base.slice(0, 19)}Z`)) * 1_000_000n;
    let signalled = false;
    let exited = false;
    void child.exited.then(() => (exited = true));

    const sender = async () => {
      while (!exited) {
        const first = seq;
        seq += PER_REQUEST;
        const body = Array.from({ length: PER_REQUEST }, (_, i) =>
          JSON.stringify({
            time: `${base}${String(first + i).padStart(9, '0')}Z`,
            vn: 'default-domain:k8s-shop:shop-pod-network',
            remote_vn: 'default-domain:k8s-billing:billing-pod-network',
            vrouter_ip: '192.168.0.11',
            local_ip: '10.244.1.5',
            client_port: 40000 + ((first + i) % 20000),
            remote_ip: '10.244.7.9',
            server_port: 8443,
            protocol: 6,
            forward_sampled_bytes: 100,
            forward_sampled_pkts: 1,
            reverse_sampled_bytes: 200,
            reverse_sampled_pkts: 2,
          }),
        ).join('\n');
        let res: Response;
        try {
          res = await fetch(`${url}/ingest/sessions`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
        } catch {
          // No answer (the listener went, or the connection was closed): not acknowledged, proves nothing.
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        const text = await res.text();
        const key = `${res.status}${res.status === 503 ? ` retry-after=${res.headers.get('retry-after')}` : ''}${signalled ? ' after' : ' before'}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        if (res.status === 200) {
          expect(JSON.parse(text)).toMatchObject({ accepted: PER_REQUEST, rejected: 0 });
          for (let i = 0; i < PER_REQUEST; i++) acked.add(baseNs + BigInt(first + i));
        }
      }
    };
    const ready: number[] = [];
    const readyPoller = async () => {
      while (!signalled) await new Promise((r) => setTimeout(r, 2));
      while (!exited) {
        try {
          ready.push((await fetch(`${url}/ready`)).status);
        } catch {
          // A kept-alive connection the closing listener reset, or the listener is gone.
          await new Promise((r) => setTimeout(r, 2));
        }
      }
    };
    const senders = Array.from({ length: WORKERS }, sender);
    const poller = readyPoller();
    // Load for a while, then the signal while requests are in flight.
    while (acked.size < 20 * PER_REQUEST) await new Promise((r) => setTimeout(r, 20));
    signalled = true;
    child.proc.kill('SIGTERM');
    const code = await child.exited;
    if (code !== 0) console.log(JSON.stringify(child.log.slice(-8)));
    expect(code).toBe(0);
    await Promise.all([...senders, poller]);

    // Only 200 before the signal; after it 200 (it got in), or 503 with Retry-After.
    for (const key of statuses.keys()) expect(['200 before', '200 after', '503 retry-after=1 after']).toContain(key);
    expect(ready.every((s) => s === 200 || s === 503)).toBe(true);
    // /ready may still say 200 until the signal is handled; once it said 503, never 200 again.
    const draining = ready.indexOf(503);
    expect(draining === -1 ? [] : ready.slice(draining).filter((s) => s !== 503)).toEqual([]);
    expect(child.log.some((l) => String(l['msg']).startsWith('stopped: every acknowledged write is stored'))).toBe(true);

    const reopened = await createGateway(parseConfig(env), { runJobs: false, logLevel: 'silent', defaultMetrics: false });
    try {
      const times = new Set((await stored(reopened)).map((r) => r.time));
      const missing = [...acked].filter((t) => !times.has(t));
      expect(missing).toEqual([]);
      expect(acked.size).toBeGreaterThanOrEqual(20 * PER_REQUEST);
      console.log(`sigterm: ${acked.size} records acknowledged, ${times.size} stored; answers ${JSON.stringify(Object.fromEntries(statuses))}; /ready after the signal ${JSON.stringify(ready.slice(0, 5))}... (${ready.length})`);
    } finally {
      await reopened.close();
    }
  }, 120_000);
});
