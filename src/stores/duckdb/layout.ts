import { COUNTER_COLUMNS, DIMENSION_COLUMNS, type LabelSide, type TierSpec } from '../../model/index.js';

/**
 * The tables of the embedded store. The first DUCKDB_LABEL_COLUMNS label
 * names of each side are columns of their own, named like their InfluxDB
 * tags (`label.local.app`), added when a record first carries the label:
 * grouping by a label is then a plain column scan of a
 * dictionary-compressed VARCHAR (docs/benchmarks.md compares this with MAP
 * columns). Every later name of a side is a key of that side's one
 * MAP(VARCHAR, VARCHAR) column (`labels_local`, `labels_remote`, keys
 * sorted), in raw and in every tier, so the width of a row group, and the
 * cost of a write and of a rollup, stay bounded by the column budget
 * whatever names senders make up (docs/decisions.md, "Label names past the
 * column budget"). compile.ts `labelExpr` reads either form.
 */
export const RAW_TABLE = 'sessions';
export const UVE_TABLE = 'uves';
export const STATE_TABLE = 'gateway_state';

export function tierTable(tier: TierSpec): string {
  return `sessions_${tier.name}`;
}

/** Per side, the MAP column holding the label names past the column budget. */
export const LABEL_MAP_COLUMNS: Readonly<Record<LabelSide, string>> = { local: 'labels_local', remote: 'labels_remote' };
export const LABEL_MAP_TYPE = 'MAP(VARCHAR, VARCHAR)';

/** Label columns per side by default (DUCKDB_LABEL_COLUMNS); names past them go to the side's map. */
export const DEFAULT_LABEL_COLUMNS = 16;

/**
 * What a compiler needs to know of the live schema: which label columns
 * exist, and per side which names are keys of its map column (none when
 * absent: a name in neither is a label no record carries).
 */
export interface StoreSchema {
  readonly labelColumns: ReadonlySet<string>;
  readonly mappedLabels?: { readonly local: ReadonlySet<string>; readonly remote: ReadonlySet<string> };
}

export const RAW_DDL = `CREATE TABLE IF NOT EXISTS ${RAW_TABLE} (
  seq BIGINT NOT NULL,
  time_ns BIGINT NOT NULL,
  vn VARCHAR NOT NULL,
  vmi VARCHAR,
  remote_vn VARCHAR NOT NULL,
  vrouter_ip VARCHAR NOT NULL,
  local_ip VARCHAR NOT NULL,
  client_port INTEGER NOT NULL,
  remote_ip VARCHAR NOT NULL,
  server_port INTEGER NOT NULL,
  protocol INTEGER NOT NULL,
  session_type VARCHAR NOT NULL,
  forward_sampled_bytes BIGINT NOT NULL,
  forward_sampled_pkts BIGINT NOT NULL,
  reverse_sampled_bytes BIGINT NOT NULL,
  reverse_sampled_pkts BIGINT NOT NULL,
  total_bytes BIGINT NOT NULL,
  labels_local ${LABEL_MAP_TYPE},
  labels_remote ${LABEL_MAP_TYPE}
)`;

const TYPES: Record<string, string> = {
  vn: 'VARCHAR',
  vmi: 'VARCHAR',
  remote_vn: 'VARCHAR',
  vrouter_ip: 'VARCHAR',
  local_ip: 'VARCHAR',
  client_port: 'INTEGER',
  remote_ip: 'VARCHAR',
  server_port: 'INTEGER',
  protocol: 'INTEGER',
};

/** The dimension columns a tier keeps, in table order. */
export function tierDimensions(tier: TierSpec): string[] {
  return DIMENSION_COLUMNS.filter((c) => !tier.drop.includes(c));
}

/** A tier's table; its counters are BIGINT, a larger partial sum split over rows (tier-counters.ts). */
export function tierDdl(tier: TierSpec): string {
  const dims = tierDimensions(tier).map((c) => `  ${c} ${TYPES[c]}`);
  const counters = COUNTER_COLUMNS.map((c) => `  ${c} BIGINT NOT NULL`);
  return `CREATE TABLE IF NOT EXISTS ${tierTable(tier)} (
  window_start BIGINT NOT NULL,
${dims.join(',\n')},
  session_type VARCHAR NOT NULL,
${counters.join(',\n')},
  sessions BIGINT NOT NULL,
  labels_local ${LABEL_MAP_TYPE},
  labels_remote ${LABEL_MAP_TYPE}
)`;
}

export const UVE_DDL = `CREATE TABLE IF NOT EXISTS ${UVE_TABLE} (
  type VARCHAR NOT NULL,
  name VARCHAR NOT NULL,
  document VARCHAR NOT NULL,
  structs VARCHAR[] NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (type, name)
)`;

export const STATE_DDL = `CREATE TABLE IF NOT EXISTS ${STATE_TABLE} (
  key VARCHAR PRIMARY KEY,
  value BIGINT NOT NULL
)`;
