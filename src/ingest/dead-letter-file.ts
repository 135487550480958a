import { mkdir, open, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatDateTime, type Clock, type Duration, type EpochNs } from '../model/index.js';
import type { DeadLetter, DeadLetterDropReason, DeadLetterDrop, DeadLetterEntry, DeadLetterLog, DeadLetterLookup, DeadLetterPage } from './dead-letter.js';
import { formatPosition, lineTime, parseEntry, parsePosition, segmentPath, segmentSeq, serializeEntry } from './dead-letter-format.js';
import { bytesAt, countLines, isLineStart, lastNewlineBefore, lineAt, syncDirectory } from './segment-io.js';

export interface FileDeadLetterLogOptions {
  /** DEAD_LETTER_PATH; the segments are numbered beside it (dead-letter-format.ts). */
  readonly path: string;
  readonly clock: Clock;
  /** DEAD_LETTER_MAX_BYTES: the oldest segments are dropped to keep all of them within it. */
  readonly maxBytes: number;
  /** DEAD_LETTER_SEGMENT_BYTES: a segment takes no entry that would carry it past this (unless it is empty). */
  readonly segmentBytes: number;
  /** DEAD_LETTER_MAX_AGE: a segment is dropped once its newest entry is older. */
  readonly maxAge: Duration;
  readonly log?: { warn(obj: object, msg: string): void };
  /** Told of every drop once it is done (and logged): the metric. */
  readonly onDrop?: (drop: DeadLetterDrop) => void;
}

interface Segment {
  readonly seq: number;
  readonly path: string;
  size: number;
  /** Its first and newest entries' times: undefined until read from the file, null while it holds no entry. */
  first: EpochNs | null | undefined;
  last: EpochNs | null | undefined;
}

/** One append call waiting for the next flush. */
interface Pending {
  readonly at: EpochNs;
  readonly lines: readonly Buffer[];
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/** The lines of one flush that go to one segment. */
interface Write {
  readonly seg: Segment;
  readonly lines: Buffer[];
  bytes: number;
  first: EpochNs;
  last: EpochNs;
}

/** How often the age bound is applied when nothing is appended. */
const PRUNE_INTERVAL_MS = 60_000;
/** A segment takes entries for at most a seventh of DEAD_LETTER_MAX_AGE, so an entry outlives the bound by at most that. */
const SPAN_PARTS = 7n;
const DROPPED: DeadLetterLookup = { kind: 'dropped' };
const ABSENT: DeadLetterLookup = { kind: 'absent' };

/**
 * The dead-letter log as NDJSON segment files (docs/ingest.md, "The
 * dead-letter log"), one line per entry (dead-letter-format.ts). Appends
 * made while a flush is running wait for the next flush, which writes all of
 * them with one fdatasync per segment it touches (group commit); each
 * append resolves once its lines are synced. A flush first drops the oldest
 * segments that are past DEAD_LETTER_MAX_AGE or that would carry the log
 * past DEAD_LETTER_MAX_BYTES, never one it is about to write to, so the
 * entries being appended are always kept. An entry's id is its segment and
 * the byte offset of its line: stable, since a segment is only appended to,
 * and unique, since segment numbers only grow (the newest segment is never
 * removed without a newer one in its place).
 */
export class FileDeadLetterLog implements DeadLetterLog {
  /** Oldest first; appends go to the last. */
  private segments: Segment[] = [];
  /** The segment being appended to, open. */
  private handle: { readonly seg: Segment; readonly fh: FileHandle } | undefined;
  /** A segment whose failed write could not be cut off again: it takes no more entries. */
  private torn: Segment | undefined;
  private queue: Pending[] = [];
  private flushQueued = false;
  /** Loading, flushes, the age bound and closing run one after the other on this chain. */
  private work: Promise<void> = Promise.resolve();
  private loaded: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: FileDeadLetterLogOptions) {}

  /** Reads the segments an earlier run left and applies the age bound; then applies it every minute (a timer that does not keep the process alive). */
  async open(): Promise<void> {
    await this.ready();
    this.timer ??= setInterval(() => {
      this.prune().catch((e: unknown) => this.options.log?.warn({ err: e }, 'applying DEAD_LETTER_MAX_AGE to the dead-letter log failed'));
    }, PRUNE_INTERVAL_MS).unref();
  }

  append(entries: readonly DeadLetter[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const at = this.options.clock();
    const text = formatDateTime(at);
    const lines = entries.map((e) => Buffer.from(`${serializeEntry(text, e)}\n`, 'utf8'));
    return new Promise((resolve, reject) => {
      this.queue.push({ at, lines, resolve, reject });
      if (this.flushQueued) return;
      this.flushQueued = true;
      void this.run(() => {
        this.flushQueued = false;
        return this.flush(this.queue.splice(0));
      });
    });
  }

  /** Drops the segments past DEAD_LETTER_MAX_AGE now (the timer calls it). */
  prune(): Promise<void> {
    return this.run(async () => {
      await this.loaded;
      await this.applyAge(this.options.clock(), new Set());
    });
  }

  async list(after: string | null, first: number): Promise<DeadLetterPage> {
    const from = after === null ? { seq: 0, offset: 0 } : parsePosition(after, 'after');
    await this.ready();
    const segs = [...this.segments];
    const entries: DeadLetterEntry[] = [];
    // A cursor into a dropped segment goes on with the oldest one left.
    let i = segs.findIndex((s) => s.seq >= from.seq);
    if (i < 0) return { entries, next: null };
    let offset = segs[i]!.seq === from.seq ? from.offset : 0;
    for (; i < segs.length; i++, offset = 0) {
      const seq = segs[i]!.seq;
      const full = await reading(segs[i]!.path, async (fh, size) => {
        while (offset < size) {
          if (entries.length === first) return true;
          const line = await lineAt(fh, offset, size);
          if (line === null) return false; // a line still being written (or torn): on to the next segment
          entries.push(parseEntry(line.text, formatPosition(seq, offset)));
          offset = line.next;
        }
        return false;
      });
      if (full === true) return { entries, next: formatPosition(seq, offset) };
    }
    return { entries, next: null };
  }

  async read(id: string): Promise<DeadLetterLookup> {
    const { seq, offset } = parsePosition(id, 'id');
    await this.ready();
    const segs = this.segments;
    const seg = segs.find((s) => s.seq === seq);
    // Segments are dropped oldest first, and numbers only grow: a number below the newest that is gone was dropped.
    if (seg === undefined) return seq > 0 && seq < (segs.at(-1)?.seq ?? 0) ? DROPPED : ABSENT;
    const found = await reading(seg.path, async (fh, size): Promise<DeadLetterLookup> => {
      if (offset >= size || !(await isLineStart(fh, offset))) return ABSENT;
      const line = await lineAt(fh, offset, size);
      return line === null ? ABSENT : { kind: 'entry', entry: parseEntry(line.text, formatPosition(seq, offset)) };
    });
    return found ?? DROPPED; // dropped while we looked
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.schedule(async () => {
      await this.handle?.fh.close();
      this.handle = undefined;
    });
  }

  private ready(): Promise<void> {
    return (this.loaded ??= this.schedule(() => this.load()));
  }

  /** Runs `job` after the jobs before it (the first being the load, which `job` awaits itself). */
  private run(job: () => Promise<void>): Promise<void> {
    void this.ready().catch(() => undefined);
    return this.schedule(job);
  }

  private schedule<T>(job: () => Promise<T>): Promise<T> {
    const result = this.work.then(job);
    this.work = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async load(): Promise<void> {
    const { path } = this.options;
    let names: string[] = [];
    try {
      names = await readdir(dirname(path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const found: Segment[] = [];
    for (const name of names) {
      const seq = segmentSeq(path, name);
      if (seq === undefined) continue;
      const file = segmentPath(path, seq);
      const st = await stat(file).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return undefined;
        throw e;
      });
      if (st?.isFile() === true) found.push({ seq, path: file, size: st.size, first: undefined, last: undefined });
    }
    this.segments = found.sort((a, b) => a.seq - b.seq);
    const newest = this.segments.at(-1);
    if (newest !== undefined && newest.seq > 0) await this.cutTornLine(newest);
    await this.applyAge(this.options.clock(), new Set());
  }

  /** A line an earlier run was writing when it stopped (its request was never answered) is cut off, so the next append starts a line of its own. */
  private async cutTornLine(seg: Segment): Promise<void> {
    if (seg.size === 0) return;
    const fh = await open(seg.path, 'r+');
    try {
      const end = (await lastNewlineBefore(fh, seg.size)) + 1;
      if (end === seg.size) return;
      await fh.truncate(end);
      await fh.datasync();
      this.options.log?.warn({ path: seg.path, bytes: seg.size - end }, 'cut off a dead letter the gateway was writing when it stopped (its request was not answered)');
      seg.size = end;
    } finally {
      await fh.close();
    }
  }

  private async flush(batch: readonly Pending[]): Promise<void> {
    try {
      await this.loaded;
      await this.write(batch, this.options.clock());
      for (const p of batch) p.resolve();
    } catch (e) {
      for (const p of batch) p.reject(e);
    }
  }

  private async write(batch: readonly Pending[], now: EpochNs): Promise<void> {
    const { segmentBytes } = this.options;
    const writes: Write[] = [];
    const open = await this.appendable(now);
    let w: Write | undefined;
    for (const p of batch) {
      for (const line of p.lines) {
        const seg = w?.seg ?? open;
        const used = seg === undefined ? 0 : seg.size + (w?.bytes ?? 0);
        if (seg === undefined || (used > 0 && used + line.length > segmentBytes)) {
          w = { seg: await this.startSegment(), lines: [], bytes: 0, first: p.at, last: p.at };
          writes.push(w);
        } else if (w === undefined) {
          w = { seg, lines: [], bytes: 0, first: p.at, last: p.at };
          writes.push(w);
        }
        w.lines.push(line);
        w.bytes += line.length;
        if (p.at < w.first) w.first = p.at;
        if (p.at > w.last) w.last = p.at;
      }
    }
    const writing = new Set(writes.map((x) => x.seg));
    await this.applyAge(now, writing);
    await this.applySize(
      writes.reduce((n, x) => n + x.bytes, 0),
      writing,
    );
    for (const x of writes) await this.writeTo(x);
  }

  /** The newest segment when it may take more entries now: not full, not torn, and younger than a seventh of the age bound. */
  private async appendable(now: EpochNs): Promise<Segment | undefined> {
    const seg = this.segments.at(-1);
    if (seg === undefined || seg.seq === 0 || seg === this.torn || seg.size >= this.options.segmentBytes) return undefined;
    const first = await this.timeOf(seg, 'first', now);
    return first !== null && first < now - this.options.maxAge.ns / SPAN_PARTS ? undefined : seg;
  }

  private async writeTo(w: Write): Promise<void> {
    const { seg } = w;
    const before = seg.size;
    const fh = await this.handleFor(seg);
    try {
      await fh.appendFile(w.lines.length === 1 ? w.lines[0]! : Buffer.concat(w.lines, w.bytes));
      await fh.datasync();
    } catch (e) {
      // Cut off what the failed flush wrote: its requests fail, and their retries log the rejects again.
      try {
        await fh.truncate(before);
      } catch {
        this.torn = seg;
        seg.size = await stat(seg.path).then((s) => s.size, () => seg.size);
      }
      throw e;
    }
    seg.size += w.bytes;
    if (before === 0 || seg.first === null) seg.first = w.first;
    seg.last = typeof seg.last === 'bigint' && seg.last > w.last ? seg.last : w.last;
  }

  private async handleFor(seg: Segment): Promise<FileHandle> {
    if (this.handle?.seg === seg) return this.handle.fh;
    await this.handle?.fh.close();
    this.handle = undefined;
    const fh = await open(seg.path, 'a');
    this.handle = { seg, fh };
    return fh;
  }

  /** Creates the next segment, empty, its directory entry synced. */
  private async startSegment(): Promise<Segment> {
    const seq = (this.segments.at(-1)?.seq ?? 0) + 1;
    const path = segmentPath(this.options.path, seq);
    const dir = dirname(path);
    await mkdir(dir, { recursive: true });
    await (await open(path, 'wx')).close(); // a file already there is another writer's: refuse it
    await syncDirectory(dir);
    const seg: Segment = { seq, path, size: 0, first: null, last: null };
    this.segments.push(seg);
    return seg;
  }

  /** Drops the oldest segments whose newest entry is older than the age bound, up to the first of `keep`. */
  private async applyAge(now: EpochNs, keep: ReadonlySet<Segment>): Promise<void> {
    const cutoff = now - this.options.maxAge.ns;
    const newest = this.segments.at(-1);
    let n = 0;
    for (const seg of this.segments) {
      if (keep.has(seg)) break;
      const last = await this.timeOf(seg, 'last', now);
      if (last === null ? seg === newest : last >= cutoff) break;
      n++;
    }
    if (n === 0) return;
    // The newest segment carries the numbering: an empty one takes its place before it goes.
    if (n === this.segments.length) await this.startSegment();
    await this.drop(n, 'max_age');
  }

  /** Drops the oldest segments, up to the first of `keep`, while the log and `incoming` bytes are past the size bound. */
  private async applySize(incoming: number, keep: ReadonlySet<Segment>): Promise<void> {
    const { maxBytes } = this.options;
    let total = this.segments.reduce((n, s) => n + s.size, incoming);
    let n = 0;
    for (const seg of this.segments) {
      if (total <= maxBytes || keep.has(seg)) break;
      total -= seg.size;
      n++;
    }
    await this.drop(n, 'max_bytes');
    if (total > maxBytes) {
      this.options.log?.warn(
        { bytes: total, maxBytes },
        `dead letters being appended are past DEAD_LETTER_MAX_BYTES (${maxBytes}) with the segment they go to: kept whole, and dropped first once newer ones come`,
      );
    }
  }

  /** Removes the `n` oldest segments, then logs and reports how many entries went and why. */
  private async drop(n: number, reason: DeadLetterDropReason): Promise<void> {
    if (n === 0) return;
    const gone = this.segments.splice(0, n);
    let entries = 0;
    let bytes = 0;
    for (const seg of gone) {
      if (this.handle?.seg === seg) {
        await this.handle.fh.close();
        this.handle = undefined;
      }
      entries += await countLines(seg.path);
      bytes += seg.size;
      await unlink(seg.path).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
    }
    if (entries === 0) return;
    const why =
      reason === 'max_bytes'
        ? `to keep the log within DEAD_LETTER_MAX_BYTES (${this.options.maxBytes})`
        : `older than DEAD_LETTER_MAX_AGE (${this.options.maxAge.text})`;
    this.options.log?.warn(
      { reason, entries, bytes, segments: gone.map((s) => s.path) },
      `dropped ${entries} dead letters (${bytes} bytes, the oldest ${gone.length === 1 ? 'segment' : `${gone.length} segments`}) ${why}`,
    );
    this.options.onDrop?.({ reason, entries, bytes });
  }

  /**
   * The time of a segment's first or newest entry, read from its file the
   * first time; null when it holds none. A line whose time cannot be read
   * counts as written `now`.
   */
  private async timeOf(seg: Segment, which: 'first' | 'last', now: EpochNs): Promise<EpochNs | null> {
    const known = seg[which];
    if (known !== undefined) return known;
    const time = await reading(seg.path, async (fh, size): Promise<EpochNs | null> => {
      const end = await lastNewlineBefore(fh, size);
      if (end < 0) return null;
      const start = which === 'first' ? 0 : (await lastNewlineBefore(fh, end)) + 1;
      return lineTime(await bytesAt(fh, start, 64)) ?? now;
    });
    return (seg[which] = time ?? null);
  }
}

/** Runs `fn` on a read handle of the file and its size; undefined when the file is gone. */
async function reading<T>(path: string, fn: (fh: FileHandle, size: number) => Promise<T>): Promise<T | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return await fn(fh, (await fh.stat()).size);
  } finally {
    await fh.close();
  }
}
