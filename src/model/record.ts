import type { EpochNs } from './time.js';

export type SessionType = 'client' | 'server';

/** Summed counters of a set of records; `sessions` counts the records. */
export interface Traffic {
  forwardSampledBytes: bigint;
  forwardSampledPkts: bigint;
  reverseSampledBytes: bigint;
  reverseSampledPkts: bigint;
  totalBytes: bigint;
  sessions: bigint;
}

export function zeroTraffic(): Traffic {
  return {
    forwardSampledBytes: 0n,
    forwardSampledPkts: 0n,
    reverseSampledBytes: 0n,
    reverseSampledPkts: 0n,
    totalBytes: 0n,
    sessions: 0n,
  };
}

/**
 * One validated session record in client orientation (ARCHITECTURE §1):
 * local = client, remote = server, whichever vRouter reported it.
 */
export interface SessionRecord {
  readonly time: EpochNs;
  readonly vn: string;
  readonly vmi: string | null;
  readonly remoteVn: string;
  readonly vrouterIp: string;
  readonly localIp: string;
  readonly clientPort: number;
  readonly remoteIp: string;
  readonly serverPort: number;
  readonly protocol: number;
  readonly sessionType: SessionType;
  readonly localLabels: Readonly<Record<string, string>>;
  readonly remoteLabels: Readonly<Record<string, string>>;
  readonly forwardSampledBytes: bigint;
  readonly forwardSampledPkts: bigint;
  readonly reverseSampledBytes: bigint;
  readonly reverseSampledPkts: bigint;
  readonly totalBytes: bigint;
}

/**
 * An empty object without a prototype, for names that come from outside (a
 * label may be called `__proto__` or `constructor`). `Object.create(null)`
 * would do, but V8 keeps such an object in dictionary mode, where walking a
 * record's labels costs about six times as much; an empty literal whose
 * prototype is then set to null stays in fast mode.
 */
export function bareObject<T>(): Record<string, T> {
  return Object.setPrototypeOf({}, null) as Record<string, T>;
}

/** Adds one record's counters to `t` and counts it. */
export function addRecord(t: Traffic, r: SessionRecord): void {
  t.forwardSampledBytes += r.forwardSampledBytes;
  t.forwardSampledPkts += r.forwardSampledPkts;
  t.reverseSampledBytes += r.reverseSampledBytes;
  t.reverseSampledPkts += r.reverseSampledPkts;
  t.totalBytes += r.totalBytes;
  t.sessions += 1n;
}
