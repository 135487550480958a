import { isIP } from 'node:net';
import {
  BIGINTS_PER_RECORD,
  CACHED_LABELS,
  FIXED_STRINGS,
  LABEL_VALUE_MAX,
  LITTLE_ENDIAN,
  NULL_STRING,
  STRING_MAX,
  TIME_END,
  isLabelName,
  type RecordBatchBuilder,
  type RecordContext,
} from '../model/index.js';
import type { SessionBytesReader } from './session-bytes.js';

/**
 * The fast lane of NDJSON ingest: reads the usual flat record straight from
 * the bytes of its line into a RecordBatchBuilder, without JSON.parse, a
 * decoded object, or a string for each value that repeats (docs/decisions.md,
 * "Flat records take a lane from bytes to columns").
 *
 * It takes a record only when it can tell that the reference path
 * (parseJson, flatRecord, validateSessionRecord, RecordBatchBuilder.add)
 * would accept it and lay out the same record: one JSON object on an NDJSON
 * line, or a JSON body of one such object or an array of them (`readJson`,
 * whole or not at all); printable ASCII strings without escapes; the known
 * snake_case keys once each, integers without sign, fraction or exponent
 * (a time before TIME_END), `session_type` `client` or `server`, labels
 * nested or as `label.<side>.NAME` keys with string values; and up to MAX_OTHERS other
 * keys with scalar values, which the reference path ignores too.
 * Anything else, valid or not, it declines without a trace, and the
 * reference path decides: every error message comes from there. A
 * differential test (flat-line.test.ts) holds the two paths to the same
 * answers.
 */
export class FlatLineReader {
  private b: Buffer = EMPTY;
  private end = 0;
  private seen = 0;
  /** Members of other names in this object, and where their names are. */
  private others = 0;
  private readonly otherSpans = new Int32Array(2 * MAX_OTHERS);
  /** `"total_bytes": null`, which counts as absent. */
  private totalNull = false;
  /** [start, end) of each fixed string in the line, in the reporter's orientation (FIELD_*). */
  private readonly spans = new Int32Array(2 * FIXED_STRINGS);
  /** The record's 64-bit values as 32-bit halves, in the layout's order (RecordBatch `bigints`). */
  private readonly words = new Int32Array(2 * BIGINTS_PER_RECORD);
  private readonly ints = new Float64Array(3);
  /**
   * Per side (reported local, then remote; SIDE words each), the nested labels from 0 and the flat
   * ones from LANE_LABELS: name start, name end, value start, value end.
   */
  private readonly labels = new Int32Array(2 * SIDE);
  private readonly nested = new Int32Array(2);
  private readonly flat = new Int32Array(2);
  /** The record's strings as dictionary indexes, in the layout's order; `pending` holds those to add (all undefined between records). */
  private readonly refs = new Int32Array(MAX_STRINGS);
  private readonly pending: (string | undefined)[] = new Array<string | undefined>(MAX_STRINGS).fill(undefined);
  private readonly receivedLo: number;
  private readonly receivedHi: number;
  private readonly maxLabels: number;

  constructor(
    ctx: RecordContext,
    private readonly out: RecordBatchBuilder,
  ) {
    this.receivedLo = Number(ctx.receivedAt & 0xffffffffn);
    this.receivedHi = Number((ctx.receivedAt >> 32n) & 0xffffffffn);
    this.maxLabels = ctx.limits.maxLabels;
  }

  /**
   * Adds the record on `bytes[start..end)` (one NDJSON line, without its
   * line break; `bytes[end]` is the break or past the buffer) to the batch
   * and returns true, or returns false with nothing added when the
   * reference path must read the line.
   */
  read(bytes: Buffer, start: number, end: number): boolean {
    if (!LITTLE_ENDIAN) return false;
    this.b = bytes;
    this.end = end;
    const p = this.object(start);
    return p >= 0 && this.space(p) === end && this.addRecord();
  }

  /**
   * Adds the records of a JSON body, calling `step` with the count after
   * each item, and returns how many; or returns -1 when the reference path
   * must read the body. The body is one item or an array of items, each a
   * flat record, or (given `messages`) a SessionEndpoint message or
   * `{"session_data": [...]}` (SessionBytesReader), in any mix. On -1 the
   * batch holds part of the body, and the caller must start from a new
   * one: the reference path reads a JSON body as a whole, so the lanes take
   * it whole or not at all.
   */
  readJson(bytes: Buffer, step: (count: number) => void, messages?: SessionBytesReader): number {
    if (!LITTLE_ENDIAN) return -1;
    const end = bytes.length;
    let p = skipSpace(bytes, 0, end);
    // The lane that took the last item is tried first: a body is usually of one kind.
    let message = false;
    let count = 0;
    const item = (at: number): number => {
      for (let tries = 0; tries < 2; tries++) {
        const after = message ? messages!.item(bytes, at, end) : this.objectAt(bytes, at, end);
        if (after >= 0) {
          count += message ? messages!.added : 1;
          return after;
        }
        if (messages === undefined) return -1;
        message = !message;
      }
      return -1;
    };
    if (bytes[p] === LBRACE) {
      const after = item(p);
      if (after < 0 || skipSpace(bytes, after, end) !== end) return -1;
      step(count);
      return count;
    }
    if (bytes[p] !== LBRACKET) return -1;
    p = skipSpace(bytes, p + 1, end);
    for (;;) {
      const after = item(p);
      if (after < 0) return -1;
      step(count);
      p = skipSpace(bytes, after, end);
      if (bytes[p] === COMMA) p = skipSpace(bytes, p + 1, end);
      else return bytes[p] === RBRACKET && skipSpace(bytes, p + 1, end) === end ? count : -1;
    }
  }

  /**
   * Adds the flat record at `bytes[start]` (after white space, before
   * `end`) and returns the offset after it, or -1 with nothing added: one
   * element of a JSON body (readJson).
   */
  objectAt(bytes: Buffer, start: number, end: number): number {
    if (!LITTLE_ENDIAN) return -1;
    this.b = bytes;
    this.end = end;
    const after = this.object(start);
    return after >= 0 && this.addRecord() ? after : -1;
  }

  /** The object at `from` (after white space): every member into the scratch arrays; the offset after it, or -1. */
  private object(from: number): number {
    const b = this.b;
    this.seen = 0;
    this.others = 0;
    this.totalNull = false;
    this.nested[0] = this.nested[1] = this.flat[0] = this.flat[1] = 0;
    let p = this.space(from);
    if (b[p] !== LBRACE) return -1;
    p = this.space(p + 1);
    for (;;) {
      if (p >= this.end || b[p] !== QUOTE) return -1;
      const keyStart = p + 1;
      const key = keyAt(b, keyStart, this.end);
      const keyEnd = key >= 0 ? keyStart + KEY_BYTES[key]!.length : this.stringEnd(keyStart);
      if (keyEnd < 0) return -1;
      p = this.space(keyEnd + 1);
      if (b[p] !== COLON) return -1;
      p = this.space(p + 1);
      if (key < 0) p = this.otherMember(keyStart, keyEnd, p);
      else {
        const bit = 1 << key;
        if ((this.seen & bit) !== 0) return -1;
        this.seen |= bit;
        p = this.member(key, p);
      }
      if (p < 0) return -1;
      p = this.space(p);
      if (b[p] === COMMA) {
        p = this.space(p + 1);
        continue;
      }
      return b[p] === RBRACE && p < this.end ? p + 1 : -1;
    }
  }

  /**
   * A member of another name: a `label.<side>.NAME` label, or a key the
   * reference path ignores (fluentd may add its own) with a string,
   * number, true, false or null value. Declined: a name given twice, one
   * that makes the object a SessionEndpoint message, a nested value.
   */
  private otherMember(keyStart: number, keyEnd: number, p: number): number {
    const b = this.b;
    if (startsWith(b, keyStart, keyEnd, LABEL_DOT)) return this.flatLabel(keyStart, keyEnd, p);
    if (isWord(b, keyStart, keyEnd, SESSION_DATA) || isWord(b, keyStart, keyEnd, SESS_AGG_INFO)) return -1;
    const others = this.others;
    if (others === MAX_OTHERS) return -1;
    const spans = this.otherSpans;
    const n = keyEnd - keyStart;
    for (let j = 0; j < others; j++) {
      if (spans[2 * j + 1]! - spans[2 * j]! === n && sameBytes(b, spans[2 * j]!, keyStart, n)) return -1;
    }
    spans[2 * others] = keyStart;
    spans[2 * others + 1] = keyEnd;
    this.others = others + 1;
    return this.scalar(p);
  }

  /** Skips a JSON string, number or literal at `p`; the offset after it, or -1. */
  private scalar(p: number): number {
    const b = this.b;
    const c = b[p];
    if (c === QUOTE) {
      const e = this.stringEnd(p + 1);
      return e < 0 ? -1 : e + 1;
    }
    if (c === 0x74 /* t */) return equals(b, p, TRUE) ? p + 4 : -1;
    if (c === 0x66 /* f */) return equals(b, p, FALSE) ? p + 5 : -1;
    if (c === 0x6e /* n */) return this.isNull(p) ? p + 4 : -1;
    // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    if (c === 0x2d) p++;
    if (b[p] === ZERO) p++;
    else if (isDigit(b[p])) while (isDigit(b[p])) p++;
    else return -1;
    if (b[p] === 0x2e) {
      if (!isDigit(b[++p])) return -1;
      while (isDigit(b[p])) p++;
    }
    if (b[p] === 0x65 || b[p] === 0x45) {
      p++;
      if (b[p] === 0x2b || b[p] === 0x2d) p++;
      if (!isDigit(b[p])) return -1;
      while (isDigit(b[p])) p++;
    }
    return p <= this.end ? p : -1;
  }

  /** One known member's value at `p`; the offset after it, or -1. */
  private member(key: number, p: number): number {
    switch (key) {
      case K_VN:
      case K_REMOTE_VN:
      case K_VROUTER_IP:
      case K_LOCAL_IP:
      case K_REMOTE_IP:
      case K_SESSION_TYPE:
        return this.stringField(KEY_FIELD[key]!, p);
      case K_VMI:
        if (this.isNull(p)) {
          this.spans[2 * FIELD_VMI] = this.spans[2 * FIELD_VMI + 1] = 0;
          return p + 4;
        }
        return this.stringField(FIELD_VMI, p);
      case K_CLIENT_PORT:
      case K_SERVER_PORT:
      case K_PROTOCOL:
        return this.smallInt(key, p);
      case K_LABELS:
        return this.labelSides(p);
      case K_TOTAL_BYTES:
        this.totalNull = this.isNull(p);
        return this.totalNull ? p + 4 : this.uint64(KEY_WORD[key]!, p);
      case K_TIME:
        return this.time(p);
      default:
        return this.uint64(KEY_WORD[key]!, p);
    }
  }

  private stringField(field: number, p: number): number {
    if (this.b[p] !== QUOTE) return -1;
    const end = this.stringEnd(p + 1);
    if (end < 0) return -1;
    this.spans[2 * field] = p + 1;
    this.spans[2 * field + 1] = end;
    return end + 1;
  }

  /** A port or the protocol: digits whose value fits the field. */
  private smallInt(key: number, p: number): number {
    const b = this.b;
    const start = p;
    let v = 0;
    while (p < this.end && b[p]! >= ZERO && b[p]! <= NINE && p - start < 6) v = v * 10 + b[p++]! - ZERO;
    if (!this.integerEnds(start, p) || v > (key === K_PROTOCOL ? 255 : 65535)) return -1;
    this.ints[key === K_CLIENT_PORT ? 0 : key === K_SERVER_PORT ? 1 : 2] = v;
    return p;
  }

  /**
   * A non-negative integer of at most 19 digits and at most 2^63-1, written
   * as two 32-bit halves at `words[w]`, `words[w + 1]`.
   */
  private uint64(w: number, p: number): number {
    const b = this.b;
    const start = p;
    while (p < this.end && b[p]! >= ZERO && b[p]! <= NINE) p++;
    const n = p - start;
    if (!this.integerEnds(start, p) || n > 19) return -1;
    let lo: number;
    let hi: number;
    if (n <= 15) {
      const v = digits(b, start, p); // exact below 2^53
      lo = v % TWO_32;
      hi = (v - lo) / TWO_32;
    } else {
      // a * 10^9 + c, with a below 2^34, done in parts that stay below 2^53.
      const a = digits(b, start, p - 9);
      const c = digits(b, p - 9, p);
      if (a > 9_223_372_036 || (a === 9_223_372_036 && c > 854_775_807)) return -1; // past 2^63-1
      const aHigh = Math.floor(a / TWO_17);
      const x = aHigh * 1e9; // the value is x * 2^17 + y
      const y = (a - aHigh * TWO_17) * 1e9 + c;
      const xLow = x % TWO_15;
      const yLow = y % TWO_32;
      lo = xLow * TWO_17 + yLow;
      const carry = lo >= TWO_32 ? 1 : 0;
      lo -= carry * TWO_32;
      hi = (x - xLow) / TWO_15 + (y - yLow) / TWO_32 + carry;
    }
    this.words[w] = lo | 0;
    this.words[w + 1] = hi | 0;
    return p;
  }

  /**
   * Epoch nanoseconds (unsigned, so from 1970) before TIME_END: a later
   * time is the reference path's error, so the lane declines it.
   */
  private time(p: number): number {
    const end = this.uint64(0, p);
    if (end < 0) return -1;
    const hi = this.words[1]!;
    return hi < TIME_END_HI || (hi === TIME_END_HI && this.words[0]! >>> 0 < TIME_END_LO) ? end : -1;
  }

  /** True when digits ran from `start` to `p` and make a JSON integer: no leading zero, no fraction or exponent. */
  private integerEnds(start: number, p: number): boolean {
    const b = this.b;
    if (p === start || (b[start] === ZERO && p - start > 1)) return false;
    if (p >= this.end) return true;
    const c = b[p]!;
    return c !== 0x2e && c !== 0x65 && c !== 0x45 && !(c >= ZERO && c <= NINE);
  }

  /** `"labels": {"local": {...}, "remote": {...}}`. */
  private labelSides(p: number): number {
    const b = this.b;
    if (b[p] !== LBRACE) return -1;
    p = this.space(p + 1);
    if (b[p] === RBRACE) return p + 1;
    let sides = 0;
    for (;;) {
      if (b[p] !== QUOTE) return -1;
      const keyEnd = this.stringEnd(p + 1);
      if (keyEnd < 0) return -1;
      const side = isWord(b, p + 1, keyEnd, LOCAL) ? 0 : isWord(b, p + 1, keyEnd, REMOTE) ? 1 : -1;
      if (side < 0 || (sides & (1 << side)) !== 0) return -1;
      sides |= 1 << side;
      p = this.space(keyEnd + 1);
      if (b[p] !== COLON) return -1;
      p = this.labelMap(side, this.space(p + 1));
      if (p < 0) return -1;
      p = this.space(p);
      if (b[p] === COMMA) p = this.space(p + 1);
      else if (b[p] === RBRACE && p < this.end) return p + 1;
      else return -1;
    }
  }

  /** One side's nested labels: an object of names to string values. */
  private labelMap(side: number, p: number): number {
    const b = this.b;
    if (b[p] !== LBRACE) return -1;
    p = this.space(p + 1);
    if (b[p] === RBRACE) return p + 1;
    for (;;) {
      if (b[p] !== QUOTE) return -1;
      const nameEnd = this.stringEnd(p + 1);
      if (nameEnd < 0) return -1;
      const nameStart = p + 1;
      p = this.space(nameEnd + 1);
      if (b[p] !== COLON) return -1;
      p = this.space(p + 1);
      if (b[p] !== QUOTE) return -1;
      const valueEnd = this.stringEnd(p + 1);
      if (valueEnd < 0 || !this.addLabel(side, 0, nameStart, nameEnd, p + 1, valueEnd)) return -1;
      p = this.space(valueEnd + 1);
      if (b[p] === COMMA) p = this.space(p + 1);
      else if (b[p] === RBRACE && p < this.end) return p + 1;
      else return -1;
    }
  }

  /** A `label.local.NAME` or `label.remote.NAME` member; its value must be a string. */
  private flatLabel(keyStart: number, keyEnd: number, p: number): number {
    const b = this.b;
    const side = startsWith(b, keyStart, keyEnd, LABEL_LOCAL) ? 0 : startsWith(b, keyStart, keyEnd, LABEL_REMOTE) ? 1 : -1;
    if (side < 0 || b[p] !== QUOTE) return -1;
    const valueEnd = this.stringEnd(p + 1);
    const nameStart = keyStart + (side === 0 ? LABEL_LOCAL.length : LABEL_REMOTE.length);
    if (valueEnd < 0 || !this.addLabel(side, 1, nameStart, keyEnd, p + 1, valueEnd)) return -1;
    return valueEnd + 1;
  }

  /**
   * Notes one label; false for what the lane leaves to the reference path:
   * a name given twice, a name that starts with a digit (an object would
   * list array-index names first), too many labels, a value too long.
   */
  private addLabel(side: number, flat: number, nameStart: number, nameEnd: number, valueStart: number, valueEnd: number): boolean {
    const b = this.b;
    const n = nameEnd - nameStart;
    if (n === 0 || (b[nameStart]! >= ZERO && b[nameStart]! <= NINE) || valueEnd - valueStart > LABEL_VALUE_MAX) return false;
    const nested = this.nested[side]!;
    const flats = this.flat[side]!;
    if (nested + flats >= LANE_LABELS) return false;
    const list = this.labels;
    for (let j = 0; j < nested + flats; j++) {
      const at = side * SIDE + 4 * (j < nested ? j : LANE_LABELS + j - nested);
      if (list[at + 1]! - list[at]! === n && sameBytes(b, list[at]!, nameStart, n)) return false;
    }
    const at = side * SIDE + 4 * (flat === 0 ? nested : LANE_LABELS + flats);
    list[at] = nameStart;
    list[at + 1] = nameEnd;
    list[at + 2] = valueStart;
    list[at + 3] = valueEnd;
    if (flat === 0) this.nested[side] = nested + 1;
    else this.flat[side] = flats + 1;
    return true;
  }

  /** Checks what the object holds and adds it in client orientation. */
  private addRecord(): boolean {
    if ((this.seen & REQUIRED) !== REQUIRED) return false;
    const spans = this.spans;
    const b = this.b;
    let server = false;
    if ((this.seen & (1 << K_SESSION_TYPE)) !== 0) {
      const s = spans[2 * FIELD_SESSION_TYPE]!;
      const e = spans[2 * FIELD_SESSION_TYPE + 1]!;
      server = isWord(b, s, e, SERVER);
      if (!server && !isWord(b, s, e, CLIENT)) return false;
    }
    const words = this.words;
    if ((this.seen & (1 << K_TIME)) === 0) {
      words[0] = this.receivedLo | 0;
      words[1] = this.receivedHi | 0;
    }
    if ((this.seen & (1 << K_TOTAL_BYTES)) === 0 || this.totalNull) {
      // Forward plus reverse bytes, as validation defaults it; past 2^63-1 is the reference path's error.
      const lo = (words[2]! >>> 0) + (words[6]! >>> 0);
      const carry = lo >= TWO_32 ? 1 : 0;
      const hi = (words[3]! >>> 0) + (words[7]! >>> 0) + carry;
      if (hi > 0x7fffffff) return false;
      words[10] = (lo - carry * TWO_32) | 0;
      words[11] = hi;
    }
    const localSide = server ? 1 : 0;
    const localCount = this.nested[localSide]! + this.flat[localSide]!;
    const remoteCount = this.nested[1 - localSide]! + this.flat[1 - localSide]!;
    if (localCount > this.maxLabels || remoteCount > this.maxLabels) return false;

    // Each string's index: from the cache (already checked there), or a new string checked now.
    let r = 0;
    for (let position = 0; position < FIXED_STRINGS; position++) {
      const field = server ? SERVER_FIELD[position]! : position;
      const s = spans[2 * field]!;
      const e = spans[2 * field + 1]!;
      if (field === FIELD_VMI && ((this.seen & (1 << K_VMI)) === 0 || s === e)) this.refs[r++] = NULL_STRING;
      else if (field === FIELD_SESSION_TYPE && (this.seen & (1 << K_SESSION_TYPE)) === 0) {
        this.resolve(r++, CLIENT_STRING, position);
      } else if (!this.resolveBytes(r++, s, e, position)) return this.declineResolved();
    }
    if (!this.resolveLabels(localSide, FIXED_STRINGS, r)) return this.declineResolved();
    r += 2 * localCount;
    if (!this.resolveLabels(1 - localSide, FIXED_STRINGS + 2 * CACHED_LABELS, r)) return this.declineResolved();
    r += 2 * remoteCount;

    const refs = this.refs;
    const pending = this.pending;
    for (let j = 0; j < r; j++) {
      const s = pending[j];
      if (s !== undefined) {
        refs[j] = this.out.intern(s, refs[j]!);
        pending[j] = undefined;
      }
    }
    const ints = this.ints;
    this.out.addChecked(words, ints[0]!, ints[1]!, ints[2]!, localCount, remoteCount, refs, r);
    return true;
  }

  /**
   * Declines a record after some of its strings were resolved: the new ones
   * noted in `pending` go, or the next record added would intern them in
   * place of its own cached strings (flat-line.test.ts, "lets nothing of a
   * line it declined reach the next line").
   */
  private declineResolved(): false {
    this.pending.fill(undefined);
    return false;
  }

  private resolveLabels(side: number, position: number, r: number): boolean {
    const list = this.labels;
    const nested = this.nested[side]!;
    const count = nested + this.flat[side]!;
    for (let j = 0; j < count; j++) {
      const at = side * SIDE + 4 * (j < nested ? j : LANE_LABELS + j - nested);
      if (!this.resolveBytes(r++, list[at]!, list[at + 1]!, position++)) return false;
      if (!this.resolveBytes(r++, list[at + 2]!, list[at + 3]!, position++)) return false;
    }
    return true;
  }

  /**
   * `refs[r]`: the cached index of the string at `bytes[s..e)` for
   * `position`; or, on a miss, the new string in `pending[r]` (with its
   * position in `refs[r]`) once it passed that position's rule.
   */
  private resolveBytes(r: number, s: number, e: number, position: number): boolean {
    const cached = this.out.cachedAt(this.b, s, e, position);
    if (cached >= 0) {
      this.refs[r] = cached;
      return true;
    }
    const text = this.b.toString('latin1', s, e); // printable ASCII (stringEnd), so the same as UTF-8
    if (!acceptable(text, position)) return false;
    this.resolve(r, text, position);
    return true;
  }

  private resolve(r: number, text: string, position: number): void {
    this.pending[r] = text;
    this.refs[r] = position;
  }

  /** The offset of the quote closing a string whose content starts at `p`, or -1 when the lane declines it. */
  private stringEnd(p: number): number {
    const b = this.b;
    const end = this.end;
    for (; p < end; p++) {
      const k = STRING_BYTE[b[p]!]!;
      if (k !== PLAIN) return k === CLOSE ? p : -1;
    }
    return -1;
  }

  private space(p: number): number {
    const b = this.b;
    while (p < this.end) {
      const c = b[p];
      if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) break;
      p++;
    }
    return p;
  }

  private isNull(p: number): boolean {
    const b = this.b;
    return p + 4 <= this.end && b[p] === 0x6e && b[p + 1] === 0x75 && b[p + 2] === 0x6c && b[p + 3] === 0x6c;
  }
}

/**
 * The rule of a string's position in the layout, as validateSessionRecord
 * applies it (only strings that passed it are added at that position, so a
 * string found in the position's cache passed it too).
 */
function acceptable(text: string, position: number): boolean {
  switch (position) {
    case 0: // vn
    case 1: // vmi (empty is null, handled before)
    case 2: // remote vn
      return text.length > 0 && text.length <= STRING_MAX;
    case 3:
    case 4:
    case 5:
      return text.length <= STRING_MAX && isIP(text) !== 0;
    case 6:
      return text === 'client' || text === 'server';
    default:
      // Label names sit at odd positions from 7 on, values at even ones (lengths checked when read).
      return (position & 1) === 0 || isLabelName(text);
  }
}

/** Members of other names the lane skips in one object; an object with more takes the reference path. */
const MAX_OTHERS = 8;

/** Most labels per side the lane takes (nested and flat each); records with more take the reference path. */
const LANE_LABELS = 16;
/** Words of `labels` per side. */
const SIDE = 4 * 2 * LANE_LABELS;
/** Most strings of one record the lane lays out: the fixed ones, and a name and a value per label of either side. */
const MAX_STRINGS = FIXED_STRINGS + 2 * 2 * LANE_LABELS;

const EMPTY = Buffer.alloc(0);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const LBRACE = 0x7b;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const RBRACE = 0x7d;
const ZERO = 0x30;
const NINE = 0x39;
const TWO_15 = 2 ** 15;
const TWO_17 = 2 ** 17;
const TWO_32 = 2 ** 32;
/** TIME_END as the two 32-bit halves the lane keeps a time in. */
const TIME_END_HI = Number(TIME_END >> 32n);
const TIME_END_LO = Number(TIME_END & 0xffff_ffffn);
/** Bytes inside a string, by what the lane makes of them: printable ASCII is plain except a backslash, a quote closes, the rest declines. */
const PLAIN = 0;
const CLOSE = 1;
const DECLINE = 2;
const STRING_BYTE = new Uint8Array(256).fill(DECLINE);
STRING_BYTE.fill(PLAIN, 0x20, 0x7f);
STRING_BYTE[QUOTE] = CLOSE;
STRING_BYTE[BACKSLASH] = DECLINE;

// The fixed strings, in the layout's order (RecordBatch): spans are kept in the reporter's orientation.
const FIELD_VMI = 1;
const FIELD_SESSION_TYPE = 6;
/** For a server-side report: which reported field fills each position. */
const SERVER_FIELD = [2, 1, 0, 3, 5, 4, 6];

// The members of a flat record; the bit of each in `seen`.
const KEYS = [
  'time',
  'vn',
  'vmi',
  'remote_vn',
  'vrouter_ip',
  'local_ip',
  'client_port',
  'remote_ip',
  'server_port',
  'protocol',
  'session_type',
  'labels',
  'forward_sampled_bytes',
  'forward_sampled_pkts',
  'reverse_sampled_bytes',
  'reverse_sampled_pkts',
  'total_bytes',
] as const;
const K_TIME = 0;
const K_VN = 1;
const K_VMI = 2;
const K_REMOTE_VN = 3;
const K_VROUTER_IP = 4;
const K_LOCAL_IP = 5;
const K_CLIENT_PORT = 6;
const K_REMOTE_IP = 7;
const K_SERVER_PORT = 8;
const K_PROTOCOL = 9;
const K_SESSION_TYPE = 10;
const K_LABELS = 11;
const K_TOTAL_BYTES = 16;

/** Which fixed string each string member fills (reporter's orientation). */
//                                   time vn  vmi rvn vr  lip cp  rip sp  pr  st  lab fb  fp  rb  rp  tb
const KEY_FIELD: readonly number[] = [-1,  0, 1,  2,  3,  4,  -1, 5,  -1, -1, 6,  -1, -1, -1, -1, -1, -1];
/** Where each 64-bit member goes in `words`: the layout's order (time, forward bytes, forward packets, reverse bytes, reverse packets, total bytes). */
const KEY_WORD: readonly number[] = [0, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 2, 4, 6, 8, 10];

const REQUIRED =
  (1 << K_VN) |
  (1 << K_REMOTE_VN) |
  (1 << K_VROUTER_IP) |
  (1 << K_LOCAL_IP) |
  (1 << K_REMOTE_IP) |
  (1 << K_CLIENT_PORT) |
  (1 << K_SERVER_PORT) |
  (1 << K_PROTOCOL) |
  (1 << 12) |
  (1 << 13) |
  (1 << 14) |
  (1 << 15);

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const KEY_BYTES = KEYS.map(ascii);
const LOCAL = ascii('local');
const REMOTE = ascii('remote');
const CLIENT = ascii('client');
const SERVER = ascii('server');
const CLIENT_STRING = 'client';
const LABEL_DOT = ascii('label.');
const LABEL_LOCAL = ascii('label.local.');
const SESSION_DATA = ascii('session_data');
const SESS_AGG_INFO = ascii('sess_agg_info');
const TRUE = ascii('true');
const FALSE = ascii('false');
const LABEL_REMOTE = ascii('label.remote.');

/** The members by the first byte of their name. */
const BY_FIRST: number[][] = Array.from({ length: 256 }, () => []);
KEY_BYTES.forEach((key, k) => BY_FIRST[key[0]!]!.push(k));

/**
 * The member whose name, and its closing quote, start at `b[s]`, or -1
 * (another name, or one the string scan must read: `label.<side>.NAME`).
 */
function keyAt(b: Uint8Array, s: number, end: number): number {
  const candidates = BY_FIRST[b[s]!]!;
  for (let j = 0; j < candidates.length; j++) {
    const k = candidates[j]!;
    const key = KEY_BYTES[k]!;
    if (s + key.length < end && b[s + key.length] === QUOTE && equals(b, s, key)) return k;
  }
  return -1;
}

function skipSpace(b: Buffer, p: number, end: number): number {
  while (p < end) {
    const c = b[p];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) break;
    p++;
  }
  return p;
}

/** Whether `b[s..s+n)` equals `b[t..t+n)`. */
function sameBytes(b: Uint8Array, s: number, t: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (b[s + i] !== b[t + i]) return false;
  return true;
}

/** Whether `b` holds `word` from `s` on. */
function equals(b: Uint8Array, s: number, word: Uint8Array): boolean {
  for (let i = 0; i < word.length; i++) if (b[s + i] !== word[i]) return false;
  return true;
}

function isWord(b: Uint8Array, s: number, e: number, word: Uint8Array): boolean {
  return e - s === word.length && equals(b, s, word);
}

function startsWith(b: Uint8Array, s: number, e: number, prefix: Uint8Array): boolean {
  return e - s >= prefix.length && equals(b, s, prefix);
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= ZERO && c <= NINE;
}

/** The value of the decimal digits `b[s..e)` (exact up to 15 digits). */
function digits(b: Uint8Array, s: number, e: number): number {
  let v = 0;
  for (let i = s; i < e; i++) v = v * 10 + b[i]! - ZERO;
  return v;
}
