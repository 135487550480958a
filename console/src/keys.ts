import type { GroupKey, SessionDimension, SessionFilter } from './generated/graphql.js';

/**
 * Keys are named as the API names them in GroupValue.key: the storage columns
 * vn, vmi, ..., label.local.<name> and label.remote.<name>.
 */
export const DIMENSIONS: Record<string, { dim: SessionDimension; field: keyof SessionFilter; int: boolean; title: string }> = {
  vn: { dim: 'VN', field: 'vn', int: false, title: 'VN' },
  vmi: { dim: 'VMI', field: 'vmi', int: false, title: 'VMI' },
  remote_vn: { dim: 'REMOTE_VN', field: 'remoteVn', int: false, title: 'remote VN' },
  vrouter_ip: { dim: 'VROUTER_IP', field: 'vrouterIp', int: false, title: 'vRouter IP' },
  local_ip: { dim: 'LOCAL_IP', field: 'localIp', int: false, title: 'client IP' },
  client_port: { dim: 'CLIENT_PORT', field: 'clientPort', int: true, title: 'client port' },
  remote_ip: { dim: 'REMOTE_IP', field: 'remoteIp', int: false, title: 'server IP' },
  server_port: { dim: 'SERVER_PORT', field: 'serverPort', int: true, title: 'server port' },
  protocol: { dim: 'PROTOCOL', field: 'protocol', int: true, title: 'protocol' },
};

const LOCAL = 'label.local.';
const REMOTE = 'label.remote.';

export const localLabelKey = (name: string) => LOCAL + name;
export const remoteLabelKey = (name: string) => REMOTE + name;

export function isKey(key: string): boolean {
  return Object.hasOwn(DIMENSIONS, key) || (key.startsWith(LOCAL) && key.length > LOCAL.length) || (key.startsWith(REMOTE) && key.length > REMOTE.length);
}

export function groupKey(key: string): GroupKey {
  if (key.startsWith(LOCAL)) return { localLabel: key.slice(LOCAL.length) };
  if (key.startsWith(REMOTE)) return { remoteLabel: key.slice(REMOTE.length) };
  const d = DIMENSIONS[key];
  if (d === undefined) throw new Error(`unknown key ${key}`);
  return { dimension: d.dim };
}

export function keyTitle(key: string): string {
  if (key.startsWith(LOCAL)) return `client ${key.slice(LOCAL.length)}`;
  if (key.startsWith(REMOTE)) return `server ${key.slice(REMOTE.length)}`;
  return DIMENSIONS[key]?.title ?? key;
}

export type Op = 'eq' | 'ne' | 'prefix';
export const OPS: readonly Op[] = ['eq', 'ne', 'prefix'];

export interface Condition {
  readonly key: string;
  readonly op: Op;
  /** Null: the records that lack the label (or the column's value). */
  readonly value: string | null;
}

/** One condition as a SessionFilter; integer columns take only eq and ne. */
export function conditionFilter(c: Condition): SessionFilter {
  const label = c.key.startsWith(LOCAL) ? 'localLabels' : c.key.startsWith(REMOTE) ? 'remoteLabels' : null;
  if (label !== null) {
    const name = c.key.slice(label === 'localLabels' ? LOCAL.length : REMOTE.length);
    const match = c.value === null ? { name, exists: c.op === 'ne' } : { name, [c.op]: c.value };
    return { [label]: [match] };
  }
  const d = DIMENSIONS[c.key]!;
  if (c.value === null) return {};
  if (d.int) {
    const n = Number(c.value);
    return { [d.field]: c.op === 'ne' ? { ne: n } : { eq: n } };
  }
  return { [d.field]: { [c.op]: c.value } };
}

/** Every condition must hold; null when there is none. */
export function whereOf(conditions: readonly Condition[]): SessionFilter | null {
  const parts = conditions.map(conditionFilter).filter((f) => Object.keys(f).length > 0);
  if (parts.length === 0) return null;
  if (parts.length === 1) return parts[0]!;
  return { and: parts };
}
