import { isIP } from 'node:net';
import { GatewayError } from './errors.js';
import { LABEL_NAME, LABEL_VALUE_MAX } from './columns.js';
import type { SessionRecord, SessionType } from './record.js';
import { parseDateTime, parseEpochNs, type EpochNs } from './time.js';

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
const MAX_STRING = 1024;

const SNAKE: Record<string, string> = {
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
  const name = (f: string) => (ctx.naming === 'snake' ? (SNAKE[f] ?? f) : f);
  const sessionType = parseSessionType(c.sessionType, name('sessionType'));
  const time =
    c.time === undefined || c.time === null
      ? ctx.receivedAt
      : typeof c.time === 'string' && !/^[0-9]+$/.test(c.time)
        ? parseDateTime(c.time, name('time'))
        : parseEpochNs(c.time, name('time'));
  if (time > MAX_I64) fail(name('time'), 'is outside the 64-bit nanosecond range (1677-09-21 to 2262-04-11)');
  const vn = requiredString(c.vn, name('vn'));
  const remoteVn = requiredString(c.remoteVn, name('remoteVn'));
  const localIp = ip(c.localIp, name('localIp'));
  const remoteIp = ip(c.remoteIp, name('remoteIp'));
  const localLabels = labels(c.localLabels, name('localLabels'), ctx.limits);
  const remoteLabels = labels(c.remoteLabels, name('remoteLabels'), ctx.limits);
  const forwardSampledBytes = counter(c.forwardSampledBytes, name('forwardSampledBytes'));
  const reverseSampledBytes = counter(c.reverseSampledBytes, name('reverseSampledBytes'));
  const totalBytes =
    c.totalBytes === undefined || c.totalBytes === null
      ? forwardSampledBytes + reverseSampledBytes
      : counter(c.totalBytes, name('totalBytes'));
  if (totalBytes > MAX_I64) {
    throw new RecordError(`${name('totalBytes')}: forward + reverse bytes exceed 2^63-1`, name('totalBytes'));
  }
  const server = sessionType === 'server';
  return {
    time,
    vn: server ? remoteVn : vn,
    vmi: optionalString(c.vmi, name('vmi')),
    remoteVn: server ? vn : remoteVn,
    vrouterIp: ip(c.vrouterIp, name('vrouterIp')),
    localIp: server ? remoteIp : localIp,
    clientPort: int(c.clientPort, name('clientPort'), 65535),
    remoteIp: server ? localIp : remoteIp,
    serverPort: int(c.serverPort, name('serverPort'), 65535),
    protocol: int(c.protocol, name('protocol'), 255),
    sessionType,
    localLabels: server ? remoteLabels : localLabels,
    remoteLabels: server ? localLabels : remoteLabels,
    forwardSampledBytes,
    forwardSampledPkts: counter(c.forwardSampledPkts, name('forwardSampledPkts')),
    reverseSampledBytes,
    reverseSampledPkts: counter(c.reverseSampledPkts, name('reverseSampledPkts')),
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
  if (v.length > MAX_STRING) fail(field, `is longer than ${MAX_STRING} characters`);
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

function labels(v: unknown, field: string, limits: RecordLimits): Record<string, string> {
  if (v === undefined || v === null) return {};
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const entries: Array<[unknown, unknown]> = Array.isArray(v)
    ? v.map((p: unknown) =>
        p !== null && typeof p === 'object'
          ? [(p as { name?: unknown }).name, (p as { value?: unknown }).value]
          : fail(field, 'each label must be {name, value}'),
      )
    : typeof v === 'object'
      ? Object.entries(v as object)
      : fail(field, 'must be an object of label name to value');
  if (entries.length > limits.maxLabels) {
    fail(field, `has ${entries.length} labels; at most ${limits.maxLabels} are allowed`);
  }
  for (const [k, val] of entries) {
    if (typeof k !== 'string' || !LABEL_NAME.test(k)) {
      fail(field, `label name ${JSON.stringify(String(k).slice(0, 64))} is not 1 to 317 characters of A-Z a-z 0-9 . _ / -`);
    }
    const value = val === null || val === undefined ? '' : val;
    if (typeof value !== 'string') fail(`${field}.${k}`, 'label value must be a string');
    if (value.length > LABEL_VALUE_MAX) fail(`${field}.${k}`, `label value is longer than ${LABEL_VALUE_MAX} characters`);
    if (k in out) fail(field, `label ${k} is given twice`);
    out[k] = value;
  }
  return out;
}
