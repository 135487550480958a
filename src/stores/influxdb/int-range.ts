/**
 * An RE2 pattern matching the decimal strings (no sign, no leading zeros)
 * of the integers from `lo` to `hi`. Ports and protocol numbers are tags,
 * that is strings, in InfluxDB; a range written as a regular expression is
 * pushed down to the storage engine, where `int(v: r.port) >= n` would
 * make InfluxDB read every row of the range first.
 */
export function intRangePattern(lo: number, hi: number): string {
  if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo < 0 || lo > hi) {
    throw new Error(`not a range of non-negative integers: ${lo}..${hi}`);
  }
  const parts: string[] = [];
  for (let len = String(lo).length; len <= String(hi).length; len++) {
    const first = len === 1 ? 0 : 10 ** (len - 1);
    const last = 10 ** len - 1;
    parts.push(...sameLength(String(Math.max(lo, first)), String(Math.min(hi, last))));
  }
  return `^(?:${parts.join('|')})$`;
}

/** Patterns for the digit strings from `a` to `b`, both of one length, `a` <= `b`. */
function sameLength(a: string, b: string): string[] {
  if (a.length === 0) return [''];
  if (a === b) return [a];
  const head = a[0]!;
  if (head === b[0]) return sameLength(a.slice(1), b.slice(1)).map((p) => head + p);
  const rest = a.length - 1;
  const out: string[] = [];
  let from = Number(head);
  let to = Number(b[0]);
  if (!/^0*$/.test(a.slice(1))) {
    out.push(...sameLength(a.slice(1), '9'.repeat(rest)).map((p) => head + p));
    from++;
  }
  const bFull = /^9*$/.test(b.slice(1));
  if (!bFull) to--;
  if (from <= to) out.push(digits(from, to) + (rest === 0 ? '' : rest === 1 ? '[0-9]' : `[0-9]{${rest}}`));
  if (!bFull) out.push(...sameLength('0'.repeat(rest), b.slice(1)).map((p) => b[0] + p));
  return out;
}

function digits(from: number, to: number): string {
  return from === to ? String(from) : `[${from}-${to}]`;
}
