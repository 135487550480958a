import type { Duration } from './duration.js';
import { badInput } from './errors.js';
import type { TimeSpan } from './range.js';
import { type Retention, type TierSpec } from './tiers.js';
import { formatDateTime, type EpochNs } from './time.js';

/**
 * One piece of a source plan (ARCHITECTURE §5): what one part of a range is
 * read from. Pieces never overlap in what they count, so the answer is the
 * sum of the pieces.
 *
 * - `raw`: every raw record of `span`.
 * - `tier`: the tier's rows of the whole windows of `span`.
 * - `unfolded`: the raw records of `span` the tier has not folded in yet.
 *   Only a store that knows exactly which records each tier holds (the
 *   embedded store: raw rows past the tier's watermark) is planned with it.
 */
export type SourcePiece =
  | { readonly kind: 'raw'; readonly span: TimeSpan }
  | { readonly kind: 'tier'; readonly tier: TierSpec; readonly span: TimeSpan }
  | { readonly kind: 'unfolded'; readonly tier: TierSpec; readonly span: TimeSpan };

/** What serves a traffic or series query: pieces summed into one exact answer. */
export interface SourcePlan {
  readonly pieces: readonly SourcePiece[];
  /** The range the answer covers (meta.from/to): the query's, clamped to retention, widened to whole windows where raw cannot serve an edge. */
  readonly span: TimeSpan;
  /** Every source used: `raw`, `5m`, `raw+5m` (meta.tier). */
  readonly name: string;
}

/**
 * How a store knows what a tier has folded in, which decides the pieces
 * above a tier's whole windows:
 *
 * - `sequence`: exactly, per record (the embedded store's watermark on the
 *   commit sequence): the tier serves all its whole windows and an
 *   `unfolded` piece adds the records past the watermark.
 * - `time`: by time (InfluxDB's tasks): windows before `foldedBefore` are
 *   complete in the tier, later ones are read from raw.
 */
export type Folding =
  | { readonly kind: 'sequence' }
  | { readonly kind: 'time'; readonly foldedBefore: (tier: TierSpec, now: EpochNs) => EpochNs };

/**
 * What a store knows of its row counts, to estimate the rows a plan reads.
 * Absent: DEFAULT_WINDOW_EQUIVALENT.
 */
export interface SourceStats {
  /** Raw records per second, recently. */
  readonly rawPerSecond: number;
  /** Rows per window of each tier (by name), recently. */
  readonly tierRowsPerWindow: Readonly<Record<string, number>>;
  /** What reading one tier row costs against one raw row (default 1): a store that measured it says so. */
  readonly tierRowCost?: number;
  /**
   * What one read of a source costs whatever its span, in raw rows (default
   * 0): a store whose reads pay per series touched (InfluxDB opens a cursor
   * for each series the predicate selects, docs/influxdb.md "What a plan
   * reads") says so, per raw piece and per piece of each tier (by name).
   */
  readonly readCost?: { readonly raw: number; readonly tiers: Readonly<Record<string, number>> };
}

/**
 * Without statistics, a tier window is taken to hold as many rows as this
 * much time of raw records (or, for a shorter window, as the window): the
 * rows of a tier grow with its tag sets, which repeat from window to window,
 * not with its width.
 */
export const DEFAULT_WINDOW_EQUIVALENT_NS = 30_000_000_000n;

export interface PlanContext {
  readonly retention: Retention;
  readonly now: EpochNs;
  /** Default: sequence. */
  readonly folding?: Folding;
  readonly stats?: SourceStats | null;
  /** A series' bucket width: only tiers whose window divides it can serve. */
  readonly every?: Duration;
}

interface Candidate {
  readonly plan: SourcePlan;
  /** How much the plan's span exceeds the query's (edges widened to whole windows), ns. */
  readonly excess: bigint;
  readonly cost: number;
}

/**
 * Plans the cheapest exact source of `span` for a query reading `columns`
 * (ARCHITECTURE §5, docs/decisions.md "Tiers"). Candidates are raw alone
 * (when raw retention holds the start of the range) and each tier that keeps
 * every column (and whose window divides `every`): its whole windows from
 * the tier, the partial windows at the edges and what the tier has not
 * folded in from raw. An edge raw no longer holds is widened to the whole
 * window instead. The plans that widen the range least compete (all plans
 * inside the raw retention are exact, and widen nothing), and among them the
 * one estimated to read the fewest rows wins (ties: the one listed first,
 * raw before the tiers, finer before coarser, single tiers before nested
 * plans). Inside the raw retention, each chain of tiers whose windows divide
 * one another (tierChains) is also a candidate: the coarsest for its whole
 * windows, the finer ones for the whole windows at its edges, raw for the
 * rest (nestedCandidate). When the range starts before the raw retention only tiers that
 * still keep its start compete, and when none does the longest-kept tier
 * serves the clamped range.
 */
export function planSources(span: TimeSpan, columns: ReadonlySet<string>, ctx: PlanContext): SourcePlan {
  const { retention, now } = ctx;
  const rawFrom = now - retention.raw.ns;
  const holding = retention.tiers.filter((t) => !t.drop.some((c) => columns.has(c)));
  const fitting = ctx.every === undefined ? holding : holding.filter((t) => ctx.every!.ns % t.window.ns === 0n);
  const rawCovers = span.from >= rawFrom;
  const candidates: Candidate[] = [];
  if (rawCovers) candidates.push({ plan: rawPlan(span), excess: 0n, cost: rawCost(span.to - span.from, ctx) + rawReadCost(ctx) });
  const covering = fitting.filter((t) => span.from >= now - t.retention.ns);
  const tiers = rawCovers || covering.length > 0 ? covering : fitting.length > 0 ? [fitting[fitting.length - 1]!] : [];
  for (const t of tiers) {
    const c = tierCandidate(span, t, ctx, rawCovers);
    if (c !== null) candidates.push(c);
  }
  if (rawCovers) {
    for (const chain of tierChains(covering)) {
      const c = nestedCandidate(span, chain, ctx);
      if (c !== null) candidates.push(c);
    }
  }
  if (candidates.length === 0) throw noSource(span, columns, holding, ctx);
  return candidates.reduce((best, c) => (c.excess < best.excess || (c.excess === best.excess && c.cost < best.cost) ? c : best)).plan;
}

function rawPlan(span: TimeSpan): SourcePlan {
  return { pieces: [{ kind: 'raw', span }], span, name: 'raw' };
}

/**
 * The plan of one tier: null when the tier has no whole window inside a
 * range raw could serve alone (it would read raw all the same).
 */
function tierCandidate(span: TimeSpan, tier: TierSpec, ctx: PlanContext, rawCovers: boolean): Candidate | null {
  const { retention, now } = ctx;
  const rawFrom = now - retention.raw.ns;
  const w = tier.window.ns;
  const from = maxBig(span.from, now - tier.retention.ns);
  const to = span.to;
  if (from >= to) {
    // The range ended before the tier's retention began: nothing is kept of it.
    const empty = { from: floorTo(to, w), to: floorTo(to, w) };
    return { plan: { pieces: [{ kind: 'tier', tier, span: empty }], span: empty, name: tier.name }, excess: 0n, cost: 0 };
  }
  // Whole windows [a, b); an edge raw cannot serve is widened to its window.
  let a = from >= rawFrom ? ceilTo(from, w) : floorTo(from, w);
  let b = floorTo(to, w) >= rawFrom ? floorTo(to, w) : ceilTo(to, w);
  if (a >= b) {
    if (rawCovers) return null;
    a = floorTo(from, w);
    b = ceilTo(to, w);
  }
  const pieces: SourcePiece[] = [];
  let rawNs = 0n;
  const addRaw = (f: EpochNs, t: EpochNs) => {
    if (f >= t) return;
    pieces.push({ kind: 'raw', span: { from: f, to: t } });
    rawNs += t - f;
  };
  addRaw(from, a);
  const folding = ctx.folding ?? { kind: 'sequence' };
  let tierTo = b;
  if (folding.kind === 'time') {
    const folded = floorTo(folding.foldedBefore(tier, now), w);
    // Above what the tier is known to hold, raw serves: if raw still keeps it.
    if (folded < b && maxBig(folded, a) >= rawFrom) tierTo = maxBig(folded, a);
  }
  if (a < tierTo) pieces.push({ kind: 'tier', tier, span: { from: a, to: tierTo } });
  if (folding.kind === 'sequence') pieces.push({ kind: 'unfolded', tier, span: { from: a, to: b } });
  const last = pieces[pieces.length - 1];
  if (tierTo < b || b < to) {
    // One raw piece from the end of the tier piece to the end of the range.
    const end = b < to ? to : b;
    if (last?.kind === 'raw' && last.span.to === tierTo) {
      pieces.pop();
      rawNs -= last.span.to - last.span.from;
      addRaw(last.span.from, end);
    } else addRaw(tierTo, end);
  }
  const covered = { from: minBig(from, a), to: maxBig(to, b) };
  const hasTier = pieces.some((p) => p.kind === 'tier');
  const hasRaw = pieces.some((p) => p.kind !== 'tier');
  if (!hasTier) return null;
  const name = hasRaw ? `raw+${tier.name}` : tier.name;
  const windows = Number((tierTo - a) / w);
  const excess = absBig(span.from - covered.from) + absBig(covered.to - span.to);
  const rowCost = ctx.stats?.tierRowCost ?? 1;
  const cost = rawCost(rawNs, ctx) + windows * tierRowsPerWindow(tier, ctx) * rowCost + piecesReadCost(pieces, ctx);
  return { plan: { pieces, span: covered, name }, excess, cost };
}

/**
 * The sets of two or more tiers (finest first) each of whose windows
 * divides the next one's: with the defaults, [5m, 1h]. Only such a chain
 * nests: a coarser window is then made of whole finer ones.
 */
export function tierChains(tiers: readonly TierSpec[]): TierSpec[][] {
  const chains: TierSpec[][] = [];
  const n = tiers.length;
  for (let mask = 1; mask < 1 << n; mask++) {
    const chain = tiers.filter((_, i) => (mask & (1 << i)) !== 0);
    if (chain.length < 2) continue;
    if (chain.every((t, i) => i === 0 || t.window.ns % chain[i - 1]!.window.ns === 0n)) chains.push(chain);
  }
  return chains;
}

/**
 * A nested plan inside the raw retention (docs/decisions.md "Nested
 * plans"): the coarsest tier of `chain` for its whole windows, the next
 * finer tier for the whole windows of what remains at each edge, and so on
 * down to raw for the partial windows of the finest tier; each tier piece
 * with its `unfolded` piece (sequence folding), or, folding by time, the
 * windows a tier has not completed handed down to the finer tiers and raw.
 * Null when a tier of the chain serves no window (a shorter chain is also
 * a candidate).
 */
function nestedCandidate(span: TimeSpan, chain: readonly TierSpec[], ctx: PlanContext): Candidate | null {
  const folding = ctx.folding ?? { kind: 'sequence' };
  const pieces: SourcePiece[] = [];
  const used = new Set<string>();
  let rawNs = 0n;
  let cost = 0;
  const rowCost = ctx.stats?.tierRowCost ?? 1;
  const fill = (from: EpochNs, to: EpochNs, level: number): void => {
    if (from >= to) return;
    if (level < 0) {
      const last = pieces[pieces.length - 1];
      if (last?.kind === 'raw' && last.span.to === from) pieces[pieces.length - 1] = { kind: 'raw', span: { from: last.span.from, to } };
      else pieces.push({ kind: 'raw', span: { from, to } });
      rawNs += to - from;
      return;
    }
    const tier = chain[level]!;
    const w = tier.window.ns;
    const a = ceilTo(from, w);
    const b = floorTo(to, w);
    if (a >= b) return fill(from, to, level - 1);
    let tierTo = b;
    if (folding.kind === 'time') {
      const folded = floorTo(folding.foldedBefore(tier, ctx.now), w);
      if (folded < b) tierTo = maxBig(folded, a);
    }
    fill(from, a, level - 1);
    if (a < tierTo) {
      pieces.push({ kind: 'tier', tier, span: { from: a, to: tierTo } });
      if (folding.kind === 'sequence') pieces.push({ kind: 'unfolded', tier, span: { from: a, to: tierTo } });
      used.add(tier.name);
      cost += Number((tierTo - a) / w) * tierRowsPerWindow(tier, ctx) * rowCost;
    }
    fill(tierTo, to, level - 1);
  };
  fill(span.from, span.to, chain.length - 1);
  if (chain.some((t) => !used.has(t.name))) return null;
  const hasRaw = pieces.some((p) => p.kind !== 'tier');
  const name = [...(hasRaw ? ['raw'] : []), ...chain.map((t) => t.name)].join('+');
  return { plan: { pieces, span, name }, excess: 0n, cost: cost + rawCost(rawNs, ctx) + piecesReadCost(pieces, ctx) };
}

function rawPerNs(ctx: PlanContext): number {
  const perSecond = ctx.stats?.rawPerSecond;
  return perSecond !== undefined && perSecond > 0 ? perSecond / 1e9 : 1e-9;
}

function rawCost(ns: bigint, ctx: PlanContext): number {
  return Number(ns) * rawPerNs(ctx);
}

function rawReadCost(ctx: PlanContext): number {
  const c = ctx.stats?.readCost?.raw;
  return c !== undefined && Number.isFinite(c) && c > 0 ? c : 0;
}

/** The fixed cost of reading each piece of a plan (SourceStats.readCost); an `unfolded` piece is read with its tier's. */
function piecesReadCost(pieces: readonly SourcePiece[], ctx: PlanContext): number {
  const costs = ctx.stats?.readCost;
  if (costs === undefined) return 0;
  let total = 0;
  for (const p of pieces) {
    if (p.kind === 'raw') total += rawReadCost(ctx);
    else if (p.kind === 'tier') {
      const c = costs.tiers[p.tier.name];
      if (c !== undefined && Number.isFinite(c) && c > 0) total += c;
    }
  }
  return total;
}

function tierRowsPerWindow(tier: TierSpec, ctx: PlanContext): number {
  const known = ctx.stats?.tierRowsPerWindow[tier.name];
  if (known !== undefined && Number.isFinite(known) && known >= 0) return known;
  const ns = tier.window.ns < DEFAULT_WINDOW_EQUIVALENT_NS ? tier.window.ns : DEFAULT_WINDOW_EQUIVALENT_NS;
  return Number(ns) * rawPerNs(ctx);
}

function noSource(span: TimeSpan, columns: ReadonlySet<string>, holding: readonly TierSpec[], ctx: PlanContext) {
  const { retention } = ctx;
  if (holding.length > 0 && ctx.every !== undefined) {
    const windows = holding.map((t) => t.window.text).join(', ');
    return badInput(
      'every',
      `${ctx.every.text} is not a multiple of the window of any tier that keeps this range (${windows}); ` +
        `the range starts at ${formatDateTime(span.from)}, before the raw retention (${retention.raw.text})`,
    );
  }
  const missing = [...columns].find((c) => retention.tiers.every((t) => (t.drop as readonly string[]).includes(c)));
  return badInput(
    'range',
    `the range starts at ${formatDateTime(span.from)}, before the raw retention (${retention.raw.text}), ` +
      `and no downsampled tier keeps ${missing ?? 'the columns this query reads'}; ` +
      `filter or group on other columns, or query the last ${retention.raw.text}`,
  );
}

/** The tiers a plan reads, finest first. */
export function planTiers(plan: SourcePlan): TierSpec[] {
  const seen = new Map<string, TierSpec>();
  for (const p of plan.pieces) if (p.kind !== 'raw') seen.set(p.tier.name, p.tier);
  return [...seen.values()].sort((x, y) => (x.window.ns < y.window.ns ? -1 : 1));
}

function mod(a: bigint, b: bigint): bigint {
  return ((a % b) + b) % b;
}

export function floorTo(t: bigint, w: bigint): bigint {
  return t - mod(t, w);
}

export function ceilTo(t: bigint, w: bigint): bigint {
  return mod(t, w) === 0n ? t : t - mod(t, w) + w;
}

function absBig(a: bigint): bigint {
  return a < 0n ? -a : a;
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
