import { GatewayError, type EpochNs, type ErrorCode, type Retention } from '../../../model/index.js';
import type { DuckDbOptions } from '../database.js';

/** What the DuckDB thread opens (its `workerData`). */
export interface ThreadOptions {
  readonly db: DuckDbOptions;
  readonly retention: Retention;
  /** Which stores live in the embedded database. */
  readonly sessions: boolean;
  readonly uves: boolean;
  /** The gateway's clock at start: the thread has no clock of its own. */
  readonly now: EpochNs;
}

/**
 * One call into the thread. `now` is the gateway's clock when the call was
 * made: everything the thread dates (idempotency records, UVE updates,
 * rollup windows) uses the last `now` it was given, so tests that fix the
 * clock fix it on both sides.
 */
export interface ThreadRequest {
  readonly id: number;
  readonly op: string;
  readonly args: readonly unknown[];
  readonly now: EpochNs;
}

export type ThreadResponse =
  | { readonly id: number; readonly value: unknown }
  | { readonly id: number; readonly error: ThreadError };

/** An error as it crosses threads: GatewayErrors keep their code and field, and their cause's message for the log. */
export interface ThreadError {
  readonly message: string;
  readonly code?: ErrorCode;
  readonly field?: string;
  readonly cause?: string;
}

/** The first message of the thread: ready, or why it could not open the database. */
export type ThreadHello = { readonly ready: true } | { readonly ready: false; readonly error: ThreadError };

export function toThreadError(e: unknown): ThreadError {
  if (e instanceof GatewayError) {
    return {
      message: e.message,
      code: e.code,
      ...(e.field === undefined ? {} : { field: e.field }),
      ...(e.cause instanceof Error ? { cause: e.cause.message } : {}),
    };
  }
  return { message: e instanceof Error ? e.message : String(e) };
}

export function fromThreadError(e: ThreadError): Error {
  if (e.code === undefined) return new Error(e.message);
  return new GatewayError(e.code, e.message, {
    ...(e.field === undefined ? {} : { field: e.field }),
    ...(e.cause === undefined ? {} : { cause: new Error(e.cause) }),
  });
}
