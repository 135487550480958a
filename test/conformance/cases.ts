import type { SeriesArgs, TrafficArgs } from '../../src/model/index.js';
import { HOSTILE_STRINGS } from '../support/hostile.js';

/**
 * The conformance table. Each case is the GraphQL arguments of one query;
 * the expected answer is whatever the reference evaluator computes from the
 * same arguments and records, so a case states intent, not numbers.
 */
export interface TrafficCase {
  readonly name: string;
  readonly args: TrafficArgs;
  /**
   * The sources that must serve it (meta.tier), when the case is about them;
   * a list: any of them (which tier is cheapest depends on whether now falls
   * on a window boundary: around the epoch it is on the hour).
   */
  readonly tier?: string | readonly string[];
}

export interface SeriesCase {
  readonly name: string;
  readonly args: SeriesArgs;
  readonly tier?: string | readonly string[];
}

export interface ErrorCase {
  readonly name: string;
  readonly kind: 'traffic' | 'series';
  readonly args: TrafficArgs | SeriesArgs;
  readonly code: string;
  /** A fragment the message must contain (the field or the reason). */
  readonly message: string;
}

const H2 = { last: '2h' };
/** The 5m tier's whole windows, or the 1h tier's when now is on the hour, or both nested; the rest from raw. */
const TIERED = ['raw+5m', 'raw+1h', 'raw+5m+1h'];
const LABEL_PAIR = [{ localLabel: 'app' }, { remoteLabel: 'app' }];

export const TRAFFIC_CASES: readonly TrafficCase[] = [
  { name: 'no grouping: one group holding the total', args: { range: H2 }, tier: TIERED },
  { name: 'a column no tier keeps is read from raw alone', args: { range: H2, groupBy: [{ dimension: 'CLIENT_PORT' }] }, tier: 'raw' },
  { name: 'group by vn', args: { range: H2, groupBy: [{ dimension: 'VN' }] } },
  { name: 'top label pairs', args: { range: H2, groupBy: LABEL_PAIR, first: 10 } },
  {
    name: 'label pairs in one namespace (the README example)',
    args: { range: H2, where: { localLabels: [{ name: 'namespace', eq: 'contrail-analytics' }] }, groupBy: LABEL_PAIR },
  },
  { name: 'a label some records lack groups them under null', args: { range: H2, groupBy: [{ remoteLabel: 'tier' }] } },
  { name: 'group by every int dimension', args: { range: H2, groupBy: [{ dimension: 'SERVER_PORT' }, { dimension: 'PROTOCOL' }] } },
  { name: 'group by vmi, null where absent', args: { range: H2, groupBy: [{ dimension: 'VMI' }] } },
  { name: 'label with a prefix and slash', args: { range: H2, groupBy: [{ localLabel: 'app.kubernetes.io/part-of' }] } },
  // every string operator
  { name: 'vn eq', args: { range: H2, where: { vn: { eq: 'default-domain:k8s-shop:pod-network' } }, groupBy: [{ dimension: 'VN' }] } },
  { name: 'vn ne', args: { range: H2, where: { vn: { ne: 'default-domain:k8s-shop:pod-network' } }, groupBy: [{ dimension: 'VN' }] } },
  { name: 'remoteVn in', args: { range: H2, where: { remoteVn: { in: ['default-domain:k8s-shop:pod-network', 'nope'] } } } },
  { name: 'localIp notIn', args: { range: H2, where: { localIp: { notIn: ['10.244.1.0', '10.244.1.1'] } }, groupBy: [{ dimension: 'LOCAL_IP' }] } },
  { name: 'vrouterIp prefix', args: { range: H2, where: { vrouterIp: { prefix: '192.168.0.1' } }, groupBy: [{ dimension: 'VROUTER_IP' }] } },
  { name: 'remoteIp regex', args: { range: H2, where: { remoteIp: { regex: '\\.[1-3]$' } }, groupBy: [{ dimension: 'REMOTE_IP' }] } },
  { name: 'two operators on one field all hold', args: { range: H2, where: { vn: { prefix: 'default-domain', ne: 'default-domain:k8s-billing:pod-network' } } } },
  { name: 'vmi ne keeps records without a vmi', args: { range: H2, where: { vmi: { ne: 'default-domain:k8s-x:vmi-1' } }, groupBy: [{ dimension: 'VMI' }] } },
  // every int operator
  { name: 'serverPort eq', args: { range: H2, where: { serverPort: { eq: 443 } } } },
  { name: 'serverPort ne', args: { range: H2, where: { serverPort: { ne: 443 } }, groupBy: [{ dimension: 'SERVER_PORT' }] } },
  { name: 'protocol in', args: { range: H2, where: { protocol: { in: [17, 1] } }, groupBy: [{ dimension: 'PROTOCOL' }] } },
  { name: 'serverPort notIn', args: { range: H2, where: { serverPort: { notIn: [80, 443] } }, groupBy: [{ dimension: 'SERVER_PORT' }] } },
  { name: 'clientPort range gte and lte', args: { range: H2, where: { clientPort: { gte: 30010, lte: 30020 } }, groupBy: [{ dimension: 'CLIENT_PORT' }] } },
  // client_port: an InfluxDB field in new buckets (docs/influxdb.md "client_port: tag or field"), read only by the queries that name it
  { name: 'clientPort eq', args: { range: H2, where: { clientPort: { eq: 30007 } }, groupBy: [{ dimension: 'CLIENT_PORT' }] } },
  { name: 'clientPort in, with a label eq', args: { range: H2, where: { clientPort: { in: [30001, 30002, 39999] }, localLabels: [{ name: 'app', eq: 'web' }] }, groupBy: LABEL_PAIR } },
  { name: 'clientPort ne and a label ne keep records without the label', args: { range: H2, where: { clientPort: { ne: 30003 }, remoteLabels: [{ name: 'tier', ne: 'front' }] }, groupBy: [{ dimension: 'CLIENT_PORT' }, { remoteLabel: 'tier' }] } },
  { name: 'clientPort notIn, grouped by vmi with nulls', args: { range: H2, where: { clientPort: { notIn: [30000, 30001] } }, groupBy: [{ dimension: 'VMI' }] } },
  { name: 'clientPort in an or with a label exists false', args: { range: H2, where: { or: [{ clientPort: { lte: 30005 } }, { remoteLabels: [{ name: 'tier', exists: false }] }] }, groupBy: [{ dimension: 'SERVER_PORT' }] } },
  { name: 'not of a clientPort range, by sessions ascending', args: { range: H2, where: { not: { clientPort: { gte: 30020 } } }, groupBy: [{ dimension: 'CLIENT_PORT' }], orderBy: { metric: 'SESSIONS', direction: 'ASC' } } },
  { name: 'clientPort and a label pair grouped, first 5', args: { range: H2, groupBy: [{ dimension: 'CLIENT_PORT' }, { localLabel: 'app' }], first: 5, orderBy: { metric: 'FORWARD_SAMPLED_PKTS', direction: 'DESC' } } },
  { name: 'clientPort gte with a vn prefix, no grouping', args: { range: H2, where: { clientPort: { gte: 30030 }, vn: { prefix: 'default-domain' } } } },
  // every label operator
  { name: 'label eq', args: { range: H2, where: { localLabels: [{ name: 'app', eq: 'web' }] }, groupBy: [{ remoteLabel: 'app' }] } },
  { name: 'label ne matches records without the label', args: { range: H2, where: { localLabels: [{ name: 'app', ne: 'web' }] }, groupBy: [{ localLabel: 'app' }] } },
  { name: 'label in', args: { range: H2, where: { remoteLabels: [{ name: 'app', in: ['db', 'cache'] }] }, groupBy: [{ remoteLabel: 'app' }] } },
  { name: 'label notIn matches records without the label', args: { range: H2, where: { remoteLabels: [{ name: 'tier', notIn: ['front'] }] }, groupBy: [{ remoteLabel: 'tier' }] } },
  { name: 'label prefix', args: { range: H2, where: { localLabels: [{ name: 'namespace', prefix: 'sh' }] }, groupBy: [{ localLabel: 'namespace' }] } },
  { name: 'label regex', args: { range: H2, where: { remoteLabels: [{ name: 'app', regex: '^(db|api)$' }] }, groupBy: [{ remoteLabel: 'app' }] } },
  // RE2's \Q...\E quote: Flux checks regex literals with Rust's syntax, which has none, so the Flux compiler spells it out
  { name: 'label regex with a \\Q..\\E quote', args: { range: H2, where: { remoteLabels: [{ name: 'app', regex: '^\\Qdb\\E$|\\Qa.i' }] }, groupBy: [{ remoteLabel: 'app' }] } },
  { name: 'remoteIp regex with a \\Q..\\E quote and a quantifier after it', args: { range: H2, where: { remoteIp: { regex: '\\Q.\\E[1-3]+$' } }, groupBy: [{ dimension: 'REMOTE_IP' }] } },
  { name: 'label exists', args: { range: H2, where: { remoteLabels: [{ name: 'tier', exists: true }] } } },
  { name: 'label exists false', args: { range: H2, where: { remoteLabels: [{ name: 'tier', exists: false }] } } },
  { name: 'label never seen: exists false matches all', args: { range: H2, where: { localLabels: [{ name: 'never-seen', exists: false }] } } },
  { name: 'label never seen: eq matches none', args: { range: H2, where: { localLabels: [{ name: 'never-seen', eq: 'x' }] }, groupBy: [{ localLabel: 'never-seen' }] } },
  // nesting
  {
    name: 'or of and, with not',
    args: {
      range: H2,
      where: {
        or: [
          { and: [{ serverPort: { eq: 443 } }, { localLabels: [{ name: 'app', eq: 'web' }] }] },
          { not: { remoteLabels: [{ name: 'tier', exists: true }] }, protocol: { eq: 17 } },
        ],
      },
      groupBy: [{ dimension: 'SERVER_PORT' }, { dimension: 'PROTOCOL' }],
    },
  },
  { name: 'not of a label eq keeps records without the label', args: { range: H2, where: { not: { localLabels: [{ name: 'app', eq: 'web' }] } }, groupBy: [{ localLabel: 'app' }] } },
  { name: 'not not', args: { range: H2, where: { not: { not: { serverPort: { in: [80, 5432] } } } } } },
  // session type
  { name: 'sessionType SERVER', args: { range: H2, where: { sessionType: 'SERVER' }, groupBy: [{ dimension: 'VN' }] } },
  { name: 'sessionType named inside or: no default', args: { range: H2, where: { or: [{ sessionType: 'SERVER' }, { sessionType: 'CLIENT' }] } } },
  // ordering and paging
  { name: 'order by sessions ascending, ties by group', args: { range: H2, groupBy: [{ dimension: 'SERVER_PORT' }, { dimension: 'PROTOCOL' }], orderBy: { metric: 'SESSIONS', direction: 'ASC' } } },
  { name: 'order by reverse packets', args: { range: H2, groupBy: [{ dimension: 'LOCAL_IP' }], orderBy: { metric: 'REVERSE_SAMPLED_PKTS', direction: 'DESC' } } },
  { name: 'first 0 still counts', args: { range: H2, groupBy: LABEL_PAIR, first: 0 } },
  // hostile values
  ...HOSTILE_STRINGS.map((s, i) => ({
    name: `hostile label value #${i} in eq`,
    args: { range: H2, where: { localLabels: [{ name: 'app', eq: s }] }, groupBy: [{ localLabel: 'app' }] },
  })),
  { name: 'hostile strings in in/notIn/prefix', args: { range: H2, where: { vn: { notIn: [...HOSTILE_STRINGS] }, localLabels: [{ name: 'app', in: [...HOSTILE_STRINGS, 'web'] }] }, groupBy: [{ dimension: 'VN' }, { localLabel: 'app' }] } },
  { name: 'hostile vn prefix', args: { range: H2, where: { vn: { prefix: `it's` } }, groupBy: [{ dimension: 'VN' }] } },
  // regexes over values InfluxDB cannot store as themselves (a control character, a trailing backslash, the empty value):
  // the answer is for the value, not for its stored form (docs/influxdb.md "Tag values")
  { name: 'label regex matching control characters and a trailing backslash', args: { range: H2, where: { localLabels: [{ name: 'app', regex: '[\\n\\t]|\\\\$' }] }, groupBy: [{ localLabel: 'app' }] } },
  { name: 'label regex anchored over a value with control characters', args: { range: H2, where: { localLabels: [{ name: 'app', regex: '^tab\\tand\\rreturn$' }] }, groupBy: [{ localLabel: 'app' }] } },
  { name: 'not a label regex ending with a backslash', args: { range: H2, where: { not: { localLabels: [{ name: 'app', regex: '\\\\$' }] } }, groupBy: [{ localLabel: 'app' }] } },
  { name: 'vn regex over hostile vns', args: { range: H2, where: { vn: { regex: '\\n|\\\\$|^say' } }, groupBy: [{ dimension: 'VN' }] } },
  { name: 'label regex ^$ matches the empty value', args: { range: H2, where: { remoteLabels: [{ name: 'tier', regex: '^$' }] }, groupBy: [{ remoteLabel: 'tier' }] } },
  { name: 'label regex .+ does not match the empty value', args: { range: H2, where: { remoteLabels: [{ name: 'tier', regex: '.+' }] }, groupBy: [{ remoteLabel: 'tier' }] } },
  { name: 'not a label regex ^(front|)$, the empty value among its matches', args: { range: H2, where: { not: { remoteLabels: [{ name: 'tier', regex: '^(front|)$' }] } }, groupBy: [{ remoteLabel: 'tier' }] } },
  // tiers: data older than the raw retention lives only in the tiers
  // (its start is widened to a window of the tier widening it least; its end edge and what the tier has not folded in come from raw)
  { name: 'a 3 day range is served by the 5m tier', args: { range: { last: '3d' }, groupBy: LABEL_PAIR }, tier: TIERED },
  { name: 'a 30 day range is served by the 1h tier', args: { range: { last: '30d' }, groupBy: [{ dimension: 'SERVER_PORT' }] }, tier: 'raw+1h' },
  { name: 'tier with a filter', args: { range: { last: '3d' }, where: { remoteLabels: [{ name: 'tier', exists: false }], protocol: { eq: 6 } }, groupBy: [{ dimension: 'VN' }] }, tier: TIERED },
];

export const SERIES_CASES: readonly SeriesCase[] = [
  { name: 'series without grouping', args: { range: H2, every: '5m' } },
  { name: 'series per label pair, top 3', args: { range: H2, every: '10m', groupBy: LABEL_PAIR, limit: 3 } },
  { name: 'series of sessions per server port', args: { range: H2, every: '15m', groupBy: [{ dimension: 'SERVER_PORT' }], metric: 'SESSIONS' } },
  { name: 'series with a null group', args: { range: H2, every: '30m', groupBy: [{ remoteLabel: 'tier' }], metric: 'FORWARD_SAMPLED_BYTES' } },
  { name: 'series from the 5m tier', args: { range: { last: '3d' }, every: '1h', groupBy: [{ localLabel: 'app' }], limit: 4 }, tier: TIERED },
  { name: 'series of sessions per client port, top 3', args: { range: H2, every: '15m', groupBy: [{ dimension: 'CLIENT_PORT' }], metric: 'SESSIONS', limit: 3 } },
  { name: 'series with a clientPort filter', args: { range: H2, every: '30m', where: { clientPort: { in: [30004, 30005] } }, groupBy: [{ localLabel: 'app' }] } },
  { name: 'series every not a multiple of any tier window reads raw', args: { range: H2, every: '7m', groupBy: [{ localLabel: 'app' }] }, tier: 'raw' },
];

export const ERROR_CASES: readonly ErrorCase[] = [
  { name: 'client port is not kept by any tier', kind: 'traffic', args: { range: { last: '3d' }, groupBy: [{ dimension: 'CLIENT_PORT' }] }, code: 'BAD_USER_INPUT', message: 'client_port' },
  { name: 'series every finer than the tier window', kind: 'series', args: { range: { last: '3d' }, every: '1m' }, code: 'BAD_USER_INPUT', message: 'every' },
];
