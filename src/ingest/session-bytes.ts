import { isIP } from 'node:net';
import {
  CACHED_LABELS,
  FIXED_STRINGS,
  GatewayError,
  LITTLE_ENDIAN,
  NULL_STRING,
  STRING_MAX,
  validateSessionRecord,
  type RecordBatchBuilder,
  type RecordContext,
} from '../model/index.js';
import { integerValue } from './json-parser.js';
import { internHeader } from './session-lane.js';

/**
 * The byte lane of SessionEndpoint messages (ARCHITECTURE §3): reads a
 * message from the bytes of the request straight into the batch's columns,
 * without JSON.parse, a decoded message or an object per session
 * (docs/decisions.md, "SessionEndpoint messages from bytes to columns").
 *
 * It takes a message only in the forms it can vouch for: an object with
 * `sess_agg_info`, its members in any order, each known key once; strings
 * of printable ASCII without escapes; ports, protocols and counters as
 * integers without sign, fraction or exponent (counters up to 2^63-1);
 * `time` as a string, such an integer or null; `is_client_session` 0, 1,
 * true or false; `labels` and `remote_labels` null or lists of strings;
 * other members (each name once) with a string, number, true, false or null
 * value. What the message's records share (time, networks, interface,
 * vRouter, labels) is validated by validateSessionRecord itself on the
 * message's header, as SessionEndpointLane does; each session's address,
 * ports and counters by the same rules. Anything else, valid or not, and
 * the lane declines the whole message with nothing added: the reference
 * path reads it, and every error message and dead letter comes from there.
 * The differential tests (session-lane.test.ts, session-bytes.test.ts) hold
 * the paths to the same records.
 */
export class SessionBytesReader {
  private b: Buffer = EMPTY;
  private end = 0;
  /** Names of unknown members of the objects being read, as [start, end) pairs: each object's from its base on. */
  private others: Int32Array = new Int32Array(64);
  private otherTop = 0;
  /** The known members the last object held, one bit per key id. */
  private lastSeen = 0;

  // The message's header, as spans of the bytes.
  private readonly spans = new Int32Array(2 * H_COUNT);
  /** Per header string: 0 absent, 1 a string (its span), 2 null, 3 an integer (time only). */
  private readonly kinds = new Uint8Array(H_COUNT);
  private clientSession = -1;
  /** Per side, the spans of its label strings (start, end) and how many; -1: null or absent. */
  private labelSpans: Int32Array[] = [new Int32Array(2 * 16), new Int32Array(2 * 16)];
  private readonly labelCounts = new Int32Array(2);

  // The aggregates and sessions of the message.
  private aggCount = 0;
  private aggs: Int32Array = new Int32Array(AGG_WORDS * 4);
  private sessionCount = 0;
  private sessions: Int32Array = new Int32Array(SESSION_WORDS * 16);
  /** What the object being read belongs to: the current aggregate, session and flow. */
  private agg = 0;
  private session = 0;
  private flow = 0;

  private readonly words = new Int32Array(12);
  private refs = new Int32Array(FIXED_STRINGS + 4 * 16);
  /** How many records the last message read added. */
  added = 0;

  constructor(
    private readonly ctx: RecordContext,
    private readonly out: RecordBatchBuilder,
  ) {}

  /**
   * Reads the top-level item at `bytes[from]` (after white space) up to
   * `end`: a SessionEndpoint message, or `{"session_data": [messages]}`.
   * Adds every record it holds and returns the offset after it, with
   * `added` set; or returns -1 with nothing added. `whole`: only white
   * space may follow it before `end` (an NDJSON line).
   */
  item(bytes: Buffer, from: number, end: number, whole = false): number {
    if (!LITTLE_ENDIAN) return -1;
    this.b = bytes;
    this.end = end;
    this.otherTop = 0;
    const mark = this.out.mark();
    const p = this.space(from);
    let after = this.message(p);
    if (after === WRAPPER) after = this.wrapper(p);
    if (after >= 0 && whole && this.space(after) !== end) after = -1;
    if (after < 0) {
      this.out.rollback(mark);
      return -1;
    }
    this.added = this.out.length - mark.records;
    return after;
  }

  /** `{"session_data": [messages], ...scalars}`: each message read and added in turn. */
  private wrapper(p: number): number {
    const b = this.b;
    if (b[p] !== LBRACE) return -1;
    this.otherTop = 0;
    let list = false;
    p = this.space(p + 1);
    if (b[p] === RBRACE) return -1;
    for (;;) {
      if (b[p] !== QUOTE) return -1;
      const ks = p + 1;
      const ke = this.stringEnd(ks);
      if (ke < 0) return -1;
      p = this.space(ke + 1);
      if (b[p] !== COLON) return -1;
      p = this.space(p + 1);
      if (isWord(b, ks, ke, SESSION_DATA)) {
        if (list || b[p] !== LBRACKET) return -1;
        list = true;
        p = this.space(p + 1);
        if (b[p] === RBRACKET) p++;
        else {
          for (;;) {
            const base = this.otherTop;
            p = this.message(p);
            if (p < 0) return -1;
            this.otherTop = base;
            p = this.space(p);
            if (b[p] === COMMA) p = this.space(p + 1);
            else if (b[p] === RBRACKET) {
              p++;
              break;
            } else return -1;
          }
        }
      } else {
        if (isWord(b, ks, ke, SESS_AGG_INFO) || !this.other(0, ks, ke)) return -1;
        p = this.scalar(p);
        if (p < 0) return -1;
      }
      p = this.space(p);
      if (b[p] === COMMA) p = this.space(p + 1);
      else if (b[p] === RBRACE && list) return p + 1;
      else return -1;
    }
  }

  /** One message at `p`: read, then its records added. The offset after it; -1; or WRAPPER when it holds `session_data`. */
  private message(p: number): number {
    this.aggCount = 0;
    this.sessionCount = 0;
    this.clientSession = -1;
    this.kinds.fill(0);
    this.labelCounts[0] = this.labelCounts[1] = -1;
    const base = this.otherTop;
    const after = this.object(p, O_MESSAGE);
    this.otherTop = base;
    if (after < 0) return after;
    if ((this.lastSeen & (1 << M_SESS_AGG_INFO)) === 0 || this.clientSession < 0) return -1;
    return this.addMessage() ? after : -1;
  }

  /**
   * An object of `kind` at `p`: each member read by `member`; the offset
   * after it, or -1. `lastSeen` then holds its known members.
   */
  private object(p: number, kind: number): number {
    const b = this.b;
    if (b[p] !== LBRACE) return -1;
    const base = this.otherTop;
    let seen = 0;
    p = this.space(p + 1);
    if (b[p] !== RBRACE) {
      for (;;) {
        if (b[p] !== QUOTE) return -1;
        const ks = p + 1;
        const ke = this.stringEnd(ks);
        if (ke < 0) return -1;
        p = this.space(ke + 1);
        if (b[p] !== COLON) return -1;
        p = this.space(p + 1);
        const key = keyOf(kind, b, ks, ke);
        if (key === WRAPPER) return WRAPPER;
        if (key < 0) {
          if (!this.other(base, ks, ke)) return -1;
          p = this.scalar(p);
        } else {
          const bit = 1 << key;
          if ((seen & bit) !== 0) return -1;
          seen |= bit;
          p = this.member(kind, key, p);
        }
        if (p < 0) return -1;
        p = this.space(p);
        if (b[p] === COMMA) {
          p = this.space(p + 1);
          continue;
        }
        if (b[p] !== RBRACE) return -1;
        break;
      }
    }
    this.otherTop = base;
    this.lastSeen = seen;
    return p < this.end ? p + 1 : -1;
  }

  /** Notes an unknown member's name; false when the object named it already. */
  private other(base: number, ks: number, ke: number): boolean {
    const b = this.b;
    const o = this.others;
    const n = ke - ks;
    for (let j = base; j < this.otherTop; j += 2) {
      if (o[j + 1]! - o[j]! === n && sameBytes(b, o[j]!, ks, n)) return false;
    }
    if (this.otherTop + 2 > o.length) this.others = grown(o);
    this.others[this.otherTop++] = ks;
    this.others[this.otherTop++] = ke;
    return true;
  }

  /** A known member's value at `p`; the offset after it, or -1. */
  private member(kind: number, key: number, p: number): number {
    const b = this.b;
    switch (kind) {
      case O_MESSAGE:
        switch (key) {
          case M_TIME:
            if (this.isNull(p)) return this.headerNull(H_TIME, p);
            if (b[p] !== QUOTE) {
              const e = this.digitsEnd(p);
              if (e < 0) return -1;
              this.kinds[H_TIME] = 3;
              this.spans[2 * H_TIME] = p;
              this.spans[2 * H_TIME + 1] = e;
              return e;
            }
            return this.headerString(H_TIME, p);
          case M_VN:
            return this.headerString(H_VN, p);
          case M_VMI:
            return this.isNull(p) ? this.headerNull(H_VMI, p) : this.headerString(H_VMI, p);
          case M_REMOTE_VN:
            return this.headerString(H_REMOTE_VN, p);
          case M_VROUTER_IP:
            return this.headerString(H_VROUTER_IP, p);
          case M_IS_CLIENT_SESSION:
            if (b[p] === ONE || b[p] === ZERO) {
              if (isDigit(b[p + 1]) || b[p + 1] === DOT || b[p + 1] === 0x65 || b[p + 1] === 0x45) return -1;
              this.clientSession = b[p] === ONE ? 1 : 0;
              return p + 1;
            }
            if (equals(b, p, TRUE)) {
              this.clientSession = 1;
              return p + 4;
            }
            if (equals(b, p, FALSE)) {
              this.clientSession = 0;
              return p + 5;
            }
            return -1;
          case M_LABELS:
            return this.labelList(0, p);
          case M_REMOTE_LABELS:
            return this.labelList(1, p);
          default: // M_SESS_AGG_INFO
            return this.list(p, O_AGG);
        }
      case O_AGG: {
        const e = this.object(p, key === A_KEY ? O_AGG_KEY : O_AGG_VALUE);
        if (e >= 0) this.aggs[this.agg * AGG_WORDS + 6 + key] = this.lastSeen;
        return e;
      }
      case O_AGG_KEY: {
        const a = this.agg * AGG_WORDS;
        if (key === K_LOCAL_IP) return this.span(this.aggs, a, p);
        const e = this.smallInt(p, key === K_PROTOCOL ? 255 : 65535);
        if (e >= 0) this.aggs[a + (key === K_PROTOCOL ? 3 : 2)] = this.intValue;
        return e;
      }
      case O_AGG_VALUE: // sessionMap
        return this.list(p, O_SESSION);
      case O_SESSION: {
        const e = this.object(p, key === S_KEY ? O_SESSION_KEY : O_SESSION_VALUE);
        if (e >= 0) this.sessions[this.session * SESSION_WORDS + 11 + key] = this.lastSeen;
        return e;
      }
      case O_SESSION_KEY: {
        const s = this.session * SESSION_WORDS;
        if (key === SK_IP) return this.span(this.sessions, s, p);
        const e = this.smallInt(p, 65535);
        if (e >= 0) this.sessions[s + 2] = this.intValue;
        return e;
      }
      case O_SESSION_VALUE: {
        this.flow = key === SV_FORWARD ? 0 : 1;
        const e = this.object(p, O_FLOW);
        return e >= 0 && this.lastSeen === 3 ? e : -1;
      }
      default: // O_FLOW
        return this.uint64(this.session * SESSION_WORDS + 3 + 4 * this.flow + 2 * key, p);
    }
  }

  /** A list of aggregates (O_AGG) or of sessions (O_SESSION): each a new entry, checked whole once read. */
  private list(p: number, kind: number): number {
    const b = this.b;
    if (b[p] !== LBRACKET) return -1;
    p = this.space(p + 1);
    if (b[p] === RBRACKET) return p + 1;
    for (;;) {
      if (kind === O_AGG) {
        const a = this.aggCount++;
        if ((a + 1) * AGG_WORDS > this.aggs.length) this.aggs = grown(this.aggs);
        const at = a * AGG_WORDS;
        this.aggs[at + 4] = this.sessionCount;
        this.aggs[at + 6] = this.aggs[at + 7] = 0;
        this.agg = a;
        p = this.object(p, O_AGG);
        if (p < 0) return -1;
        // Both members, then the key's three (its lastSeen is gone: checked through the fields set).
        if (this.lastSeen !== 3 || this.aggs[at + 6] !== 7 || this.aggs[at + 7] !== 1) return -1;
        this.aggs[at + 5] = this.sessionCount - this.aggs[at + 4]!;
      } else {
        const s = this.sessionCount++;
        if ((s + 1) * SESSION_WORDS > this.sessions.length) this.sessions = grown(this.sessions);
        this.session = s;
        this.sessions[s * SESSION_WORDS + 11] = this.sessions[s * SESSION_WORDS + 12] = 0;
        p = this.object(p, O_SESSION);
        if (p < 0 || this.lastSeen !== 3 || this.sessions[s * SESSION_WORDS + 11] !== 3 || this.sessions[s * SESSION_WORDS + 12] !== 3) return -1;
      }
      p = this.space(p);
      if (b[p] === COMMA) p = this.space(p + 1);
      else return b[p] === RBRACKET ? p + 1 : -1;
    }
  }

  private intValue = 0;

  /** A port or the protocol: digits whose value is at most `max`, into `intValue`. */
  private smallInt(p: number, max: number): number {
    const b = this.b;
    const start = p;
    let v = 0;
    while (p < this.end && isDigit(b[p]) && p - start < 6) v = v * 10 + b[p++]! - ZERO;
    if (!this.integerEnds(start, p) || v > max) return -1;
    this.intValue = v;
    return p;
  }

  /** The end of a JSON integer without sign at `p` (at most 19 digits), or -1. */
  private digitsEnd(p: number): number {
    const start = p;
    while (p < this.end && isDigit(this.b[p])) p++;
    return this.integerEnds(start, p) && p - start <= 19 ? p : -1;
  }

  /**
   * A counter: a non-negative integer of at most 2^63-1, as two 32-bit
   * halves at `sessions[w]`, `sessions[w + 1]`.
   */
  private uint64(w: number, p: number): number {
    const b = this.b;
    const start = p;
    const e = this.digitsEnd(p);
    if (e < 0) return -1;
    const n = e - start;
    let lo: number;
    let hi: number;
    if (n <= 15) {
      const v = digits(b, start, e);
      lo = v % TWO_32;
      hi = (v - lo) / TWO_32;
    } else {
      const a = digits(b, start, e - 9);
      const c = digits(b, e - 9, e);
      if (a > 9_223_372_036 || (a === 9_223_372_036 && c > 854_775_807)) return -1;
      const aHigh = Math.floor(a / TWO_17);
      const x = aHigh * 1e9;
      const y = (a - aHigh * TWO_17) * 1e9 + c;
      const xLow = x % TWO_15;
      const yLow = y % TWO_32;
      lo = xLow * TWO_17 + yLow;
      const carry = lo >= TWO_32 ? 1 : 0;
      lo -= carry * TWO_32;
      hi = (x - xLow) / TWO_15 + (y - yLow) / TWO_32 + carry;
    }
    const s = this.sessions;
    s[w] = lo | 0;
    s[w + 1] = hi | 0;
    return e;
  }

  private integerEnds(start: number, p: number): boolean {
    const b = this.b;
    if (p === start || (b[start] === ZERO && p - start > 1)) return false;
    if (p >= this.end) return true;
    const c = b[p]!;
    return c !== DOT && c !== 0x65 && c !== 0x45 && !isDigit(c);
  }

  /** A string's span into `words[at]`, `words[at + 1]`. */
  private span(words: Int32Array, at: number, p: number): number {
    if (this.b[p] !== QUOTE) return -1;
    const e = this.stringEnd(p + 1);
    if (e < 0) return -1;
    words[at] = p + 1;
    words[at + 1] = e;
    return e + 1;
  }

  private headerString(h: number, p: number): number {
    if (this.b[p] !== QUOTE) return -1;
    const e = this.stringEnd(p + 1);
    if (e < 0) return -1;
    this.kinds[h] = 1;
    this.spans[2 * h] = p + 1;
    this.spans[2 * h + 1] = e;
    return e + 1;
  }

  private headerNull(h: number, p: number): number {
    this.kinds[h] = 2;
    return p + 4;
  }

  /** `labels` or `remote_labels`: null, or a list of strings. */
  private labelList(side: number, p: number): number {
    const b = this.b;
    if (this.isNull(p)) return p + 4;
    if (b[p] !== LBRACKET) return -1;
    let n = 0;
    let spans = this.labelSpans[side]!;
    p = this.space(p + 1);
    if (b[p] === RBRACKET) {
      this.labelCounts[side] = 0;
      return p + 1;
    }
    for (;;) {
      if (b[p] !== QUOTE) return -1;
      const e = this.stringEnd(p + 1);
      if (e < 0) return -1;
      if (2 * n + 2 > spans.length) spans = this.labelSpans[side] = grown(spans);
      spans[2 * n] = p + 1;
      spans[2 * n + 1] = e;
      n++;
      p = this.space(e + 1);
      if (b[p] === COMMA) p = this.space(p + 1);
      else if (b[p] === RBRACKET) {
        this.labelCounts[side] = n;
        return p + 1;
      } else return -1;
    }
  }

  /** Validates the message's header and adds a record per session; false when the reference path must read it. */
  private addMessage(): boolean {
    const b = this.b;
    const latin1 = (h: number): unknown => {
      const k = this.kinds[h];
      return k === 0 ? undefined : k === 2 ? null : text(b, this.spans[2 * h]!, this.spans[2 * h + 1]!);
    };
    const sessionType = this.clientSession === 1 ? 'client' : 'server';
    let time: unknown = latin1(H_TIME);
    if (this.kinds[H_TIME] === 3) time = integerValue(time as string);
    let header;
    try {
      header = validateSessionRecord(
        {
          time,
          vn: latin1(H_VN),
          vmi: latin1(H_VMI),
          remoteVn: latin1(H_REMOTE_VN),
          vrouterIp: latin1(H_VROUTER_IP),
          localIp: STAND_IN_IP,
          clientPort: 0,
          remoteIp: STAND_IN_IP,
          serverPort: 0,
          protocol: 0,
          sessionType,
          localLabels: this.agentLabels(0),
          remoteLabels: this.agentLabels(1),
          forwardSampledBytes: 0,
          forwardSampledPkts: 0,
          reverseSampledBytes: 0,
          reverseSampledPkts: 0,
        },
        this.ctx,
      );
    } catch (e) {
      if (e instanceof GatewayError) return false;
      throw e;
    }
    const out = this.out;
    const server = sessionType === 'server';
    const { refs, localCount, remoteCount, refCount } = internHeader(out, header, this.refs);
    this.refs = refs;
    const words = this.words;
    const t = header.time;
    words[0] = Number(t & 0xffff_ffffn) | 0;
    words[1] = Number((t >> 32n) & 0xffff_ffffn) | 0;
    // The reported local address (the aggregate's) is the client's unless the server reported.
    const aggPosition = server ? 5 : 4;
    const sessionPosition = server ? 4 : 5;
    const aggs = this.aggs;
    const sessions = this.sessions;
    for (let a = 0; a < this.aggCount; a++) {
      const at = a * AGG_WORDS;
      const count = aggs[at + 5]!;
      if (count === 0) continue;
      const local = this.address(aggs[at]!, aggs[at + 1]!, aggPosition);
      if (local < 0) return false;
      refs[aggPosition] = local;
      const serverPort = aggs[at + 2]!;
      const protocol = aggs[at + 3]!;
      for (let s = aggs[at + 4]!, last = s + count; s < last; s++) {
        const k = s * SESSION_WORDS;
        const ip = this.address(sessions[k]!, sessions[k + 1]!, sessionPosition);
        if (ip < 0) return false;
        for (let j = 0; j < 8; j++) words[2 + j] = sessions[k + 3 + j]!;
        // Total bytes, forward plus reverse, as validation defaults it; past 2^63-1 the reference path's error.
        const lo = (words[2]! >>> 0) + (words[6]! >>> 0);
        const carry = lo >= TWO_32 ? 1 : 0;
        const hi = (words[3]! >>> 0) + (words[7]! >>> 0) + carry;
        if (hi > 0x7fffffff) return false;
        words[10] = (lo - carry * TWO_32) | 0;
        words[11] = hi;
        refs[sessionPosition] = ip;
        out.addChecked(words, sessions[k + 2]!, serverPort, protocol, localCount, remoteCount, refs, refCount);
      }
    }
    return true;
  }

  /** The dictionary index of the address at `b[s..e)` for `position` (4 or 5), or -1 when it is not one. */
  private address(s: number, e: number, position: number): number {
    const cached = this.out.cachedAt(this.b, s, e, position);
    if (cached >= 0) return cached;
    const ip = text(this.b, s, e);
    if (ip.length === 0 || ip.length > STRING_MAX || isIP(ip) === 0) return -1;
    return this.out.intern(ip, position);
  }

  /** A side's labels as agentLabels makes them: {name, value} pairs split at the first `=`; [] when null or absent. */
  private agentLabels(side: number): { name: string; value: string }[] {
    const n = this.labelCounts[side]!;
    if (n <= 0) return [];
    const spans = this.labelSpans[side]!;
    const out: { name: string; value: string }[] = new Array(n);
    const b = this.b;
    for (let i = 0; i < n; i++) {
      const s = spans[2 * i]!;
      const e = spans[2 * i + 1]!;
      let eq = s;
      while (eq < e && b[eq] !== EQUALS) eq++;
      out[i] = eq === e ? { name: text(b, s, e), value: '' } : { name: text(b, s, eq), value: text(b, eq + 1, e) };
    }
    return out;
  }

  /** Skips a JSON string, number, true, false or null at `p`; the offset after it, or -1. */
  private scalar(p: number): number {
    const b = this.b;
    const c = b[p];
    if (c === QUOTE) {
      const e = this.stringEnd(p + 1);
      return e < 0 ? -1 : e + 1;
    }
    if (c === 0x74) return equals(b, p, TRUE) ? p + 4 : -1;
    if (c === 0x66) return equals(b, p, FALSE) ? p + 5 : -1;
    if (c === 0x6e) return this.isNull(p) ? p + 4 : -1;
    if (c === MINUS) p++;
    if (b[p] === ZERO) p++;
    else if (isDigit(b[p])) while (isDigit(b[p])) p++;
    else return -1;
    if (b[p] === DOT) {
      if (!isDigit(b[++p])) return -1;
      while (isDigit(b[p])) p++;
    }
    if (b[p] === 0x65 || b[p] === 0x45) {
      p++;
      if (b[p] === 0x2b || b[p] === MINUS) p++;
      if (!isDigit(b[p])) return -1;
      while (isDigit(b[p])) p++;
    }
    return p <= this.end ? p : -1;
  }

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

/** `message` found `session_data`: the item is read as a list of messages, if at all. */
const WRAPPER = -2;

// Kinds of object, and the ids of their known keys (bits of `lastSeen`).
const O_MESSAGE = 0;
const O_AGG = 1;
const O_AGG_KEY = 2;
const O_AGG_VALUE = 3;
const O_SESSION = 4;
const O_SESSION_KEY = 5;
const O_SESSION_VALUE = 6;
const O_FLOW = 7;

const M_TIME = 0;
const M_VN = 1;
const M_VMI = 2;
const M_REMOTE_VN = 3;
const M_VROUTER_IP = 4;
const M_IS_CLIENT_SESSION = 5;
const M_LABELS = 6;
const M_REMOTE_LABELS = 7;
const M_SESS_AGG_INFO = 8;
const A_KEY = 0;
const K_LOCAL_IP = 0;
const K_PROTOCOL = 2;
const S_KEY = 0;
const SK_IP = 0;
const SV_FORWARD = 0;

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
/** Per kind of object, its known keys in id order. */
const KEYS: readonly (readonly Uint8Array[])[] = [
  ['time', 'vn', 'vmi', 'remote_vn', 'vrouter_ip', 'is_client_session', 'labels', 'remote_labels', 'sess_agg_info'].map(ascii),
  ['key', 'value'].map(ascii),
  ['local_ip', 'service_port', 'protocol'].map(ascii),
  ['sessionMap'].map(ascii),
  ['key', 'value'].map(ascii),
  ['ip', 'port'].map(ascii),
  ['forward_flow_info', 'reverse_flow_info'].map(ascii),
  ['sampled_bytes', 'sampled_pkts'].map(ascii),
];
const SESSION_DATA = ascii('session_data');
const SESS_AGG_INFO = ascii('sess_agg_info');
const TRUE = ascii('true');
const FALSE = ascii('false');

/** The id of the key `b[s..e)` in objects of `kind`; -1 for another name; WRAPPER for `session_data` in a message. */
function keyOf(kind: number, b: Uint8Array, s: number, e: number): number {
  const keys = KEYS[kind]!;
  const n = e - s;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    if (key.length === n && equals(b, s, key)) return k;
  }
  return kind === O_MESSAGE && isWord(b, s, e, SESSION_DATA) ? WRAPPER : -1;
}

// The header's strings.
const H_TIME = 0;
const H_VN = 1;
const H_VMI = 2;
const H_REMOTE_VN = 3;
const H_VROUTER_IP = 4;
const H_COUNT = 5;

/**
 * Per aggregate: local_ip start and end, service port, protocol, first
 * session, session count; then which of its members were read (bits of key
 * and value, and of the key's three members) to check it whole.
 */
const AGG_WORDS = 8;
/** Per session: ip start and end, port, the four counters as word pairs (forward bytes, packets, reverse bytes, packets), then the bits of each flow's members. */
const SESSION_WORDS = 13;

const STAND_IN_IP = '0.0.0.0';
const EMPTY = Buffer.alloc(0);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const ZERO = 0x30;
const ONE = 0x31;
const DOT = 0x2e;
const MINUS = 0x2d;
const EQUALS = 0x3d;
const TWO_15 = 2 ** 15;
const TWO_17 = 2 ** 17;
const TWO_32 = 2 ** 32;
const PLAIN = 0;
const CLOSE = 1;
const DECLINE = 2;
const STRING_BYTE = new Uint8Array(256).fill(DECLINE);
STRING_BYTE.fill(PLAIN, 0x20, 0x7f);
STRING_BYTE[QUOTE] = CLOSE;
STRING_BYTE[BACKSLASH] = DECLINE;

function text(b: Buffer, s: number, e: number): string {
  return b.toString('latin1', s, e); // printable ASCII (stringEnd): the same as UTF-8
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= ZERO && c <= 0x39;
}

function digits(b: Uint8Array, s: number, e: number): number {
  let v = 0;
  for (let i = s; i < e; i++) v = v * 10 + b[i]! - ZERO;
  return v;
}

function sameBytes(b: Uint8Array, s: number, t: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (b[s + i] !== b[t + i]) return false;
  return true;
}

function equals(b: Uint8Array, s: number, word: Uint8Array): boolean {
  for (let i = 0; i < word.length; i++) if (b[s + i] !== word[i]) return false;
  return true;
}

function isWord(b: Uint8Array, s: number, e: number, word: Uint8Array): boolean {
  return e - s === word.length && equals(b, s, word);
}

function grown(a: Int32Array): Int32Array<ArrayBuffer> {
  const next = new Int32Array(a.length * 2);
  next.set(a);
  return next;
}
