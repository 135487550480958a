import { COUNTER_COLUMNS, DIMENSION_COLUMNS, type TierSpec } from '../../model/index.js';

/**
 * The tables of the embedded store. Pod labels are columns of their own,
 * named like their InfluxDB tags (`label.local.app`), added when a record
 * first carries the label: grouping by a label is then a plain column scan
 * of a dictionary-compressed VARCHAR (docs/benchmarks.md compares this with
 * MAP columns).
 */
export const RAW_TABLE = 'sessions';
export const UVE_TABLE = 'uves';
export const STATE_TABLE = 'gateway_state';

export function tierTable(tier: TierSpec): string {
  return `sessions_${tier.name}`;
}

/** What a compiler needs to know of the live schema: which label columns exist. */
export interface StoreSchema {
  readonly labelColumns: ReadonlySet<string>;
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
  total_bytes BIGINT NOT NULL
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
  sessions BIGINT NOT NULL
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
