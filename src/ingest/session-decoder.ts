import { bareObject, type RecordCandidate, type SessionType } from '../model/index.js';
import type { IncomingRecord } from './types.js';

/**
 * Decoders from the agents' JSON to record candidates (ARCHITECTURE §2, §3).
 * They only reshape: every value goes to validateSessionRecord as received,
 * in the reporting vRouter's orientation, and the one validation checks it
 * and turns server-side reports around.
 */

type Json = Record<string, unknown>;

/**
 * Expands one top-level JSON value into records: a flat record is one; a
 * SessionEndpoint (an object with `sess_agg_info`) is one per sessionMap
 * entry; `{"session_data": [...]}` is every SessionEndpoint in the list.
 * `where` says where the value is in the request, for messages.
 */
export function expandSessionItem(value: unknown, where: string, out: IncomingRecord[]): void {
  if (!isObject(value)) {
    out.push(bad(where, 'expected a JSON object: a session record or a SessionEndpoint message', value));
    return;
  }
  if (value['session_data'] !== undefined) {
    const list = value['session_data'];
    if (!Array.isArray(list)) {
      out.push(bad(where, 'session_data: must be a list of SessionEndpoint messages', value));
      return;
    }
    list.forEach((m: unknown, i) => expandSessionEndpoint(m, join(where, `session_data[${i}]`), out));
  } else if (value['sess_agg_info'] !== undefined) {
    expandSessionEndpoint(value, where, out);
  } else {
    out.push(flatRecord(value, where));
  }
}

/**
 * A flat record: the snake_case columns of ARCHITECTURE §1, labels nested
 * (`"labels": {"local": {...}, "remote": {...}}`) or as `label.local.NAME`
 * keys, or both when no name is given twice. Other keys are ignored (fluentd
 * may add its own).
 */
export function flatRecord(o: Json, where: string): IncomingRecord {
  let localLabels: unknown;
  let remoteLabels: unknown;
  const labels = o['labels'];
  if (labels !== undefined && labels !== null) {
    if (!isObject(labels)) return bad(where, 'labels: must be {"local": {...}, "remote": {...}}', o);
    for (const side in labels) {
      if (side !== 'local' && side !== 'remote') {
        return bad(where, `labels.${side.slice(0, 64)}: unknown side; labels are "local" (client) or "remote" (server)`, o);
      }
    }
    localLabels = labels['local'];
    remoteLabels = labels['remote'];
  }
  let flat: { local: Json; remote: Json } | undefined;
  for (const key in o) {
    if (key.charCodeAt(0) !== 0x6c /* l */ || !key.startsWith('label.')) continue;
    const side = key.startsWith('label.local.') ? 'local' : key.startsWith('label.remote.') ? 'remote' : undefined;
    if (side === undefined) {
      return bad(where, `${JSON.stringify(key.slice(0, 64))}: a label key is label.local.NAME or label.remote.NAME`, o);
    }
    flat ??= { local: bareObject(), remote: bareObject() };
    flat[side][key.slice(side === 'local' ? 12 : 13)] = o[key];
  }
  if (flat !== undefined) {
    const local = merge(localLabels, flat.local, 'local');
    if (typeof local === 'string') return bad(where, local, o);
    const remote = merge(remoteLabels, flat.remote, 'remote');
    if (typeof remote === 'string') return bad(where, remote, o);
    localLabels = local;
    remoteLabels = remote;
  }
  const candidate: RecordCandidate = {
    time: o['time'],
    vn: o['vn'],
    vmi: o['vmi'],
    remoteVn: o['remote_vn'],
    vrouterIp: o['vrouter_ip'],
    localIp: o['local_ip'],
    clientPort: o['client_port'],
    remoteIp: o['remote_ip'],
    serverPort: o['server_port'],
    protocol: o['protocol'],
    sessionType: o['session_type'],
    localLabels,
    remoteLabels,
    forwardSampledBytes: o['forward_sampled_bytes'],
    forwardSampledPkts: o['forward_sampled_pkts'],
    reverseSampledBytes: o['reverse_sampled_bytes'],
    reverseSampledPkts: o['reverse_sampled_pkts'],
    totalBytes: o['total_bytes'],
  };
  return where === '' ? { candidate, raw: o } : { candidate, raw: o, context: where };
}

/** Nested labels plus `label.<side>.NAME` keys; a message when a name is in both. */
function merge(nested: unknown, flat: Json, side: 'local' | 'remote'): unknown {
  if (nested === undefined || nested === null) return flat;
  if (!isObject(nested)) return `labels.${side}: must be an object of label name to value`;
  const out: Json = bareObject();
  for (const k in nested) out[k] = nested[k];
  for (const k in flat) {
    if (k in out) return `label ${JSON.stringify(k.slice(0, 64))} is given twice: in labels.${side} and as label.${side}.${k.slice(0, 64)}`;
    out[k] = flat[k];
  }
  return out;
}

/**
 * One SessionEndpoint message (ARCHITECTURE §3): one record per sessionMap
 * entry, in the reporter's orientation: local_ip is the aggregate key's
 * local_ip, remote_ip the sessionMap key's ip, client_port that key's port,
 * server_port the aggregate's service_port, session_type from
 * is_client_session. A record's `raw` is the message cut down to that one
 * session, so replaying it from the dead-letter log yields the same record.
 */
export function expandSessionEndpoint(m: unknown, where: string, out: IncomingRecord[]): void {
  if (!isObject(m)) {
    out.push(bad(where, 'expected a SessionEndpoint object', m));
    return;
  }
  const aggs = m['sess_agg_info'];
  if (!Array.isArray(aggs)) {
    out.push(bad(where, 'sess_agg_info: must be a list of {"key": {...}, "value": {...}} pairs', m));
    return;
  }
  const sessionType = isClientSession(m['is_client_session']);
  const localLabels = agentLabels(m['labels'], 'labels');
  const remoteLabels = agentLabels(m['remote_labels'], 'remote_labels');
  // A problem of the message as a whole is reported on each of its sessions.
  const messageProblem =
    sessionType === undefined
      ? m['is_client_session'] === undefined || m['is_client_session'] === null
        ? 'is_client_session: is required (1 client, 0 server)'
        : 'is_client_session: must be 1 (client) or 0 (server)'
      : typeof localLabels === 'string'
        ? localLabels
        : typeof remoteLabels === 'string'
          ? remoteLabels
          : undefined;
  const { sess_agg_info: _all, ...header } = m;
  aggs.forEach((agg: unknown, ai) => {
    const aggWhere = join(where, `sess_agg_info[${ai}]`);
    const rawAgg = (value: unknown) => ({ ...header, sess_agg_info: [value] });
    if (!isObject(agg) || !isObject(agg['key']) || !isObject(agg['value'])) {
      out.push(bad(aggWhere, 'must be {"key": {local_ip, service_port, protocol}, "value": SessionAggInfo}', rawAgg(agg)));
      return;
    }
    const key = agg['key'];
    const { sessionMap, ...aggInfo } = agg['value'];
    if (!Array.isArray(sessionMap)) {
      out.push(bad(aggWhere, 'value.sessionMap: must be a list of {"key": {ip, port}, "value": SessionInfo} pairs', rawAgg(agg)));
      return;
    }
    sessionMap.forEach((s: unknown, si) => {
      const context = join(aggWhere, `sessionMap[${si}]`);
      const raw = rawAgg({ key, value: { ...aggInfo, sessionMap: [s] } });
      const problem =
        !isObject(s) || !isObject(s['key']) || !isObject(s['value'])
          ? 'must be {"key": {ip, port}, "value": SessionInfo}'
          : (messageProblem ?? flowProblem(s['value']));
      if (problem !== undefined) {
        out.push(bad(context, problem, raw));
        return;
      }
      const sk = (s as Json)['key'] as Json;
      const fwd = ((s as Json)['value'] as Json)['forward_flow_info'] as Json;
      const rev = ((s as Json)['value'] as Json)['reverse_flow_info'] as Json;
      const candidate: RecordCandidate = {
        time: m['time'],
        vn: m['vn'],
        vmi: m['vmi'],
        remoteVn: m['remote_vn'],
        vrouterIp: m['vrouter_ip'],
        localIp: key['local_ip'],
        clientPort: sk['port'],
        remoteIp: sk['ip'],
        serverPort: key['service_port'],
        protocol: key['protocol'],
        sessionType,
        localLabels,
        remoteLabels,
        forwardSampledBytes: fwd['sampled_bytes'],
        forwardSampledPkts: fwd['sampled_pkts'],
        reverseSampledBytes: rev['sampled_bytes'],
        reverseSampledPkts: rev['sampled_pkts'],
      };
      out.push({ candidate, raw, context });
    });
  });
}

/** `client` for 1 (or true), `server` for 0 (or false), undefined for anything else. */
export function isClientSession(v: unknown): SessionType | undefined {
  if (v === 1 || v === true) return 'client';
  if (v === 0 || v === false) return 'server';
  return undefined;
}

/** Sandesh label sets: `name=value` strings (no `=`: an empty value), as {name, value} pairs. */
export function agentLabels(v: unknown, field: string): { name: string; value: string }[] | string {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return `${field}: must be a list of "name=value" strings`;
  const out: { name: string; value: string }[] = [];
  for (let i = 0; i < v.length; i++) {
    const s: unknown = v[i];
    if (typeof s !== 'string') return `${field}[${i}]: must be a "name=value" string`;
    const eq = s.indexOf('=');
    out.push(eq < 0 ? { name: s, value: '' } : { name: s.slice(0, eq), value: s.slice(eq + 1) });
  }
  return out;
}

function flowProblem(info: Json): string | undefined {
  for (const flow of ['forward_flow_info', 'reverse_flow_info']) {
    const f = info[flow];
    if (!isObject(f)) return `value.${flow}: is required, an object with sampled_bytes and sampled_pkts`;
    for (const c of ['sampled_bytes', 'sampled_pkts']) {
      if (f[c] === undefined || f[c] === null) return `value.${flow}.${c}: is required`;
    }
  }
  return undefined;
}

function bad(where: string, error: string, raw: unknown): IncomingRecord {
  return where === '' ? { candidate: {}, raw, error } : { candidate: {}, raw, error, context: where };
}

export function join(where: string, path: string): string {
  return where === '' ? path : `${where}, ${path}`;
}

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
