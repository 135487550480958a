import { GatewayError, type Duration } from '../../model/index.js';
import type { InfluxHttp } from './client.js';
import type { InfluxLayout } from './layout.js';

/** A task the store keeps in InfluxDB, by name. */
export interface ManagedTask {
  readonly name: string;
  readonly flux: string;
  readonly description: string;
}

/** What setup found and changed, for the log. */
export interface SetupReport {
  readonly created: string[];
  readonly updated: string[];
  readonly deactivated: string[];
}

interface Bucket {
  id: string;
  name: string;
  retentionRules?: { type: string; everySeconds: number; shardGroupDurationSeconds?: number }[];
}

interface Task {
  id: string;
  name: string;
  flux: string;
  status: string;
  description?: string;
}

/** The marker every managed task's description starts with. */
export const MANAGED_BY = 'session-analytics-gateway:';

/**
 * Creates what the store needs, idempotently
 * (https://docs.influxdata.com/influxdb/v2/api/): the raw bucket and one
 * bucket per tier with their retention (changed in place when the
 * configuration changed), and the tier tasks (created, or updated when
 * their Flux changed). Managed tasks reading the same raw bucket that the
 * configuration no longer names (a tier removed) are set inactive, not
 * deleted.
 */
export async function setupInflux(
  http: InfluxHttp,
  layout: InfluxLayout,
  retention: { readonly raw: Duration },
  tasks: readonly ManagedTask[],
): Promise<SetupReport> {
  const report: SetupReport = { created: [], updated: [], deactivated: [] };
  const orgs = await http.find<{ orgs?: { id: string }[] }>(`/api/v2/orgs?org=${encodeURIComponent(layout.org)}`);
  const orgID = orgs?.orgs?.[0]?.id;
  if (orgID === undefined) throw new GatewayError('BACKEND_UNAVAILABLE', `the influxdb organization "${layout.org}" does not exist (INFLUX_ORG)`);
  const buckets: [string, Duration][] = [[layout.rawBucket, retention.raw], ...layout.tiers.map((t): [string, Duration] => [t.bucket, t.spec.retention])];
  for (const [name, keep] of buckets) await ensureBucket(http, orgID, name, keep, report);
  const existing = await listTasks(http, orgID);
  for (const task of tasks) await ensureTask(http, orgID, task, existing, report);
  const wanted = new Set(tasks.map((t) => t.name));
  const marker = `${MANAGED_BY} sums of bucket ${layout.rawBucket} `;
  for (const t of existing) {
    if (!wanted.has(t.name) && t.status === 'active' && (t.description ?? '').startsWith(marker)) {
      await http.api('PATCH', `/api/v2/tasks/${encodeURIComponent(t.id)}`, { status: 'inactive' });
      report.deactivated.push(`task ${t.name}`);
    }
  }
  return report;
}

async function ensureBucket(http: InfluxHttp, orgID: string, name: string, keep: Duration, report: SetupReport): Promise<void> {
  const everySeconds = Number(keep.ns / 1_000_000_000n);
  const rules = [{ type: 'expire', everySeconds, shardGroupDurationSeconds: shardGroupSeconds(everySeconds) }];
  const found = await http.find<{ buckets?: Bucket[] }>(`/api/v2/buckets?orgID=${encodeURIComponent(orgID)}&name=${encodeURIComponent(name)}`);
  const bucket = found?.buckets?.find((b) => b.name === name);
  if (bucket === undefined) {
    try {
      await http.api('POST', '/api/v2/buckets', { orgID, name, retentionRules: rules, description: `${MANAGED_BY} session records` });
    } catch (e) {
      // Another replica created it a moment before: theirs has the same settings.
      if ((e as { cause?: { status?: unknown } }).cause?.status === 422) return;
      throw e;
    }
    report.created.push(`bucket ${name} (${keep.text})`);
    return;
  }
  const current = bucket.retentionRules?.find((r) => r.type === 'expire')?.everySeconds ?? 0;
  if (current !== everySeconds) {
    await http.api('PATCH', `/api/v2/buckets/${encodeURIComponent(bucket.id)}`, { retentionRules: rules });
    report.updated.push(`bucket ${name} (retention ${keep.text})`);
  }
}

async function listTasks(http: InfluxHttp, orgID: string): Promise<Task[]> {
  const all: Task[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await http.find<{ tasks?: Task[] }>(
      `/api/v2/tasks?orgID=${encodeURIComponent(orgID)}&limit=500${after === undefined ? '' : `&after=${encodeURIComponent(after)}`}`,
    );
    const tasks = page?.tasks ?? [];
    all.push(...tasks);
    if (tasks.length < 500) return all;
    after = tasks[tasks.length - 1]!.id;
  }
}

async function ensureTask(http: InfluxHttp, orgID: string, task: ManagedTask, existing: readonly Task[], report: SetupReport): Promise<void> {
  let found = await keepOne(http, existing.filter((t) => t.name === task.name), report);
  if (found === undefined) {
    await http.api('POST', '/api/v2/tasks', { orgID, flux: task.flux, description: task.description, status: 'active' });
    report.created.push(`task ${task.name}`);
    // Replicas starting together each create the task: the one with the lowest id stays, on every replica alike.
    const named = await http.find<{ tasks?: Task[] }>(`/api/v2/tasks?orgID=${encodeURIComponent(orgID)}&name=${encodeURIComponent(task.name)}`);
    found = await keepOne(http, (named?.tasks ?? []).filter((t) => t.name === task.name), report);
    if (found === undefined || (found.flux === task.flux && found.status === 'active' && found.description === task.description)) return;
  }
  if (found.flux !== task.flux || found.status !== 'active' || found.description !== task.description) {
    await http.api('PATCH', `/api/v2/tasks/${encodeURIComponent(found.id)}`, { flux: task.flux, description: task.description, status: 'active' });
    report.updated.push(`task ${task.name}`);
  }
}

/**
 * Of tasks with one name, the one with the lowest id; the others (made by
 * replicas that set up at the same moment) are deleted. A task another
 * replica deleted first is gone already (404).
 */
async function keepOne(http: InfluxHttp, same: readonly Task[], report: SetupReport): Promise<Task | undefined> {
  const sorted = [...same].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const extra of sorted.slice(1)) {
    await http.api('DELETE', `/api/v2/tasks/${encodeURIComponent(extra.id)}`).catch((e: unknown) => {
      if (!(e instanceof GatewayError && /404|not found/i.test(`${e.message} ${String((e.cause as Error | undefined)?.message ?? '')}`))) throw e;
    });
    report.deactivated.push(`task ${extra.name} (a duplicate, ${extra.id})`);
  }
  return sorted[0];
}

/** InfluxDB's default shard group duration for a retention (0 = forever). */
function shardGroupSeconds(retentionSeconds: number): number {
  if (retentionSeconds > 0 && retentionSeconds < 2 * 86_400) return 3_600;
  if (retentionSeconds > 0 && retentionSeconds <= 180 * 86_400) return 86_400;
  return 7 * 86_400;
}
