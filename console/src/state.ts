import { isKey, OPS, type Condition, type Op } from './keys.js';

export const LAST = ['15m', '1h', '6h', '24h', '7d'] as const;
export const VIEWS = ['sankey', 'talkers', 'series'] as const;
export type View = (typeof VIEWS)[number];
export const METRICS = ['TOTAL_BYTES', 'SESSIONS'] as const;
export type Metric = (typeof METRICS)[number];
export const RANKINGS = ['VALUE', 'CHANGE', 'ABSOLUTE_CHANGE'] as const;
export type Ranking = (typeof RANKINGS)[number];
export const COMPARE = ['1h', '1d', '7d'] as const;

export interface Pair {
  readonly local: string | null;
  readonly remote: string | null;
}

/** Everything the page shows, and all of it in the URL (docs/console.md lists the parameters). */
export interface State {
  /** A `last` literal, or null for the absolute range from..to. */
  last: string | null;
  from: string;
  to: string;
  filters: Condition[];
  local: string;
  remote: string;
  view: View;
  top: number;
  metric: Metric;
  compareTo: string;
  ranking: Ranking;
  direction: 'DESC' | 'ASC';
  pair: Pair | null;
  uve: { type: string; name: string } | null;
  live: boolean;
}

export const DEFAULTS: State = {
  last: '1h',
  from: '',
  to: '',
  filters: [],
  local: 'label.local.app',
  remote: 'label.remote.app',
  view: 'sankey',
  top: 10,
  metric: 'TOTAL_BYTES',
  compareTo: '1d',
  ranking: 'VALUE',
  direction: 'DESC',
  pair: null,
  uve: null,
  live: false,
};

/** A null group value (records lacking the label) in the URL. */
const NULL = '\u0000';
const enc = (v: string | null) => (v === null ? NULL : v);
const dec = (v: string) => (v === NULL ? null : v);

function pick<T extends string>(v: string | null, allowed: readonly T[], dflt: T): T {
  return v !== null && (allowed as readonly string[]).includes(v) ? (v as T) : dflt;
}

export function parseState(search: string): State {
  const q = new URLSearchParams(search);
  const s: State = { ...DEFAULTS, filters: [] };
  const from = q.get('from');
  if (from !== null && from !== '') {
    s.last = null;
    s.from = from;
    s.to = q.get('to') ?? '';
  } else {
    s.last = pick(q.get('last'), LAST, '1h');
  }
  for (const f of q.getAll('f')) {
    // key~op~value: keys and ops hold no "~"; the value may.
    const a = f.indexOf('~');
    const b = f.indexOf('~', a + 1);
    if (a < 0 || b < 0) continue;
    const key = f.slice(0, a);
    const op = f.slice(a + 1, b) as Op;
    if (isKey(key) && OPS.includes(op)) s.filters.push({ key, op, value: dec(f.slice(b + 1)) });
  }
  const l = q.get('local');
  if (l !== null && isKey(l)) s.local = l;
  const r = q.get('remote');
  if (r !== null && isKey(r)) s.remote = r;
  s.view = pick(q.get('view'), VIEWS, 'sankey');
  const top = Number(q.get('top'));
  if (Number.isInteger(top) && top >= 1 && top <= 100) s.top = top;
  s.metric = pick(q.get('metric'), METRICS, 'TOTAL_BYTES');
  s.compareTo = pick(q.get('compare'), COMPARE, '1d');
  s.ranking = pick(q.get('rank'), RANKINGS, 'VALUE');
  s.direction = q.get('dir') === 'ASC' ? 'ASC' : 'DESC';
  const pl = q.get('pl');
  const pr = q.get('pr');
  if (pl !== null && pr !== null) s.pair = { local: dec(pl), remote: dec(pr) };
  const ut = q.get('uveType');
  const un = q.get('uveName');
  if (ut !== null && un !== null && ut !== '' && un !== '') s.uve = { type: ut, name: un };
  s.live = q.get('live') === '1';
  return s;
}

/** The query string of a state; parameters at their default are left out. */
export function formatState(s: State): string {
  const q = new URLSearchParams();
  if (s.last === null) {
    q.set('from', s.from);
    if (s.to !== '') q.set('to', s.to);
  } else if (s.last !== DEFAULTS.last) q.set('last', s.last);
  for (const f of s.filters) q.append('f', `${f.key}~${f.op}~${enc(f.value)}`);
  if (s.local !== DEFAULTS.local) q.set('local', s.local);
  if (s.remote !== DEFAULTS.remote) q.set('remote', s.remote);
  if (s.view !== DEFAULTS.view) q.set('view', s.view);
  if (s.top !== DEFAULTS.top) q.set('top', String(s.top));
  if (s.metric !== DEFAULTS.metric) q.set('metric', s.metric);
  if (s.compareTo !== DEFAULTS.compareTo) q.set('compare', s.compareTo);
  if (s.ranking !== DEFAULTS.ranking) q.set('rank', s.ranking);
  if (s.direction !== DEFAULTS.direction) q.set('dir', s.direction);
  if (s.pair !== null) {
    q.set('pl', enc(s.pair.local));
    q.set('pr', enc(s.pair.remote));
  }
  if (s.uve !== null) {
    q.set('uveType', s.uve.type);
    q.set('uveName', s.uve.name);
  }
  if (s.live) q.set('live', '1');
  const text = q.toString();
  return text === '' ? '' : `?${text}`;
}

/** The TimeRange of the state: `last`, or from/to (datetime-local values read as UTC). */
export function rangeOf(s: State): { last: string } | { from: string; to?: string } {
  if (s.last !== null) return { last: s.last };
  return s.to === '' ? { from: toRfc3339(s.from) } : { from: toRfc3339(s.from), to: toRfc3339(s.to) };
}

/** A datetime-local value (no zone) read as UTC; anything else is passed on for the API to judge. */
export function toRfc3339(v: string): string {
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(v)) return `${v}:00Z`;
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(v)) return `${v}Z`;
  return v;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const STEPS = ['10s', '15s', '30s', '1m', '2m', '5m', '10m', '15m', '30m', '1h', '3h', '6h', '12h', '1d'];

export function seconds(literal: string): number {
  const m = /^(\d+)(s|m|h|d|w)$/.exec(literal);
  return m === null ? NaN : Number(m[1]) * UNITS[m[2]!]!;
}

/** The series bucket: about 60 buckets over the range, rounded up to a round duration. */
export function everyOf(s: State): string {
  let span = s.last !== null ? seconds(s.last) : (Date.parse(toRfc3339(s.to || new Date().toISOString().slice(0, 19))) - Date.parse(toRfc3339(s.from))) / 1000;
  if (!Number.isFinite(span) || span <= 0) span = 3600;
  return STEPS.find((st) => seconds(st) >= span / 60) ?? '1d';
}
