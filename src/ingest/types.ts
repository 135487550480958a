// The shapes the ingest path hands around: decoders, the write paths and the dead-letter replay.
import type { EpochNs, NamespaceScope, RecordCandidate } from '../model/index.js';
import type { Reservation } from './inflight-budget.js';

/** A candidate as a decoder hands it over, and what was received for it (kept for the dead-letter log). */
export interface IncomingRecord {
  readonly candidate: RecordCandidate;
  readonly raw: unknown;
  /** Set by a decoder that already knows the record is bad. */
  readonly error?: string;
  /** Where the record is in the request (`line 3, sess_agg_info[0], sessionMap[1]`): prefixes its error. */
  readonly context?: string;
}

export interface IngestError {
  readonly index: number;
  readonly message: string;
}

export interface IngestResult {
  readonly accepted: number;
  readonly rejected: number;
  readonly errors: readonly IngestError[];
  /** True when this is the stored answer to an earlier request with the same idempotency key. */
  readonly replayed?: boolean;
}

export interface IngestOptions {
  /**
   * Makes the request idempotent where the store supports it: the answer is
   * stored with the records in one commit, and a later request with the same
   * key gets that answer back instead of writing again.
   */
  readonly idempotencyKey?: string;
  /** Identifies the request's content, so that a key reused for other content is refused. */
  readonly fingerprint?: string;
  /** False when replaying from the dead-letter log: a record rejected again is already there. */
  readonly keepRejects?: boolean;
  /**
   * The caller's hold on the in-flight budget (the HTTP route's, which took
   * the body's bytes as it read them): records are added to it as they are
   * decoded, a body's a thousand at a time, and Saturated refuses the
   * request (backpressure). Without one, the write path takes its own from
   * its budget for the call and gives it back when the call settles.
   */
  readonly reservation?: Reservation;
  /**
   * The size of the request that carried the records, when the caller knows
   * it (a GraphQL body's Content-Length); taken from the budget with them
   * when the write path reserves its own. A body given whole counts its length.
   */
  readonly bytes?: number;
  /**
   * The caller's namespaces (docs/security.md "Namespaces"): a record
   * neither of whose VNs belongs to one of them is rejected (kept in the
   * dead-letter log) with NAMESPACE_FORBIDDEN in its error. Absent or null:
   * every namespace. A scoped body is read on the reference path.
   */
  readonly scope?: NamespaceScope | null;
  /**
   * The time of receipt a record without `time` is stamped with; now when
   * absent. A replay gives the time the entry was first received, so that
   * replaying it again (on any replica) writes the same point, which
   * InfluxDB overwrites rather than adds (docs/operations.md "Idempotency
   * across replicas").
   */
  readonly receivedAt?: EpochNs;
}
