/**
 * How a string value is stored as an InfluxDB tag value, and read back.
 *
 * Line protocol cannot carry every string as a tag value: a line feed ends
 * the line, a carriage return is lost on the way out (the CSV of a query
 * drops it), a trailing backslash escapes the separator after it, and an
 * empty value is not allowed at all. So the C0 control characters
 * (U+0000 to U+001F) are stored as two characters, ESC (U+0001) and the
 * character plus 0x40 (`\n` becomes ESC `J`); a value ending with a
 * backslash gets one ESC appended; the empty string is stored as a lone ESC.
 * Every other character, including all of Unicode past U+001F, is stored
 * as itself, so the values operators see in InfluxDB are the real ones.
 *
 * The code keeps what queries rely on:
 * - equal values have equal stored forms (eq, in, ne, notIn compare stored forms);
 * - `p` is a prefix of `v` exactly when `encodeTagPrefix(p)` is a prefix of
 *   `encodeTagValue(v)`, for a non-empty `p`;
 * - stored forms sort in the UTF-8 byte order of the values (the escaped
 *   characters are one contiguous range, ESC inside it), so sorting by the
 *   stored tag is sorting by the value.
 * A regular expression, however, runs over the stored form: stored-regex.ts
 * makes it exact for the values stored with an ESC (docs/influxdb.md).
 */
export const TAG_ESCAPE = '\u0001';

/** The stored form of a tag value: never empty, never ending with a backslash. */
export function encodeTagValue(value: string): string {
  if (value === '') return TAG_ESCAPE;
  const code = encodeTagPrefix(value);
  return code.endsWith('\\') ? code + TAG_ESCAPE : code;
}

/** The stored form of a value's beginning, for prefix matches (no end marker). */
export function encodeTagPrefix(value: string): string {
  let out: string | undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20) {
      out ??= value.slice(0, i);
      out += TAG_ESCAPE + String.fromCharCode(c + 0x40);
    } else if (out !== undefined) {
      out += value[i];
    }
  }
  return out ?? value;
}

/** The value of a stored form; the inverse of `encodeTagValue`. */
export function decodeTagValue(stored: string): string {
  if (!stored.includes(TAG_ESCAPE)) return stored;
  let out = '';
  for (let i = 0; i < stored.length; i++) {
    const ch = stored[i]!;
    if (ch !== TAG_ESCAPE) {
      out += ch;
    } else if (i + 1 < stored.length) {
      out += String.fromCharCode(stored.charCodeAt(i + 1) - 0x40);
      i++;
    }
    // A lone ESC at the end marks the empty value or a trailing backslash.
  }
  return out;
}
