import {
  GatewayError,
  decodeRecords,
  labelColumn,
  tierName,
  tooExpensive,
  TIME_END,
  floorTo,
  type Clock,
  type Folding,
  type SourceStats,
  type Source,
  type SourcePlan,
  type Duration,
  type EpochNs,
  type LabelNamesQuery,
  type Predicate,
  type RecordsQuery,
  type Retention,
  type SeriesQuery,
  type RecordBatch,
  type TrafficQuery,
  type ValuesQuery,
} from '../../model/index.js';
import type { LabelNamesResult, QueryMeta, RecordsPage, SeriesResult, SessionStore, StoredLabelNames, TailPage, TailPosition, TailRead, TrafficPage, ValuesResult } from '../types.js';
import { InfluxHttp, realTimer, type FluxRow, type InfluxConnection, type RetryTimer } from './client.js';
import { compileSeries, compileTraffic } from './compile.js';
import { compileLabelCounts, compileTagKeys, compileValues } from './compile-hints.js';
import { compileRecords } from './compile-records.js';
import { compileTail } from './compile-tail.js';
import { CLIENT_PORT } from './client-port.js';
import { bucketOf, clientPortForm, influxLayout, type ClientPortForm, type InfluxLayout } from './layout.js';
import { hasTagKey, readLabelCounts, readRecords, readTail, readSeries, readTagKeys, readTraffic, readValues } from './results.js';
import {
  dueEnd,
  foldWindow,
  keptTags,
  nextRun,
  readRollupTagKeys,
  readWatermark,
  rollupSchedule,
  rollupTagKeysScript,
  rollupTaskName,
  rollupWindowScript,
  readWindowStats,
  windowStatsScript,
  watermarkLine,
  watermarkScript,
  windowsDue,
  type RollupSchedule,
} from './rollup.js';
import { setupInflux, type SetupReport } from './setup.js';
import { planWrite } from './write-plan.js';
import { escapedValuesScript, exactRegex, readEscapedValues, regexColumns } from './stored-regex.js';
import { influxFolding } from './folding.js';

export interface InfluxSessionStoreOptions {
  readonly connection: InfluxConnection;
  readonly org: string;
  /** The raw bucket. */
  readonly bucket: string;
  /** The tier bucket template, `{bucket}_{tier}` by default. */
  readonly tierBucket: string;
  readonly retention: Retention;
  readonly clock: Clock;
  /** How long a write is retried before it fails. */
  readonly writeRetryMs: number;
  /** Records older than this when written are late (docs/influxdb.md). */
  readonly lateAfter: Duration;
  /**
   * The tail's lateness window (LIVE_TAIL_LATENESS, docs/live.md): the
   * tail reads records up to now minus this, so a record stored later than
   * this after its time is missed by a tail (and is in every query).
   * Default 5s.
   */
  readonly tailLateness?: Duration;
  readonly timer?: RetryTimer;
  readonly log?: StoreLog;
  /**
   * Runs the tier rollups on a timer (INFLUX_ROLLUP, docs/influxdb.md
   * "Tiers: the gateway's rollup"): from `open` to `close`, per tier, at
   * each window end plus INFLUX_LATE_AFTER plus the offset. Off by default here (tests and
   * benches run `rollup` and `runScheduled` themselves); the gateway turns
   * it on unless INFLUX_ROLLUP=off.
   */
  readonly runRollups?: boolean;
  /**
   * Without runRollups: follows the rollup another gateway runs
   * (`startObserving`): its watermarks bound what the tiers are taken to
   * hold, its folded windows give the planner's statistics. The gateway
   * turns it on where INFLUX_ROLLUP=false.
   */
  readonly observeRollups?: boolean;
}

/** How often a gateway that follows another's rollup reads a watermark again while that run is still going. */
const WATERMARK_POLL_MS = 15_000;

const DEFAULT_TAIL_LATENESS_NS = 5_000_000_000n;

/** Where the store reports what no caller is waiting for (setup, dropped points). */
export interface StoreLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const silent: StoreLog = { info() {}, warn() {}, error() {} };

/** Most lines in one write request (InfluxDB suggests 5000). */
const LINES_PER_REQUEST = 5000;
/** Write requests of one store in flight at once. */
const WRITE_CONCURRENCY = 4;
/** After a failed setup, the next attempt waits at least this long. */
const SETUP_RETRY_MS = 10_000;
/** The shortest query timeout of a rollup read (QUERY_TIMEOUT bounds a client's query, not the gateway's own work). */
const ROLLUP_QUERY_TIMEOUT_MS = 300_000;
/** setTimeout's longest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/**
 * What each piece of a plan costs per series it touches, in points: influxd
 * opens a cursor per series the predicate selects, whatever the range, and
 * a plan of several pieces regroups their sums per group after the union,
 * table by table. Measured on influxd 2.9.1 (docs/benchmarks.md "What a
 * plan reads on InfluxDB", `npm run bench:influx:reads`): a read cost
 * 16.5 µs a series and 0.37 µs a point over 20 000 series (45 points a
 * series), 28.9 µs and 0.054 µs over 2 000 (530 points). 400 is the value
 * that makes the planner's choices for the last hour the measured fastest
 * on both data sets (raw alone; at 200 it still took raw+5m on the 2 000
 * series, 0.63x of raw), and it takes a tier for a day.
 */
export const SERIES_READ_POINTS = 400;

/** One folded window of a tier, as the planner's statistics read it. */
interface ObservedWindow {
  readonly points: number;
  readonly records: number;
  readonly windowNs: bigint;
}

/**
 * Session records in InfluxDB 2.x (docs/influxdb.md): a raw bucket, one
 * bucket per tier filled by the store's own rollup (rollup.ts), Flux
 * compiled from the query model. `write` resolves once InfluxDB
 * acknowledged every point (204). Buckets are created at `open` and again,
 * lazily, whenever InfluxDB was not reachable for it, so the gateway starts
 * and recovers while it is down.
 */
export class InfluxSessionStore implements SessionStore {
  readonly backend = 'influxdb';
  readonly layout: InfluxLayout;
  private readonly http: InfluxHttp;
  /** The same server, with a query timeout for the rollup's reads. */
  private readonly rollupHttp: InfluxHttp;
  private readonly log: StoreLog;
  /**
   * Per tier: the end of the last window a scheduled run completed, by this
   * gateway or, when it follows another's rollup, as last read from the
   * tier bucket (undefined: not read yet; null: the bucket holds none). It
   * bounds the folding.
   */
  private readonly watermarks: (EpochNs | null | undefined)[];
  /**
   * Per tier, its rollup work, one at a time, in order: tiers run side by
   * side, so a long hour window never delays a 5m run past its offset.
   */
  private readonly rollups: Promise<unknown>[];
  private readonly timers: (NodeJS.Timeout | undefined)[];
  /** Per tier, the last folded window its statistics were read from (sourceStats). */
  private readonly observed: (ObservedWindow | undefined)[];
  /** The raw bucket's series over the finest tier's last observed window. */
  private rawSeries: number | undefined;
  private closed = false;
  private rollupsStarted = false;
  private readonly schedules: RollupSchedule[];
  private setupDone = false;
  private setupRunning: Promise<SetupReport> | undefined;
  private setupFailedAt = -Infinity;
  private formLookup: Promise<InfluxLayout> | undefined;
  private readonly timer: RetryTimer;
  /**
   * What the tiers hold, by time (sources.ts Folding): the windows before
   * `foldedBefore` are complete in the tier, later ones are read from raw.
   */
  readonly folding: Folding;

  private constructor(private readonly options: InfluxSessionStoreOptions) {
    this.timer = options.timer ?? realTimer;
    this.http = new InfluxHttp(options.connection, this.timer);
    this.rollupHttp = new InfluxHttp(
      { ...options.connection, queryTimeoutMs: Math.max(options.connection.queryTimeoutMs, ROLLUP_QUERY_TIMEOUT_MS) },
      this.timer,
    );
    this.log = options.log ?? silent;
    this.layout = influxLayout(options.org, options.bucket, options.tierBucket, options.retention);
    const maxWriteNs = BigInt(options.writeRetryMs + options.connection.requestTimeoutMs) * 1_000_000n;
    this.schedules = this.layout.tiers.map((t) => rollupSchedule(t, options.lateAfter.ns, maxWriteNs));
    this.schedules.forEach((s, i) => {
      const w = this.layout.tiers[i]!.spec.window.ns;
      // A run starts `offset` after its scheduled time and reads back (closed windows + 1) windows.
      if ((s.closedWindows + 1n) * w + s.offsetNs > options.retention.raw.ns) {
        throw new Error(`tier ${this.layout.tiers[i]!.spec.name}: its rollup would read past the raw retention (see INFLUX_LATE_AFTER)`);
      }
    });
    this.watermarks = this.layout.tiers.map(() => undefined);
    this.timers = this.layout.tiers.map(() => undefined);
    this.observed = this.layout.tiers.map(() => undefined);
    this.rollups = this.layout.tiers.map(() => Promise.resolve());
    const offsets = new Map(this.layout.tiers.map((t, i) => [t.spec.name, this.schedules[i]!.offsetNs]));
    const lateAfter = options.lateAfter.ns;
    const tierIndex = new Map(this.layout.tiers.map((t, i) => [t.spec.name, i]));
    this.folding = influxFolding(offsets, lateAfter, (name) => {
      const i = tierIndex.get(name);
      return i === undefined ? undefined : this.watermarks[i];
    });
  }

  /**
   * Opens the store and sets up buckets once. When InfluxDB is not
   * reachable the store opens anyway; setup is retried before later calls.
   * With `runRollups`, each tier's rollup timer starts here, and a first
   * run catches up on the windows missed while no gateway ran it.
   */
  static async open(options: InfluxSessionStoreOptions): Promise<InfluxSessionStore> {
    const store = InfluxSessionStore.create(options);
    await store.setup().catch(() => undefined);
    if (options.runRollups === true) store.startRollups();
    else if (options.observeRollups === true) store.startObserving();
    return store;
  }

  /** The store without the first setup: it runs before the first call (or call `setup`). */
  static create(options: InfluxSessionStoreOptions): InfluxSessionStore {
    return new InfluxSessionStore(options);
  }

  /** Per tier (in layout order), when its rollup runs. */
  rollupSchedules(): readonly RollupSchedule[] {
    return this.schedules;
  }

  /** The names of the tier tasks earlier versions kept in InfluxDB (setup deletes them). */
  legacyTaskNames(): string[] {
    return this.layout.tiers.map((t) => rollupTaskName(t));
  }

  /** Creates or updates the buckets, deletes the old tier tasks; concurrent calls share one run. */
  setup(): Promise<SetupReport> {
    this.setupRunning ??= setupInflux(this.http, this.layout, this.options.retention)
      .then((report: SetupReport) => {
        this.setupDone = true;
        if (report.created.length + report.updated.length + report.deleted.length > 0) {
          this.log.info({ ...report }, 'influxdb buckets set up');
        }
        return report;
      })
      .catch((e: unknown) => {
        this.setupFailedAt = this.timer.now();
        this.log.error({ err: e, cause: (e as Error).cause }, 'influxdb setup failed; retrying before the next call');
        throw e;
      })
      .finally(() => {
        this.setupRunning = undefined;
      });
    return this.setupRunning;
  }

  async write(batch: RecordBatch): Promise<void> {
    if (batch.length === 0) return;
    await this.prepare();
    const layout = await this.storedLayout();
    const plan = planWrite(decodeRecords(batch), {
      now: this.options.clock(),
      retention: this.options.retention,
      layout,
      lateAfterNs: this.options.lateAfter.ns,
    });
    const jobs: { bucket: string; body: string }[] = [];
    const add = (bucket: string, lines: readonly string[]) => {
      for (let i = 0; i < lines.length; i += LINES_PER_REQUEST) jobs.push({ bucket, body: lines.slice(i, i + LINES_PER_REQUEST).join('\n') });
    };
    add(this.layout.rawBucket, plan.raw);
    for (const t of plan.tiers) add(t.bucket, t.lines);
    const outcomes = await pool(jobs, WRITE_CONCURRENCY, (j) =>
      this.http.write(this.layout.org, j.bucket, j.body, this.options.writeRetryMs).then((o) => ({ ...o, bucket: j.bucket })),
    );
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed !== undefined) {
      this.noteFailure(failed.reason);
      throw failed.reason;
    }
    for (const o of outcomes) {
      if (o.status === 'fulfilled' && o.value.droppedBeyondRetention !== null) {
        this.log.warn({ bucket: o.value.bucket, detail: o.value.droppedBeyondRetention }, 'influxdb dropped points older than the bucket retention');
      }
    }
  }

  /**
   * `filter` with its regexes on tags made exact over the stored form
   * (stored-regex.ts), and the statement that listed the stored values it
   * needed over [from, to) (null when the filter has no such regex).
   */
  private async exactFilter(filter: Predicate, from: EpochNs, to: EpochNs): Promise<{ filter: Predicate; statement: string | null }> {
    const columns = regexColumns(filter);
    if (columns.length === 0) return { filter, statement: null };
    const buckets = [this.layout.rawBucket, ...this.layout.tiers.map((t) => t.bucket)];
    const statement = escapedValuesScript(buckets, columns, from, to);
    return { filter: exactRegex(filter, readEscapedValues(await this.query(statement), buckets, columns)), statement };
  }

  async traffic(query: TrafficQuery): Promise<TrafficPage> {
    const spans = [query.source.span, ...(query.compare === null ? [] : [query.compare.source.span])];
    const from = spans.reduce((m, s) => (s.from < m ? s.from : m), query.source.span.from);
    const to = spans.reduce((m, s) => (s.to > m ? s.to : m), query.source.span.to);
    const exact = await this.exactFilter(query.filter, from, to);
    const q = { ...query, filter: exact.filter };
    const text = compileTraffic(q, await this.storedLayout());
    const result = readTraffic(q, await this.query(text));
    if (result.totalCount > q.maxGroups) {
      throw tooExpensive(`the query matches ${result.totalCount} groups; at most ${q.maxGroups} are allowed: filter more or group on fewer keys`);
    }
    return { ...result, meta: this.planMeta(q.source, withStatement(exact.statement, text)) };
  }

  async series(query: SeriesQuery): Promise<SeriesResult> {
    const exact = await this.exactFilter(query.filter, query.source.span.from, query.source.span.to);
    const q = { ...query, filter: exact.filter };
    const text = compileSeries(q, await this.storedLayout());
    return { series: readSeries(q, await this.query(text)), meta: this.planMeta(q.source, withStatement(exact.statement, text)) };
  }

  async values(query: ValuesQuery): Promise<ValuesResult> {
    const exact = await this.exactFilter(query.filter, query.source.span.from, query.source.span.to);
    const q = { ...query, filter: exact.filter };
    const text = compileValues(q, await this.storedLayout());
    return { values: readValues(q, await this.query(text)), meta: this.meta(q, withStatement(exact.statement, text)) };
  }

  /** Two statements: the label columns of the range, then the records carrying each (meta.query shows both). */
  async labelNames(query: LabelNamesQuery): Promise<LabelNamesResult> {
    const head = labelColumn(query.side, query.prefix ?? '');
    const keys = compileTagKeys(bucketOf(this.layout, query.source.tier), query.source.span.from, query.source.span.to, head);
    const columns = readTagKeys(await this.query(keys));
    if (columns.length === 0) return { names: [], meta: this.meta(query, keys) };
    const exact = await this.exactFilter(query.filter, query.source.span.from, query.source.span.to);
    const q = { ...query, filter: exact.filter };
    const counts = compileLabelCounts(q, await this.storedLayout(), columns);
    const names = readLabelCounts(q, columns, await this.query(counts));
    return { names, meta: this.meta(q, withStatement(exact.statement, `${keys}\n${counts}`)) };
  }

  /**
   * The label tag keys of every bucket (the raw one and each tier's), over
   * all time: a name whose raw records aged out still names series in the
   * tiers. One statement per bucket.
   */
  async storedLabelNames(): Promise<StoredLabelNames> {
    const buckets = [this.layout.rawBucket, ...this.layout.tiers.map((t) => t.bucket)];
    const keys = new Set<string>();
    for (const bucket of buckets) for (const k of readTagKeys(await this.query(compileTagKeys(bucket, 0n, TIME_END, 'label.')))) keys.add(k);
    const local: string[] = [];
    const remote: string[] = [];
    for (const k of keys) {
      if (k.startsWith('label.local.')) local.push(k.slice('label.local.'.length));
      else remote.push(k.slice('label.remote.'.length));
    }
    return { local, remote };
  }

  /** Two statements: the label columns of the range (they order records of one time), then the page. */
  async records(query: RecordsQuery): Promise<RecordsPage> {
    const keys = compileTagKeys(this.layout.rawBucket, query.span.from, query.span.to, 'label.');
    const labels = readTagKeys(await this.query(keys));
    const exact = await this.exactFilter(query.filter, query.span.from, query.span.to);
    const q = { ...query, filter: exact.filter };
    const text = compileRecords(q, await this.storedLayout(), labels);
    const page = readRecords(q, await this.query(text));
    return { ...page, meta: { backend: this.backend, tier: 'raw', query: withStatement(exact.statement, `${keys}\n${text}`), from: q.span.from, to: q.span.to } };
  }

  /** Now minus the lateness window: the tail reads records by time, up to here. */
  tailHead(): Promise<TailPosition> {
    return Promise.resolve({ at: this.options.clock() - (this.options.tailLateness?.ns ?? DEFAULT_TAIL_LATENESS_NS), within: 0 });
  }

  /**
   * Two statements: the label columns of the range (they order records of
   * one time), then the records. A backfill starts at `since`; a read stops
   * at `until`, or at the head when it has none.
   */
  async tail(read: TailRead): Promise<TailPage> {
    const start = read.from?.at ?? read.since ?? 0n;
    const stop = read.until ?? (await this.tailHead()).at;
    if (start >= stop) return { records: [], next: read.from ?? { at: start, within: 0 }, full: false };
    const labels = readTagKeys(await this.query(compileTagKeys(this.layout.rawBucket, start, stop, 'label.')));
    const layout = await this.storedLayout();
    const { filter } = await this.exactFilter(read.filter, start, stop);
    return readTail(read, start, await this.query(compileTail({ ...read, filter }, start, stop, layout, labels)));
  }

  /**
   * Recomputes every tier's (or the tier `only`'s, by index) windows
   * overlapping [from, to) now (the same
   * code as the scheduled runs; the watermarks are left alone): for tests,
   * benches and a backfill. Refuses windows the raw bucket no longer holds
   * whole.
   */
  async rollup(from: EpochNs, to: EpochNs, only?: number): Promise<void> {
    const oldest = this.options.clock() - this.options.retention.raw.ns;
    await this.prepare();
    const tiers = this.layout.tiers.filter((_, i) => only === undefined || only === i);
    for (const tier of tiers) {
      if (floorTo(from, tier.spec.window.ns) < oldest) {
        throw new GatewayError('BAD_USER_INPUT', `rollup: windows of tier ${tier.spec.name} starting before the raw retention cannot be recomputed`);
      }
    }
    for (const [i, tier] of this.layout.tiers.entries()) {
      if (only !== undefined && only !== i) continue;
      const w = tier.spec.window.ns;
      await this.serially(i, async () => {
        for (let a = floorTo(from, w); a < to; a += w) await this.rollupWindow(i, a);
        const last = floorTo(to, w) - w;
        if (last >= floorTo(from, w)) await this.observe(i, last);
      });
    }
  }

  /**
   * The run of the tiers scheduled at `s` (every tier, or the tier `only`,
   * by index): the windows after its watermark that end by
   * `s - INFLUX_LATE_AFTER` (rollup.ts windowsDue), oldest first, each
   * followed by its watermark point. What the timer calls at `s + offset`
   * (rollup.ts nextRun); tests call it for a chosen `s`. Resolves to the
   * window starts computed, per tier.
   */
  async runScheduled(s: EpochNs, only?: number): Promise<EpochNs[][]> {
    await this.prepare();
    const runs = this.layout.tiers.map((_, i) => (only !== undefined && only !== i ? Promise.resolve([]) : this.serially(i, () => this.runTier(i, s))));
    return Promise.all(runs);
  }

  /** One tier's part of runScheduled. */
  private async runTier(i: number, s: EpochNs): Promise<EpochNs[]> {
    const tier = this.layout.tiers[i]!;
    const w = tier.spec.window.ns;
    const oldest = this.options.clock() - this.options.retention.raw.ns;
    if (this.watermarks[i] === undefined) this.watermarks[i] = await this.storedWatermark(i);
    const starts = windowsDue(w, this.schedules[i]!, this.options.lateAfter.ns, s, this.watermarks[i]!, oldest);
    if (starts.length > 1) this.log.info({ tier: tier.spec.name, windows: starts.length, from: starts[0]!.toString() }, 'influxdb rollup catching up');
    const computed: EpochNs[] = [];
    for (const a of starts) {
      // A store closing stops a long catch-up between windows; the next start goes on from the watermark.
      if (this.closed) break;
      await this.rollupWindow(i, a);
      await this.http.write(this.layout.org, tier.bucket, watermarkLine(a, a + w), this.options.writeRetryMs);
      this.watermarks[i] = a + w;
      computed.push(a);
    }
    const mark = this.watermarks[i];
    if (computed.length > 0) await this.observe(i, computed[computed.length - 1]!);
    else if (this.observed[i] === undefined && mark !== null && mark !== undefined) await this.observe(i, mark - w);
    return computed;
  }

  /**
   * Starts, per tier, a timer at each window end plus INFLUX_LATE_AFTER plus
   * the offset (rollup.ts nextRun; unref: it never keeps the process alive;
   * `close` stops it), after a first run that catches up on the windows no
   * gateway ran. Once (and not beside startObserving).
   */
  startRollups(): void {
    this.startTimers(1n, async (i, s) => {
      await this.runScheduled(s, i).catch((e: unknown) =>
        this.log.error({ err: e, cause: (e as Error).cause, tier: this.layout.tiers[i]!.spec.name }, 'influxdb rollup failed; the next run retries its windows'),
      );
      return true;
    });
  }

  /**
   * For a gateway that does not run the rollups (INFLUX_ROLLUP=false): per
   * tier, a timer where the schedule credits a run (its start plus another
   * offset, folding.ts) reads the watermark the rolling gateway wrote and
   * the statistics of the window before it (observeWatermarks), so this
   * gateway plans with the same figures and reads from raw what that run
   * has not written yet. While the watermark is short of the run's windows
   * it is read again every WATERMARK_POLL_MS, until the next run. A first
   * read at once. Once (and not beside startRollups).
   */
  startObserving(): void {
    this.startTimers(2n, async (i, s) => {
      const w = this.layout.tiers[i]!.spec.window.ns;
      const mark = await this.observeWatermarks(i).then(
        (marks) => marks[i] ?? null,
        (e: unknown) => {
          this.log.warn({ err: e, tier: this.layout.tiers[i]!.spec.name }, 'influxdb: could not read a tier watermark; the tier serves only what the last one read covers');
          return null;
        },
      );
      const due = dueEnd(w, this.options.lateAfter.ns, s);
      return mark !== null && mark >= due;
    });
  }

  /**
   * The timers of startRollups and startObserving: per tier, `run(i, s)` for
   * the run scheduled at s, at s plus `offsets` times the tier's offset, and
   * at once for the last one due. `run` resolving false asks for another
   * call WATERMARK_POLL_MS later, unless the next run is sooner.
   */
  private startTimers(offsets: bigint, run: (i: number, s: EpochNs) => Promise<boolean>): void {
    if (this.closed || this.timers.some((t) => t !== undefined) || this.rollupsStarted) return;
    this.rollupsStarted = true;
    for (const [i, tier] of this.layout.tiers.entries()) {
      const w = tier.spec.window.ns;
      const delay = offsets * this.schedules[i]!.offsetNs;
      const next = () => nextRun(w, this.options.lateAfter.ns, delay, this.options.clock());
      const later = (at: EpochNs, s: EpochNs) => {
        if (this.closed) return;
        const ms = Number((at - this.options.clock()) / 1_000_000n);
        const t = setTimeout(() => tick(s), Math.min(Math.max(ms, 0), MAX_TIMER_MS));
        t.unref();
        this.timers[i] = t;
      };
      const tick = (s: EpochNs) => {
        this.timers[i] = undefined;
        if (this.closed) return;
        void run(i, s).then((done) => {
          const n = next();
          const poll = this.options.clock() + BigInt(WATERMARK_POLL_MS) * 1_000_000n;
          if (!done && poll < n.at) later(poll, s);
          else later(n.at, n.s);
        });
      };
      // The last run that should have started: catches up on what no gateway ran.
      tick(next().s - w);
    }
  }

  /**
   * Reads each tier's watermark (or tier `only`'s, by index) from its
   * bucket, what another gateway's rollup wrote, and when it moved, the
   * statistics of the window before it (what startObserving runs; tests
   * call it). Resolves to the watermarks, per tier (null: none).
   */
  async observeWatermarks(only?: number): Promise<(EpochNs | null)[]> {
    await this.prepare();
    const reads = this.layout.tiers.map((tier, i) => {
      if (only !== undefined && only !== i) return Promise.resolve(this.watermarks[i] ?? null);
      return this.serially(i, async () => {
        const w = tier.spec.window.ns;
        const mark = await this.storedWatermark(i);
        const before = this.watermarks[i];
        this.watermarks[i] = mark;
        if (mark !== null && (mark !== before || this.observed[i] === undefined)) await this.observe(i, mark - w);
        return mark;
      });
    });
    return Promise.all(reads);
  }

  /** The latest watermark point of tier `i`'s bucket within the raw retention (null: none). */
  private async storedWatermark(i: number): Promise<EpochNs | null> {
    const tier = this.layout.tiers[i]!;
    const oldest = this.options.clock() - this.options.retention.raw.ns;
    return readWatermark(await this.rollupQuery(watermarkScript(tier, oldest - tier.spec.window.ns)));
  }

  /** One window of one tier, from raw: tag keys, the pushed-down sums and counts, the points written at its start. */
  private async rollupWindow(i: number, start: EpochNs): Promise<number> {
    const tier = this.layout.tiers[i]!;
    const stop = start + tier.spec.window.ns;
    const tags = keptTags(tier, readRollupTagKeys(await this.rollupQuery(rollupTagKeysScript(this.layout, start, stop))));
    if (tags.length === 0) return 0;
    const lines = foldWindow(tags, await this.rollupQuery(rollupWindowScript(this.layout, tags, start, stop)), start);
    const jobs: string[] = [];
    for (let k = 0; k < lines.length; k += LINES_PER_REQUEST) jobs.push(lines.slice(k, k + LINES_PER_REQUEST).join('\n'));
    const outcomes = await pool(jobs, WRITE_CONCURRENCY, (body) => this.http.write(this.layout.org, tier.bucket, body, this.options.writeRetryMs));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed !== undefined) {
      this.noteFailure(failed.reason);
      throw failed.reason;
    }
    return lines.length;
  }

  /**
   * Reads the statistics of tier `i`'s window at `start` for sourceStats
   * (and, for the finest tier, the raw bucket's series over it). A failure
   * keeps the last figures: it is logged, the rollup goes on. So does a
   * window without records, once there are figures: a quiet window says
   * nothing of what a read costs.
   */
  private async observe(i: number, start: EpochNs): Promise<void> {
    const tier = this.layout.tiers[i]!;
    const w = tier.spec.window.ns;
    const finest = this.layout.tiers.every((t) => t.spec.window.ns >= w);
    try {
      const text = windowStatsScript(this.layout, tier, start, start + w, finest);
      const seen = readWindowStats(await this.rollupHttp.query(this.layout.org, text));
      if (seen.records === 0 && this.observed[i] !== undefined) return;
      this.observed[i] = { points: seen.points, records: seen.records, windowNs: w };
      if (seen.rawSeries !== null && seen.rawSeries > 0) this.rawSeries = seen.rawSeries;
    } catch (e) {
      this.log.warn({ err: e, tier: tier.spec.name }, 'influxdb rollup: could not read the statistics of a folded window; the planner keeps the last ones');
    }
  }

  /**
   * What the source planner weighs (model/sources.ts SourceStats), from the
   * last window each tier folded: raw records per second (the finest
   * observed tier's `sessions` over its window), each tier's points per
   * window, and what a read costs before its points, SERIES_READ_POINTS per
   * series: the raw bucket's (`influxdb.cardinality`) for a raw piece, the
   * tier's points per window for a tier piece. A tier not observed yet is
   * taken to cost what raw does, so it is not chosen on a guess. Null
   * before any window was observed (the planner's defaults).
   */
  sourceStats(): SourceStats | null {
    let base: ObservedWindow | undefined;
    for (const o of this.observed) if (o !== undefined && o.records > 0 && (base === undefined || o.windowNs < base.windowNs)) base = o;
    if (base === undefined) return null;
    const rawPerSecond = base.records / (Number(base.windowNs) / 1e9);
    const rawSeries = this.rawSeries ?? Math.max(...this.observed.map((o) => o?.points ?? 0));
    const rawRead = rawSeries * SERIES_READ_POINTS;
    const tierRowsPerWindow: Record<string, number> = {};
    const tiers: Record<string, number> = {};
    this.layout.tiers.forEach((t, i) => {
      const o = this.observed[i];
      tierRowsPerWindow[t.spec.name] = o?.points ?? rawPerSecond * (Number(t.spec.window.ns) / 1e9);
      tiers[t.spec.name] = o === undefined ? rawRead : o.points * SERIES_READ_POINTS;
    });
    return { rawPerSecond, tierRowsPerWindow, tierRowCost: 1, readCost: { raw: rawRead, tiers } };
  }

  private async rollupQuery(text: string): Promise<Map<string, FluxRow[]>> {
    try {
      return await this.rollupHttp.query(this.layout.org, text);
    } catch (e) {
      this.noteFailure(e);
      throw e;
    }
  }

  /** Resolves when the rollup work queued so far (a timer's run, a catch-up) has ended. */
  async rollupsIdle(): Promise<void> {
    await Promise.all(this.rollups.map((r) => r.catch(() => undefined)));
  }

  /** Runs `fn` after the rollup work of tier `i` queued before it. */
  private serially<T>(i: number, fn: () => Promise<T>): Promise<T> {
    const run = this.rollups[i]!.then(fn, fn);
    this.rollups[i] = run.catch(() => undefined);
    return run;
  }

  /**
   * How the raw bucket holds client_port (docs/influxdb.md "client_port:
   * tag or field"), looked up before the first write or query and kept:
   * `tag` when the raw bucket's points over the raw retention carry a
   * client_port tag (written by an earlier gateway; logged with the
   * migration advice), or when a tier keeps client_port (TIERS with a drop
   * list without it: only a tag can reach the tier); `field` otherwise.
   */
  clientPortForm(): Promise<ClientPortForm> {
    return this.storedLayout().then(clientPortForm);
  }

  /** The layout with the raw bucket's client_port form (looked up once; again after a 404). */
  private storedLayout(): Promise<InfluxLayout> {
    this.formLookup ??= this.lookUpForm().catch((e: unknown) => {
      this.formLookup = undefined;
      throw e;
    });
    return this.formLookup;
  }

  private async lookUpForm(): Promise<InfluxLayout> {
    const keeping = this.layout.tiers.filter((t) => !(t.spec.drop as readonly string[]).includes(CLIENT_PORT));
    if (keeping.length > 0) {
      this.log.warn(
        { bucket: this.layout.rawBucket, tiers: keeping.map((t) => t.spec.name) },
        'influxdb: a tier keeps client_port (TIERS), so the raw bucket keeps client_port as a tag, one series per session (docs/influxdb.md "client_port: tag or field")',
      );
      return { ...this.layout, clientPort: 'tag' };
    }
    const now = this.options.clock();
    const rows = await this.query(compileTagKeys(this.layout.rawBucket, now - this.options.retention.raw.ns, TIME_END, CLIENT_PORT));
    if (!hasTagKey(rows, CLIENT_PORT)) return { ...this.layout, clientPort: 'field' };
    this.log.warn(
      { bucket: this.layout.rawBucket },
      'influxdb: the raw bucket holds client_port as a tag (written by an earlier gateway); it stays a tag for this bucket, one series per session. ' +
        'For the faster field layout point INFLUX_BUCKET at a new bucket (docs/influxdb.md "client_port: tag or field")',
    );
    return { ...this.layout, clientPort: 'tag' };
  }

  async ping(): Promise<void> {
    await this.http.ping();
  }

  /** Stops the rollup timers and waits for a run in progress. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [i, t] of this.timers.entries()) {
      if (t !== undefined) clearTimeout(t);
      this.timers[i] = undefined;
    }
    await this.rollupsIdle();
  }

  private meta(q: { readonly source: Source }, query: string): QueryMeta {
    return { backend: this.backend, tier: tierName(q.source), query, from: q.source.span.from, to: q.source.span.to };
  }

  /** meta of a planned query: every source it read (`raw+5m`) and the range it covers. */
  private planMeta(plan: SourcePlan, query: string): QueryMeta {
    return { backend: this.backend, tier: plan.name, query, from: plan.span.from, to: plan.span.to };
  }

  private async query(text: string): Promise<Map<string, FluxRow[]>> {
    await this.prepare();
    try {
      return await this.http.query(this.layout.org, text);
    } catch (e) {
      this.noteFailure(e);
      throw e;
    }
  }

  /** Runs setup first while it has not succeeded (at most every few seconds); never fails the call. */
  private async prepare(): Promise<void> {
    if (this.setupDone) return;
    if (this.setupRunning === undefined && this.timer.now() - this.setupFailedAt < SETUP_RETRY_MS) return;
    await this.setup().catch(() => undefined);
  }

  /**
   * A 404 means a bucket (or the org) went missing: set up again before the
   * next call. A refusal of what the gateway built (Flux, line protocol) is
   * a bug: logged with InfluxDB's message.
   */
  private noteFailure(e: unknown): void {
    if (!(e instanceof GatewayError)) return;
    if (e.code === 'INTERNAL') this.log.error({ cause: e.cause }, 'influxdb refused a request the gateway built');
    if (/HTTP 404/.test(String((e.cause as Error | undefined)?.message ?? ''))) {
      this.setupDone = false;
      this.formLookup = undefined;
      this.setupFailedAt = -Infinity;
    }
  }
}

/** Runs `fn` over `items`, at most `limit` at a time; settles every one. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const out: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = { status: 'fulfilled', value: await fn(items[i]!) };
      } catch (reason) {
        out[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** meta.query: the statement of stored-regex.ts before the query's, when there was one. */
function withStatement(statement: string | null, text: string): string {
  return statement === null ? text : `${statement}\n${text}`;
}
