import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { backendUnavailable } from '../../src/model/index.js';
import type { SessionStore } from '../../src/stores/types.js';
import { gql } from '../support/gateway.js';
import { flat, ingestGateway, stored, type IngestGateway } from '../ingest/support.js';
import { EventTime, RawClient, pack } from './support.js';

const T = 1_795_600_000_123_456_789n;
const entries = (...es: unknown[]) => Buffer.concat(es.map((e) => pack(e)));
const uve = (name: string, inBytes: number) => ({ type: 'virtual-network', name, document: { UveVirtualNetworkAgent: { in_bytes: inBytes } } });

let gw: IngestGateway | undefined;
afterEach(async () => {
  await gw?.cleanup();
  gw = undefined;
});

async function start(env: Record<string, string> = {}, decorate?: (s: SessionStore) => SessionStore): Promise<{ gw: IngestGateway; port: number }> {
  gw = await ingestGateway({ FORWARD_PORT: '0', ...env }, decorate === undefined ? {} : { decorateSessions: decorate });
  return { gw, port: await gw.forward!.listen() };
}

async function metric(g: IngestGateway, name: string): Promise<number> {
  const text = (await g.app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

describe('forward listener: modes and acknowledgements', () => {
  it('stores Message, Forward, PackedForward and CompressedPackedForward records and acks each chunk after the store', async () => {
    const { gw, port } = await start();
    const c = await RawClient.open(port);
    const r = [flat(), flat(), flat(), flat(), flat(), flat()];
    c.send(pack(['vrouter.session', new EventTime(T), r[0], { chunk: 'm' }]));
    expect(await c.next()).toEqual({ ack: 'm' });
    c.send(pack(['vrouter.session', [[new EventTime(T), r[1]], [new EventTime(T), r[2]]], { chunk: 'f' }]));
    expect(await c.next()).toEqual({ ack: 'f' });
    c.send(pack(['vrouter.session', entries([new EventTime(T), r[3]], [1_795_600_000, r[4]]), { size: 2, chunk: 'p' }]));
    expect(await c.next()).toEqual({ ack: 'p' });
    c.send(pack(['vrouter.session', gzipSync(entries([new EventTime(T), r[5]])), { size: 1, compressed: 'gzip', chunk: 'z' }]));
    expect(await c.next()).toEqual({ ack: 'z' });
    // Without a chunk option nothing is answered, and the record is still stored.
    c.send(pack(['vrouter.session', new EventTime(T), flat()]));
    c.send(pack(['vrouter.session', new EventTime(T), flat(), { chunk: 'last' }]));
    expect(await c.next()).toEqual({ ack: 'last' });
    expect((await stored(gw)).length).toBe(8);
    expect(await metric(gw, 'sag_forward_acks_total')).toBe(5);
    expect(await metric(gw, 'sag_forward_connections')).toBe(1);
    c.end();
    await c.closedWithin();
  });

  it('keeps rejected records in the dead-letter log and stores their valid neighbours; a flat record without time takes the event time', async () => {
    const { gw, port } = await start();
    const c = await RawClient.open(port);
    const { time: _t, ...untimed } = flat();
    c.send(pack(['vrouter.session', [[new EventTime(T), untimed], [new EventTime(T), { ...flat(), protocol: 'tcp' }], [new EventTime(T), 'nope']], { chunk: 'x' }]));
    expect(await c.next()).toEqual({ ack: 'x' });
    const rows = await stored(gw);
    expect(rows.map((r) => r.time)).toEqual([T]);
    const dead = gw.deadLetterLines();
    expect(dead.map((d) => [d['source'], d['index']])).toEqual([
      ['forward:sessions:vrouter.session', 1],
      ['forward:sessions:vrouter.session', 2],
    ]);
    expect(String(dead[0]!['reason'])).toMatch(/^entries\[1\]: protocol/);
    expect(dead[1]!['reason']).toBe('entries[2]: record: must be a map');
    expect(await metric(gw, 'sag_forward_records_total{outcome="rejected"}')).toBe(2);
    c.end();
  });

  it('sends a tag ending in .uve or .uves to the UVE store, and replays its dead letters as UVEs', async () => {
    const { gw, port } = await start();
    const c = await RawClient.open(port);
    c.send(pack(['contrail.uves', [[new EventTime(T), uve('vn-a', 5)], [new EventTime(T), { ...uve('vn-b', 1), type: '../x' }]], { chunk: 'u' }]));
    expect(await c.next()).toEqual({ ack: 'u' });
    const res = await gql(gw.app, `{ uve(type: "virtual-network", name: "vn-a") { value(path: "UveVirtualNetworkAgent.in_bytes") } }`);
    expect(res.data?.['uve']).toEqual({ value: 5 });
    const [dead] = gw.deadLetterLines();
    expect(dead).toMatchObject({ source: 'forward:uves:contrail.uves', index: 1 });
    const list = await gql(gw.app, '{ deadLetters { nodes { id source } } }');
    const [entry] = list.data!['deadLetters']['nodes'] as { id: string; source: string }[];
    expect(entry!.source).toBe('forward:uves:contrail.uves');
    const replay = await gql(gw.app, `mutation($ids: [ID!]!) { replayDeadLetters(ids: $ids) { accepted rejected errors { message } } }`, { ids: [entry!.id] });
    expect(JSON.stringify(replay)).toContain('is not a UVE type');
    c.end();
  });

  it('keeps a frame that is msgpack but not a forward message whole, and acks it when its chunk is readable', async () => {
    const { gw, port } = await start();
    const c = await RawClient.open(port);
    c.send(pack([42, [[1, flat()]], { chunk: 'k' }]));
    expect(await c.next()).toEqual({ ack: 'k' });
    c.send(pack(['t', new Uint8Array([9, 9, 9]), { compressed: 'gzip', chunk: 'g' }]));
    expect(await c.next()).toEqual({ ack: 'g' });
    expect(gw.deadLetterLines().map((d) => [d['source'], String(d['reason']).slice(0, 20)])).toEqual([
      ['forward', 'tag: must be a non-e'],
      ['forward:sessions:t', 'entries: not gzip da'],
    ]);
    c.end();
  });
});

describe('forward listener: hostile frames', () => {
  it('closes the connection of each hostile stream unacknowledged, stores nothing of it, and serves other connections meanwhile', async () => {
    const { gw, port } = await start({ FORWARD_MAX_FRAME_BYTES: String(1 << 20) });
    const good = await RawClient.open(port);
    const attacks: [string, Buffer][] = [
      // a str32 declaring 2 GB for the tag
      ['2 GB declared length', Buffer.from([0x93, 0xdb, 0x7f, 0xff, 0xff, 0xff, 0x61])],
      ['2 GB declared bin of entries', Buffer.concat([Buffer.from([0x93]), pack('t'), Buffer.from([0xc6, 0x7f, 0xff, 0xff, 0xff]), Buffer.alloc(1000)])],
      ['garbage bytes', Buffer.from([0xc1, 0xc1, 0xc1, 0xc1])],
      ['a map with an array key', Buffer.from([0x81, 0x91, 0x01, 0x01])],
      ['past FORWARD_MAX_FRAME_BYTES', Buffer.concat([Buffer.from([0x93]), pack('t'), Buffer.from([0xc6, 0x00, 0x20, 0x00, 0x00]), Buffer.alloc(2 << 20)])],
      ['a gzip bomb in CompressedPackedForward', Buffer.from(pack(['t', gzipSync(Buffer.alloc(64 << 20)), { compressed: 'gzip', chunk: 'bomb' }]))],
    ];
    for (const [name, bytes] of attacks) {
      const c = await RawClient.open(port);
      c.send(bytes);
      expect(await c.closedWithin(), name).toBe(true);
      expect(await c.next(10), name).toBeNull();
      // The good connection is still served between attacks.
      good.send(pack(['vrouter.session', new EventTime(T), flat(), { chunk: name }]));
      expect(await good.next(), name).toEqual({ ack: name });
    }
    expect((await stored(gw)).length).toBe(attacks.length);
    expect(gw.deadLetterLines()).toEqual([]);
    expect(await metric(gw, 'sag_forward_disconnects_total{reason="malformed"}')).toBe(2);
    expect(await metric(gw, 'sag_forward_disconnects_total{reason="frame_too_large"}')).toBe(4);
    good.end();
  });

  it('a truncated frame is never acknowledged nor stored: the sender sends it again', async () => {
    const { gw, port } = await start();
    const bytes = pack(['vrouter.session', [[new EventTime(T), flat()], [new EventTime(T), flat()]], { chunk: 'trunc' }]);
    const c = await RawClient.open(port);
    c.send(bytes.subarray(0, bytes.length - 10));
    c.end();
    const d = await RawClient.open(port);
    d.send(pack(['vrouter.session', new EventTime(T), flat(), { chunk: 'after' }]));
    expect(await d.next()).toEqual({ ack: 'after' });
    expect((await stored(gw)).length).toBe(1);
    d.end();
  });
});

describe('forward listener: backpressure and store failures', () => {
  it('closes unacknowledged past the in-flight budget, and acks the held chunk once stored', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const { gw, port } = await start({ INGEST_MAX_RECORDS: '2', INGEST_MAX_INFLIGHT_RECORDS: '2' }, (s) =>
      Object.assign(Object.create(s) as SessionStore, {
        write: async (...args: Parameters<SessionStore['write']>) => {
          if (calls++ === 0) await gate;
          return s.write(...args);
        },
      }),
    );
    const a = await RawClient.open(port);
    a.send(pack(['vrouter.session', [[new EventTime(T), flat()], [new EventTime(T), flat()]], { chunk: 'held' }]));
    await new Promise((r) => setTimeout(r, 200));
    const b = await RawClient.open(port);
    b.send(pack(['vrouter.session', new EventTime(T), flat(), { chunk: 'over' }]));
    expect(await b.closedWithin()).toBe(true);
    expect(await b.next(10)).toBeNull();
    release();
    expect(await a.next()).toEqual({ ack: 'held' });
    expect((await stored(gw)).length).toBe(2);
    expect(await metric(gw, 'sag_forward_disconnects_total{reason="saturated"}')).toBe(1);
    a.end();
  });

  it('closes unacknowledged when the store does not confirm the write', async () => {
    const { gw, port } = await start({}, (s) =>
      Object.assign(Object.create(s) as SessionStore, {
        write: async () => {
          throw backendUnavailable('duckdb', new Error('disk gone'));
        },
      }),
    );
    const c = await RawClient.open(port);
    c.send(pack(['vrouter.session', new EventTime(T), flat(), { chunk: 'lost' }]));
    expect(await c.closedWithin()).toBe(true);
    expect(await c.next(10)).toBeNull();
    expect(await metric(gw, 'sag_forward_disconnects_total{reason="unavailable"}')).toBe(1);
  });

  it('writes a frame of more records than INGEST_MAX_RECORDS in slices, and acks it once all are stored', async () => {
    const { gw, port } = await start({ INGEST_MAX_RECORDS: '3', INGEST_MAX_INFLIGHT_RECORDS: '3' });
    const c = await RawClient.open(port);
    c.send(pack(['vrouter.session', entries(...Array.from({ length: 10 }, () => [new EventTime(T), flat()])), { chunk: 'big' }]));
    expect(await c.next()).toEqual({ ack: 'big' });
    expect((await stored(gw)).length).toBe(10);
    c.end();
  });

  it('stores a chunk sent again after a lost ack once (its chunk id and bytes are its idempotency key), slices and all', async () => {
    const { gw, port } = await start({ INGEST_MAX_RECORDS: '3', INGEST_MAX_INFLIGHT_RECORDS: '3' });
    const frame = pack(['vrouter.session', entries(...Array.from({ length: 10 }, () => [new EventTime(T), flat()])), { chunk: 'again' }]);
    for (let i = 0; i < 3; i++) {
      // A new connection each time, as fluentd's retry after the connection broke.
      const c = await RawClient.open(port);
      c.send(frame);
      expect(await c.next()).toEqual({ ack: 'again' });
      c.end();
      await c.closedWithin();
    }
    expect((await stored(gw)).length).toBe(10);
    // The same chunk id over other records is other data: stored.
    const c = await RawClient.open(port);
    c.send(pack(['vrouter.session', new EventTime(T), flat(), { chunk: 'again' }]));
    expect(await c.next()).toEqual({ ack: 'again' });
    expect((await stored(gw)).length).toBe(11);
    c.end();
  });
});
