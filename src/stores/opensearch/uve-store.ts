import { GatewayError, UVE_TYPE, backendUnavailable, parseDateTime, type Clock, type NamespaceScope, type UveDocument, type UveListQuery } from '../../model/index.js';
import type { UvePage, UveStore } from '../types.js';
import { OpenSearchClient, OpenSearchRequestError, errorOf, type OpenSearchConnection } from './client.js';
import {
  MAX_RESULT_WINDOW,
  compileCreateIndex,
  compileDelete,
  compileGet,
  compileBulkUpsert,
  compileList,
  compileMget,
  compileScopedGet,
  compilePing,
  compileTemplate,
  compileTypes,
  compileUpsert,
  docId,
  formatRequest,
  type UveWrite,
} from './compile.js';

/** A `_bulk` request holds at most this many writes, or about this many bytes of documents. */
const BULK_MAX_WRITES = 1000;
const BULK_MAX_BYTES = 8 * 1024 * 1024;
/** `_bulk` requests of one upsertMany in flight at once. */
const BULK_CONCURRENCY = 4;

export interface OpenSearchUveStoreOptions {
  readonly connection: OpenSearchConnection;
  /** Each type lives in `<indexPrefix><type>`; validated by the config. */
  readonly indexPrefix: string;
  /** index.refresh_interval of new indices: the longest an acknowledged write waits. */
  readonly refreshIntervalMs: number;
  readonly clock: Clock;
}

interface Hit {
  readonly _id?: string;
  readonly found?: boolean;
  readonly _source?: unknown;
  readonly error?: unknown;
}

interface BulkBody {
  readonly errors?: boolean;
  readonly items?: readonly Record<string, { status?: number; error?: unknown } | undefined>[];
}

interface SearchBody {
  readonly hits?: { readonly total?: { readonly value?: number }; readonly hits?: readonly Hit[] };
  readonly aggregations?: { readonly types?: { readonly buckets?: readonly { key?: unknown; doc_count?: number }[] } };
}

/**
 * UVEs in OpenSearch, one index per type (docs/opensearch.md). Needs no node
 * to open. Before its first write to a type, the store puts the index
 * template and creates the type's index with explicit mappings; it does so
 * again after any call found the node unavailable (the node may come back
 * empty), so it recovers by itself. Writes use refresh=wait_for; reads of a
 * missing index answer empty.
 */
export class OpenSearchUveStore implements UveStore {
  readonly backend = 'opensearch';
  private template: Promise<void> | null = null;
  /** Types whose index this store has made sure of since `seenUnavailable`. */
  private readonly ready = new Map<string, Promise<void>>();
  private seenUnavailable = 0;

  private constructor(
    private readonly client: OpenSearchClient,
    private readonly prefix: string,
    private readonly refreshIntervalMs: number,
    private readonly clock: Clock,
  ) {}

  static open(options: OpenSearchUveStoreOptions): OpenSearchUveStore {
    return new OpenSearchUveStore(
      OpenSearchClient.create(options.connection),
      options.indexPrefix,
      options.refreshIntervalMs,
      options.clock,
    );
  }

  async upsert(type: string, name: string, document: Record<string, unknown>): Promise<UveDocument> {
    await this.ensureIndex(type);
    const updatedAt = this.clock();
    const req = compileUpsert(this.prefix, type, name, document, updatedAt);
    const res = await this.client.send(req, { ignore: [404] });
    if (res.status === 404) {
      // The index went away since (and the cluster does not auto-create it).
      this.ready.delete(type);
      await this.ensureIndex(type);
      await this.client.send(req);
    }
    return { type, name, document, updatedAt };
  }

  /**
   * Creates or replaces many UVEs with `_bulk`. The last write of each name
   * wins; the rest are dropped before sending, so the requests (up to 1000
   * writes each, BULK_CONCURRENCY at a time) need no order, and the batch
   * costs about one refresh wait instead of one per write. Resolves when
   * every write is searchable; rejects with BACKEND_UNAVAILABLE when any was
   * refused for load or availability (the batch can be sent again as a
   * whole: each write replaces a whole document), INTERNAL for any other
   * refusal.
   */
  async upsertMany(writes: readonly UveWrite[]): Promise<UveDocument[]> {
    if (writes.length === 0) return [];
    const updatedAt = this.clock();
    const last = new Map<string, UveWrite>();
    for (const w of writes) {
      const key = `${w.type}\u0000${w.name}`;
      last.delete(key); // keep the batch order of the last write
      last.set(key, w);
    }
    const pending = [...chunks([...last.values()])];
    const worker = async () => {
      for (let chunk = pending.shift(); chunk !== undefined; chunk = pending.shift()) await this.bulkChunk(chunk, updatedAt);
    };
    await Promise.all(Array.from({ length: Math.min(BULK_CONCURRENCY, pending.length) }, worker));
    return writes.map((w) => ({ type: w.type, name: w.name, document: w.document, updatedAt }));
  }

  private async bulkChunk(chunk: readonly UveWrite[], updatedAt: bigint): Promise<void> {
    await Promise.all([...new Set(chunk.map((w) => w.type))].map((t) => this.ensureIndex(t)));
    const missing = await this.bulk(chunk, updatedAt);
    if (missing.length === 0) return;
    // An index went away since (and the cluster does not auto-create it).
    const types = [...new Set(missing.map((w) => w.type))];
    for (const t of types) this.ready.delete(t);
    await Promise.all(types.map((t) => this.ensureIndex(t)));
    if ((await this.bulk(missing, updatedAt)).length > 0) throw internal('bulk: index_not_found_exception after creating the index');
  }

  /** Sends one `_bulk`; answers the writes refused because their index is missing. */
  private async bulk(writes: readonly UveWrite[], updatedAt: bigint): Promise<UveWrite[]> {
    const res = await this.client.send<BulkBody>(compileBulkUpsert(this.prefix, writes, updatedAt));
    if (res.body.errors !== true) return [];
    const missing: UveWrite[] = [];
    let unavailable = false;
    let refused: string | null = null;
    (res.body.items ?? []).forEach((item, i) => {
      const r = item['index'];
      if (r?.error === undefined) return;
      const type = errorOf(r).type;
      if (type === 'index_not_found_exception') missing.push(writes[i]!);
      else if (r.status === 429 || (r.status ?? 0) >= 500) unavailable = true;
      else refused ??= `bulk item ${i}: HTTP ${r.status ?? '?'} ${type ?? 'error'}`;
    });
    if (refused !== null) throw internal(refused);
    if (unavailable) {
      this.client.unavailable++;
      throw backendUnavailable(this.backend, new OpenSearchRequestError('bulk: some writes were refused (429/5xx)', null, null));
    }
    return missing;
  }

  async delete(type: string, name: string): Promise<boolean> {
    const res = await this.client.send<{ result?: string }>(compileDelete(this.prefix, type, name), { ignore: [404] });
    return res.status === 200 && res.body.result === 'deleted';
  }

  async get(type: string, name: string, scope: NamespaceScope | null = null): Promise<UveDocument | null> {
    if (scope !== null) return (await this.getMany(type, [name], scope))[0] ?? null;
    const res = await this.client.send<Hit>(compileGet(this.prefix, type, name), { ignore: [404] });
    if (res.status === 404) {
      missingIndexOrDoc(res.body);
      return null;
    }
    return found(type, name, res.body);
  }

  async getMany(type: string, names: readonly string[], scope: NamespaceScope | null = null): Promise<(UveDocument | null)[]> {
    if (names.length === 0) return [];
    if (scope !== null) return this.scopedGetMany(type, names, scope);
    const res = await this.client.send<{ docs?: readonly Hit[] }>(compileMget(this.prefix, type, names));
    const byId = new Map<string, Hit>();
    for (const d of res.body.docs ?? []) {
      if (d.error !== undefined) missingIndexOrDoc(d);
      else if (d._id !== undefined) byId.set(d._id, d);
    }
    return names.map((name) => found(type, name, byId.get(docId(name))));
  }

  /** getMany under a scope: searches (the scope is in the query), in chunks of SCOPED_GET_CHUNK names. */
  private async scopedGetMany(type: string, names: readonly string[], scope: NamespaceScope): Promise<(UveDocument | null)[]> {
    const unique = [...new Set(names)];
    const byName = new Map<string, UveDocument>();
    for (let i = 0; i < unique.length; i += SCOPED_GET_CHUNK) {
      const res = await this.client.send<SearchBody>(compileScopedGet(this.prefix, type, unique.slice(i, i + SCOPED_GET_CHUNK), scope));
      for (const h of res.body.hits?.hits ?? []) {
        const doc = fromSource(type, h);
        byName.set(doc.name, doc);
      }
    }
    return names.map((n) => byName.get(n) ?? null);
  }

  async list(q: UveListQuery): Promise<UvePage> {
    // One more than the page, to know whether another page follows; fetched
    // in windows of at most MAX_RESULT_WINDOW with search_after.
    const want = q.first + 1;
    const firstReq = compileList(this.prefix, q, Math.min(want, MAX_RESULT_WINDOW), q.after, true);
    const first = await this.client.send<SearchBody>(firstReq);
    const hits = [...(first.body.hits?.hits ?? [])];
    const totalCount = first.body.hits?.total?.value ?? 0;
    let last = hits.length;
    while (hits.length < want && last === MAX_RESULT_WINDOW) {
      const after = sourceName(hits[hits.length - 1]!);
      const size = Math.min(want - hits.length, MAX_RESULT_WINDOW);
      const more = await this.client.send<SearchBody>(compileList(this.prefix, q, size, after, false));
      const got = more.body.hits?.hits ?? [];
      hits.push(...got);
      last = got.length;
    }
    const nodes = hits.slice(0, q.first).map((h) => fromSource(q.type, h));
    return {
      nodes,
      hasNextPage: hits.length > q.first,
      totalCount,
      meta: { backend: this.backend, tier: 'current', query: formatRequest(firstReq), from: 0n, to: this.clock() },
    };
  }

  async types(): Promise<string[]> {
    const res = await this.client.send<SearchBody>(compileTypes(this.prefix));
    const types: string[] = [];
    for (const b of res.body.aggregations?.types?.buckets ?? []) {
      if (typeof b.key !== 'string' || !b.key.startsWith(this.prefix) || (b.doc_count ?? 0) < 1) continue;
      const type = b.key.slice(this.prefix.length);
      if (UVE_TYPE.test(type)) types.push(type);
    }
    return types.sort();
  }

  async ping(): Promise<void> {
    await this.client.send(compilePing());
  }

  close(): Promise<void> {
    return this.client.close();
  }

  /**
   * Makes sure of the template and of the type's index, once per type; again
   * after a failed attempt, and for every type after the node was unavailable.
   */
  private ensureIndex(type: string): Promise<void> {
    if (this.client.unavailable !== this.seenUnavailable) {
      this.seenUnavailable = this.client.unavailable;
      this.template = null;
      this.ready.clear();
    }
    this.template ??= forgetOnFailure(this.client.send(compileTemplate(this.prefix, this.refreshIntervalMs)), () => {
      this.template = null;
    });
    const template = this.template;
    let ready = this.ready.get(type);
    if (ready === undefined) {
      ready = forgetOnFailure(template.then(() => this.createIndex(type)), () => this.ready.delete(type));
      this.ready.set(type, ready);
    }
    return ready;
  }

  private async createIndex(type: string): Promise<void> {
    const res = await this.client.send(compileCreateIndex(this.prefix, type, this.refreshIntervalMs), { ignore: [400] });
    if (res.status === 400 && errorOf(res.body).type !== 'resource_already_exists_exception') {
      throw internal(`PUT index: ${errorOf(res.body).type ?? 'HTTP 400'}`);
    }
  }
}

/** Consecutive runs of writes within the bulk limits, in order. */
function* chunks(writes: readonly UveWrite[]): Generator<UveWrite[]> {
  let chunk: UveWrite[] = [];
  let bytes = 0;
  for (const w of writes) {
    const size = JSON.stringify(w.document).length + w.name.length;
    if (chunk.length > 0 && (chunk.length >= BULK_MAX_WRITES || bytes + size > BULK_MAX_BYTES)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(w);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

/** The promise as void, calling `forget` if it rejects (so the next caller tries again). */
function forgetOnFailure(p: Promise<unknown>, forget: () => void): Promise<void> {
  return p.then(
    () => undefined,
    (e: unknown) => {
      forget();
      throw e;
    },
  );
}

/** A 404 or per-document error is fine when the index or the document is missing. */
function missingIndexOrDoc(body: Hit): void {
  const type = errorOf(body).type;
  if (body.error === undefined || type === 'index_not_found_exception') return;
  throw internal(`document error: ${type ?? 'unknown'}`);
}

/** Names per search of a scoped getMany (a page of groups holds at most MAX_PAGE_SIZE). */
const SCOPED_GET_CHUNK = 1000;

function sourceName(hit: Hit): string {
  const name = (hit._source as { name?: unknown } | undefined)?.name;
  if (typeof name !== 'string') throw internal(`document ${hit._id ?? '?'} has no name`);
  return name;
}

/** A stored document as a UveDocument (the name from its `_source`). */
function fromSource(type: string, hit: Hit): UveDocument {
  const s = (hit._source ?? {}) as { updatedAt?: unknown; document?: unknown };
  const document =
    s.document !== null && typeof s.document === 'object' && !Array.isArray(s.document)
      ? (s.document as Record<string, unknown>)
      : {};
  let updatedAt = null;
  if (typeof s.updatedAt === 'string') {
    try {
      updatedAt = parseDateTime(s.updatedAt, 'updatedAt');
    } catch {
      updatedAt = null;
    }
  }
  return { type, name: sourceName(hit), document, updatedAt };
}

/** The document of `name` in a found hit; null when absent or stored under another name. */
function found(type: string, name: string, hit: Hit | undefined): UveDocument | null {
  if (hit?.found !== true) return null;
  const doc = fromSource(type, hit);
  return doc.name === name ? doc : null;
}

function internal(message: string): GatewayError {
  return new GatewayError('INTERNAL', 'the opensearch store answered unexpectedly', {
    cause: new OpenSearchRequestError(message, null, null),
  });
}
