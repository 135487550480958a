import { FIXED_STRINGS, INTS_PER_RECORD, type LabelSide, type RecordBatch } from '../model/index.js';

/** A record of a batch that carries a label name past the bound, and the first such name. */
export interface LabelRefusal {
  /** The record's position in the batch. */
  readonly record: number;
  /** The stored side (client orientation: `local` is the client's). */
  readonly side: LabelSide;
  readonly name: string;
}

/**
 * The label names the store keeps, per side, and their bound
 * (INGEST_MAX_LABEL_NAMES; docs/ingest.md, "Label names"). Every label name
 * is a column of the embedded store and a tag key of InfluxDB, so a sender
 * that makes up names would otherwise widen every later write and every
 * rollup for as long as the data is kept.
 *
 * A name is taken when a record first brings it and there is room on its
 * side, and is kept for good (dropping a column the data still holds is
 * not this class's to do); a record that brings a new name when its side
 * is full is refused whole, so it goes to the dead-letter log as sent and
 * can be replayed once the bound is raised. Names the store already holds
 * (`learn`) are kept even past the bound: a lowered bound refuses new
 * names only.
 */
export class LabelNames {
  private readonly names = { local: new Set<string>(), remote: new Set<string>() };

  constructor(readonly max: number) {}

  /** Names the store holds already (at start, and from other replicas' writes). */
  learn(side: LabelSide, names: Iterable<string>): void {
    const set = this.names[side];
    for (const n of names) set.add(n);
  }

  /** How many names a side holds. */
  size(side: LabelSide): number {
    return this.names[side].size;
  }

  /**
   * Takes the new names of `batch` while there is room and returns the
   * records that bring one past the bound, in batch order; an empty array
   * when every record may be stored. Each name is looked up once per
   * batch and side.
   */
  screen(batch: RecordBatch): LabelRefusal[] {
    const { ints, strings, dictionary } = batch;
    // Per dictionary entry and side: 0 not looked at, 1 kept, 2 past the bound.
    const seen = [new Uint8Array(dictionary.length), new Uint8Array(dictionary.length)] as const;
    const refused: LabelRefusal[] = [];
    let s = 0;
    for (let i = 0; i < batch.length; i++) {
      const k = i * INTS_PER_RECORD;
      s += FIXED_STRINGS;
      let first: LabelRefusal | undefined;
      for (let side = 0; side < 2; side++) {
        const marks = seen[side]!;
        const name: LabelSide = side === 0 ? 'local' : 'remote';
        for (let end = s + 2 * ints[k + 3 + side]!; s < end; s += 2) {
          const d = strings[s]!;
          let mark = marks[d]!;
          if (mark === 0) marks[d] = mark = this.take(name, dictionary[d]!) ? 1 : 2;
          if (mark === 2 && first === undefined) first = { record: i, side: name, name: dictionary[d]! };
        }
      }
      if (first !== undefined) refused.push(first);
    }
    return refused;
  }

  private take(side: LabelSide, name: string): boolean {
    const set = this.names[side];
    if (set.has(name)) return true;
    if (set.size >= this.max) return false;
    set.add(name);
    return true;
  }
}
