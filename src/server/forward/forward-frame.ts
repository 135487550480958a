import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { Decoder } from '@msgpack/msgpack';
import { UndecodedInput } from '../../ingest/index.js';
import { EventTime, FORWARD_CODEC } from './event-time.js';

const gunzipAsync = promisify(gunzip);

/** How a frame carried its events (Forward Protocol v1). */
export type ForwardMode = 'message' | 'forward' | 'packed' | 'compressed';

/** One event of a frame: its time (epoch nanoseconds) and record; or why it is not one. */
export type ForwardEvent =
  | { readonly time: bigint; readonly record: Record<string, unknown>; readonly error?: undefined }
  | { readonly error: string; readonly raw: unknown };

export interface ForwardFrame {
  readonly kind: 'frame';
  readonly tag: string;
  readonly mode: ForwardMode;
  readonly events: readonly ForwardEvent[];
  /** The `chunk` option: answered with `{ack: chunk}` once the events are stored. */
  readonly chunk: string | null;
  /** The entries' bytes after decompression (packed modes); 0 for the others. */
  readonly entryBytes: number;
}

/** A frame that is msgpack but not a forward message: kept whole in the dead-letter log (and acknowledged when its chunk is known). */
export interface RejectedFrame {
  readonly kind: 'rejected';
  readonly reason: string;
  readonly raw: unknown;
  readonly tag: string | null;
  readonly chunk: string | null;
}

/** A frame past a size bound (the decompressed entries): the connection is closed unacknowledged, like an HTTP 413. */
export class FrameTooLarge extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameTooLarge';
  }
}

export interface FrameLimits {
  /** The largest frame as received, and so the largest string, bin, array or map a frame may declare. */
  readonly maxFrameBytes: number;
  /** The largest entries of a CompressedPackedForward frame after gunzip (INGEST_MAX_BODY_BYTES). */
  readonly maxDecompressedBytes: number;
}

/**
 * The streaming decoder of a connection: strings stay bytes (fluentd sends
 * PackedForward entries as str32 holding binary msgpack), and no declared
 * length may pass the frame bound, so a 2 GB header fails at once.
 */
export function frameDecoder(limits: FrameLimits): Decoder {
  const max = limits.maxFrameBytes;
  return new Decoder({
    extensionCodec: FORWARD_CODEC,
    rawStrings: true,
    useBigInt64: true,
    maxStrLength: max,
    maxBinLength: max,
    maxArrayLength: max,
    maxMapLength: Math.floor(max / 2),
    maxExtLength: max,
  });
}

/** The decoder of PackedForward entries: a sequence of [time, record] arrays, bounded like the frame. */
function entriesDecoder(maxBytes: number): Decoder {
  return new Decoder({
    extensionCodec: FORWARD_CODEC,
    useBigInt64: true,
    maxStrLength: maxBytes,
    maxBinLength: maxBytes,
    maxArrayLength: maxBytes,
    maxMapLength: Math.floor(maxBytes / 2),
    maxExtLength: maxBytes,
  });
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads one decoded frame: `[tag, time, record, option?]` (Message),
 * `[tag, [[time, record], ...], option?]` (Forward), `[tag, entries,
 * option?]` with entries the concatenated msgpack of [time, record]
 * (PackedForward), gzip-compressed when option.compressed is "gzip"
 * (CompressedPackedForward). A bad event is one rejected event; a frame
 * whose slots are not these is rejected whole.
 */
export async function readFrame(value: unknown, limits: FrameLimits): Promise<ForwardFrame | RejectedFrame> {
  if (!Array.isArray(value) || value.length < 2 || value.length > 4) {
    return rejected('a forward message is an array [tag, time, record, option?], [tag, entries, option?]', value, null, null);
  }
  const tag = text(value[0]);
  const second: unknown = value[1];
  const mode: ForwardMode = second instanceof Uint8Array ? 'packed' : Array.isArray(second) ? 'forward' : 'message';
  const optionSlot = mode === 'message' ? 3 : 2;
  if (value.length > optionSlot + 1 || (mode === 'message' && value.length < 3)) {
    return rejected(`a ${mode} mode message has ${mode === 'message' ? '3 or 4' : '2 or 3'} elements, not ${value.length}`, value, tag ?? null, null);
  }
  const option = value[optionSlot] ?? null;
  if (option !== null && (typeof option !== 'object' || Array.isArray(option) || option instanceof Uint8Array)) {
    return rejected('option: must be a map', value, tag ?? null, null);
  }
  const opts = (option ?? {}) as Record<string, unknown>;
  let chunk: string | null = null;
  if (opts['chunk'] !== undefined && opts['chunk'] !== null) {
    const c = text(opts['chunk']);
    if (c === undefined || c === '') return rejected('option.chunk: must be a non-empty string', value, tag ?? null, null);
    chunk = c;
  }
  if (tag === undefined || tag === '') return rejected('tag: must be a non-empty UTF-8 string', value, null, chunk);
  if (mode === 'message') {
    return { kind: 'frame', tag, mode, events: [event(second, value[2], 'event')], chunk, entryBytes: 0 };
  }
  if (mode === 'forward') {
    const events = (second as unknown[]).map((entry, i) => entryEvent(entry, `entries[${i}]`));
    return { kind: 'frame', tag, mode, events, chunk, entryBytes: 0 };
  }
  let entries = second as Uint8Array;
  const compressed = opts['compressed'] === undefined || opts['compressed'] === null ? 'text' : text(opts['compressed']);
  if (compressed !== 'gzip' && compressed !== 'text') {
    return rejected('option.compressed: must be "gzip" or "text"', { tag, option: jsonSafe(option) }, tag, chunk);
  }
  if (compressed === 'gzip') {
    try {
      entries = await gunzipAsync(entries, { maxOutputLength: limits.maxDecompressedBytes });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new FrameTooLarge(`the gzip entries decompress past ${limits.maxDecompressedBytes} bytes (INGEST_MAX_BODY_BYTES)`);
      }
      return rejected(`entries: not gzip data (${(e as Error).message})`, UndecodedInput.bytes(entries), tag, chunk);
    }
  }
  const events: ForwardEvent[] = [];
  try {
    let i = 0;
    for (const entry of entriesDecoder(limits.maxDecompressedBytes).decodeMulti(entries)) events.push(entryEvent(entry, `entries[${i++}]`));
  } catch (e) {
    return rejected(`entries: not a sequence of msgpack [time, record] arrays (${(e as Error).message})`, UndecodedInput.bytes(entries), tag, chunk);
  }
  return { kind: 'frame', tag, mode: compressed === 'gzip' ? 'compressed' : 'packed', events, chunk, entryBytes: entries.length };
}

function entryEvent(entry: unknown, where: string): ForwardEvent {
  if (!Array.isArray(entry) || entry.length !== 2) return { error: `${where}: an entry is an array [time, record]`, raw: jsonSafe(entry) };
  return event(entry[0], entry[1], where);
}

function event(time: unknown, record: unknown, where: string): ForwardEvent {
  const ns = eventNs(time);
  if (ns === undefined) return { error: `${where}: time: must be an integer, a float or an EventTime (seconds since the epoch)`, raw: jsonSafe(record) };
  if (typeof record !== 'object' || record === null || Array.isArray(record) || record instanceof Uint8Array || record instanceof EventTime) {
    return { error: `${where}: record: must be a map`, raw: jsonSafe(record) };
  }
  const normal = strings(record);
  if (normal === NOT_UTF8) return { error: `${where}: record: holds a string that is not UTF-8`, raw: jsonSafe(record) };
  return { time: ns, record: normal as Record<string, unknown> };
}

/** Seconds (integer or float) or EventTime; Fluent Bit 2's `[time, metadata]` takes its time. */
function eventNs(time: unknown): bigint | undefined {
  if (Array.isArray(time) && time.length === 2 && typeof time[1] === 'object') return eventNs(time[0]);
  if (time instanceof EventTime) return time.ns;
  if (typeof time === 'bigint') return time * 1_000_000_000n;
  if (typeof time === 'number' && Number.isFinite(time)) {
    if (Number.isInteger(time)) return BigInt(time) * 1_000_000_000n;
    return BigInt(Math.round(time * 1e6)) * 1000n;
  }
  return undefined;
}

const NOT_UTF8 = Symbol('not UTF-8');

/** The record with its byte strings decoded as UTF-8 (the frame decoder keeps strings as bytes). */
function strings(v: unknown): unknown {
  if (v instanceof Uint8Array) {
    try {
      return UTF8.decode(v);
    } catch {
      return NOT_UTF8;
    }
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const s = strings(v[i]);
      if (s === NOT_UTF8) return NOT_UTF8;
      v[i] = s;
    }
    return v;
  }
  if (typeof v === 'object' && v !== null && !(v instanceof EventTime) && !(v instanceof Date)) {
    const o = v as Record<string, unknown>;
    for (const k in o) {
      const s = strings(o[k]);
      if (s === NOT_UTF8) return NOT_UTF8;
      o[k] = s;
    }
  }
  return v;
}

/** A value fit for the dead-letter log (JSON): byte strings as text where they are UTF-8, else base64. */
export function jsonSafe(v: unknown): unknown {
  if (v instanceof Uint8Array) {
    try {
      return UTF8.decode(v);
    } catch {
      return { base64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
    }
  }
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (typeof v === 'object' && v !== null && !(v instanceof EventTime) && !(v instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = jsonSafe(x);
    return out;
  }
  return v;
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (!(v instanceof Uint8Array)) return undefined;
  try {
    return UTF8.decode(v);
  } catch {
    return undefined;
  }
}

function rejected(reason: string, raw: unknown, tag: string | null, chunk: string | null): RejectedFrame {
  return { kind: 'rejected', reason, raw: raw instanceof UndecodedInput ? raw : jsonSafe(raw), tag, chunk };
}
