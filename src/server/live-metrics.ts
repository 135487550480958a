/**
 * The live views' series (docs/live.md "Metrics"), rendered into /metrics
 * by Metrics: open connections by transport, open subscriptions by kind,
 * records and answers sent by kind, closes by reason, shared tail reads.
 */
export class LiveMetrics {
  private readonly connections = new Map<string, number>([
    ['ws', 0],
    ['sse', 0],
  ]);
  private readonly subscriptions = new Map<string, number>([
    ['sessionTail', 0],
    ['sessionTrafficLive', 0],
  ]);
  private readonly sent = new Map<string, number>([
    ['sessionTail', 0],
    ['sessionTrafficLive', 0],
  ]);
  private readonly closes = new Map<string, number>();
  private tailReads = 0;
  private tailReadRecords = 0;
  private tailReadSeconds = 0;

  connectionOpened(transport: 'ws' | 'sse'): void {
    this.connections.set(transport, (this.connections.get(transport) ?? 0) + 1);
  }

  connectionClosed(transport: 'ws' | 'sse', reason: string): void {
    this.connections.set(transport, Math.max(0, (this.connections.get(transport) ?? 0) - 1));
    this.closes.set(reason, (this.closes.get(reason) ?? 0) + 1);
  }

  subscriptionStarted(kind: string): void {
    this.subscriptions.set(kind, (this.subscriptions.get(kind) ?? 0) + 1);
  }

  subscriptionEnded(kind: string): void {
    this.subscriptions.set(kind, Math.max(0, (this.subscriptions.get(kind) ?? 0) - 1));
  }

  countSent(kind: string, n = 1): void {
    this.sent.set(kind, (this.sent.get(kind) ?? 0) + n);
  }

  observeTailRead(records: number, ms: number): void {
    this.tailReads++;
    this.tailReadRecords += records;
    this.tailReadSeconds += ms / 1000;
  }

  /** Open subscriptions of a kind (tests). */
  open(kind: string): number {
    return this.subscriptions.get(kind) ?? 0;
  }

  render(): string[] {
    const lines: string[] = [];
    lines.push('# HELP sag_live_connections Open subscription connections by transport.', '# TYPE sag_live_connections gauge');
    for (const [k, v] of this.connections) lines.push(`sag_live_connections{transport="${k}"} ${v}`);
    lines.push('# HELP sag_live_subscriptions Open subscriptions by root field.', '# TYPE sag_live_subscriptions gauge');
    for (const [k, v] of this.subscriptions) lines.push(`sag_live_subscriptions{kind="${k}"} ${v}`);
    lines.push('# HELP sag_live_messages_sent_total Records (sessionTail) and answers (sessionTrafficLive) sent.', '# TYPE sag_live_messages_sent_total counter');
    for (const [k, v] of this.sent) lines.push(`sag_live_messages_sent_total{kind="${k}"} ${v}`);
    lines.push('# HELP sag_live_closes_total Subscription connections closed, by reason.', '# TYPE sag_live_closes_total counter');
    for (const [k, v] of this.closes) lines.push(`sag_live_closes_total{reason="${k}"} ${v}`);
    lines.push(
      '# HELP sag_live_tail_reads_total Shared tail reads of the store.',
      '# TYPE sag_live_tail_reads_total counter',
      `sag_live_tail_reads_total ${this.tailReads}`,
      '# HELP sag_live_tail_read_records_total Records the shared tail reads brought.',
      '# TYPE sag_live_tail_read_records_total counter',
      `sag_live_tail_read_records_total ${this.tailReadRecords}`,
      '# HELP sag_live_tail_read_seconds_total Time spent in shared tail reads.',
      '# TYPE sag_live_tail_read_seconds_total counter',
      `sag_live_tail_read_seconds_total ${this.tailReadSeconds}`,
    );
    return lines;
  }
}

/** The reason label of a close code (docs/live.md "Close codes"). */
export function closeReason(code: number): string {
  switch (code) {
    case 1000:
      return 'normal';
    case 1001:
      return 'going_away';
    case 1005:
    case 1006:
      return 'dropped';
    case 4400:
      return 'bad_request';
    case 4401:
      return 'unauthorized';
    case 4403:
      return 'forbidden';
    case 4408:
      return 'init_timeout';
    case 4409:
      return 'duplicate_id';
    case 4429:
      return 'too_many_inits';
    case SLOW_CONSUMER:
      return 'slow_consumer';
    case 4500:
      return 'internal';
    default:
      return `code_${code}`;
  }
}

/** The close code of a connection whose client does not read what it asked for (LIVE_MAX_BUFFERED_MESSAGES). */
export const SLOW_CONSUMER = 4421;
/** The close code of graceful shutdown. */
export const GOING_AWAY = 1001;
