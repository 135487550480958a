import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseJson } from '../ingest/index.js';

/** Deep enough for any GraphQL request; a deeper body keeps the JSON.parse value. */
const MAX_DEPTH = 256;

type Done = (err: Error | null, body?: unknown) => void;

/**
 * JSON request bodies (GraphQL over HTTP at /graphql; the ingest routes read
 * their own bodies) with integers kept exact. Fastify's parser (JSON.parse
 * and its prototype-poisoning checks) still decides whether a body is JSON
 * and what it means. Only when the text holds a run of 16 digits is it read
 * again by the exact parser (src/ingest/json-reader.ts), so that an integer
 * literal a double cannot hold reaches GraphQL as a bigint instead of a
 * rounded double: the Long scalar takes it exactly, and a UVE document
 * refuses it with its path and its digits (validateUveDocument). Where the
 * exact parser would read the text otherwise than JSON.parse (a key given
 * twice, nesting past 256 levels, a lone surrogate escape), the JSON.parse
 * value stands. Other bodies cost one scan for the digit run (about a
 * seventh of JSON.parse's time on a 4 MB ingestSessions body;
 * docs/decisions.md, UVEs).
 */
export function exactJsonBodies(app: FastifyInstance): void {
  const standard = app.getDefaultJsonParser('error', 'error') as (req: FastifyRequest, body: string, done: Done) => void;
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done: Done) => {
    standard(req, body as string, (err, value) => {
      if (err !== null) done(err);
      else done(null, hasLongDigitRun(body as string) ? exactValue(body as string, value) : value);
    });
  });
}

/** The text's value with exact big integers, or `value` when the exact parser reads it otherwise. */
function exactValue(text: string, value: unknown): unknown {
  let parsed;
  try {
    parsed = parseJson(text, MAX_DEPTH);
  } catch {
    return value;
  }
  if (parsed.elements.some((e) => e.duplicateKey !== undefined)) return value;
  return parsed.array ? parsed.elements.map((e) => e.value) : parsed.elements[0]!.value;
}

/**
 * Whether the text holds 16 digits in a row, as every integer literal past
 * 2^53-1 does (2^53 has 16). Any such run covers a position 15 mod 16, so
 * only those are looked at, and the run around each digit found there.
 */
export function hasLongDigitRun(t: string): boolean {
  for (let i = 15; i < t.length; i += 16) {
    if (!isDigit(t.charCodeAt(i))) continue;
    let start = i;
    while (start > 0 && isDigit(t.charCodeAt(start - 1))) start--;
    let end = i + 1;
    while (end < t.length && isDigit(t.charCodeAt(end))) end++;
    if (end - start >= 16) return true;
  }
  return false;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
