import { decodeRecords, selectRecords, type FieldNaming, type RecordBatch, type SessionRecord } from '../model/index.js';
import type { DeadLetter } from './dead-letter.js';
import type { LabelRefusal } from './label-names.js';
import type { IngestError } from './types.js';

/** What a request's records came to once the label bound refused some valid ones. */
export interface Refused {
  /** The records still to store. */
  readonly batch: RecordBatch;
  /** Every error of the request, the refusals merged in request order. */
  readonly errors: IngestError[];
  /** The refused records as dead letters. */
  readonly rejects: DeadLetter[];
}

/**
 * Takes the refused records out of `batch` and reports each as a rejected
 * record of the request: its error names the label field and the bound,
 * and its dead letter holds the record in the form the request used
 * (`naming`), as sent (a server-side report turned back), so that a replay
 * stores it once the bound is raised. A record's position in the request is
 * found from the errors: the valid records are, in order, the positions
 * that have none.
 */
export function refuseRecords(
  batch: RecordBatch,
  refusals: readonly LabelRefusal[],
  errors: readonly IngestError[],
  naming: FieldNaming,
  source: string,
  bound: number,
): Refused {
  const keep = new Uint8Array(batch.length).fill(1);
  for (const r of refusals) keep[r.record] = 0;
  const refusedBatch = selectRecords(batch, keep.map((k) => 1 - k));
  const records = decodeRecords(refusedBatch);
  const positions = validPositions(errors, refusals.map((r) => r.record));
  const added: IngestError[] = [];
  const rejects: DeadLetter[] = [];
  refusals.forEach((r, i) => {
    const record = records[i]!;
    const server = record.sessionType === 'server';
    // The side as the sender named it: a server-side report was turned around.
    const sent = server ? (r.side === 'local' ? 'remote' : 'local') : r.side;
    const field = naming === 'snake' ? `labels.${sent}.${r.name}` : `${sent}Labels.${r.name}`;
    const message = `${field}: a new label name, and the store already keeps ${bound} ${r.side} label names (INGEST_MAX_LABEL_NAMES); use a name it has or raise the bound, then replay this record`;
    added.push({ index: positions[i]!, message });
    rejects.push({ source, index: positions[i]!, reason: message, raw: asSent(record, naming) });
  });
  const merged = [...errors, ...added].sort((a, b) => a.index - b.index);
  return { batch: selectRecords(batch, keep), errors: merged, rejects };
}

/** The request positions of the valid records at `records` (ascending batch positions), given the request's errors. */
function validPositions(errors: readonly IngestError[], records: readonly number[]): number[] {
  const rejected = new Set(errors.map((e) => e.index));
  const out: number[] = [];
  let position = -1;
  let valid = -1;
  for (const want of records) {
    while (valid < want) {
      position++;
      if (!rejected.has(position)) valid++;
    }
    out.push(position);
  }
  return out;
}

/** A stored record as its sender wrote it, in the request's field naming; 64-bit values as decimal strings. */
function asSent(r: SessionRecord, naming: FieldNaming): Record<string, unknown> {
  const server = r.sessionType === 'server';
  const [vn, remoteVn] = server ? [r.remoteVn, r.vn] : [r.vn, r.remoteVn];
  const [localIp, remoteIp] = server ? [r.remoteIp, r.localIp] : [r.localIp, r.remoteIp];
  const [local, remote] = server ? [r.remoteLabels, r.localLabels] : [r.localLabels, r.remoteLabels];
  const counters = {
    forwardSampledBytes: String(r.forwardSampledBytes),
    forwardSampledPkts: String(r.forwardSampledPkts),
    reverseSampledBytes: String(r.reverseSampledBytes),
    reverseSampledPkts: String(r.reverseSampledPkts),
    totalBytes: String(r.totalBytes),
  };
  if (naming === 'camel') {
    return {
      time: String(r.time),
      vn,
      ...(r.vmi === null ? {} : { vmi: r.vmi }),
      remoteVn,
      vrouterIp: r.vrouterIp,
      localIp,
      clientPort: r.clientPort,
      remoteIp,
      serverPort: r.serverPort,
      protocol: r.protocol,
      sessionType: r.sessionType,
      localLabels: { ...local },
      remoteLabels: { ...remote },
      ...counters,
    };
  }
  return {
    time: String(r.time),
    vn,
    ...(r.vmi === null ? {} : { vmi: r.vmi }),
    remote_vn: remoteVn,
    vrouter_ip: r.vrouterIp,
    local_ip: localIp,
    client_port: r.clientPort,
    remote_ip: remoteIp,
    server_port: r.serverPort,
    protocol: r.protocol,
    session_type: r.sessionType,
    labels: { local: { ...local }, remote: { ...remote } },
    forward_sampled_bytes: counters.forwardSampledBytes,
    forward_sampled_pkts: counters.forwardSampledPkts,
    reverse_sampled_bytes: counters.reverseSampledBytes,
    reverse_sampled_pkts: counters.reverseSampledPkts,
    total_bytes: counters.totalBytes,
  };
}
