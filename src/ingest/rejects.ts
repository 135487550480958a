import { GatewayError } from '../model/index.js';
import { splitBody, undecodedBody, type BodyFormat, type BodyItem } from './body.js';
import type { DeadLetter, DeadLetterSink } from './dead-letter.js';
import type { IngestOptions, IngestResult } from './types.js';

/** Appends the rejects to the dead-letter log, unless the request is a replay from it. */
export function keepRejects(sink: DeadLetterSink, rejects: readonly DeadLetter[], options: IngestOptions): Promise<void> {
  return options.keepRejects === false ? Promise.resolve() : sink.append(rejects);
}

/**
 * The items of a body; or, for a body that does not decode as a whole (bad
 * UTF-8 or JSON in a JSON body), the answer to it: the body is kept whole in
 * the dead-letter log and counts as one rejected record.
 */
export async function splitOrReject(
  body: Buffer,
  format: BodyFormat,
  source: string,
  sink: DeadLetterSink,
  options: IngestOptions,
): Promise<BodyItem[] | IngestResult> {
  try {
    return splitBody(body, format);
  } catch (e) {
    if (!(e instanceof GatewayError) || e.code !== 'BAD_USER_INPUT') throw e;
    await keepRejects(sink, [{ source, index: 0, reason: e.message, raw: undecodedBody(body) }], options);
    return { accepted: 0, rejected: 1, errors: [{ index: 0, message: e.message }] };
  }
}
