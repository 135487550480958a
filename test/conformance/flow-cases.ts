import type { LabelNamesArgs, SeriesArgs, TrafficArgs, ValuesArgs } from '../../src/model/index.js';
import { HOSTILE_STRINGS } from '../support/hostile.js';

/**
 * The flow-view conformance table (ARCHITECTURE §10): comparisons, the
 * "other" series, filter hints. As in cases.ts, a case is the arguments of
 * one query; the expected answer comes from the reference evaluator.
 */
export interface FlowCase<A> {
  readonly name: string;
  readonly args: A;
}

const H1 = { last: '1h' };
const H2 = { last: '2h' };
const LABEL_PAIR = [{ localLabel: 'app' }, { remoteLabel: 'app' }];

export const COMPARE_CASES: readonly FlowCase<TrafficArgs>[] = [
  { name: 'no grouping: one group, now and an hour before', args: { range: H1, compareTo: '1h' } },
  { name: 'label pairs by value', args: { range: H1, compareTo: '1h', groupBy: LABEL_PAIR } },
  { name: 'label pairs by change, most grown first', args: { range: H1, compareTo: '1h', groupBy: LABEL_PAIR, orderBy: { ranking: 'CHANGE' } } },
  { name: 'by change ascending: most shrunk first', args: { range: H1, compareTo: '1h', groupBy: LABEL_PAIR, orderBy: { ranking: 'CHANGE', direction: 'ASC' } } },
  {
    name: 'by absolute change of sessions',
    args: { range: H1, compareTo: '1h', groupBy: [{ dimension: 'SERVER_PORT' }, { dimension: 'PROTOCOL' }], orderBy: { metric: 'SESSIONS', ranking: 'ABSOLUTE_CHANGE' } },
  },
  // Fine keys over short spans: many groups exist in one span only (vanished and new ones).
  { name: 'vanished and new groups are both listed', args: { range: { last: '20m' }, compareTo: '20m', groupBy: [{ dimension: 'LOCAL_IP' }, { dimension: 'REMOTE_IP' }] } },
  { name: 'null groups meet their counterpart', args: { range: H1, compareTo: '1h', groupBy: [{ remoteLabel: 'tier' }], orderBy: { ranking: 'CHANGE' } } },
  { name: 'with a filter, first 5', args: { range: H1, compareTo: '30m', where: { serverPort: { in: [443, 8443] } }, groupBy: [{ dimension: 'VN' }], first: 5 } },
  { name: 'by client port, with a clientPort filter', args: { range: H1, compareTo: '30m', where: { clientPort: { gte: 30020 } }, groupBy: [{ dimension: 'CLIENT_PORT' }] } },
  // The compared span lies before the raw retention: it is served by the 5m tier.
  { name: 'compared with a day ago, from the tier', args: { range: H2, compareTo: '1d', groupBy: [{ localLabel: 'app' }], orderBy: { ranking: 'CHANGE' } } },
  { name: 'first 0 still counts the union', args: { range: H1, compareTo: '1h', groupBy: LABEL_PAIR, first: 0 } },
];

export const OTHER_SERIES_CASES: readonly FlowCase<SeriesArgs>[] = [
  { name: 'top 2 label pairs and the rest', args: { range: H2, every: '10m', groupBy: LABEL_PAIR, limit: 2, other: true } },
  { name: 'other with a null group', args: { range: H2, every: '30m', groupBy: [{ remoteLabel: 'tier' }], limit: 1, other: true } },
  { name: 'top 3 client ports and the rest', args: { range: H2, every: '15m', groupBy: [{ dimension: 'CLIENT_PORT' }], limit: 3, other: true } },
  { name: 'no group past the limit: no other series', args: { range: H2, every: '15m', groupBy: [{ dimension: 'PROTOCOL' }], limit: 10, other: true } },
  { name: 'other from the tier', args: { range: { last: '3d' }, every: '1h', groupBy: [{ dimension: 'SERVER_PORT' }], limit: 2, other: true, metric: 'SESSIONS' } },
];

export const VALUES_CASES: readonly FlowCase<ValuesArgs>[] = [
  { name: 'vn values by sessions', args: { range: H2, key: { dimension: 'VN' } } },
  { name: 'app label values, null for records without it', args: { range: H2, key: { localLabel: 'app' }, metric: 'TOTAL_BYTES' } },
  { name: 'server ports by prefix of their decimal text', args: { range: H2, key: { dimension: 'SERVER_PORT' }, prefix: '8' } },
  { name: 'protocols', args: { range: H2, key: { dimension: 'PROTOCOL' } } },
  { name: 'client ports', args: { range: H2, key: { dimension: 'CLIENT_PORT' }, metric: 'TOTAL_BYTES' } },
  { name: 'client ports by prefix of their decimal text', args: { range: H2, key: { dimension: 'CLIENT_PORT' }, prefix: '3001' } },
  { name: 'label values with a clientPort filter', args: { range: H2, key: { localLabel: 'app' }, where: { clientPort: { lte: 30010 } } } },
  { name: 'label values in one namespace', args: { range: H2, key: { remoteLabel: 'app' }, where: { localLabels: [{ name: 'namespace', eq: 'shop' }] }, first: 3 } },
  { name: 'a label never seen: all records under null', args: { range: H2, key: { localLabel: 'never-seen' } } },
  { name: 'a prefix excludes the null value', args: { range: H2, key: { remoteLabel: 'tier' }, prefix: 'f' } },
  { name: 'from the tier', args: { range: { last: '3d' }, key: { dimension: 'VN' }, metric: 'TOTAL_BYTES' } },
  ...HOSTILE_STRINGS.map((s, i) => ({ name: `hostile prefix #${i}`, args: { range: H2, key: { localLabel: 'app' }, prefix: s } })),
  { name: 'hostile vn prefix', args: { range: H2, key: { dimension: 'VN' }, prefix: `it's` } },
];

export const LABEL_NAME_CASES: readonly FlowCase<LabelNamesArgs>[] = [
  { name: 'client label names', args: { range: H2, side: 'LOCAL' } },
  { name: 'server label names', args: { range: H2, side: 'REMOTE' } },
  { name: 'with a prefix', args: { range: H2, side: 'LOCAL', prefix: 'app' } },
  { name: 'with a filter', args: { range: H2, side: 'REMOTE', where: { serverPort: { eq: 443 } } } },
  { name: 'with a clientPort filter', args: { range: H2, side: 'LOCAL', where: { clientPort: { in: [30001, 30011, 30021] } } } },
  { name: 'first 1', args: { range: H2, side: 'LOCAL', first: 1 } },
  { name: 'from the tier', args: { range: { last: '3d' }, side: 'REMOTE' } },
  { name: 'a prefix no name has', args: { range: H2, side: 'LOCAL', prefix: `it's "%_*` } },
];
