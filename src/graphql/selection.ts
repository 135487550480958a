import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { ALL_METRICS, type Metric } from '../model/index.js';

const FIELD_METRIC: Record<string, Metric> = {
  forwardSampledBytes: 'FORWARD_SAMPLED_BYTES',
  forwardSampledPkts: 'FORWARD_SAMPLED_PKTS',
  reverseSampledBytes: 'REVERSE_SAMPLED_BYTES',
  reverseSampledPkts: 'REVERSE_SAMPLED_PKTS',
  totalBytes: 'TOTAL_BYTES',
  sessions: 'SESSIONS',
};

/**
 * The Traffic fields a `sessionTraffic` selection reads, under
 * `nodes.traffic`, `nodes.previous`, `total` and `previousTotal`, through
 * fragments too. Falls back to all of
 * them on anything it does not follow (a directive, say), never to fewer.
 */
export function requestedTraffic(info: GraphQLResolveInfo): Metric[] {
  const found = new Set<Metric>();
  const trafficSets: SelectionSetNode[] = [];
  let exact = true;

  const fields = (set: SelectionSetNode | undefined, out: FieldNode[] = []): FieldNode[] => {
    for (const sel of set?.selections ?? []) {
      if ((sel.directives?.length ?? 0) > 0) exact = false;
      if (sel.kind === Kind.FIELD) out.push(sel);
      else if (sel.kind === Kind.INLINE_FRAGMENT) fields(sel.selectionSet, out);
      else {
        const frag = info.fragments[sel.name.value];
        if (frag === undefined) exact = false;
        else fields(frag.selectionSet, out);
      }
    }
    return out;
  };

  for (const root of info.fieldNodes) {
    for (const f of fields(root.selectionSet)) {
      if ((f.name.value === 'total' || f.name.value === 'previousTotal') && f.selectionSet) trafficSets.push(f.selectionSet);
      if (f.name.value === 'nodes') {
        for (const n of fields(f.selectionSet)) {
          if ((n.name.value === 'traffic' || n.name.value === 'previous') && n.selectionSet) trafficSets.push(n.selectionSet);
        }
      }
    }
  }
  for (const set of trafficSets) {
    for (const f of fields(set)) {
      const m = FIELD_METRIC[f.name.value];
      if (m !== undefined) found.add(m);
    }
  }
  return exact ? [...found] : [...ALL_METRICS];
}
