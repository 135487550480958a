/**
 * Forward protocol ingest with acknowledgements against HTTP ingest, in one
 * run (issue 16): two gateways in this process, each on its own DuckDB file,
 * fed the same fluentd-shaped records (bench/ingest/records.ts) over
 * loopback TCP in alternating rounds:
 *
 *  - HTTP: POST /ingest/sessions, one 5 000-record NDJSON body at a time
 *    (fluentd out_http), each answered after the commit;
 *  - forward: one connection, one PackedForward frame of the same 5 000
 *    records at a time with a `chunk`, the next sent once its ack came
 *    (fluentd out_forward with require_ack_response); and the same frames
 *    gzip-compressed (CompressedPackedForward, compress gzip).
 *
 * Then cutting and decoding frames alone: a 16 MiB PackedForward frame and
 * the same records as a Forward frame, read from 64 KiB socket chunks by
 * @msgpack/msgpack's streaming decoder against FrameSplitter handing each
 * whole frame to Decoder.decode (what the streaming decoder's re-copying of
 * an unfinished value costs; docs/decisions.md).
 *
 *   npm run bench:forward        (ROUNDS=6)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { Decoder, encode } from '@msgpack/msgpack';
import { parseConfig } from '../../src/config/index.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { EventTime, FORWARD_CODEC, frameDecoder } from '../../src/server/forward/index.js';
import { FrameSplitter } from '../../src/server/forward/frame-splitter.js';
import { bodies, RECORDS_PER_BODY } from '../ingest/records.js';
import { machine, percentile } from '../support.js';

const ROUNDS = Number(process.env['ROUNDS'] ?? 6);
const dir = mkdtempSync(join(tmpdir(), 'sag-forward-bench-'));
console.log(`machine: ${machine()}`);

async function gateway(name: string): Promise<Gateway> {
  return createGateway(parseConfig({ DUCKDB_PATH: join(dir, `${name}.duckdb`), DEAD_LETTER_PATH: join(dir, `${name}-dl.ndjson`), PORT: '0', FORWARD_PORT: '0' }), {
    runJobs: false,
    logLevel: 'silent',
  });
}

const ndjson = bodies();
const pack = (v: unknown) => encode(v, { extensionCodec: FORWARD_CODEC, useBigInt64: true });
/** The same records as msgpack entries: JSON.parse would lose the 19-digit times, so each is read as a BigInt first. */
const entries = ndjson.map((b) =>
  Buffer.concat(
    b
      .trimEnd()
      .split('\n')
      .map((line) => {
        const time = BigInt(/"time":(\d+)/.exec(line)![1]!);
        const record = JSON.parse(line) as Record<string, unknown>;
        record['time'] = time;
        return pack([new EventTime(time), record]);
      }),
  ),
);
const packed = entries.map((e, i) => Buffer.from(pack(['vrouter.session', e, { size: RECORDS_PER_BODY, chunk: `c${i}` }])));
const compressed = entries.map((e, i) => Buffer.from(pack(['vrouter.session', gzipSync(e), { size: RECORDS_PER_BODY, compressed: 'gzip', chunk: `z${i}` }])));
console.log(
  `bodies: ${ndjson.length} x ${RECORDS_PER_BODY} records; NDJSON ${(ndjson[0]!.length / 1024).toFixed(0)} KiB, PackedForward ${(packed[0]!.length / 1024).toFixed(0)} KiB, gzip ${(compressed[0]!.length / 1024).toFixed(0)} KiB per body`,
);

const http = await gateway('http');
const fwd = await gateway('forward');
const fwdZ = await gateway('forward-gzip');
const httpUrl = `${await http.app.listen({ host: '127.0.0.1', port: 0 })}/ingest/sessions`;
const fwdPort = await fwd.forward!.listen();
const fwdZPort = await fwdZ.forward!.listen();

async function httpRound(): Promise<number> {
  const start = performance.now();
  for (const b of ndjson) {
    const res = await fetch(httpUrl, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: b });
    const answer = (await res.json()) as { accepted: number };
    if (res.status !== 200 || answer.accepted !== RECORDS_PER_BODY) throw new Error(`HTTP ${res.status} ${JSON.stringify(answer).slice(0, 200)}`);
  }
  return performance.now() - start;
}

async function forwardRound(port: number, frames: readonly Buffer[]): Promise<number> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise((r) => socket.once('connect', r));
  const acks = new Decoder().decodeStream(socket as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const start = performance.now();
  for (let i = 0; i < frames.length; i++) {
    socket.write(frames[i]!);
    const ack = await acks.next();
    if (ack.done === true || (ack.value as { ack?: string }).ack === undefined) throw new Error(`no ack for frame ${i}`);
  }
  const ms = performance.now() - start;
  socket.destroy();
  return ms;
}

const results: Record<string, number[]> = { http: [], forward: [], 'forward gzip': [] };
for (let r = 0; r < ROUNDS; r++) {
  // Alternating order, so that neither way in always runs on a warmer process.
  const order = r % 2 === 0 ? ['http', 'forward', 'forward gzip'] : ['forward gzip', 'forward', 'http'];
  for (const k of order) {
    const ms = k === 'http' ? await httpRound() : k === 'forward' ? await forwardRound(fwdPort, packed) : await forwardRound(fwdZPort, compressed);
    results[k]!.push((ndjson.length * RECORDS_PER_BODY) / (ms / 1000));
  }
}
console.log(`\ningest, ${ROUNDS} alternating rounds of ${ndjson.length} x ${RECORDS_PER_BODY} records, one request or frame in flight (loopback, DuckDB file):`);
for (const [k, v] of Object.entries(results)) {
  console.log(`  ${k.padEnd(13)} median ${percentile(v, 50).toFixed(0).padStart(7)} records/s   (min ${Math.min(...v).toFixed(0)}, max ${Math.max(...v).toFixed(0)})`);
}
await http.close();
await fwd.close();
await fwdZ.close();

// --- cutting and decoding frames alone
{
  const limits = { maxFrameBytes: 64 << 20, maxDecompressedBytes: 64 << 20 };
  const parts: Buffer[] = [];
  let size = 0;
  for (let i = 0; size < 16 << 20; i = (i + 1) % entries.length) {
    parts.push(entries[i]!);
    size += entries[i]!.length;
  }
  // PackedForward: one big bin; Forward: the same records as an array of [time, record] (many small values).
  const packedBig = Buffer.from(pack(['vrouter.session', Buffer.concat(parts), { chunk: 'big' }]));
  const forwardBig = Buffer.from(pack(['vrouter.session', parts.flatMap((p) => [...frameDecoder(limits).decodeMulti(p)]), { chunk: 'big' }]));
  for (const [name, big] of [['PackedForward', packedBig], ['Forward', forwardBig]] as const) {
    const chunks: Buffer[] = [];
    for (let at = 0; at < big.length; at += 65536) chunks.push(big.subarray(at, at + 65536));
    const streamed: number[] = [];
    const split: number[] = [];
    for (let i = 0; i < 5; i++) {
      let t = performance.now();
      for await (const _v of frameDecoder(limits).decodeStream(Readable.from(chunks))) void _v;
      streamed.push(performance.now() - t);
      t = performance.now();
      const splitter = new FrameSplitter(limits.maxFrameBytes);
      const decoder = frameDecoder(limits);
      for (const c of chunks) for (const f of splitter.push(c)) decoder.decode(f);
      split.push(performance.now() - t);
    }
    console.log(`\n${name}, a ${(big.length / 2 ** 20).toFixed(1)} MiB frame from ${chunks.length} chunks of 64 KiB (the frame only; packed entries are decoded after):`);
    console.log(`  @msgpack/msgpack decodeStream      median ${percentile(streamed, 50).toFixed(1)} ms`);
    console.log(`  FrameSplitter + Decoder.decode     median ${percentile(split, 50).toFixed(1)} ms`);
  }
}
rmSync(dir, { recursive: true, force: true });
