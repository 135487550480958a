import duckdb from '@duckdb/node-bindings';
import {
  DuckDBBigIntType,
  DuckDBDataChunk,
  DuckDBIntegerType,
  DuckDBVarCharType,
  DuckDBMapType,
  mapValue,
  type DuckDBAppender,
  type DuckDBMapValue,
  type DuckDBType,
} from '@duckdb/node-api';
import { BIGINTS_PER_RECORD, FIXED_STRINGS, INTS_PER_RECORD, NULL_STRING, type RecordBatch } from '../../model/index.js';

/** Where a label column of the raw table takes its value from: a side and a label name. */
export interface LabelSlot {
  readonly local: boolean;
  readonly name: string;
}

/** A side's map column (layout.ts LABEL_MAP_COLUMNS): every label of that side without a column of its own. */
export interface MapSlot {
  readonly local: boolean;
  readonly map: true;
}

/** The raw table's columns after the fixed ones, in table order. */
export type RawSlot = LabelSlot | MapSlot;

function isMap(slot: RawSlot): slot is MapSlot {
  return 'map' in slot;
}

interface MapEntry {
  readonly key: string;
  readonly value: string;
}

const BIGINT = DuckDBBigIntType.instance;
const INTEGER = DuckDBIntegerType.instance;
const VARCHAR = DuckDBVarCharType.instance;
const LABEL_MAP = new DuckDBMapType(VARCHAR, VARCHAR);

/**
 * The raw table's fixed columns (layout.ts RAW_DDL) in order, each with its
 * type and where a record of a RecordBatch keeps it: `bigints`, `ints` or
 * `strings` at that offset in the record, or the commit's sequence number.
 */
const FIXED: readonly { readonly type: DuckDBType; readonly from: 'seq' | 'bigint' | 'int' | 'string'; readonly at: number }[] = [
  { type: BIGINT, from: 'seq', at: 0 },
  { type: BIGINT, from: 'bigint', at: 0 }, // time_ns
  { type: VARCHAR, from: 'string', at: 0 }, // vn
  { type: VARCHAR, from: 'string', at: 1 }, // vmi
  { type: VARCHAR, from: 'string', at: 2 }, // remote_vn
  { type: VARCHAR, from: 'string', at: 3 }, // vrouter_ip
  { type: VARCHAR, from: 'string', at: 4 }, // local_ip
  { type: INTEGER, from: 'int', at: 0 }, // client_port
  { type: VARCHAR, from: 'string', at: 5 }, // remote_ip
  { type: INTEGER, from: 'int', at: 1 }, // server_port
  { type: INTEGER, from: 'int', at: 2 }, // protocol
  { type: VARCHAR, from: 'string', at: 6 }, // session_type
  { type: BIGINT, from: 'bigint', at: 1 }, // forward_sampled_bytes
  { type: BIGINT, from: 'bigint', at: 2 }, // forward_sampled_pkts
  { type: BIGINT, from: 'bigint', at: 3 }, // reverse_sampled_bytes
  { type: BIGINT, from: 'bigint', at: 4 }, // reverse_sampled_pkts
  { type: BIGINT, from: 'bigint', at: 5 }, // total_bytes
];

/** DuckDB's string_t: 16 bytes, a 32-bit length then up to 12 bytes inline, or a prefix and a pointer. */
const STRING_T = 16;
const INLINE_MAX = 12;

/**
 * Appends RecordBatches to the raw table a DuckDB data chunk (2 048 rows) at
 * a time, column by column, instead of value by value through the
 * appender: about 25 calls into the addon per record become a few per
 * column per chunk (docs/decisions.md, "Raw rows go into DuckDB by data
 * chunk").
 *
 * - 64-bit and 32-bit columns are gathered from the batch's typed arrays
 *   into one array per column and copied into the chunk's vector at once.
 *   The 64-bit values are moved as pairs of 32-bit words, so no bigint is
 *   made per value.
 * - A string of at most 12 UTF-8 bytes (addresses, session types, most
 *   label values) fits inside DuckDB's 16-byte string_t: it is written into
 *   the column's image here and copied with the rest of the column. A
 *   longer string (network and interface names) must live in the vector's
 *   own string heap, so it is assigned through the addon, one call per value.
 * - Nulls (an absent vmi or label) are cleared bits of the column's validity.
 * - A side's map column (labels past the column budget) is null on a chunk
 *   none of whose rows carries such a label, like any label column; else
 *   its rows are set through the node API's map vector, keys sorted so a
 *   label set has one form (the rollup groups on it). Only a sender's extra
 *   names take that path.
 *
 * One writer serves one set of label columns: the store makes a new one
 * when its label columns change, and every commit reuses the writer's chunk
 * and scratch arrays (one append at a time, on the writer connection).
 */
export class RawChunkWriter {
  private readonly chunk: DuckDBDataChunk;
  private readonly rows = duckdb.vector_size();
  // One column of the chunk at a time, and its validity: each an ArrayBuffer
  // (what the addon copies from) and the view the column is written through.
  private readonly wordsBuffer: ArrayBuffer;
  private readonly words: Int32Array; // a 64-bit column as 32-bit word pairs
  private readonly intsBuffer: ArrayBuffer;
  private readonly ints: Int32Array;
  private readonly textBuffer: ArrayBuffer;
  private readonly text: Uint8Array; // a VARCHAR column of string_t
  private readonly textWords: Int32Array; // the same, by 32-bit word: a string_t is four
  private readonly firstRow = new Map<number, number>(); // per long string (dictionary index), its first row in the column
  private readonly validityBuffer: ArrayBuffer;
  private readonly validity: Uint8Array;
  private readonly strings: Int32Array; // per row, the dictionary index of the column's value
  private readonly starts: Int32Array; // per row, where its strings begin in the batch
  private readonly labels: Int32Array; // per row and label column, the dictionary index of the value
  private readonly carried: Uint8Array; // per label column, whether a row of the chunk has a value
  private readonly noneValid: ArrayBuffer; // a validity mask with every row null
  private readonly maps: Uint8Array; // per label column, 1 for a side's map column
  private readonly entries: (MapEntry[] | null)[][]; // per map column, per row, its labels (null: none)

  constructor(private readonly slots: readonly RawSlot[]) {
    this.chunk = DuckDBDataChunk.create([...FIXED.map((c) => c.type), ...slots.map((s) => (isMap(s) ? LABEL_MAP : VARCHAR))]);
    this.maps = Uint8Array.from(slots, (s) => (isMap(s) ? 1 : 0));
    this.entries = slots.map((s) => (isMap(s) ? new Array<MapEntry[] | null>(this.rows).fill(null) : []));
    this.wordsBuffer = new ArrayBuffer(8 * this.rows);
    this.words = new Int32Array(this.wordsBuffer);
    this.intsBuffer = new ArrayBuffer(4 * this.rows);
    this.ints = new Int32Array(this.intsBuffer);
    this.textBuffer = new ArrayBuffer(STRING_T * this.rows);
    this.text = new Uint8Array(this.textBuffer);
    this.textWords = new Int32Array(this.textBuffer);
    this.validityBuffer = new ArrayBuffer(Math.ceil(this.rows / 64) * 8);
    this.validity = new Uint8Array(this.validityBuffer);
    this.strings = new Int32Array(this.rows);
    this.starts = new Int32Array(this.rows);
    this.labels = new Int32Array(this.rows * slots.length);
    this.carried = new Uint8Array(slots.length);
    this.noneValid = new ArrayBuffer(this.validityBuffer.byteLength);
  }

  /**
   * Appends every record of `b`, each with the commit's sequence number
   * `seq`; sets `carried[l]` to 1 for each label or map column `l` (index
   * into the writer's slots) some record of `b` holds a value in.
   */
  append(appender: DuckDBAppender, b: RecordBatch, seq: bigint, carried?: Uint8Array): void {
    const labelSlot = this.labelSlotsOf(b.dictionary);
    let s = 0;
    for (let first = 0; first < b.length; first += this.rows) {
      const n = Math.min(this.rows, b.length - first);
      s = this.layOutRows(b, first, n, s, labelSlot);
      this.chunk.reset();
      this.chunk.rowCount = n; // also drops the node API's vectors of the last chunk (the map columns use them)
      for (let c = 0; c < FIXED.length; c++) {
        const vector = duckdb.data_chunk_get_vector(this.chunk.chunk, c);
        const col = FIXED[c]!;
        if (col.from === 'seq') this.writeSeq(vector, n, seq);
        else if (col.from === 'bigint') this.writeBigints(vector, b.bigints, first, n, col.at);
        else if (col.from === 'int') this.writeInts(vector, b.ints, first, n, col.at);
        else {
          for (let r = 0; r < n; r++) this.strings[r] = b.strings[this.starts[r]! + col.at]!;
          this.writeStrings(vector, n, b.dictionary);
        }
      }
      for (let l = 0; l < this.slots.length; l++) {
        const vector = duckdb.data_chunk_get_vector(this.chunk.chunk, FIXED.length + l);
        // A label no row of the chunk carries is a column of nulls: its validity alone, whatever the number of label columns.
        if (this.carried[l] === 0) {
          this.writeNulls(vector);
          continue;
        }
        if (carried !== undefined) carried[l] = 1;
        if (this.maps[l] === 1) {
          this.writeMaps(FIXED.length + l, n, this.entries[l]!);
          continue;
        }
        for (let r = 0; r < n; r++) this.strings[r] = this.labels[r * this.slots.length + l]!;
        this.writeStrings(vector, n, b.dictionary);
      }
      appender.appendDataChunk(this.chunk);
    }
  }

  /**
   * For rows `first..first+n-1`: where each row's strings begin, and its
   * label values by column. Returns where the row after them begins.
   */
  private layOutRows(b: RecordBatch, first: number, n: number, s: number, labelSlot: LabelSlotOf): number {
    const { ints, strings } = b;
    const width = this.slots.length;
    const carried = this.carried;
    const maps = this.maps;
    const dictionary = b.dictionary;
    carried.fill(0);
    this.labels.fill(NULL_STRING, 0, n * width);
    for (let l = 0; l < width; l++) if (maps[l] === 1) this.entries[l]!.fill(null, 0, n);
    for (let r = 0; r < n; r++) {
      const k = (first + r) * INTS_PER_RECORD;
      this.starts[r] = s;
      s += FIXED_STRINGS;
      const row = r * width;
      for (let side = 0; side < 2; side++) {
        for (let end = s + 2 * ints[k + 3 + side]!; s < end; s += 2) {
          const slot = labelSlot(side === 0, strings[s]!);
          carried[slot] = 1;
          if (maps[slot] === 0) this.labels[row + slot] = strings[s + 1]!;
          else {
            const rows = this.entries[slot]!;
            (rows[r] ??= []).push({ key: dictionary[strings[s]!]!, value: dictionary[strings[s + 1]!]! });
          }
        }
      }
    }
    return s;
  }

  /**
   * Per dictionary entry that names a label, its column on each side, looked
   * up once per batch: the label's own column, else the side's map column.
   */
  private labelSlotsOf(dictionary: readonly string[]): LabelSlotOf {
    const bySide = [new Map<string, number>(), new Map<string, number>()] as const;
    const mapOf = [-1, -1];
    this.slots.forEach((slot, i) => {
      if (isMap(slot)) mapOf[slot.local ? 0 : 1] = i;
      else bySide[slot.local ? 0 : 1].set(slot.name, i);
    });
    const cache = [new Int32Array(dictionary.length).fill(-1), new Int32Array(dictionary.length).fill(-1)] as const;
    return (local, d) => {
      const side = local ? 0 : 1;
      let slot = cache[side][d]!;
      if (slot < 0) {
        const found = bySide[side].get(dictionary[d]!) ?? (mapOf[side]! >= 0 ? mapOf[side] : undefined);
        if (found === undefined) throw new Error(`no raw column holds label ${dictionary[d]!}`);
        cache[side][d] = slot = found;
      }
      return slot;
    };
  }

  /** A map column's rows: each row's labels by key (the last value of a repeated key), or null. */
  private writeMaps(column: number, n: number, rows: readonly (MapEntry[] | null)[]): void {
    const values: (DuckDBMapValue | null)[] = new Array<DuckDBMapValue | null>(n);
    for (let r = 0; r < n; r++) {
      const e = rows[r];
      if (e === null || e === undefined) {
        values[r] = null;
        continue;
      }
      const byKey = new Map<string, string>();
      for (const { key, value } of e) byKey.set(key, value);
      values[r] = mapValue([...byKey.keys()].sort().map((key) => ({ key, value: byKey.get(key)! })));
    }
    this.chunk.setColumnValues(column, values);
  }

  /** Every row of the chunk null. */
  private writeNulls(vector: duckdb.Vector): void {
    duckdb.vector_ensure_validity_writable(vector);
    duckdb.copy_data_to_vector_validity(vector, 0, this.noneValid, 0, this.noneValid.byteLength);
  }

  private writeSeq(vector: duckdb.Vector, n: number, seq: bigint): void {
    new BigInt64Array(this.wordsBuffer, 0, n).fill(seq);
    duckdb.copy_data_to_vector(vector, 0, this.wordsBuffer, 0, 8 * n);
  }

  private writeBigints(vector: duckdb.Vector, bigints: BigInt64Array, first: number, n: number, at: number): void {
    // Moved as 32-bit word pairs: reading a BigInt64Array element would make a bigint.
    const from = new Int32Array(bigints.buffer, bigints.byteOffset, 2 * bigints.length);
    const words = this.words;
    for (let r = 0, w = 2 * (first * BIGINTS_PER_RECORD + at); r < n; r++, w += 2 * BIGINTS_PER_RECORD) {
      words[2 * r] = from[w]!;
      words[2 * r + 1] = from[w + 1]!;
    }
    duckdb.copy_data_to_vector(vector, 0, this.wordsBuffer, 0, 8 * n);
  }

  private writeInts(vector: duckdb.Vector, ints: Int32Array, first: number, n: number, at: number): void {
    const out = this.ints;
    for (let r = 0, k = first * INTS_PER_RECORD + at; r < n; r++, k += INTS_PER_RECORD) out[r] = ints[k]!;
    duckdb.copy_data_to_vector(vector, 0, this.intsBuffer, 0, 4 * n);
  }

  /**
   * Writes the strings named by `this.strings[0..n-1]` (dictionary indexes,
   * NULL_STRING for null): short ones inline, the others through the addon.
   */
  private writeStrings(vector: duckdb.Vector, n: number, dictionary: readonly string[]): void {
    const text = this.text;
    const words = this.textWords;
    const strings = this.strings;
    let nulls = false;
    let long = false;
    for (let r = 0; r < n; r++) {
      const q = 4 * r;
      words[q + 1] = 0;
      words[q + 2] = 0;
      words[q + 3] = 0;
      const d = strings[r]!;
      if (d === NULL_STRING) {
        words[q] = 0;
        nulls = true;
        continue;
      }
      const length = inline(dictionary[d]!, text, STRING_T * r + 4);
      if (length < 0) {
        words[q] = 0; // the addon writes the whole string_t below
        long = true;
      } else words[q] = length;
    }
    duckdb.copy_data_to_vector(vector, 0, this.textBuffer, 0, STRING_T * n);
    if (long) this.writeLongStrings(vector, n, dictionary);
    if (nulls) {
      const validity = this.validity;
      validity.fill(0xff);
      for (let r = 0; r < n; r++) if (strings[r] === NULL_STRING) validity[r >> 3]! &= ~(1 << (r & 7));
      duckdb.vector_ensure_validity_writable(vector);
      duckdb.copy_data_to_vector_validity(vector, 0, this.validityBuffer, 0, this.validityBuffer.byteLength);
    }
  }

  /**
   * The strings of more than 12 bytes of a column (rows whose image holds
   * length 0): the first row of each string is assigned through the addon,
   * which copies it into the vector's string heap; the other rows of that
   * string get a copy of the first row's string_t, which points at the same
   * bytes. A network name is the same on every row of a chunk, an interface
   * name on many, so this is a few calls per chunk instead of one per row.
   */
  private writeLongStrings(vector: duckdb.Vector, n: number, dictionary: readonly string[]): void {
    const strings = this.strings;
    const words = this.textWords;
    const first = this.firstRow;
    first.clear();
    let repeats = false;
    for (let r = 0; r < n; r++) {
      const d = strings[r]!;
      if (d === NULL_STRING || words[4 * r] !== 0) continue;
      if (first.has(d)) repeats = true;
      else {
        const s = dictionary[d]!;
        if (s === '') continue; // its string_t is all zeros already
        first.set(d, r);
        duckdb.vector_assign_string_element(vector, r, s);
      }
    }
    if (!repeats) return;
    // The column as DuckDB now holds it (a copy), with the repeats pointed at their first row's bytes.
    const text = this.text;
    text.set(duckdb.vector_get_data(vector, STRING_T * n));
    for (let r = 0; r < n; r++) {
      const d = strings[r]!;
      if (d === NULL_STRING || words[4 * r]! > INLINE_MAX) continue;
      const f = first.get(d);
      if (f !== undefined && f !== r) text.copyWithin(STRING_T * r, STRING_T * f, STRING_T * (f + 1));
    }
    duckdb.copy_data_to_vector(vector, 0, this.textBuffer, 0, STRING_T * n);
  }
}

const encoder = new TextEncoder();

/**
 * Writes `s` as UTF-8 into the 12 bytes at `at` when it fits there and
 * returns its length in bytes, or -1 when it does not fit (the bytes are
 * then meaningless). The usual string is ASCII and is copied by character.
 */
function inline(s: string, out: Uint8Array, at: number): number {
  const n = s.length;
  if (n > INLINE_MAX) return -1;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      const { read, written } = encoder.encodeInto(s, out.subarray(at, at + INLINE_MAX));
      if (read !== n) return -1;
      out.fill(0, at + written, at + INLINE_MAX);
      return written;
    }
    out[at + i] = c;
  }
  return n;
}

type LabelSlotOf = (local: boolean, d: number) => number;
