import { GatewayError, type Duration } from '../../model/index.js';
import type { InfluxHttp } from './client.js';
import type { InfluxLayout } from './layout.js';

/** What setup found and changed, for the log. */
export interface SetupReport {
  readonly created: string[];
  readonly updated: string[];
  /** Tier tasks of earlier gateway versions on this raw bucket, deleted: the gateway runs the rollup itself. */
  readonly deleted: string[];
}

interface Bucket {
  id: string;
  name: string;
  retentionRules?: { type: string; everySeconds: number; shardGroupDurationSeconds?: number }[];
}

interface Task {
  id: string;
  name: string;
  description?: string;
}

/** The marker every managed bucket's and task's description starts with. */
export const MANAGED_BY = 'session-analytics-gateway:';

/**
 * Creates what the store needs, idempotently
 * (https://docs.influxdata.com/influxdb/v2/api/): the raw bucket and one
 * bucket per tier with their retention (changed in place when the
 * configuration changed). The tier tasks earlier versions created for
 * this raw bucket (description `session-analytics-gateway: sums of bucket
 * <raw> ...`) are deleted: the gateway runs the rollup itself
 * (docs/influxdb.md "Tiers: the gateway's rollup"). Tasks of other raw
 * buckets, and tasks not made by the gateway, are left alone.
 */
export async function setupInflux(http: InfluxHttp, layout: InfluxLayout, retention: { readonly raw: Duration }): Promise<SetupReport> {
  const report: SetupReport = { created: [], updated: [], deleted: [] };
  const orgs = await http.find<{ orgs?: { id: string }[] }>(`/api/v2/orgs?org=${encodeURIComponent(layout.org)}`);
  const orgID = orgs?.orgs?.[0]?.id;
  if (orgID === undefined) throw new GatewayError('BACKEND_UNAVAILABLE', `the influxdb organization "${layout.org}" does not exist (INFLUX_ORG)`);
  const buckets: [string, Duration][] = [[layout.rawBucket, retention.raw], ...layout.tiers.map((t): [string, Duration] => [t.bucket, t.spec.retention])];
  for (const [name, keep] of buckets) await ensureBucket(http, orgID, name, keep, report);
  const marker = `${MANAGED_BY} sums of bucket ${layout.rawBucket} `;
  for (const t of await listTasks(http, orgID)) {
    if (!(t.description ?? '').startsWith(marker)) continue;
    await http.api('DELETE', `/api/v2/tasks/${encodeURIComponent(t.id)}`).catch((e: unknown) => {
      // Another replica deleted it a moment before.
      if (!(e instanceof GatewayError && /404|not found/i.test(`${e.message} ${String((e.cause as Error | undefined)?.message ?? '')}`))) throw e;
    });
    report.deleted.push(`task ${t.name}`);
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

/** InfluxDB's default shard group duration for a retention (0 = forever). */
function shardGroupSeconds(retentionSeconds: number): number {
  if (retentionSeconds > 0 && retentionSeconds < 2 * 86_400) return 3_600;
  if (retentionSeconds > 0 && retentionSeconds <= 180 * 86_400) return 86_400;
  return 7 * 86_400;
}
