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
 * the model). Flux matches with Go's regexp (RE2 syntax) but first checks
 * the literal with Rust's regex syntax (libflux), which reads some RE2
 * patterns differently or not at all; and its lexer (`parse_regex`) turns
 * `\/` into `/` and `\xHH` into the character HH. So the pattern is written
 * out in the part of the syntax both read alike, with the same meaning:
 *
 * - a `/` outside an escape pair becomes `\/`; a control character, which
 *   a literal may not hold, becomes `\xHH`; `\xHH`, `\x{H...}` and octal
 *   `\123` escapes become the character they stand for (escaped where RE2
 *   would read it as an operator: else `\x2e` would reach RE2 as `.`);
 * - a `\Q...\E` quote (to its first `\E`, or the end) becomes its
 *   characters one by one, escaped the same way (Rust has no `\Q`);
 * - a `{` that does not open a repeat count is escaped (RE2 reads it
 *   literally, Rust refuses it);
 * - in a character class, `&`, `~` and a nested `[` are escaped (Rust reads
 *   `&&`, `~~` and `[` as set operations), and so is a `-` after a class
 *   such as `\d` or `[:alpha:]` (RE2 reads it literally, Rust refuses it);
 * - other escape pairs pass unchanged.
 *
 * The empty pattern becomes `(?:)`, since `//` would open a comment; and a
 * pattern that ends with `\\` gets `(?:)` after it: Flux's lexer takes the
 * longest token, and would read that last backslash and the closing slash
 * as `\/`, running the literal on to the next slash in the query.
 */
export function fluxRegex(pattern: string): string {
  if (pattern === '') return '/(?:)/';
  let out = '/';
  let inClass = false;
  let afterClassEscape = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    const wasClassEscape = afterClassEscape;
    afterClassEscape = false;
    if (ch === '\\' && pattern[i + 1] === 'Q') {
      const end = pattern.indexOf('\\E', i + 2);
      const quoted = pattern.slice(i + 2, end < 0 ? pattern.length : end);
      for (const q of quoted) out += reCharacter(q.codePointAt(0)!);
      i = end < 0 ? pattern.length : end + 1;
    } else if (ch === '\\' && pattern[i + 1] === 'x') {
      const braced = pattern[i + 2] === '{';
      const digits = braced ? pattern.slice(i + 3, pattern.indexOf('}', i + 3)) : pattern.slice(i + 2, i + 4);
      out += reCharacter(Number.parseInt(digits, 16));
      i += 1 + (braced ? digits.length + 2 : 2);
    } else if (ch === '\\' && /[0-7]/.test(pattern[i + 1] ?? '')) {
      const digits = /^[0-7]{1,3}/.exec(pattern.slice(i + 1))![0];
      out += reCharacter(Number.parseInt(digits, 8));
      i += digits.length;
    } else if (ch === '\\' && i + 1 < pattern.length) {
      const next = pattern[i + 1]!;
      if ((next === 'p' || next === 'P') && pattern[i + 2] === '{') {
        const close = pattern.indexOf('}', i + 3);
        out += pattern.slice(i, close + 1);
        i = close;
      } else if (next === 'p' || next === 'P') {
        out += pattern.slice(i, i + 3);
        i += 2;
      } else {
        out += isControl(next.charCodeAt(0)) ? reControl(next.charCodeAt(0)) : `\\${next}`;
        i++;
      }
      afterClassEscape = inClass && 'dDsSwWpP'.includes(next);
    } else if (ch === '/') {
      out += '\\/';
    } else if (isControl(ch.charCodeAt(0))) {
      out += reControl(ch.charCodeAt(0));
    } else if (!inClass && ch === '[') {
      inClass = true;
      out += '[';
      if (pattern[i + 1] === '^') out += pattern[++i];
      // a `]` first in a class is one of its characters
      if (pattern[i + 1] === ']') {
        out += '\\]';
        i++;
      }
    } else if (!inClass && ch === '{') {
      out += /^\{\d+(?:,\d*)?\}/.test(pattern.slice(i)) ? '{' : '\\{';
    } else if (inClass && ch === ']') {
      inClass = false;
      out += ']';
    } else if (inClass && ch === '[' && pattern[i + 1] === ':') {
      const close = pattern.indexOf(':]', i + 2);
      out += pattern.slice(i, close + 2);
      i = close + 1;
      afterClassEscape = true;
    } else if (inClass && (ch === '[' || ch === '&' || ch === '~' || (ch === '-' && wasClassEscape && pattern[i + 1] !== ']'))) {
      out += `\\${ch}`;
    } else {
      out += ch;
    }
  }
  return out.endsWith('\\') ? `${out}(?:)/` : `${out}/`;
}

/** A character as a Flux regex literal carries it to RE2 as itself. */
function reCharacter(c: number): string {
  if (isControl(c)) return reControl(c);
  const ch = String.fromCodePoint(c);
  return RE_OPERATORS.includes(ch) || ch === '/' ? `\\${ch}` : ch;
}

/** The characters RE2 reads as operators, in a character class or outside one. */
const RE_OPERATORS = '\\.+*?()|[]{}^$-';

/** An RE2 pattern matching `text` literally: metacharacters escaped, controls as `\xHH`. */
export function regexQuote(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    if ('\\.+*?()|[]{}^$'.includes(ch)) out += `\\${ch}`;
    else if (isControl(c)) out += reControl(c);
    else out += ch;
  }
  return out;
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

/** A control character as Flux's byte escape `\xHH` (RE2's too). */
function reControl(c: number): string {
  return `\\x${hex2(c)}`;
}

function hex2(c: number): string {
  return c.toString(16).padStart(2, '0');
}
