import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encode } from '@msgpack/msgpack';
import { UndecodedInput } from '../../ingest/index.js';
import { EventTime, FORWARD_CODEC } from './event-time.js';
import { FrameTooLarge, frameDecoder, readFrame, type FrameLimits } from './forward-frame.js';

const LIMITS: FrameLimits = { maxFrameBytes: 1 << 20, maxDecompressedBytes: 1 << 20 };
const T = 1_795_600_000_123_456_789n;
const pack = (v: unknown) => encode(v, { extensionCodec: FORWARD_CODEC, useBigInt64: true });
/** A frame as the connection's decoder hands it over (strings as bytes). */
const decoded = (v: unknown) => frameDecoder(LIMITS).decode(pack(v));
/** A value as the frame decoder gives it from raw bytes. */
const fromBytes = (b: Uint8Array) => frameDecoder(LIMITS).decode(b);
const entries = (...es: unknown[]) => Buffer.concat(es.map((e) => pack(e)));

/** fluentd's out_forward: entries as str32 holding binary msgpack. */
function str32Frame(tag: string, body: Buffer, option: object): Buffer {
  const head = Buffer.alloc(5);
  head[0] = 0xdb;
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([Buffer.from([0x93]), pack(tag), head, body, pack(option)]);
}

describe('readFrame: the four modes', () => {
  it('Message: [tag, time, record, option] with EventTime, integer or float seconds', async () => {
    const a = await readFrame(decoded(['a.b', new EventTime(T), { k: 'v', n: 1 }, { chunk: 'c1' }]), LIMITS);
    expect(a).toEqual({ kind: 'frame', tag: 'a.b', mode: 'message', events: [{ time: T, record: { k: 'v', n: 1 } }], chunk: 'c1', entryBytes: 0 });
    const b = await readFrame(decoded(['a', 1_795_600_000, { k: 1 }]), LIMITS);
    expect(b).toMatchObject({ mode: 'message', chunk: null, events: [{ time: 1_795_600_000_000_000_000n }] });
    const c = await readFrame(decoded(['a', 1_795_600_000.25, { k: 1 }]), LIMITS);
    expect(c).toMatchObject({ events: [{ time: 1_795_600_000_250_000_000n }] });
  });

  it('Forward: [tag, [[time, record], ...], option]; a bad entry is one bad event among good ones', async () => {
    const f = await readFrame(decoded(['t', [[new EventTime(T), { a: 1 }], 'junk', [new EventTime(T), [1]], ['x', { a: 2 }], [[new EventTime(T), {}], { a: 3 }]], { chunk: 'c' }]), LIMITS);
    expect(f).toEqual({
      kind: 'frame',
      tag: 't',
      mode: 'forward',
      chunk: 'c',
      entryBytes: 0,
      events: [
        { time: T, record: { a: 1 } },
        { error: 'entries[1]: an entry is an array [time, record]', raw: 'junk' },
        { error: 'entries[2]: record: must be a map', raw: [1] },
        { error: 'entries[3]: time: must be an integer, a float or an EventTime (seconds since the epoch)', raw: { a: 2 } },
        // Fluent Bit 2's [[time, metadata], record]
        { time: T, record: { a: 3 } },
      ],
    });
  });

  it("PackedForward as bin and as fluentd's str32, and CompressedPackedForward of several gzip members", async () => {
    const body = entries([new EventTime(T), { a: 1 }], [1, { a: 2 }]);
    const bin = await readFrame(decoded(['t', body, { size: 2, chunk: 'p' }]), LIMITS);
    expect(bin).toMatchObject({ mode: 'packed', chunk: 'p', entryBytes: body.length, events: [{ time: T, record: { a: 1 } }, { time: 1_000_000_000n, record: { a: 2 } }] });
    const str = await readFrame(fromBytes(str32Frame('t', body, { size: 2 })), LIMITS);
    expect(str).toMatchObject({ mode: 'packed', events: [{ record: { a: 1 } }, { record: { a: 2 } }] });
    const gz = Buffer.concat([gzipSync(entries([new EventTime(T), { a: 1 }])), gzipSync(entries([new EventTime(T), { a: 2 }]))]);
    const z = await readFrame(fromBytes(str32Frame('t', gz, { size: 2, compressed: 'gzip', chunk: 'z' })), LIMITS);
    expect(z).toMatchObject({ mode: 'compressed', chunk: 'z', events: [{ record: { a: 1 } }, { record: { a: 2 } }] });
  });
});

describe('readFrame: a wrong type in each slot', () => {
  const cases: [string, unknown, string][] = [
    ['not an array', { tag: 't' }, 'a forward message is an array'],
    ['too short', ['t'], 'a forward message is an array'],
    ['too long', ['t', 1, {}, {}, {}], 'a forward message is an array'],
    ['tag a number', [7, [[1, {}]]], 'tag: must be a non-empty UTF-8 string'],
    ['tag empty', ['', [[1, {}]]], 'tag: must be a non-empty UTF-8 string'],
    ['option an array', ['t', [[1, {}]], [1]], 'option: must be a map'],
    ['chunk a number', ['t', [[1, {}]], { chunk: 5 }], 'option.chunk: must be a non-empty string'],
    ['compressed unknown', ['t', new Uint8Array([1]), { compressed: 'zstd' }], 'option.compressed: must be "gzip" or "text"'],
    ['entries not msgpack', ['t', new Uint8Array([0xc1, 0xc1]), {}], 'entries: not a sequence of msgpack [time, record] arrays'],
    ['entries not gzip', ['t', new Uint8Array([1, 2, 3]), { compressed: 'gzip' }], 'entries: not gzip data'],
    ['message mode without record', ['t', 1], 'a message mode message has 3 or 4 elements, not 2'],
  ];
  for (const [name, frame, reason] of cases) {
    it(`rejects the frame whole: ${name}`, async () => {
      const r = await readFrame(decoded(frame), LIMITS);
      expect(r.kind).toBe('rejected');
      if (r.kind === 'rejected') expect(r.reason).toContain(reason);
    });
  }

  it('keeps the chunk of a rejected frame whose option is readable, so that it is acknowledged', async () => {
    expect(await readFrame(decoded([7, [], { chunk: 'k' }]), LIMITS)).toMatchObject({ kind: 'rejected', chunk: 'k', tag: null });
    const bad = await readFrame(decoded(['t', new Uint8Array([1, 2, 3]), { compressed: 'gzip', chunk: 'g' }]), LIMITS);
    expect(bad).toMatchObject({ kind: 'rejected', chunk: 'g', tag: 't' });
    expect((bad as { raw: unknown }).raw).toBeInstanceOf(UndecodedInput);
  });

  it('rejects an event whose time or record has the wrong type, or whose string is not UTF-8', async () => {
    const r = await readFrame(decoded(['t', [['2026', {}], [1, 'x'], [1, null], [1, { s: new Uint8Array([0xff, 0xfe]) }], [true, {}]]]), LIMITS);
    expect(r.kind === 'frame' && r.events.map((e) => e.error)).toEqual([
      'entries[0]: time: must be an integer, a float or an EventTime (seconds since the epoch)',
      'entries[1]: record: must be a map',
      'entries[2]: record: must be a map',
      'entries[3]: record: holds a string that is not UTF-8',
      'entries[4]: time: must be an integer, a float or an EventTime (seconds since the epoch)',
    ]);
  });
});

describe('readFrame: bounds', () => {
  it('refuses a gzip bomb once its entries decompress past the bound, without inflating the rest', async () => {
    const bomb = gzipSync(Buffer.alloc(64 << 20));
    expect(bomb.length).toBeLessThan(100_000);
    const started = Date.now();
    await expect(readFrame(decoded(['t', bomb, { compressed: 'gzip', chunk: 'b' }]), LIMITS)).rejects.toBeInstanceOf(FrameTooLarge);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('the frame decoder refuses a declared length past the frame bound at once (a 2 GB str32, bin32, array32, map32)', () => {
    const heads = [
      [0xdb, 0x7f, 0xff, 0xff, 0xff],
      [0xc6, 0x7f, 0xff, 0xff, 0xff],
      [0xdd, 0x7f, 0xff, 0xff, 0xff],
      [0xdf, 0x7f, 0xff, 0xff, 0xff],
    ];
    for (const h of heads) expect(() => fromBytes(Buffer.from([0x93, 0xa1, 0x74, ...h]))).toThrow(/Max length exceeded/);
  });
});
