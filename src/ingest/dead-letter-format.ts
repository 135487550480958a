// The file dead-letter log on disk: segment names, entry ids, and one NDJSON line per entry.
import { basename, dirname, extname, join } from 'node:path';
import { badInput, parseDateTime } from '../model/index.js';
import { UndecodedInput, type DeadLetter, type DeadLetterEntry } from './dead-letter.js';

/**
 * Where segment `seq` of the log at `path` lives: `dead-letter.000001.ndjson`
 * beside `dead-letter.ndjson`, numbered from 1. Segment 0 is `path` itself:
 * the single file earlier versions appended to, read but never written.
 */
export function segmentPath(path: string, seq: number): string {
  if (seq === 0) return path;
  const ext = extname(path);
  return join(dirname(path), `${basename(path, ext)}.${String(seq).padStart(6, '0')}${ext}`);
}

/** The segment number of a file name in the log's directory, or undefined for another file. */
export function segmentSeq(path: string, name: string): number | undefined {
  const base = basename(path);
  if (name === base) return 0;
  const ext = extname(path);
  const stem = `${basename(path, ext)}.`;
  if (!name.startsWith(stem) || !name.endsWith(ext)) return undefined;
  const digits = name.slice(stem.length, name.length - ext.length);
  return /^[0-9]{6,15}$/.test(digits) && +digits > 0 ? +digits : undefined;
}

/** A place in the log: a segment and the byte offset of a line in it. */
export interface Position {
  readonly seq: number;
  readonly offset: number;
}

/**
 * An entry's id, and a page cursor: `<segment>:<offset>`. Segment 0 (the
 * file of earlier versions) keeps its old ids, the bare offset.
 */
export function formatPosition(seq: number, offset: number): string {
  return seq === 0 ? String(offset) : `${seq}:${offset}`;
}

export function parsePosition(text: string, field: string): Position {
  const m = /^(?:([0-9]{1,15}):)?([0-9]{1,15})$/.exec(text);
  if (m === null) throw badInput(field, `"${text.slice(0, 32)}" is not a dead-letter id`);
  return { seq: m[1] === undefined ? 0 : +m[1], offset: +m[2]! };
}

/**
 * One entry as its line, without the newline: `{"at", "source", "index",
 * "reason", "raw"}`, `at` first (the log reads a segment's times from its
 * lines' first bytes), with `rawText` / `rawBase64` in place of `raw` for
 * input that was not JSON / not UTF-8.
 */
export function serializeEntry(at: string, e: DeadLetter): string {
  const head = { at, source: e.source, index: e.index, reason: e.reason };
  if (e.raw instanceof UndecodedInput) {
    return JSON.stringify(e.raw.text !== undefined ? { ...head, rawText: e.raw.text } : { ...head, rawBase64: e.raw.base64 });
  }
  return JSON.stringify({ ...head, raw: e.raw }, bigintAsString);
}

export function parseEntry(line: string, id: string): DeadLetterEntry {
  const o = JSON.parse(line) as {
    at: string;
    source: string;
    index: number;
    reason: string;
    raw?: unknown;
    rawText?: string;
    rawBase64?: string;
  };
  const raw =
    o.rawText !== undefined
      ? UndecodedInput.text(o.rawText)
      : o.rawBase64 !== undefined
        ? UndecodedInput.base64(o.rawBase64)
        : o.raw;
  return { id, at: parseDateTime(o.at, 'at'), source: o.source, index: o.index, reason: o.reason, raw };
}

/** The `at` of a line from its first bytes, or undefined when they do not start as `serializeEntry` writes. */
export function lineTime(head: Buffer): bigint | undefined {
  const m = /^\{"at":"([0-9T:.Z+-]{20,35})"/.exec(head.toString('latin1'));
  if (m === null) return undefined;
  try {
    return parseDateTime(m[1], 'at');
  } catch {
    return undefined;
  }
}

/** Integers past 2^53 were decoded as bigints; the log keeps them as exact decimal strings. */
function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
