import { GatewayError } from '../model/index.js';
import { bodyItems, undecodedBody, type BodyFormat, type BodyItem } from './body.js';
import type { DeadLetter, DeadLetterSink } from './dead-letter.js';
import type { IngestOptions, IngestResult } from './types.js';

/** Appends the rejects to the dead-letter log, unless the request is a replay from it. */
export function keepRejects(sink: DeadLetterSink, rejects: readonly DeadLetter[], options: IngestOptions): Promise<void> {
  return options.keepRejects === false ? Promise.resolve() : sink.append(rejects);
}

/**
 * Keeps the rejects while `write` stores the valid records, and settles once
 * both have: the answer that reports the rejects goes out only after they
 * are durable, and the two waits overlap. Only for a write that a retry may
 * repeat (no answer stored with it): were the rejects lost after the write
 * stored an idempotent answer, the retry would get that answer back and the
 * rejects would never be kept. A failure to keep them is thrown first.
 */
export async function keepRejectsDuring(
  sink: DeadLetterSink,
  rejects: readonly DeadLetter[],
  options: IngestOptions,
  write: () => Promise<void>,
): Promise<void> {
  const [kept, written] = await Promise.allSettled([keepRejects(sink, rejects, options), write()]);
  if (kept.status === 'rejected') throw kept.reason;
  if (written.status === 'rejected') throw written.reason;
}

/** True when `splitOrReject` answered the request instead of giving its items. */
export function isAnswer(items: Iterable<BodyItem> | IngestResult): items is IngestResult {
  return !(Symbol.iterator in items);
}

/**
 * The items of a body (`bodyItems`); or, for a body that does not decode as a whole (bad
 * UTF-8 or JSON in a JSON body), the answer to it: the body is kept whole in
 * the dead-letter log and counts as one rejected record.
 */
export async function splitOrReject(
  body: Buffer,
  format: BodyFormat,
  source: string,
  sink: DeadLetterSink,
  options: IngestOptions,
): Promise<Iterable<BodyItem> | IngestResult> {
  try {
    return bodyItems(body, format);
  } catch (e) {
    if (!(e instanceof GatewayError) || e.code !== 'BAD_USER_INPUT') throw e;
    await keepRejects(sink, [{ source, index: 0, reason: e.message, raw: undecodedBody(body) }], options);
    return { accepted: 0, rejected: 1, errors: [{ index: 0, message: e.message }] };
  }
}
