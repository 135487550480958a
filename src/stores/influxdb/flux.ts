import { formatDateTime, formatDuration } from '../../model/index.js';

/**
 * The one module through which values and identifiers become Flux text
 * (https://docs.influxdata.com/flux/v0/spec/lexical-elements/). The compiler
 * and the rollup scripts never paste a user value any other way; InfluxDB OSS
 * has no query parameters (`params` is Cloud only).
 */

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** Column names the compiler may reference: fixed ones and `label.<side>.<LABEL_NAME>`. */
const COLUMN = /^_?[A-Za-z0-9][A-Za-z0-9._/-]{0,400}$/;

/**
 * A Flux string literal holding exactly `value`: `"` and `\` escaped, `${`
 * escaped so it cannot open an interpolation, line breaks and tabs as
 * `\n \r \t`, every other control character as a `\xHH` byte escape.
 */
export function fluxString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const ch = value[i]!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '$' && value[i + 1] === '{') out += '\\$';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${hex2(c)}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * A Flux regular expression literal for an RE2 pattern (already checked by
 * the model). Flux reads two escapes of its own in a regex literal before
 * RE2 sees the text (checked against influxd 2.9.1): `\/` (a slash) and
 * `\xHH` (one raw byte; `\x{..}` is refused as an invalid byte value). So:
 * a `/` outside an escape pair becomes `\/`; a control character, which a
 * literal may not hold, becomes Flux's `\xHH`, which hands RE2 the raw
 * character, a literal to RE2; an RE2 hex escape of the pattern (`\x41`,
 * `\x{263a}`) becomes the character it names, escaped where RE2 would read
 * it as syntax, since Flux would otherwise turn `\x2e` into a bare `.`
 * and `\xe9` into a lone byte; every other escape pair passes unchanged.
 * The empty pattern becomes `(?:)`, since `//` would open a comment.
 */
export function fluxRegex(pattern: string): string {
  if (pattern === '') return '/(?:)/';
  let out = '/';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && i + 1 < pattern.length) {
      const next = pattern[i + 1]!;
      if (next === 'x') {
        const hex = /^x(?:\{([0-9A-Fa-f]{1,6})\}|([0-9A-Fa-f]{2}))/.exec(pattern.slice(i + 1));
        if (hex !== null) {
          out += literalChar(String.fromCodePoint(parseInt(hex[1] ?? hex[2]!, 16)));
          i += hex[0].length;
          continue;
        }
      }
      out += isControl(next.charCodeAt(0)) ? fluxByte(next.charCodeAt(0)) : `\\${next}`;
      i++;
    } else if (ch === '/') {
      out += '\\/';
    } else if (isControl(ch.charCodeAt(0))) {
      out += fluxByte(ch.charCodeAt(0));
    } else {
      out += ch;
    }
  }
  return `${out}/`;
}

/** An RE2 pattern matching `text` literally: metacharacters escaped, control characters as RE2's `\x{HH}`. */
export function regexQuote(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    if (RE2_META.includes(ch)) out += `\\${ch}`;
    else if (isControl(c)) out += `\\x{${hex2(c)}}`;
    else out += ch;
  }
  return out;
}

const RE2_META = '\\.+*?()|[]{}^$';

/** One character as a literal of a Flux regex: escaped when RE2 would read it as syntax. */
function literalChar(ch: string): string {
  const c = ch.charCodeAt(0);
  if (isControl(c)) return fluxByte(c);
  if (ch === '/') return '\\/';
  return RE2_META.includes(ch) ? `\\${ch}` : ch;
}

/** The name of a column as a Flux string literal, after checking it is one the compiler may use. */
export function fluxColumnName(name: string): string {
  if (!COLUMN.test(name)) throw new Error(`not a column name the Flux compiler uses: ${JSON.stringify(name.slice(0, 64))}`);
  return fluxString(name);
}

/** `r["name"]`: a reference to a column of the row `r`. */
export function fluxColumn(name: string, row = 'r'): string {
  return `${row}[${fluxColumnName(name)}]`;
}

/** A list of column names: `["a", "b"]`. */
export function fluxColumnList(names: readonly string[]): string {
  return `[${names.map(fluxColumnName).join(', ')}]`;
}

/** A Flux integer literal; refuses anything that is not a 64-bit integer. */
export function fluxInt(value: bigint | number): string {
  const n = typeof value === 'bigint' ? value : Number.isSafeInteger(value) ? BigInt(value) : null;
  if (n === null || n < INT64_MIN || n > INT64_MAX) throw new Error(`not a 64-bit integer: ${String(value)}`);
  return n.toString();
}

/** A time: an RFC 3339 literal with its nanoseconds, or `time(v: ns)` before 1970. */
export function fluxTime(ns: bigint): string {
  return ns >= 0n ? formatDateTime(ns) : `time(v: ${fluxInt(ns)})`;
}

/** A positive duration literal such as `5m` or `90d`. */
export function fluxDuration(ns: bigint): string {
  if (ns <= 0n) throw new Error(`not a positive duration: ${ns}ns`);
  const text = formatDuration(ns);
  if (!/^[0-9]+(w|d|h|m|s|ms|ns)$/.test(text)) throw new Error(`not a duration literal: ${text}`);
  return text;
}

function isControl(c: number): boolean {
  return c < 0x20 || c === 0x7f;
}

/** Flux's byte escape in a regex literal: RE2 then sees the raw (control) character. */
function fluxByte(c: number): string {
  return `\\x${hex2(c)}`;
}

function hex2(c: number): string {
  return c.toString(16).padStart(2, '0');
}
