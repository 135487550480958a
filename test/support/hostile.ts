/**
 * Strings that break naive quoting in SQL, Flux, line protocol, JSON, LIKE
 * and wildcard patterns. Every escaper and every store is run against them.
 */
export const HOSTILE_STRINGS: readonly string[] = [
  `it's`,
  `say "hi"`,
  'back\\slash',
  'trailing\\',
  'new\nline',
  'tab\tand\rreturn',
  '${injected}',
  `' OR '1'='1`,
  `"); drop("sessions`,
  '%_*?[]{}()|^$.+',
  'a,b=c d',
  // A backslash before what line protocol escapes: InfluxDB must not read it as the escape.
  'a\\,b',
  'a\\ b',
  'a\\=b',
  'a\\\\,b',
  '/* comment */ -- dash',
  'ünïcödé 🚀 漢字',
  '\u2028line\u2029separators',
];
