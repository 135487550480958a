import { isAscii, isUtf8 } from 'node:buffer';
import { badInput } from '../model/index.js';
import { JsonSyntaxError, DEFAULT_MAX_DEPTH } from './json-parser.js';
import { parseJson, readJson } from './json-reader.js';
import { UndecodedInput } from './dead-letter.js';

/** How a request body is framed: one JSON text, or one JSON object per line. */
export type BodyFormat = 'json' | 'ndjson';

/** One top-level value of a body: an element of a JSON array, the lone object, or one NDJSON line. */
export interface BodyItem {
  /** Where it is in the body, for messages: `line 3` (1-based), `item 2` (0-based) or empty for a lone object. */
  readonly where: string;
  /** The decoded value; meaningless when `error` is set. */
  readonly value: unknown;
  /** Why the item could not be decoded (bad UTF-8, bad JSON, a duplicate key). */
  readonly error?: string;
  /** What the dead-letter log keeps for it: the value, or the undecoded input. */
  readonly raw: unknown;
}

/**
 * Splits a request body into items. A JSON body must be UTF-8 and valid
 * JSON as a whole, or the request is rejected (BAD_USER_INPUT naming the
 * line and column); within it, an array element holding a duplicate key is
 * one bad item. In NDJSON each line stands alone: a line that is not UTF-8
 * or not JSON is one bad item naming its line, and the other lines count.
 * Blank lines are skipped.
 */
export function splitBody(body: Buffer, format: BodyFormat, maxDepth = DEFAULT_MAX_DEPTH): BodyItem[] {
  return [...bodyItems(body, format, maxDepth)];
}

/**
 * `splitBody` as the ingest path reads it: a JSON body is decoded (or
 * refused) at once, an NDJSON body one line at a time as the caller asks
 * for the next item, so that a line's values can die before the next is
 * decoded.
 */
export function bodyItems(body: Buffer, format: BodyFormat, maxDepth = DEFAULT_MAX_DEPTH): Iterable<BodyItem> {
  return format === 'json' ? splitJson(body, maxDepth) : ndjsonItems(body, maxDepth);
}

/** The whole body as the dead-letter log keeps it when the body did not decode. */
export function undecodedBody(body: Buffer): UndecodedInput {
  return isUtf8(body) ? UndecodedInput.text(body.toString('utf8')) : UndecodedInput.bytes(body);
}

function splitJson(body: Buffer, maxDepth: number): BodyItem[] {
  const text = utf8Text(body);
  if (text === undefined) throw badInput('body', `is not valid UTF-8 (first bad byte at offset ${firstBadByte(body)})`);
  if (text.trim() === '') throw badInput('body', 'is empty; expected a JSON object or array');
  let parsed;
  try {
    parsed = parseJson(text, maxDepth);
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    throw badInput('body', `${position(text, e.offset)}: ${e.message}`);
  }
  return parsed.elements.map((el, i) => {
    const where = parsed.array ? `item ${i}` : '';
    return el.duplicateKey === undefined
      ? { where, value: el.value, raw: el.value }
      : { where, value: el.value, error: duplicateMessage(el.duplicateKey), raw: UndecodedInput.text(el.source ?? '') };
  });
}

function* ndjsonItems(body: Buffer, maxDepth: number): Generator<BodyItem> {
  const encoding = ndjsonEncoding(body);
  let line = 0;
  let pos = 0;
  while (pos < body.length) {
    let end = body.indexOf(0x0a, pos);
    if (end < 0) end = body.length;
    const item = ndjsonLineItem(body, pos, end, ++line, encoding, maxDepth);
    pos = end + 1;
    if (item !== null) yield item;
  }
}

/**
 * How an NDJSON body's lines become text: latin1 gives the same string as
 * UTF-8 for ASCII, faster; a body that is not UTF-8 as a whole (`mixed`) is
 * checked line by line, so that its other lines are kept.
 */
export type NdjsonEncoding = 'latin1' | 'utf8' | 'mixed';

export function ndjsonEncoding(body: Buffer): NdjsonEncoding {
  return isAscii(body) ? 'latin1' : isUtf8(body) ? 'utf8' : 'mixed';
}

/**
 * The item of the NDJSON line `body[start..end)` (without its line break),
 * line numbers from 1; null for a blank line. Each line is decoded on its
 * own: a body-sized string would sit in V8's large-object space, which only
 * a full collection frees.
 */
export function ndjsonLineItem(
  body: Buffer,
  start: number,
  end: number,
  line: number,
  encoding: NdjsonEncoding,
  maxDepth = DEFAULT_MAX_DEPTH,
): BodyItem | null {
  if (encoding !== 'mixed' || isUtf8(body.subarray(start, end))) {
    return textLine(body.toString(encoding === 'latin1' ? 'latin1' : 'utf8', start, end), line, maxDepth);
  }
  return {
    where: `line ${line}`,
    value: undefined,
    error: `is not valid UTF-8 (first bad byte at column ${firstBadByte(body.subarray(start, end)) + 1})`,
    raw: UndecodedInput.bytes(body.subarray(start, end)),
  };
}

/** One NDJSON line: the usual one (an object, no `\u` escape) takes the fast path; ndjsonLine decides the others. */
function textLine(text: string, line: number, maxDepth: number): BodyItem | null {
  const value = text.indexOf('\\u') < 0 ? readJson(text, 0, text.length, maxDepth) : undefined;
  if (value !== undefined && !Array.isArray(value)) return { where: `line ${line}`, value, raw: value };
  return ndjsonLine(text, line, maxDepth);
}

/**
 * The body as text, or undefined when it is not UTF-8. An ASCII body (the
 * usual one) is decoded as latin1: the same string, a few times faster.
 */
function utf8Text(body: Buffer): string | undefined {
  if (isAscii(body)) return body.toString('latin1');
  return isUtf8(body) ? body.toString('utf8') : undefined;
}

function ndjsonLine(text: string, line: number, maxDepth: number): BodyItem | null {
  const where = `line ${line}`;
  if (isBlank(text)) return null;
  try {
    const parsed = parseJson(text, maxDepth);
    const el = parsed.elements[0];
    if (parsed.array || el === undefined) {
      return { where, value: undefined, error: 'expected one JSON object per line, found an array', raw: UndecodedInput.text(text) };
    }
    return el.duplicateKey === undefined
      ? { where, value: el.value, raw: el.value }
      : { where, value: el.value, error: duplicateMessage(el.duplicateKey), raw: UndecodedInput.text(text) };
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    return { where: `${where}, column ${e.offset + 1}`, value: undefined, error: e.message, raw: UndecodedInput.text(text) };
  }
}

function duplicateMessage(key: string): string {
  return `key ${JSON.stringify(key.length > 64 ? `${key.slice(0, 61)}...` : key)} is given twice in one object`;
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) return false;
  }
  return true;
}

/** `line L, column C` (1-based) of an offset in a text. */
function position(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}

/** The offset of the first byte that breaks UTF-8 (RFC 3629: no overlongs, surrogates or values past U+10FFFF). */
export function firstBadByte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const [n, lo, hi] =
      b >= 0xc2 && b <= 0xdf ? [1, 0x80, 0xbf]
      : b === 0xe0 ? [2, 0xa0, 0xbf]
      : (b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef ? [2, 0x80, 0xbf]
      : b === 0xed ? [2, 0x80, 0x9f]
      : b === 0xf0 ? [3, 0x90, 0xbf]
      : b >= 0xf1 && b <= 0xf3 ? [3, 0x80, 0xbf]
      : b === 0xf4 ? [3, 0x80, 0x8f]
      : [0, 0, 0];
    if (n === 0) return i;
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return bytes.length;
}
