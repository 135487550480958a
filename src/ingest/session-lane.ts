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
  type SessionRecord,
  type RecordContext,
} from '../model/index.js';
import { agentLabels, isClientSession, isObject } from './session-decoder.js';

/**
 * The fast lane of SessionEndpoint messages (ARCHITECTURE §3): lays out a
 * decoded message's records straight into the batch's columns, without a
 * candidate, a validated record or a cut-down `raw` message per session
 * (docs/decisions.md, "SessionEndpoint messages take a lane to columns").
 *
 * What a message's records share (time, networks, interface, vRouter,
 * session type, labels) is validated once, by validateSessionRecord itself
 * on the message's header with stand-in values for what each session
 * brings, and each of those strings is looked up in the batch's dictionary
 * once per message: its records share the entries. What each session brings
 * (the aggregate's local address, service port and protocol, the session's
 * address, port and counters) is checked by the rules of validateSessionRecord
 * for the usual forms (numbers, strings of addresses); anything else, valid
 * or not, makes the lane decline the whole message, and the reference path
 * (expandSessionEndpoint, validateSessionRecord) reads it: every error
 * message and every `raw` kept in the dead-letter log comes from there. A
 * differential test (session-lane.test.ts) holds the two to the same records.
 */
export class SessionEndpointLane {
  private words = new Int32Array(12);
  private refs = new Int32Array(FIXED_STRINGS + 4 * 16);

  constructor(
    private readonly ctx: RecordContext,
    private readonly out: RecordBatchBuilder,
  ) {}

  /**
   * Adds every record of the SessionEndpoint message `m` (an object with
   * `sess_agg_info`) in order and returns how many; or returns -1 with
   * nothing added when the reference path must read the message.
   */
  add(m: unknown): number {
    if (!LITTLE_ENDIAN || !isObject(m)) return -1;
    const aggs = m['sess_agg_info'];
    if (!Array.isArray(aggs)) return -1;
    const sessionType = isClientSession(m['is_client_session']);
    if (sessionType === undefined) return -1;
    const localLabels = agentLabels(m['labels'], 'labels');
    const remoteLabels = agentLabels(m['remote_labels'], 'remote_labels');
    if (typeof localLabels === 'string' || typeof remoteLabels === 'string') return -1;
    let header;
    try {
      header = validateSessionRecord(
        {
          time: m['time'],
          vn: m['vn'],
          vmi: m['vmi'],
          remoteVn: m['remote_vn'],
          vrouterIp: m['vrouter_ip'],
          localIp: STAND_IN_IP,
          clientPort: 0,
          remoteIp: STAND_IN_IP,
          serverPort: 0,
          protocol: 0,
          sessionType,
          localLabels,
          remoteLabels,
          forwardSampledBytes: 0,
          forwardSampledPkts: 0,
          reverseSampledBytes: 0,
          reverseSampledPkts: 0,
        },
        this.ctx,
      );
    } catch (e) {
      if (e instanceof GatewayError) return -1;
      throw e;
    }
    const out = this.out;
    const mark = out.mark();
    const server = sessionType === 'server';
    // The strings every record of the message shares, in client orientation (validateSessionRecord turned them).
    const { refs, localCount, remoteCount, refCount } = internHeader(out, header, this.refs);
    this.refs = refs;
    const words = this.words;
    setWords(words, 0, header.time);
    // The reported local address (the aggregate's) is the client's unless the server reported.
    const aggPosition = server ? 5 : 4;
    const sessionPosition = server ? 4 : 5;
    let added = 0;
    for (let a = 0; a < aggs.length; a++) {
      const agg: unknown = aggs[a];
      if (!isObject(agg)) return this.decline(mark);
      const key = agg['key'];
      const value = agg['value'];
      if (!isObject(key) || !isObject(value)) return this.decline(mark);
      const sessionMap = value['sessionMap'];
      const localIp = key['local_ip'];
      const serverPort = smallInt(key['service_port'], 65535);
      const protocol = smallInt(key['protocol'], 255);
      if (!Array.isArray(sessionMap) || !isAddress(localIp) || serverPort < 0 || protocol < 0) return this.decline(mark);
      if (sessionMap.length === 0) continue;
      refs[aggPosition] = out.intern(localIp, aggPosition);
      for (let i = 0; i < sessionMap.length; i++) {
        const s: unknown = sessionMap[i];
        if (!isObject(s)) return this.decline(mark);
        const sk = s['key'];
        const sv = s['value'];
        if (!isObject(sk) || !isObject(sv)) return this.decline(mark);
        const fwd = sv['forward_flow_info'];
        const rev = sv['reverse_flow_info'];
        if (!isObject(fwd) || !isObject(rev)) return this.decline(mark);
        const ip = sk['ip'];
        const clientPort = smallInt(sk['port'], 65535);
        const fb = fwd['sampled_bytes'];
        const rb = rev['sampled_bytes'];
        if (
          clientPort < 0 ||
          !isAddress(ip) ||
          !counterWords(words, 2, fb) ||
          !counterWords(words, 4, fwd['sampled_pkts']) ||
          !counterWords(words, 6, rb) ||
          !counterWords(words, 8, rev['sampled_pkts']) ||
          !totalWords(words, fb as number | bigint, rb as number | bigint)
        ) {
          return this.decline(mark);
        }
        refs[sessionPosition] = out.intern(ip, sessionPosition);
        out.addChecked(words, clientPort, serverPort, protocol, localCount, remoteCount, refs, refCount);
        added++;
      }
    }
    return added;
  }

  private decline(mark: ReturnType<RecordBatchBuilder['mark']>): -1 {
    this.out.rollback(mark);
    return -1;
  }
}

/** Valid for every address column (validateSessionRecord takes them apart only after). */
const STAND_IN_IP = '0.0.0.0';
const TWO_32 = 2 ** 32;
const TWO_53 = 2 ** 53;
const TWO_63 = 2 ** 63;
const MAX_I64 = (1n << 63n) - 1n;

/** A port or the protocol as a JSON number the reference path takes (0..max); -1 for anything else. */
function smallInt(v: unknown, max: number): number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max ? v : -1;
}

/** An address as validateSessionRecord takes it: a string of 1 to STRING_MAX characters that is an IPv4 or IPv6 address. */
function isAddress(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= STRING_MAX && isIP(v) !== 0;
}

/**
 * A counter as validateSessionRecord takes it from a JSON number or an
 * exact big integer (0 to 2^63-1), written as two 32-bit halves at
 * `words[2w]`; false for anything else (a decimal string, say: the
 * reference path reads it).
 */
function counterWords(words: Int32Array, w: number, v: unknown): boolean {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0 || v >= TWO_63) return false;
    const lo = v % TWO_32;
    words[w] = lo | 0;
    words[w + 1] = ((v - lo) / TWO_32) | 0;
    return true;
  }
  if (typeof v === 'bigint') {
    if (v < 0n || v > MAX_I64) return false;
    setWords(words, w, v);
    return true;
  }
  return false;
}

/** Total bytes as validation defaults it (forward plus reverse), past 2^63-1 the reference path's error. */
function totalWords(words: Int32Array, fb: number | bigint, rb: number | bigint): boolean {
  if (typeof fb === 'number' && typeof rb === 'number' && fb + rb < TWO_53) {
    const v = fb + rb;
    const lo = v % TWO_32;
    words[10] = lo | 0;
    words[11] = ((v - lo) / TWO_32) | 0;
    return true;
  }
  const total = BigInt(fb) + BigInt(rb);
  if (total > MAX_I64) return false;
  setWords(words, 10, total);
  return true;
}

/**
 * Interns the strings every record of a message shares (networks, interface,
 * vRouter, session type, labels; in client orientation) into `refs`, grown
 * when the labels need more room, at the positions RecordBatchBuilder's
 * per-position cache expects. Returns the array holding them and the label counts. Both message
 * lanes (this one and SessionBytesReader) lay out a message's header so.
 */
export function internHeader(out: RecordBatchBuilder, header: SessionRecord, refs: Int32Array<ArrayBuffer>): InternedHeader {
  let localCount = 0;
  let remoteCount = 0;
  for (const _ in header.localLabels) localCount++;
  for (const _ in header.remoteLabels) remoteCount++;
  const refCount = FIXED_STRINGS + 2 * (localCount + remoteCount);
  if (refs.length < refCount) refs = new Int32Array(refCount);
  refs[0] = out.intern(header.vn, 0);
  refs[1] = header.vmi === null ? NULL_STRING : out.intern(header.vmi, 1);
  refs[2] = out.intern(header.remoteVn, 2);
  refs[3] = out.intern(header.vrouterIp, 3);
  refs[6] = out.intern(header.sessionType, 6);
  let r = FIXED_STRINGS;
  let position = FIXED_STRINGS;
  for (const name in header.localLabels) {
    refs[r++] = out.intern(name, position++);
    refs[r++] = out.intern(header.localLabels[name]!, position++);
  }
  position = FIXED_STRINGS + 2 * CACHED_LABELS;
  for (const name in header.remoteLabels) {
    refs[r++] = out.intern(name, position++);
    refs[r++] = out.intern(header.remoteLabels[name]!, position++);
  }
  return { refs, localCount, remoteCount, refCount };
}

/** A message header's interned strings and how many of `refs` they fill. */
export interface InternedHeader {
  readonly refs: Int32Array<ArrayBuffer>;
  readonly localCount: number;
  readonly remoteCount: number;
  readonly refCount: number;
}

function setWords(words: Int32Array, w: number, v: bigint): void {
  words[w] = Number(v & 0xffff_ffffn) | 0;
  words[w + 1] = Number((v >> 32n) & 0xffff_ffffn) | 0;
}
