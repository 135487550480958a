import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { flat, ingestGateway, stored, type IngestGateway } from '../ingest/support.js';
import { EventTime, RawClient, pack } from './support.js';

/**
 * The real Go forward client (github.com/fluent/fluent-logger-golang with
 * RequestAck), built by scripts/tools/forward-client.sh into a cache outside
 * the work tree; .ci/run builds it first. Outside CI the suite skips when Go
 * or the module proxy is not there; in CI it fails.
 */
function buildClient(): { bin: string } | { error: string } {
  const r = spawnSync('bash', [join(import.meta.dirname, '../../scripts/tools/forward-client.sh')], { encoding: 'utf8', timeout: 300_000 });
  return r.status === 0 ? { bin: r.stdout.trim() } : { error: `forward-client.sh failed (${r.status ?? r.signal}): ${r.stderr.slice(-2000)}` };
}

const built = buildClient();
const inCi = process.env['CI'] === 'true';

/** Runs the client with NDJSON records on stdin; resolves with its exit code and output. */
function runClient(bin: string, args: string[], records: unknown[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out, err });
    });
    child.stdin.end(records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  });
}

async function metric(g: IngestGateway, name: string): Promise<number> {
  const text = (await g.app.inject({ method: 'GET', url: '/metrics' })).body;
  return Number(text.split('\n').find((l) => l.startsWith(`${name} `))?.split(' ')[1]);
}

describe.skipIf(!('bin' in built) && !inCi)('forward listener against fluent-logger-golang (RequestAck)', () => {
  const bin = () => {
    if (!('bin' in built)) throw new Error(built.error);
    return built.bin;
  };
  let dir: string;
  let gw: IngestGateway | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sag-forward-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await gw?.cleanup();
    gw = undefined;
  });

  it('stores every record the Go client sends and acknowledges each after the store', async () => {
    gw = await ingestGateway({ FORWARD_PORT: '0' });
    const port = await gw.forward!.listen();
    const records = Array.from({ length: 25 }, () => flat());
    const r = await runClient(bin(), ['-port', String(port), '-tag', 'vrouter.session'], records);
    expect(r.err).toBe('');
    expect([r.code, r.out.trim()]).toEqual([0, 'sent 25']);
    expect((await stored(gw)).length).toBe(25);
    expect(await metric(gw, 'sag_forward_acks_total')).toBe(25);
  });

  it('sends UVEs under a .uve tag, with integer-second times', async () => {
    gw = await ingestGateway({ FORWARD_PORT: '0' });
    const port = await gw.forward!.listen();
    const r = await runClient(bin(), ['-port', String(port), '-tag', 'contrail.uve', '-subsecond=false'], [
      { type: 'virtual-network', name: 'vn-go', document: { UveVirtualNetworkAgent: { in_bytes: 9 } } },
    ]);
    expect([r.code, r.out.trim()]).toEqual([0, 'sent 1']);
    expect(await metric(gw, 'sag_forward_records_total{outcome="accepted"}')).toBe(1);
  });

  it('speaks TLS (FORWARD_TLS_CERT, FORWARD_TLS_KEY) with the Go client and a raw TLS client', async () => {
    gw = await ingestGateway({ FORWARD_PORT: '0', FORWARD_TLS_CERT: join(dir, 'cert.pem'), FORWARD_TLS_KEY: join(dir, 'key.pem') });
    const port = await gw.forward!.listen();
    const r = await runClient(bin(), ['-port', String(port), '-tls'], [flat(), flat()]);
    expect([r.code, r.out.trim(), r.err]).toEqual([0, 'sent 2', '']);
    const c = await RawClient.open(port, true);
    c.send(pack(['vrouter.session', new EventTime(1_795_600_000_000_000_000n), flat(), { chunk: 'tls' }]));
    expect(await c.next()).toEqual({ ack: 'tls' });
    c.end();
    // A plain-TCP client on the TLS port gets nothing stored and does not hurt the listener.
    const plain = await RawClient.open(port);
    plain.send(pack(['vrouter.session', new EventTime(1_795_600_000_000_000_000n), flat(), { chunk: 'clear' }]));
    expect(await plain.closedWithin()).toBe(true);
    expect((await stored(gw)).length).toBe(3);
  });
});
