import { listValue } from '@duckdb/node-api';
import {
  type Clock,
  type NamespaceScope,
  type UveDocument,
  type UveListQuery,
  type UveWrite,
} from '../../model/index.js';
import type { UvePage, UveStore } from '../types.js';
import type { DuckDb, Row } from './database.js';
import { UVE_DDL, UVE_TABLE } from './layout.js';
import { projectIn } from './compile.js';
import { Params, inlineSql, type SqlStatement } from './sql.js';

/**
 * UVEs in the embedded database: one table keyed by (type, name), the
 * document kept as JSON text with its top-level struct names beside it.
 */
export class DuckDbUveStore implements UveStore {
  readonly backend = 'duckdb';

  private constructor(
    private readonly db: DuckDb,
    private readonly clock: Clock,
  ) {}

  static async open(db: DuckDb, clock: Clock): Promise<DuckDbUveStore> {
    await db.exclusive((conn) => conn.run(UVE_DDL));
    return new DuckDbUveStore(db, clock);
  }

  async upsert(type: string, name: string, document: Record<string, unknown>): Promise<UveDocument> {
    return (await this.upsertMany([{ type, name, document }]))[0]!;
  }

  /** All in one transaction, in order, so the last write of a name wins. */
  async upsertMany(writes: readonly UveWrite[]): Promise<UveDocument[]> {
    const updatedAt = this.clock();
    await this.db.transaction(async (conn) => {
      for (const w of writes) {
        await conn.run(
          `INSERT OR REPLACE INTO ${UVE_TABLE} (type, name, document, structs, updated_at) VALUES ($1, $2, $3, $4, $5)`,
          [w.type, w.name, JSON.stringify(w.document), listValue(Object.keys(w.document).sort()), updatedAt],
        );
      }
    });
    return writes.map((w) => ({ type: w.type, name: w.name, document: w.document, updatedAt }));
  }

  async delete(type: string, name: string): Promise<boolean> {
    const r = await this.db.exclusive((conn) =>
      conn.run(`DELETE FROM ${UVE_TABLE} WHERE type = $1 AND name = $2`, [type, name]),
    );
    return Number(r.rowsChanged) > 0;
  }

  async get(type: string, name: string, scope: NamespaceScope | null = null): Promise<UveDocument | null> {
    return (await this.getMany(type, [name], scope))[0] ?? null;
  }

  async getMany(type: string, names: readonly string[], scope: NamespaceScope | null = null): Promise<(UveDocument | null)[]> {
    if (names.length === 0) return [];
    const rows = await this.db.read(compileUveGet(type, names, scope));
    const byName = new Map(rows.map((r) => [String(r['name']), toDocument(r)]));
    return names.map((n) => byName.get(n) ?? null);
  }

  async list(q: UveListQuery): Promise<UvePage> {
    const p = new Params();
    const where = [`type = ${p.add(q.type)}`];
    if (q.scope !== null) where.push(projectIn('name', q.scope.projects, p));
    if (q.nameGlob !== null) where.push(`name LIKE ${p.add(globToLike(q.nameGlob))} ESCAPE '\\'`);
    if (q.structs !== null) where.push(`list_has_any(structs, [${q.structs.map((s) => p.add(s)).join(', ')}])`);
    const count: SqlStatement = {
      text: `SELECT count(*) AS c FROM ${UVE_TABLE} WHERE ${where.join(' AND ')}`,
      params: [...p.values],
    };
    if (q.after !== null) where.push(`name > ${p.add(q.after)}`);
    const page: SqlStatement = {
      text: `SELECT type, name, document, updated_at FROM ${UVE_TABLE} WHERE ${where.join(' AND ')} ORDER BY name LIMIT ${p.add(q.first + 1)}`,
      params: p.values,
    };
    const [rows, counted] = await Promise.all([this.db.read(page), this.db.read(count)]);
    const nodes = rows.slice(0, q.first).map(toDocument);
    return {
      nodes,
      hasNextPage: rows.length > q.first,
      totalCount: Number(counted[0]!['c']),
      meta: { backend: this.backend, tier: 'current', query: inlineSql(page), from: 0n, to: this.clock() },
    };
  }

  async types(): Promise<string[]> {
    const rows = await this.db.read({ text: `SELECT DISTINCT type FROM ${UVE_TABLE} ORDER BY type`, params: [] });
    return rows.map((r) => String(r['type']));
  }

  ping(): Promise<void> {
    return this.db.ping();
  }

  async close(): Promise<void> {}
}

/** The UVEs of `names`, with the scope AND-ed in: a name outside it is not read. */
export function compileUveGet(type: string, names: readonly string[], scope: NamespaceScope | null): SqlStatement {
  const p = new Params();
  const where = [`type = ${p.add(type)}`, `list_contains(${p.add(names)}::VARCHAR[], name)`];
  if (scope !== null) where.push(projectIn('name', scope.projects, p));
  return { text: `SELECT type, name, document, updated_at FROM ${UVE_TABLE} WHERE ${where.join(' AND ')}`, params: p.values };
}

/** `*` becomes `%`; every LIKE metacharacter of the name is escaped. */
export function globToLike(glob: string): string {
  return glob.replace(/[\\%_]/g, (c) => `\\${c}`).replaceAll('*', '%');
}

function toDocument(r: Row): UveDocument {
  return {
    type: String(r['type']),
    name: String(r['name']),
    document: JSON.parse(String(r['document'])) as Record<string, unknown>,
    updatedAt: BigInt(r['updated_at'] as bigint),
  };
}
