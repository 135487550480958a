import { DEFAULT_MAX_DEPTH, integerValue, parseJsonStrict, type JsonElement, type ParsedJson } from './json-parser.js';

/**
 * Parses a JSON text with the guarantees of `parseJsonStrict` (exact big
 * integers, duplicate keys reported, bounded depth, the same errors) at
 * close to the speed of V8's `JSON.parse`.
 *
 * A fast scan over the text finds what `JSON.parse` would get wrong: it
 * counts the keys, measures the depth, and quotes each integer literal that
 * a double cannot hold as a marked string (`"\u0000<digits>"`). `JSON.parse`
 * then builds the value, and one walk turns the marked strings back into
 * exact integers and counts the keys it finds. A text the scan cannot vouch
 * for (any `\u` escape, too deep, not an object or array, unparsable, or
 * fewer keys in the value than in the text: a duplicate) goes to the strict
 * parser, which is the reference for every answer, error or not.
 */
export function parseJson(text: string, maxDepth = DEFAULT_MAX_DEPTH): ParsedJson {
  // Escapes could forge a marker or hold a lone surrogate.
  const value = text.indexOf('\\u') >= 0 ? undefined : readJson(text, 0, text.length, maxDepth);
  if (value === undefined) return parseJsonStrict(text, maxDepth);
  if (!Array.isArray(value)) return { array: false, elements: [{ value }] };
  const elements: JsonElement[] = new Array(value.length);
  for (let i = 0; i < value.length; i++) elements[i] = { value: value[i] };
  return { array: true, elements };
}

/**
 * The fast path of `parseJson` for `text.slice(start, end)`: its value, or
 * undefined (which no JSON text has) when the strict parser must decide.
 * The caller has made sure that part holds no `\u` escape, and that `end`
 * is the end of the text or a line break. The text is scanned in place, so
 * a line of a larger body need not be copied out (a sliced string is slower
 * to scan).
 */
export function readJson(text: string, start: number, end: number, maxDepth = DEFAULT_MAX_DEPTH): unknown {
  const scan = scanText(text, start, end, maxDepth);
  if (scan === null) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(scan.text);
  } catch {
    return undefined;
  }
  return restore(value) === scan.keys ? value : undefined;
}

interface Scan {
  /** The text with big integer literals quoted and marked. */
  readonly text: string;
  /** How many object keys the text holds. */
  readonly keys: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

/** Null when the text needs the strict parser. */
function scanText(t: string, from: number, n: number, maxDepth: number): Scan | null {
  let i = skipSpace(t, from);
  const first = t.charCodeAt(i);
  if (i >= n || (first !== 0x7b && first !== 0x5b)) return null;
  let keys = 0;
  let depth = 0;
  let prev = 0; // the last structural character: { [ , : or a value's end
  let out = '';
  let copied = from;
  while (i < n) {
    const c = t.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(t, i + 1);
      if (end < 0) return null;
      i = skipSpace(t, end + 1);
      if (t.charCodeAt(i) === COLON) keys++;
      prev = QUOTE;
      continue;
    }
    if ((c >= 0x30 && c <= 0x39) || c === 0x2d) {
      const start = i;
      if (c === 0x2d) i++;
      const intStart = i;
      let d = t.charCodeAt(i);
      while (d >= 0x30 && d <= 0x39) d = t.charCodeAt(++i);
      const intEnd = i;
      if (d === 0x2e || d === 0x65 || d === 0x45) {
        // A fraction or an exponent: JSON.parse reads it as a double, like the strict parser.
        while ((d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d) d = t.charCodeAt(++i);
      } else if (
        intEnd - intStart > 15 &&
        t.charCodeAt(intStart) !== 0x30 &&
        (prev === COLON || prev === 0x5b || prev === 0x2c) &&
        t.charCodeAt(skipSpace(t, i)) !== COLON
      ) {
        out += `${t.slice(copied, start)}"\\u0000${t.slice(start, intEnd)}"`;
        copied = intEnd;
      }
      prev = 0x30;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return null;
    } else if (c === 0x7d || c === 0x5d) depth--;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) prev = c;
    i++;
  }
  return { text: copied === from ? t.slice(from, n) : out + t.slice(copied, n), keys };
}

/** The index of the quote closing a string whose content starts at `from`, or -1. */
function stringEnd(t: string, from: number): number {
  let end = t.indexOf('"', from);
  while (end > 0 && t.charCodeAt(end - 1) === BACKSLASH) {
    let b = end - 1;
    while (t.charCodeAt(b - 1) === BACKSLASH) b--;
    if ((end - b) % 2 === 0) break; // an even run of backslashes escapes itself, not the quote
    end = t.indexOf('"', end + 1);
  }
  return end;
}

function skipSpace(t: string, i: number): number {
  for (;;) {
    const c = t.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return i;
  }
}

/** Turns marked strings back into exact integers; returns the number of keys seen. */
function restore(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  let keys = 0;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x === 'string') {
        if (x.charCodeAt(0) === 0) v[i] = integerValue(x.slice(1));
      } else if (typeof x === 'object') keys += restore(x);
    }
    return keys;
  }
  const o = v as Record<string, unknown>;
  for (const k in o) {
    keys++;
    const x = o[k];
    if (typeof x === 'string') {
      if (x.charCodeAt(0) === 0) o[k] = integerValue(x.slice(1));
    } else if (typeof x === 'object') keys += restore(x);
  }
  return keys;
}
