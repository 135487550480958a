/**
 * The columns of the session table (ARCHITECTURE §1) and their public names.
 * Every compiler takes identifiers from here, never from user input; label
 * column names are built by `labelColumn` from names that passed `LABEL_NAME`.
 */

export type Dimension =
  | 'VN'
  | 'VMI'
  | 'REMOTE_VN'
  | 'VROUTER_IP'
  | 'LOCAL_IP'
  | 'CLIENT_PORT'
  | 'REMOTE_IP'
  | 'SERVER_PORT'
  | 'PROTOCOL';

export type StringColumn = 'vn' | 'vmi' | 'remote_vn' | 'vrouter_ip' | 'local_ip' | 'remote_ip';
export type IntColumn = 'client_port' | 'server_port' | 'protocol';
export type DimensionColumn = StringColumn | IntColumn;

export interface DimensionInfo {
  readonly column: DimensionColumn;
  readonly kind: 'string' | 'int';
  /** Inclusive upper bound of an int column. */
  readonly max?: number;
  /** The UVE type a value of this column names, if any. */
  readonly uveType?: string;
}

export const DIMENSIONS: Readonly<Record<Dimension, DimensionInfo>> = {
  VN: { column: 'vn', kind: 'string', uveType: 'virtual-network' },
  VMI: { column: 'vmi', kind: 'string', uveType: 'virtual-machine-interface' },
  REMOTE_VN: { column: 'remote_vn', kind: 'string', uveType: 'virtual-network' },
  VROUTER_IP: { column: 'vrouter_ip', kind: 'string' },
  LOCAL_IP: { column: 'local_ip', kind: 'string' },
  CLIENT_PORT: { column: 'client_port', kind: 'int', max: 65535 },
  REMOTE_IP: { column: 'remote_ip', kind: 'string' },
  SERVER_PORT: { column: 'server_port', kind: 'int', max: 65535 },
  PROTOCOL: { column: 'protocol', kind: 'int', max: 255 },
};

export const DIMENSION_COLUMNS: readonly DimensionColumn[] = Object.values(DIMENSIONS).map(
  (d) => d.column,
);

export const INT_MAX: Readonly<Record<IntColumn, number>> = {
  client_port: 65535,
  server_port: 65535,
  protocol: 255,
};

export type Metric =
  | 'FORWARD_SAMPLED_BYTES'
  | 'FORWARD_SAMPLED_PKTS'
  | 'REVERSE_SAMPLED_BYTES'
  | 'REVERSE_SAMPLED_PKTS'
  | 'TOTAL_BYTES'
  | 'SESSIONS';

export type CounterColumn =
  | 'forward_sampled_bytes'
  | 'forward_sampled_pkts'
  | 'reverse_sampled_bytes'
  | 'reverse_sampled_pkts'
  | 'total_bytes';

export const COUNTER_COLUMNS: readonly CounterColumn[] = [
  'forward_sampled_bytes',
  'forward_sampled_pkts',
  'reverse_sampled_bytes',
  'reverse_sampled_pkts',
  'total_bytes',
];

/** The stored counter a metric sums; SESSIONS counts records instead. */
export const METRIC_COLUMN: Readonly<Record<Metric, CounterColumn | 'sessions'>> = {
  FORWARD_SAMPLED_BYTES: 'forward_sampled_bytes',
  FORWARD_SAMPLED_PKTS: 'forward_sampled_pkts',
  REVERSE_SAMPLED_BYTES: 'reverse_sampled_bytes',
  REVERSE_SAMPLED_PKTS: 'reverse_sampled_pkts',
  TOTAL_BYTES: 'total_bytes',
  SESSIONS: 'sessions',
};

export type LabelSide = 'local' | 'remote';

/** Kubernetes label keys: an optional `prefix/` and a name, 1 to 317 characters. */
export const LABEL_NAME = /^[A-Za-z0-9._/-]{1,317}$/;
export const LABEL_VALUE_MAX = 255;

/** `LABEL_NAME.test(name)` as a loop: ingest checks every label of every record, and the loop is cheaper than the RegExp. */
export function isLabelName(name: string): boolean {
  if (name.length === 0 || name.length > 317) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok =
      (c >= 0x61 && c <= 0x7a) || // a-z
      (c >= 0x41 && c <= 0x5a) || // A-Z
      (c >= 0x2d && c <= 0x39) || // - . / 0-9
      c === 0x5f; // _
    if (!ok) return false;
  }
  return true;
}

/** The storage column (InfluxDB tag) of a pod label: `label.local.app`. */
export function labelColumn(side: LabelSide, name: string): string {
  return `label.${side}.${name}`;
}
