import { describe, expect, it } from 'vitest';
import { decode, encode } from '@msgpack/msgpack';
import { EventTime, FORWARD_CODEC } from './event-time.js';
import { FrameTooLarge } from './forward-frame.js';
import { FrameSplitter, MAX_DEPTH, NotMsgpack } from './frame-splitter.js';

const pack = (v: unknown) => Buffer.from(encode(v, { extensionCodec: FORWARD_CODEC, useBigInt64: true }));

/** Values of every msgpack type and length class. */
const VALUES: unknown[] = [
  0, 127, -1, -32, -33, 255, 256, 65535, 65536, 2 ** 32, -(2 ** 31) - 1, 2n ** 63n - 1n, 1.5, Math.PI,
  null, true, false, '', 'a', 'x'.repeat(31), 'x'.repeat(32), 'y'.repeat(300), 'z'.repeat(70_000),
  new Uint8Array(0), new Uint8Array(300), new Uint8Array(70_000),
  [], [1, [2, [3, []]]], Array.from({ length: 20 }, (_, i) => i), Array.from({ length: 70_000 }, () => 0),
  {}, { a: { b: {} } }, Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])),
  new EventTime(1_795_600_000_123_456_789n), new Date(0),
  ['vrouter.session', new EventTime(1n), { vn: 'a', n: 1 }, { chunk: 'c' }],
];

describe('FrameSplitter', () => {
  it('cuts a stream of values of every type at their ends, whatever the chunking', () => {
    const frames = VALUES.map(pack);
    const stream = Buffer.concat(frames);
    for (const step of [1, 2, 3, 7, 64, 1000, 65536, stream.length]) {
      const splitter = new FrameSplitter(1 << 20);
      const out: Buffer[] = [];
      for (let at = 0; at < stream.length; at += step) out.push(...splitter.push(stream.subarray(at, at + step)));
      expect(out.length, `step ${step}`).toBe(frames.length);
      out.forEach((f, i) => expect(f.equals(frames[i]!), `step ${step}, value ${i}`).toBe(true));
      expect(splitter.partialBytes).toBe(0);
    }
  });

  it('hands each frame out whole, for the Decoder to read', () => {
    const splitter = new FrameSplitter(1 << 20);
    const [frame] = splitter.push(pack(['t', [[1, { a: 'b' }]], { chunk: 'x' }]));
    expect(decode(frame!)).toEqual(['t', [[1, { a: 'b' }]], { chunk: 'x' }]);
  });

  it('keeps what an unfinished frame has received until it is complete', () => {
    const splitter = new FrameSplitter(1 << 20);
    const bytes = pack(['t', new Uint8Array(5000)]);
    expect(splitter.push(bytes.subarray(0, 100))).toEqual([]);
    expect(splitter.partialBytes).toBe(100);
    expect(splitter.push(bytes.subarray(100))).toHaveLength(1);
  });

  it('refuses a declared length or count past the bound from its header alone', () => {
    for (const head of [[0xdb, 0x7f, 0xff, 0xff, 0xff], [0xc6, 0x80, 0, 0, 0], [0xdd, 0xff, 0xff, 0xff, 0xff], [0xdf, 0x7f, 0xff, 0xff, 0xff], [0xc9, 0x7f, 0xff, 0xff, 0xff]]) {
      expect(() => new FrameSplitter(1 << 20).push(Buffer.from([0x92, 0xa1, 0x74, ...head]))).toThrow(FrameTooLarge);
    }
  });

  it('refuses a frame that grows past the bound, and bytes no msgpack value starts with or nesting past MAX_DEPTH', () => {
    const splitter = new FrameSplitter(4096);
    expect(() => splitter.push(Buffer.concat([Buffer.from([0xdc, 0xff, 0xff]), Buffer.alloc(5000)]))).toThrow(FrameTooLarge);
    expect(() => new FrameSplitter(4096).push(Buffer.from([0x91, 0xc1]))).toThrow(NotMsgpack);
    expect(() => new FrameSplitter(4096).push(Buffer.alloc(MAX_DEPTH + 1, 0x91))).toThrow(NotMsgpack);
  });
});
