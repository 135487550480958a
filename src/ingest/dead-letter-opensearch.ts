import { randomBytes } from 'node:crypto';
import { badInput, backendUnavailable, formatDateTime, GatewayError, type Clock, type Duration, type EpochNs } from '../model/index.js';
import { OpenSearchClient, type OpenSearchConnection, type OsRequest } from '../stores/opensearch/index.js';
import type { DeadLetter, DeadLetterDrop, DeadLetterEntry, DeadLetterLog, DeadLetterLookup, DeadLetterPage } from './dead-letter.js';
import { parseEntry, serializeEntry } from './dead-letter-format.js';

export interface OpenSearchDeadLetterLogOptions {
  readonly connection: OpenSearchConnection;
  /** DEAD_LETTER_INDEX: the log's own index (never under the UVE prefix; the config checks). */
  readonly index: string;
  readonly clock: Clock;
  /** DEAD_LETTER_MAX_BYTES: past it (entries' line bytes, summed), the oldest entries are deleted. */
  readonly maxBytes: number;
  /** DEAD_LETTER_MAX_AGE: entries older than this are deleted. */
  readonly maxAge: Duration;
  /** index.refresh_interval of the index: how soon an appended entry is listed (read by id at once). */
  readonly refreshIntervalMs: number;
  readonly log?: { warn(obj: object, msg: string): void };
  /** Told of every drop this replica made: the metric. */
  readonly onDrop?: (drop: DeadLetterDrop) => void;
}

/** The stored form of one entry: its line as the file log writes it, plus what the bounds and the listing need. */
interface Doc {
  /** The id: `<at ns, 19 digits>.<replica>.<n, 9 digits>`, so that byte order is time order. */
  readonly key: string;
  /** Epoch milliseconds, for the age bound. */
  readonly at_ms: number;
  readonly bytes: number;
  readonly line: string;
}

interface SearchBody {
  readonly hits?: { readonly hits?: readonly { readonly _source?: Partial<Doc>; readonly sort?: readonly unknown[] }[] };
  readonly aggregations?: { readonly bytes?: { readonly value?: number } };
}

const MAPPINGS = {
  dynamic: 'strict',
  properties: {
    key: { type: 'keyword' },
    at_ms: { type: 'long' },
    bytes: { type: 'integer' },
    // Kept in _source only: a reject is whatever a sender sent.
    line: { type: 'text', index: false },
  },
} as const;

const ID = /^([0-9]{19})\.([0-9a-f]{8})\.([0-9]{9})$/;
/** How often the bounds are applied on a timer (and the size bound at most, after appends). */
const PRUNE_INTERVAL_MS = 60_000;
/** Past the size bound, entries are deleted down to this share of it, so that a full log is not pruned on every append. */
const SIZE_LOW_WATER = 15 / 16;
const PAGE = 1000;

/**
 * The dead-letter log in an OpenSearch index of its own (docs/operations.md
 * "No state on a replica"), for gateways on the production stores: every
 * replica appends to, lists and replays from the same entries, so a replica
 * keeps nothing on its disk. The same interface and entry form as the file
 * log (each entry is kept as the line FileDeadLetterLog would write), the
 * same bounds: DEAD_LETTER_MAX_AGE deletes entries older than it, and
 * DEAD_LETTER_MAX_BYTES (over the entries' line bytes) deletes the oldest
 * down to 15/16 of it. The bounds are applied at open, every minute, and
 * after appends once this replica appended a sixteenth of the bound since
 * it last looked; replicas apply them independently (deleting the same
 * oldest entries is harmless), each counting what it deleted.
 *
 * An append resolves once OpenSearch acknowledged the `_bulk` (the translog
 * is synced before that by default); a read by id is real-time; a listing
 * sees an entry after the index refreshes (`refreshIntervalMs`). Ids are
 * `<at>.<replica>.<n>`: unique across replicas (a random replica id drawn at
 * start) and ordered by time, so the listing is oldest first on every
 * replica alike.
 */
export class OpenSearchDeadLetterLog implements DeadLetterLog {
  private readonly client: OpenSearchClient;
  private readonly replica = randomBytes(4).toString('hex');
  private counter = 0;
  private indexReady: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private appendedSinceCheck = 0;
  private pruning: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly options: OpenSearchDeadLetterLogOptions) {
    this.client = OpenSearchClient.create(options.connection);
  }

  /** Creates the index when missing and applies the bounds; a node that is down is logged, not fatal (retried at the next call). */
  async open(): Promise<void> {
    try {
      await this.prune();
    } catch (e) {
      this.options.log?.warn({ err: e, index: this.options.index }, 'the OpenSearch dead-letter index is not reachable yet; appends retry it');
    }
    this.timer ??= setInterval(() => {
      this.prune().catch((e: unknown) => this.options.log?.warn({ err: e }, 'applying the dead-letter bounds to the OpenSearch index failed'));
    }, PRUNE_INTERVAL_MS).unref();
  }

  async append(entries: readonly DeadLetter[]): Promise<void> {
    if (entries.length === 0) return;
    await this.ensureIndex();
    const at = this.options.clock();
    const text = formatDateTime(at);
    const bulk: Record<string, unknown>[] = [];
    let bytes = 0;
    for (const e of entries) {
      const key = `${String(at).padStart(19, '0')}.${this.replica}.${String(this.counter++ % 1e9).padStart(9, '0')}`;
      const line = serializeEntry(text, e);
      const doc: Doc = { key, at_ms: Number(at / 1_000_000n), bytes: Buffer.byteLength(line) + 1, line };
      bytes += doc.bytes;
      bulk.push({ create: { _index: this.options.index, _id: key } }, { ...doc });
    }
    const res = await this.send<{ errors?: boolean; items?: Record<string, { status?: number; error?: unknown }>[] }>({ method: 'POST', path: '/_bulk', bulkBody: bulk });
    if (res.errors === true) {
      const failed = (res.items ?? []).map((i) => i['create']).find((i) => i?.error !== undefined);
      const status = failed?.status ?? 0;
      if (status === 404) this.indexReady = undefined;
      const cause = new Error(`_bulk into ${this.options.index}: HTTP ${status} ${JSON.stringify(failed?.error ?? null).slice(0, 300)}`);
      throw status === 429 || status >= 500 || status === 404 ? backendUnavailable('opensearch', cause) : new GatewayError('INTERNAL', 'the opensearch dead-letter index refused an entry', { cause });
    }
    this.appendedSinceCheck += bytes;
    if (this.appendedSinceCheck >= this.options.maxBytes / 16) {
      this.appendedSinceCheck = 0;
      void this.prune().catch((e: unknown) => this.options.log?.warn({ err: e }, 'applying DEAD_LETTER_MAX_BYTES to the OpenSearch dead-letter index failed'));
    }
  }

  async list(after: string | null, first: number): Promise<DeadLetterPage> {
    if (after !== null) parseId(after, 'after');
    if (first <= 0) return { entries: [], next: null };
    await this.ensureIndex();
    const res = await this.send<SearchBody>({
      method: 'POST',
      path: `/${this.options.index}/_search`,
      body: {
        size: first + 1,
        sort: [{ key: 'asc' }],
        _source: ['key', 'line'],
        track_total_hits: false,
        ...(after === null ? {} : { search_after: [after] }),
      },
    });
    const hits = res.hits?.hits ?? [];
    const entries = hits.slice(0, first).map((h) => parseEntry(String(h._source?.line), String(h._source?.key)));
    return { entries, next: hits.length > first ? entries.at(-1)!.id : null };
  }

  async read(id: string): Promise<DeadLetterLookup> {
    const at = parseId(id, 'id');
    if (at < this.options.clock() - this.options.maxAge.ns) return { kind: 'dropped' };
    await this.ensureIndex();
    const doc = await this.client.send<{ found?: boolean; _source?: Partial<Doc> }>({ method: 'GET', path: `/${this.options.index}/_doc/${id}` }, { ignore: [404] });
    if (doc.body.found === true && doc.body._source?.line !== undefined) {
      return { kind: 'entry', entry: parseEntry(doc.body._source.line, id) satisfies DeadLetterEntry };
    }
    // The size bound deletes oldest first: an id older than the oldest entry kept was deleted.
    const oldest = await this.send<SearchBody>({ method: 'POST', path: `/${this.options.index}/_search`, body: { size: 1, sort: [{ key: 'asc' }], _source: ['key'] } });
    const first = oldest.hits?.hits?.[0]?._source?.key;
    return first !== undefined && id < first ? { kind: 'dropped' } : { kind: 'absent' };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.pruning?.catch(() => undefined);
    await this.client.close();
  }

  /**
   * Applies both bounds (the timer and appends call it): one run at a time
   * per replica; a call while one runs gets the next run, which starts when
   * that one ends and sees what was appended meanwhile.
   */
  prune(): Promise<void> {
    if (this.queued !== undefined) return this.queued;
    const run = (this.pruning ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.applyBounds();
      });
    this.queued = run;
    const current = run.finally(() => {
      if (this.pruning === current) this.pruning = undefined;
    });
    current.catch(() => undefined); // the caller of `run` sees the failure
    this.pruning = current;
    return run;
  }

  private async applyBounds(): Promise<void> {
    await this.ensureIndex();
    const now = this.options.clock();
    const cutoffMs = Number((now - this.options.maxAge.ns) / 1_000_000n);
    await this.dropOldest({ range: { at_ms: { lt: cutoffMs } } }, Infinity, 'max_age');
    const all = await this.totalBytes();
    if (all <= this.options.maxBytes) return;
    await this.dropOldest({ match_all: {} }, all - Math.floor(this.options.maxBytes * SIZE_LOW_WATER), 'max_bytes');
  }

  private async totalBytes(): Promise<number> {
    const res = await this.send<SearchBody>({
      method: 'POST',
      path: `/${this.options.index}/_search`,
      querystring: { request_cache: 'false' },
      body: { size: 0, track_total_hits: false, aggs: { bytes: { sum: { field: 'bytes' } } } },
    });
    return res.aggregations?.bytes?.value ?? 0;
  }

  /**
   * Deletes the oldest entries matching `query` until `bytes` of them are
   * gone (all of them for Infinity), a page at a time with `_bulk` deletes
   * (no `_delete_by_query`: it needs the reindex module, which a minimal
   * node lacks), then logs and reports what this replica deleted.
   */
  private async dropOldest(query: Record<string, unknown>, bytes: number, reason: DeadLetterDrop['reason']): Promise<void> {
    let entries = 0;
    let freed = 0;
    while (freed < bytes) {
      const page = await this.send<SearchBody>({
        method: 'POST',
        path: `/${this.options.index}/_search`,
        body: { size: PAGE, query, sort: [{ key: 'asc' }], _source: ['key', 'bytes'], track_total_hits: false },
      });
      const ids: string[] = [];
      let pageBytes = 0;
      for (const h of page.hits?.hits ?? []) {
        if (freed + pageBytes >= bytes) break;
        ids.push(String(h._source?.key));
        pageBytes += h._source?.bytes ?? 0;
      }
      if (ids.length === 0) break;
      const res = await this.send<{ items?: Record<string, { status?: number }>[] }>({
        method: 'POST',
        path: '/_bulk',
        querystring: { refresh: 'true' },
        bulkBody: ids.map((id) => ({ delete: { _index: this.options.index, _id: id } })),
      });
      // 404: another replica deleted it first; it counts there.
      entries += (res.items ?? []).filter((i) => i['delete']?.status === 200).length;
      freed += pageBytes;
    }
    if (entries === 0) return;
    const why = reason === 'max_bytes' ? `to keep the log within DEAD_LETTER_MAX_BYTES (${this.options.maxBytes})` : `older than DEAD_LETTER_MAX_AGE (${this.options.maxAge.text})`;
    this.options.log?.warn({ reason, entries, bytes: freed, index: this.options.index }, `dropped ${entries} dead letters (${freed} bytes, the oldest) ${why}`);
    this.options.onDrop?.({ reason, entries, bytes: freed });
  }

  private ensureIndex(): Promise<void> {
    const ready = (this.indexReady ??= this.createIndex());
    ready.catch(() => {
      if (this.indexReady === ready) this.indexReady = undefined;
    });
    return ready;
  }

  private async createIndex(): Promise<void> {
    const res = await this.client.send<{ error?: { type?: string } }>(
      {
        method: 'PUT',
        path: `/${this.options.index}`,
        body: {
          settings: { index: { number_of_shards: 1, refresh_interval: `${this.options.refreshIntervalMs}ms` } },
          mappings: MAPPINGS,
        },
      },
      { ignore: [400] },
    );
    if (res.status === 400 && res.body.error?.type !== 'resource_already_exists_exception') {
      throw new GatewayError('INTERNAL', `creating the dead-letter index ${this.options.index} failed: ${res.body.error?.type ?? 'HTTP 400'}`);
    }
  }

  /** Sends a request; an unavailable node makes the next call create the index again (it may have come back empty). */
  private async send<T>(req: OsRequest): Promise<T> {
    try {
      return (await this.client.send<T>(req)).body;
    } catch (e) {
      if (e instanceof GatewayError && e.code === 'BACKEND_UNAVAILABLE') this.indexReady = undefined;
      throw e;
    }
  }
}

/** The time of an id, or BAD_USER_INPUT for another form. */
function parseId(text: string, field: string): EpochNs {
  const m = ID.exec(text);
  if (m === null) throw badInput(field, `"${text.slice(0, 40)}" is not a dead-letter id`);
  return BigInt(m[1]!);
}
