import { isIP } from 'node:net';
import { GatewayError } from './errors.js';
import { LABEL_VALUE_MAX, isLabelName } from './columns.js';
import { bareObject, type SessionRecord, type SessionType } from './record.js';
import { TIME_OUTSIDE, isTimeInBounds, parseDateTime, parseEpochNs, type EpochNs } from './time.js';

/**
 * A record as a decoder hands it over, before validation: camelCase keys,
 * values of any type. Labels are a name -> value object or a list of
 * `{name, value}` pairs. Columns are as the reporting vRouter saw them.
 */
export interface RecordCandidate {
  time?: unknown;
  vn?: unknown;
  vmi?: unknown;
  remoteVn?: unknown;
  vrouterIp?: unknown;
  localIp?: unknown;
  clientPort?: unknown;
  remoteIp?: unknown;
  serverPort?: unknown;
  protocol?: unknown;
  sessionType?: unknown;
  localLabels?: unknown;
  remoteLabels?: unknown;
  forwardSampledBytes?: unknown;
  forwardSampledPkts?: unknown;
  reverseSampledBytes?: unknown;
  reverseSampledPkts?: unknown;
  totalBytes?: unknown;
}

export type FieldNaming = 'camel' | 'snake';

export interface RecordLimits {
  /** Most labels per side of one record. */
  readonly maxLabels: number;
}

export interface RecordContext {
  /** The time of receipt, used when a record has no time. */
  readonly receivedAt: EpochNs;
  readonly limits: RecordLimits;
  /** How fields are named in error messages: GraphQL input or agent JSON. */
  readonly naming: FieldNaming;
}

/** One invalid record: `message` names the field and the problem. */
export class RecordError extends GatewayError {
  constructor(message: string, field: string) {
    super('BAD_USER_INPUT', message, { field });
    this.name = 'RecordError';
  }
}

const MAX_I64 = (1n << 63n) - 1n;
/** The longest name or address a record may hold, in characters. */
export const STRING_MAX = 1024;

type Field = keyof RecordCandidate;

/** Field names in error messages, per naming: tables rather than a closure per record (the ingest path runs this per record). */
const CAMEL: Readonly<Record<Field, string>> = {
  time: 'time',
  vn: 'vn',
  vmi: 'vmi',
  remoteVn: 'remoteVn',
  vrouterIp: 'vrouterIp',
  localIp: 'localIp',
  clientPort: 'clientPort',
  remoteIp: 'remoteIp',
  serverPort: 'serverPort',
  protocol: 'protocol',
  sessionType: 'sessionType',
  localLabels: 'localLabels',
  remoteLabels: 'remoteLabels',
  forwardSampledBytes: 'forwardSampledBytes',
  forwardSampledPkts: 'forwardSampledPkts',
  reverseSampledBytes: 'reverseSampledBytes',
  reverseSampledPkts: 'reverseSampledPkts',
  totalBytes: 'totalBytes',
};

const SNAKE: Readonly<Record<Field, string>> = {
  ...CAMEL,
  remoteVn: 'remote_vn',
  vrouterIp: 'vrouter_ip',
  localIp: 'local_ip',
  clientPort: 'client_port',
  remoteIp: 'remote_ip',
  serverPort: 'server_port',
  sessionType: 'session_type',
  localLabels: 'labels.local',
  remoteLabels: 'labels.remote',
  forwardSampledBytes: 'forward_sampled_bytes',
  forwardSampledPkts: 'forward_sampled_pkts',
  reverseSampledBytes: 'reverse_sampled_bytes',
  reverseSampledPkts: 'reverse_sampled_pkts',
  totalBytes: 'total_bytes',
};

/**
 * Validates one candidate (ARCHITECTURE §1 and §2) and returns it as a stored
 * record in client orientation: a record reported by the server-side vRouter
 * (sessionType `server`) is turned around (vn <-> remote_vn, local_ip <->
 * remote_ip, local <-> remote labels) and keeps its session type; ports are
 * named by role and stay. Throws a RecordError naming the first bad field.
 */
export function validateSessionRecord(c: RecordCandidate, ctx: RecordContext): SessionRecord {
  const fields = ctx.naming === 'snake' ? SNAKE : CAMEL;
  const sessionType = parseSessionType(c.sessionType, fields.sessionType);
  const time =
    c.time === undefined || c.time === null
      ? ctx.receivedAt
      : typeof c.time === 'string' && !/^-?[0-9]+$/.test(c.time)
        ? parseDateTime(c.time, fields.time)
        : parseEpochNs(c.time, fields.time);
  if (!isTimeInBounds(time)) fail(fields.time, TIME_OUTSIDE);
  const vn = requiredString(c.vn, fields.vn);
  const remoteVn = requiredString(c.remoteVn, fields.remoteVn);
  const localIp = ip(c.localIp, fields.localIp);
  const remoteIp = ip(c.remoteIp, fields.remoteIp);
  const localLabels = labels(c.localLabels, fields.localLabels, ctx.limits);
  const remoteLabels = labels(c.remoteLabels, fields.remoteLabels, ctx.limits);
  const forwardSampledBytes = counter(c.forwardSampledBytes, fields.forwardSampledBytes);
  const reverseSampledBytes = counter(c.reverseSampledBytes, fields.reverseSampledBytes);
  const totalBytes =
    c.totalBytes === undefined || c.totalBytes === null
      ? forwardSampledBytes + reverseSampledBytes
      : counter(c.totalBytes, fields.totalBytes);
  if (totalBytes > MAX_I64) {
    throw new RecordError(`${fields.totalBytes}: forward + reverse bytes exceed 2^63-1`, fields.totalBytes);
  }
  const server = sessionType === 'server';
  return {
    time,
    vn: server ? remoteVn : vn,
    vmi: optionalString(c.vmi, fields.vmi),
    remoteVn: server ? vn : remoteVn,
    vrouterIp: ip(c.vrouterIp, fields.vrouterIp),
    localIp: server ? remoteIp : localIp,
    clientPort: int(c.clientPort, fields.clientPort, 65535),
    remoteIp: server ? localIp : remoteIp,
    serverPort: int(c.serverPort, fields.serverPort, 65535),
    protocol: int(c.protocol, fields.protocol, 255),
    sessionType,
    localLabels: server ? remoteLabels : localLabels,
    remoteLabels: server ? localLabels : remoteLabels,
    forwardSampledBytes,
    forwardSampledPkts: counter(c.forwardSampledPkts, fields.forwardSampledPkts),
    reverseSampledBytes,
    reverseSampledPkts: counter(c.reverseSampledPkts, fields.reverseSampledPkts),
    totalBytes,
  };
}

function fail(field: string, problem: string): never {
  throw new RecordError(`${field}: ${problem}`, field);
}

function parseSessionType(v: unknown, field: string): SessionType {
  if (v === undefined || v === null) return 'client';
  if (typeof v === 'string') {
    const lower = v.toLowerCase();
    if (lower === 'client' || lower === 'server') return lower;
  }
  return fail(field, 'must be client or server');
}

function requiredString(v: unknown, field: string): string {
  if (v === undefined || v === null) fail(field, 'is required');
  if (typeof v !== 'string') fail(field, 'must be a string');
  if (v.length === 0) fail(field, 'must not be empty');
  if (v.length > STRING_MAX) fail(field, `is longer than ${STRING_MAX} characters`);
  return v;
}

function optionalString(v: unknown, field: string): string | null {
  if (v === undefined || v === null || v === '') return null;
  return requiredString(v, field);
}

function ip(v: unknown, field: string): string {
  const s = requiredString(v, field);
  if (isIP(s) === 0) fail(field, `"${s.slice(0, 64)}" is not an IPv4 or IPv6 address`);
  return s;
}

function int(v: unknown, field: string, max: number): number {
  if (v === undefined || v === null) fail(field, 'is required');
  const n = typeof v === 'string' && /^[0-9]{1,6}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) fail(field, `must be an integer from 0 to ${max}`);
  if (n < 0 || n > max) fail(field, `${n} is outside 0..${max}`);
  return n;
}

/** A non-negative 64-bit counter, as a JSON number or a decimal string. */
function counter(v: unknown, field: string): bigint {
  if (v === undefined || v === null) fail(field, 'is required');
  let n: bigint;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number') {
    if (!Number.isFinite(v)) fail(field, 'must be a finite integer');
    if (!Number.isInteger(v)) fail(field, `${v} is not an integer`);
    if (Math.abs(v) >= 2 ** 63) fail(field, 'is outside the 64-bit range');
    n = BigInt(v);
  } else if (typeof v === 'string' && /^-?[0-9]{1,30}$/.test(v)) n = BigInt(v);
  else fail(field, 'must be a non-negative integer');
  if (n < 0n) fail(field, `${n} is negative; counters are non-negative`);
  if (n > MAX_I64) fail(field, 'is past 2^63-1, the largest 64-bit counter');
  return n;
}

/**
 * Labels as a name -> value object or a list of `{name, value}` pairs. Plain
 * loops, no per-record closures or entry arrays: it runs twice per record.
 */
function labels(v: unknown, field: string, limits: RecordLimits): Record<string, string> {
  if (v === undefined || v === null) return {};
  const out = bareObject<string>();
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p: unknown = v[i];
      if (p === null || typeof p !== 'object') fail(field, 'each label must be {name, value}');
    }
    checkLabelCount(v.length, field, limits);
    for (let i = 0; i < v.length; i++) {
      const p = v[i] as { name?: unknown; value?: unknown };
      addLabel(out, p.name, p.value, field);
    }
    return out;
  }
  if (typeof v !== 'object') fail(field, 'must be an object of label name to value');
  const names = Object.keys(v);
  checkLabelCount(names.length, field, limits);
  for (let i = 0; i < names.length; i++) {
    const k = names[i]!;
    addLabel(out, k, (v as Record<string, unknown>)[k], field);
  }
  return out;
}

function checkLabelCount(n: number, field: string, limits: RecordLimits): void {
  if (n > limits.maxLabels) fail(field, `has ${n} labels; at most ${limits.maxLabels} are allowed`);
}

function addLabel(out: Record<string, string>, k: unknown, val: unknown, field: string): void {
  if (typeof k !== 'string' || !isLabelName(k)) {
    fail(field, `label name ${JSON.stringify(String(k).slice(0, 64))} is not 1 to 317 characters of A-Z a-z 0-9 . _ / -`);
  }
  const value = val === null || val === undefined ? '' : val;
  if (typeof value !== 'string') fail(`${field}.${k}`, 'label value must be a string');
  if (value.length > LABEL_VALUE_MAX) fail(`${field}.${k}`, `label value is longer than ${LABEL_VALUE_MAX} characters`);
  if (k in out) fail(field, `label ${k} is given twice`);
  out[k] = value;
}
