import { bareObject, type SessionRecord, type SessionType } from './record.js';

/**
 * Valid session records as every store takes them (SessionStore.write): laid
 * out by column, the 64-bit values and the small integers in typed arrays,
 * and every string as an index into the batch's dictionary of strings.
 * Names, labels and addresses repeat from record to record and mostly share
 * an entry, so a batch holds a fraction of the strings its records do; the
 * ingest path
 * lays each record out as soon as it is valid and lets it go, so that what
 * waits for the store's commit is a few arrays, not thousands of objects
 * (docs/decisions.md). The arrays move to the DuckDB thread without a copy;
 * they may be views from the start of larger buffers, which move whole.
 *
 * Per record `i`:
 * - `bigints[6i..6i+5]`: time, forward bytes, forward packets, reverse bytes,
 *   reverse packets, total bytes;
 * - `ints[5i..5i+4]`: client port, server port, protocol, the number of
 *   local labels, the number of remote labels;
 * - `strings`, from where record `i - 1` ended: vn, vmi (-1 when absent),
 *   remote vn, vrouter IP, local IP, remote IP, session type, then the
 *   name and value of each local label, then of each remote label.
 */
export interface RecordBatch {
  readonly length: number;
  readonly bigints: BigInt64Array;
  readonly ints: Int32Array;
  readonly strings: Int32Array;
  readonly dictionary: readonly string[];
}

export const BIGINTS_PER_RECORD = 6;
export const INTS_PER_RECORD = 5;
export const FIXED_STRINGS = 7;
/** The index that stands for a null string. */
export const NULL_STRING = -1;
/** Whether this machine stores integers little-endian, as RecordBatchBuilder.addChecked needs. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Label names and values per side that have their own position in the string cache. */
export const CACHED_LABELS = 8;

/** A point in a RecordBatchBuilder to roll back to. */
export interface BatchMark {
  readonly records: number;
  readonly strings: number;
}

const INITIAL_RECORDS = 1024;
/** Room for strings per record to start with: the seven fixed ones and five labels. */
const STRINGS_PER_RECORD = FIXED_STRINGS + 2 * 5;
/** Labels per side whose names and values are cached (the strings of more labels are simply added). */
const LABEL_POSITIONS = 2 * CACHED_LABELS;
const POSITIONS = FIXED_STRINGS + 2 * LABEL_POSITIONS;
const CACHE_SLOTS = 128;

/**
 * Lays out records one at a time, so that a caller can let each record go
 * as soon as it is added. A typed array would wrap a value past 64 bits
 * silently, so each one is checked (validation never lets one through).
 */
export class RecordBatchBuilder {
  private n = 0;
  private bigints: BigInt64Array;
  // The same memory as 32-bit words, for addChecked (little-endian machines only).
  private words: Int32Array;
  private ints: Int32Array;
  private strings: Int32Array;
  private stringCount = 0;
  private readonly dictionary: string[] = [];
  // Per position in a record (a column, or the n-th label name or value of a
  // side), a small cache of the strings seen there and their indexes, keyed
  // by a hash of a few characters (slotOfString). Networks, labels, session types and agent
  // addresses repeat from record to record and hit it; a miss just adds the
  // string, so the dictionary may hold a string twice. A Map would find
  // every repeat but costs about five times as much per record, mostly in
  // taking in the strings that never repeat (client addresses).
  private readonly cached: (string | undefined)[] = new Array<string | undefined>(POSITIONS * CACHE_SLOTS).fill(undefined);
  private readonly cachedIndex = new Int32Array(POSITIONS * CACHE_SLOTS);

  /** `expectedRecords`: room to start with (it grows as needed). */
  constructor(expectedRecords = INITIAL_RECORDS) {
    const n = Math.max(16, expectedRecords);
    this.bigints = new BigInt64Array(n * BIGINTS_PER_RECORD);
    this.words = new Int32Array(this.bigints.buffer);
    this.ints = new Int32Array(n * INTS_PER_RECORD);
    this.strings = new Int32Array(n * STRINGS_PER_RECORD);
  }

  get length(): number {
    return this.n;
  }

  add(r: SessionRecord): void {
    const i = this.n;
    if ((i + 1) * BIGINTS_PER_RECORD > this.bigints.length) this.grow();
    const b = i * BIGINTS_PER_RECORD;
    const bigints = this.bigints;
    bigints[b] = int64(r.time);
    bigints[b + 1] = int64(r.forwardSampledBytes);
    bigints[b + 2] = int64(r.forwardSampledPkts);
    bigints[b + 3] = int64(r.reverseSampledBytes);
    bigints[b + 4] = int64(r.reverseSampledPkts);
    bigints[b + 5] = int64(r.totalBytes);
    this.string(r.vn, 0);
    this.string(r.vmi, 1);
    this.string(r.remoteVn, 2);
    this.string(r.vrouterIp, 3);
    this.string(r.localIp, 4);
    this.string(r.remoteIp, 5);
    this.string(r.sessionType, 6);
    const k = i * INTS_PER_RECORD;
    const ints = this.ints;
    ints[k] = r.clientPort;
    ints[k + 1] = r.serverPort;
    ints[k + 2] = r.protocol;
    ints[k + 3] = this.labels(r.localLabels, FIXED_STRINGS);
    ints[k + 4] = this.labels(r.remoteLabels, FIXED_STRINGS + LABEL_POSITIONS);
    this.n = i + 1;
  }

  /**
   * The batch; the builder is spent. Its arrays are views of the builder's,
   * not copies: a request's arrays are allocated once (outside V8's heap,
   * where every few megabytes allocated bring on a full collection).
   */
  finish(): RecordBatch {
    const n = this.n;
    return {
      length: n,
      bigints: this.bigints.subarray(0, n * BIGINTS_PER_RECORD),
      ints: this.ints.subarray(0, n * INTS_PER_RECORD),
      strings: this.strings.subarray(0, this.stringCount),
      dictionary: this.dictionary,
    };
  }

  private string(s: string | null, position: number): void {
    const at = s === null ? NULL_STRING : this.intern(s, position);
    if (this.stringCount === this.strings.length) this.strings = grown(this.strings);
    this.strings[this.stringCount++] = at;
  }

  /**
   * The dictionary index of `s` at `position` (a column, or the n-th label
   * name or value of a side): the cached one when `s` was seen there
   * lately, else a new entry.
   */
  intern(s: string, position: number): number {
    const n = s.length;
    const slot =
      position < POSITIONS
        ? position * CACHE_SLOTS + slotOfString(s)
        : -1;
    if (slot >= 0 && this.cached[slot] === s) return this.cachedIndex[slot]!;
    const at = this.dictionary.length;
    this.dictionary.push(s);
    if (slot >= 0) {
      this.cached[slot] = s;
      this.cachedIndex[slot] = at;
    }
    return at;
  }

  /**
   * The dictionary index of the ASCII string in `bytes[start..end)` when the
   * cache of `position` holds it (the string `intern` would find), else -1.
   * Nothing is added. Every string in the cache of a position was checked
   * by the rules of that position when it was added.
   */
  cachedAt(bytes: Uint8Array, start: number, end: number, position: number): number {
    if (position >= POSITIONS) return -1;
    const n = end - start;
    const slot = position * CACHE_SLOTS + slotOfBytes(bytes, start, end);
    const s = this.cached[slot];
    if (s === undefined || s.length !== n) return -1;
    for (let i = 0; i < n; i++) if (s.charCodeAt(i) !== bytes[start + i]) return -1;
    return this.cachedIndex[slot]!;
  }

  /**
   * Adds a record whose values the caller has checked against the rules of
   * validateSessionRecord and turned to client orientation (FlatLineReader):
   * `words` holds its six 64-bit values as little-endian 32-bit halves in
   * the order of `bigints`, `refs[0..refCount)` its dictionary indexes in
   * the order of `strings`. Little-endian machines only (LITTLE_ENDIAN).
   */
  addChecked(
    words: Int32Array,
    clientPort: number,
    serverPort: number,
    protocol: number,
    localLabels: number,
    remoteLabels: number,
    refs: Int32Array,
    refCount: number,
  ): void {
    const i = this.n;
    if ((i + 1) * BIGINTS_PER_RECORD > this.bigints.length) this.grow();
    const w = this.words;
    const at = 2 * i * BIGINTS_PER_RECORD;
    for (let j = 0; j < 2 * BIGINTS_PER_RECORD; j++) w[at + j] = words[j]!;
    const k = i * INTS_PER_RECORD;
    const ints = this.ints;
    ints[k] = clientPort;
    ints[k + 1] = serverPort;
    ints[k + 2] = protocol;
    ints[k + 3] = localLabels;
    ints[k + 4] = remoteLabels;
    while (this.stringCount + refCount > this.strings.length) this.strings = grown(this.strings);
    const strings = this.strings;
    const from = this.stringCount;
    for (let j = 0; j < refCount; j++) strings[from + j] = refs[j]!;
    this.stringCount = from + refCount;
    this.n = i + 1;
  }

  /** Where the batch ends now: `rollback` with it drops every record added after. */
  mark(): BatchMark {
    return { records: this.n, strings: this.stringCount };
  }

  /**
   * Drops the records added since `mark` (SessionEndpointLane, when a
   * message turns out to need the reference path after some of its records
   * were laid out). Strings they added stay in the dictionary, unreferenced,
   * as strings of records a store refused do (selectRecords).
   */
  rollback(mark: BatchMark): void {
    this.n = mark.records;
    this.stringCount = mark.strings;
  }

  /** Lays out one side's labels, from `position` on; returns how many there are. */
  private labels(labels: Readonly<Record<string, string>>, position: number): number {
    let count = 0;
    for (const name in labels) {
      this.string(name, position);
      this.string(labels[name]!, position + 1);
      position += 2;
      count++;
    }
    return count;
  }

  private grow(): void {
    this.bigints = grown(this.bigints);
    this.words = new Int32Array(this.bigints.buffer);
    this.ints = grown(this.ints);
  }
}

/**
 * The cache slot of a string: a hash of its length, its last six characters
 * and its middle one (a character before the start counts as 0). Cheap, and
 * enough to tell apart the strings that repeat at one position, such as
 * interface names that differ in a number near their end. slotOfBytes
 * gives the same slot for the same ASCII string as bytes.
 */
function slotOfString(s: string): number {
  const n = s.length;
  let h = n;
  for (let i = n - 1; i >= n - 6; i--) h = (Math.imul(h, 31) + (s.charCodeAt(i) | 0)) | 0;
  return mix(Math.imul(h, 31) + (s.charCodeAt(n >> 1) | 0));
}

function slotOfBytes(b: Uint8Array, start: number, end: number): number {
  const n = end - start;
  let h = n;
  for (let i = end - 1; i >= end - 6; i--) h = (Math.imul(h, 31) + (i >= start ? b[i]! : 0)) | 0;
  return mix(Math.imul(h, 31) + (n > 0 ? b[start + (n >> 1)]! : 0));
}

function mix(h: number): number {
  h ^= h >>> 7;
  h ^= h >>> 13;
  return h & (CACHE_SLOTS - 1);
}

function grown<T extends BigInt64Array | Int32Array>(a: T): T {
  const next = new (a.constructor as new (n: number) => T)(a.length * 2);
  next.set(a as never);
  return next;
}

/** The layout of `records`, all at once. */
export function encodeRecords(records: readonly SessionRecord[]): RecordBatch {
  const builder = new RecordBatchBuilder();
  for (const r of records) builder.add(r);
  return builder.finish();
}

/**
 * The records of `batch` whose `keep[i]` is set, in order, as a batch of
 * their own: the arrays are copied, the dictionary is shared.
 */
export function selectRecords(batch: RecordBatch, keep: Uint8Array): RecordBatch {
  const { bigints, ints, strings } = batch;
  let n = 0;
  let stringCount = 0;
  let s = 0;
  for (let i = 0; i < batch.length; i++) {
    const width = FIXED_STRINGS + 2 * (ints[i * INTS_PER_RECORD + 3]! + ints[i * INTS_PER_RECORD + 4]!);
    if (keep[i] !== 0) {
      n++;
      stringCount += width;
    }
    s += width;
  }
  const out = { bigints: new BigInt64Array(n * BIGINTS_PER_RECORD), ints: new Int32Array(n * INTS_PER_RECORD), strings: new Int32Array(stringCount) };
  let j = 0;
  let at = 0;
  s = 0;
  for (let i = 0; i < batch.length; i++) {
    const width = FIXED_STRINGS + 2 * (ints[i * INTS_PER_RECORD + 3]! + ints[i * INTS_PER_RECORD + 4]!);
    if (keep[i] !== 0) {
      out.bigints.set(bigints.subarray(i * BIGINTS_PER_RECORD, (i + 1) * BIGINTS_PER_RECORD), j * BIGINTS_PER_RECORD);
      out.ints.set(ints.subarray(i * INTS_PER_RECORD, (i + 1) * INTS_PER_RECORD), j * INTS_PER_RECORD);
      out.strings.set(strings.subarray(s, s + width), at);
      at += width;
      j++;
    }
    s += width;
  }
  return { length: n, ...out, dictionary: batch.dictionary };
}

/** The records of a batch, as objects again (for stores that write them one by one). */
export function decodeRecords(batch: RecordBatch): SessionRecord[] {
  const { bigints, ints, strings, dictionary } = batch;
  const text = (at: number): string | null => (at === NULL_STRING ? null : dictionary[at]!);
  const labels = (from: number, count: number): Record<string, string> => {
    const out = bareObject<string>();
    for (let s = from; s < from + 2 * count; s += 2) out[dictionary[strings[s]!]!] = dictionary[strings[s + 1]!]!;
    return out;
  };
  const records: SessionRecord[] = new Array(batch.length);
  let s = 0;
  for (let i = 0; i < batch.length; i++) {
    const b = i * BIGINTS_PER_RECORD;
    const k = i * INTS_PER_RECORD;
    const local = s + FIXED_STRINGS;
    const remote = local + 2 * ints[k + 3]!;
    records[i] = {
      time: bigints[b]!,
      vn: text(strings[s]!)!,
      vmi: text(strings[s + 1]!),
      remoteVn: text(strings[s + 2]!)!,
      vrouterIp: text(strings[s + 3]!)!,
      localIp: text(strings[s + 4]!)!,
      clientPort: ints[k]!,
      remoteIp: text(strings[s + 5]!)!,
      serverPort: ints[k + 1]!,
      protocol: ints[k + 2]!,
      sessionType: text(strings[s + 6]!) as SessionType,
      localLabels: labels(local, ints[k + 3]!),
      remoteLabels: labels(remote, ints[k + 4]!),
      forwardSampledBytes: bigints[b + 1]!,
      forwardSampledPkts: bigints[b + 2]!,
      reverseSampledBytes: bigints[b + 3]!,
      reverseSampledPkts: bigints[b + 4]!,
      totalBytes: bigints[b + 5]!,
    };
    s = remote + 2 * ints[k + 4]!;
  }
  return records;
}

function int64(v: bigint): bigint {
  if (v > MAX_I64 || v < MIN_I64) throw new RangeError(`a session record holds ${v}, past the 64-bit range`);
  return v;
}

const MAX_I64 = (1n << 63n) - 1n;
const MIN_I64 = -(1n << 63n);
