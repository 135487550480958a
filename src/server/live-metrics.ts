import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * The live views' series (docs/live.md "Metrics") in the gateway's
 * prom-client registry: open connections by transport, open subscriptions
 * by kind, records and answers sent by kind, closes by reason, shared tail
 * reads.
 */
export class LiveMetrics {
  private readonly connections: Gauge<'transport'>;
  private readonly subscriptions: Gauge<'kind'>;
  private readonly sent: Counter<'kind'>;
  private readonly closes: Counter<'reason'>;
  private readonly tailReads: Counter;
  private readonly tailReadRecords: Counter;
  private readonly tailReadSeconds: Counter;
  private readonly openByKind = new Map<string, number>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.connections = new Gauge({ name: 'sag_live_connections', help: 'Open subscription connections by transport.', labelNames: ['transport'], registers });
    this.subscriptions = new Gauge({ name: 'sag_live_subscriptions', help: 'Open subscriptions by root field.', labelNames: ['kind'], registers });
    this.sent = new Counter({
      name: 'sag_live_messages_sent_total',
      help: 'Records (sessionTail) and answers (sessionTrafficLive) sent.',
      labelNames: ['kind'],
      registers,
    });
    this.closes = new Counter({ name: 'sag_live_closes_total', help: 'Subscription connections closed, by reason.', labelNames: ['reason'], registers });
    this.tailReads = new Counter({ name: 'sag_live_tail_reads_total', help: 'Shared tail reads of the store.', registers });
    this.tailReadRecords = new Counter({ name: 'sag_live_tail_read_records_total', help: 'Records the shared tail reads brought.', registers });
    this.tailReadSeconds = new Counter({ name: 'sag_live_tail_read_seconds_total', help: 'Time spent in shared tail reads.', registers });
    // Present from the start, so that a rate over them is 0 rather than absent.
    for (const transport of ['ws', 'sse']) this.connections.labels({ transport }).set(0);
    for (const kind of ['sessionTail', 'sessionTrafficLive']) {
      this.subscriptions.labels({ kind }).set(0);
      this.sent.labels({ kind }).inc(0);
    }
    this.tailReads.inc(0);
    this.tailReadRecords.inc(0);
    this.tailReadSeconds.inc(0);
  }

  connectionOpened(transport: 'ws' | 'sse'): void {
    this.connections.labels({ transport }).inc();
  }

  connectionClosed(transport: 'ws' | 'sse', reason: string): void {
    this.connections.labels({ transport }).dec();
    this.closes.labels({ reason }).inc();
  }

  subscriptionStarted(kind: string): void {
    this.openByKind.set(kind, this.open(kind) + 1);
    this.subscriptions.labels({ kind }).inc();
  }

  subscriptionEnded(kind: string): void {
    this.openByKind.set(kind, Math.max(0, this.open(kind) - 1));
    this.subscriptions.labels({ kind }).set(this.open(kind));
  }

  countSent(kind: string, n = 1): void {
    this.sent.labels({ kind }).inc(n);
  }

  observeTailRead(records: number, ms: number): void {
    this.tailReads.inc();
    this.tailReadRecords.inc(records);
    this.tailReadSeconds.inc(ms / 1000);
  }

  /** Open subscriptions of a kind (tests). */
  open(kind: string): number {
    return this.openByKind.get(kind) ?? 0;
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
