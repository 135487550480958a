import type { SessionRecord } from '../../src/model/index.js';

/** A stored-form (validated, client-oriented) record with plain defaults. */
export function sessionRecord(over: Partial<SessionRecord> = {}): SessionRecord {
  return {
    time: 0n,
    vn: 'vn-a',
    vmi: null,
    remoteVn: 'vn-b',
    vrouterIp: '192.168.0.1',
    localIp: '10.0.0.1',
    clientPort: 40000,
    remoteIp: '10.0.0.2',
    serverPort: 443,
    protocol: 6,
    sessionType: 'client',
    localLabels: {},
    remoteLabels: {},
    forwardSampledBytes: 1n,
    forwardSampledPkts: 1n,
    reverseSampledBytes: 1n,
    reverseSampledPkts: 1n,
    totalBytes: 2n,
    ...over,
  };
}
