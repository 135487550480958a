import { FrameTooLarge } from './forward-frame.js';

/** The stream is not msgpack (a byte no msgpack value starts with, or nesting past MAX_DEPTH): the connection cannot go on. */
export class NotMsgpack extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotMsgpack';
  }
}

/** Deeper nesting is no forward message (a frame is at most 4 levels deep; records a few more). */
export const MAX_DEPTH = 100;

/**
 * Cuts a connection's byte stream into whole msgpack values (frames)
 * without decoding them: it reads only the type bytes and lengths, so that
 * each frame is handed whole to @msgpack/msgpack's Decoder. The streaming
 * decoder copies an unfinished value again with each socket chunk, which
 * made a 16 MiB PackedForward frame cost seconds (docs/decisions.md,
 * "Forward frames"). Bytes are appended to a buffer that doubles, the scan
 * resumes where it stopped, and a length or count past `maxFrameBytes`
 * throws FrameTooLarge as soon as its header is read (a 2 GB declared
 * length costs nothing).
 */
export class FrameSplitter {
  private buf: Buffer = Buffer.alloc(0);
  private len = 0;
  /** Where the scan of the current frame stopped, and the children its open arrays and maps still wait for. */
  private pos = 0;
  /** Where the current frame starts in `buf`; the bytes before it were handed out and go at the end of `push`. */
  private start = 0;
  private readonly pending: number[] = [];

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes received of the frame not yet complete. */
  get partialBytes(): number {
    return this.len - this.start;
  }


  /** Appends `chunk` and returns every frame it completed, each its own buffer. */
  push(chunk: Buffer): Buffer[] {
    this.append(chunk);
    const frames: Buffer[] = [];
    for (;;) {
      const end = this.scan();
      if (end < 0) break;
      frames.push(Buffer.from(this.buf.subarray(this.start, end)));
      this.start = end;
    }
    if (this.start > 0) {
      this.buf.copy(this.buf, 0, this.start, this.len);
      this.len -= this.start;
      this.pos -= this.start;
      this.start = 0;
    }
    if (this.len > this.maxFrameBytes) throw new FrameTooLarge(`a frame is larger than ${this.maxFrameBytes} bytes (FORWARD_MAX_FRAME_BYTES)`);
    return frames;
  }

  private append(chunk: Buffer): void {
    if (this.len + chunk.length > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.len + chunk.length, this.buf.length * 2, 64 * 1024));
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    chunk.copy(this.buf, this.len);
    this.len += chunk.length;
  }

  /** The end of the first frame when it is complete, else -1 (the scan goes on from there with the next chunk). */
  private scan(): number {
    const b = this.buf;
    const stack = this.pending;
    for (;;) {
      const at = this.pos;
      if (at >= this.len) return -1;
      const t = b[at]!;
      let head = 1;
      let body = 0;
      let children = 0;
      if (t <= 0x7f || t >= 0xe0 || (t >= 0xc0 && t <= 0xc3)) {
        // fixint, nil, false, true (0xc1 is never used)
        if (t === 0xc1) throw new NotMsgpack('byte 0xc1 is no msgpack type');
      } else if (t <= 0x8f) children = (t & 0x0f) * 2;
      else if (t <= 0x9f) children = t & 0x0f;
      else if (t <= 0xbf) body = t & 0x1f;
      else {
        const size = SIZE[t - 0xc4]!;
        if (at + 1 + size.len > this.len) return -1;
        const n = size.len === 0 ? 0 : size.len === 1 ? b[at + 1]! : size.len === 2 ? b.readUInt16BE(at + 1) : b.readUInt32BE(at + 1);
        head = 1 + size.len + size.extra;
        if (size.kind === 'fixed') body = size.fixed;
        else if (size.kind === 'bytes') body = n;
        else children = size.kind === 'map' ? n * 2 : n;
        if (body > this.maxFrameBytes || children > this.maxFrameBytes) {
          throw new FrameTooLarge(`a frame declares ${body || children} ${body > 0 ? 'bytes' : 'elements'}, past ${this.maxFrameBytes} (FORWARD_MAX_FRAME_BYTES)`);
        }
      }
      const end = at + head + body;
      if (end > this.len) {
        if (end - this.start > this.maxFrameBytes) throw new FrameTooLarge(`a frame is larger than ${this.maxFrameBytes} bytes (FORWARD_MAX_FRAME_BYTES)`);
        return -1;
      }
      this.pos = end;
      if (children > 0) {
        if (stack.length >= MAX_DEPTH) throw new NotMsgpack(`nesting deeper than ${MAX_DEPTH}`);
        stack.push(children);
        continue;
      }
      // A value ended: it closes every array and map it was the last child of.
      while (stack.length > 0 && --stack[stack.length - 1]! === 0) stack.pop();
      if (stack.length === 0) return this.pos;
    }
  }
}

type Size = { len: 0 | 1 | 2 | 4; extra: 0 | 1; kind: 'bytes' | 'array' | 'map' | 'fixed'; fixed: number };
const s = (len: Size['len'], kind: Size['kind'], extra: Size['extra'] = 0, fixed = 0): Size => ({ len, extra, kind, fixed });

/** 0xc4 to 0xdf: how long the length field is and what it counts. */
const SIZE: readonly Size[] = [
  s(1, 'bytes'), s(2, 'bytes'), s(4, 'bytes'), // bin 8/16/32
  s(1, 'bytes', 1), s(2, 'bytes', 1), s(4, 'bytes', 1), // ext 8/16/32 (a type byte after the length)
  s(0, 'fixed', 0, 4), s(0, 'fixed', 0, 8), // float 32/64
  s(0, 'fixed', 0, 1), s(0, 'fixed', 0, 2), s(0, 'fixed', 0, 4), s(0, 'fixed', 0, 8), // uint 8..64
  s(0, 'fixed', 0, 1), s(0, 'fixed', 0, 2), s(0, 'fixed', 0, 4), s(0, 'fixed', 0, 8), // int 8..64
  s(0, 'fixed', 0, 2), s(0, 'fixed', 0, 3), s(0, 'fixed', 0, 5), s(0, 'fixed', 0, 9), s(0, 'fixed', 0, 17), // fixext 1..16 (type byte + data)
  s(1, 'bytes'), s(2, 'bytes'), s(4, 'bytes'), // str 8/16/32
  s(2, 'array'), s(4, 'array'), // array 16/32
  s(2, 'map'), s(4, 'map'), // map 16/32
];
