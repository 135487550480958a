import type { GraphQLClient } from '../client.js';
import { toCsv } from '../csv.js';
import { download } from '../download.js';
import { RecordsDocument, type RecordFieldsFragment, type SessionFilter } from '../generated/graphql.js';
import { el, formatMetric, shown } from '../format.js';
import { keyTitle, whereOf } from '../keys.js';
import { rangeOf, type Pair, type State } from '../state.js';

const PAGE = 100;

/** The filter bar's conditions and the clicked pair's two values. */
export function pairWhere(state: State, pair: Pair): SessionFilter | null {
  return whereOf([...state.filters, { key: state.local, op: 'eq', value: pair.local }, { key: state.remote, op: 'eq', value: pair.remote }]);
}

export const RECORD_COLUMNS = ['time', 'vn', 'vmi', 'remote_vn', 'vrouter_ip', 'local_ip', 'client_port', 'remote_ip', 'server_port', 'protocol', 'session_type', 'total_bytes', 'local_labels', 'remote_labels'];

const labels = (ls: readonly { name: string; value: string }[]) => ls.map((l) => `${l.name}=${l.value}`).join(' ');

export function recordRow(r: RecordFieldsFragment): (string | number | null)[] {
  return [r.time, r.vn, r.vmi, r.remoteVn, r.vrouterIp, r.localIp, r.clientPort, r.remoteIp, r.serverPort, r.protocol, r.sessionType, r.traffic.totalBytes, labels(r.localLabels), labels(r.remoteLabels)];
}

export interface RecordsHandlers {
  showUve(uve: { type: string; name: string }): void;
  close(): void;
  /** The live mode (sessionTail): whether it is on, and how to switch it; absent: no live toggle. */
  live?: {
    readonly on: boolean;
    set(on: boolean): void;
    tail(where: SessionFilter | null, onRecord: (r: RecordFieldsFragment) => void, onError: (message: string) => void): () => void;
  };
}

/** Rows kept in the live mode; the oldest go first. */
const LIVE_ROWS = 1000;

/**
 * The raw records of a clicked pair (sessionRecords, newest first), a page
 * of 100 at a time; "more" follows the cursor. The loaded rows download as CSV.
 */
export class RecordsPanel {
  private rows: RecordFieldsFragment[] = [];
  private cursor: string | null = null;
  private body = el('tbody');
  private more = el('button', { 'data-testid': 'records-more' }, 'More');
  private status = el('span', { class: 'summary', 'data-testid': 'records-summary' });

  constructor(
    private readonly client: GraphQLClient,
    private readonly state: State,
    private readonly pair: Pair,
    private readonly box: HTMLElement,
    private readonly handlers: RecordsHandlers,
    private readonly signal: AbortSignal,
  ) {}

  get where(): SessionFilter | null {
    return pairWhere(this.state, this.pair);
  }

  async open(): Promise<void> {
    const csv = el('button', { 'data-testid': 'records-csv' }, 'CSV');
    csv.addEventListener('click', () => download('records.csv', toCsv(RECORD_COLUMNS, this.rows.map(recordRow))));
    const close = el('button', { class: 'close', title: 'Close' }, '×');
    close.addEventListener('click', () => this.handlers.close());
    this.more.addEventListener('click', () => void this.page().catch((e: unknown) => this.fail(e)));
    const head = el('tr');
    for (const h of ['time', 'VN', 'client', 'server', 'proto', 'type', 'bytes', 'client labels', 'server labels']) head.append(el('th', {}, h));
    this.box.replaceChildren(
      el(
        'div',
        { class: 'toolbar' },
        el('b', {}, `Records of ${keyTitle(this.state.local)} ${shown(this.pair.local)} → ${keyTitle(this.state.remote)} ${shown(this.pair.remote)}`),
        this.status,
        this.extraControls(),
        csv,
        close,
      ),
      el('div', { class: 'scroll' }, el('table', { class: 'grid records', 'data-testid': 'records-table' }, el('thead', {}, head), this.body)),
      this.more,
    );
    await this.page();
    this.startLive();
  }

  private liveStatus = el('span', { class: 'summary', 'data-testid': 'live-status' });

  /** The live toggle, when the gateway has the live views. */
  private extraControls(): Node {
    const live = this.handlers.live;
    if (live === undefined) return document.createTextNode('');
    const box = el('input', { type: 'checkbox', 'data-testid': 'live-toggle' });
    box.checked = live.on;
    box.addEventListener('change', () => live.set(box.checked));
    return el('label', { class: 'live', title: 'sessionTail: new records as they are stored' }, box, ' Live', this.liveStatus);
  }

  /** Live mode: sessionTail with the same filter; each stored record goes on top, until the panel changes. */
  private startLive(): void {
    const live = this.handlers.live;
    if (live === undefined || !live.on || this.signal.aborted) return;
    let received = 0;
    this.liveStatus.textContent = ' (connecting)';
    this.liveStatus.dataset.state = 'open';
    const stop = live.tail(
      this.where,
      (r) => {
        received++;
        this.append(r, true);
        while (this.rows.length > LIVE_ROWS) {
          this.rows.pop();
          this.body.lastElementChild?.remove();
        }
        this.liveStatus.textContent = ` ${received} new`;
        this.liveStatus.dataset.received = String(received);
        this.updateStatus();
      },
      (message) => {
        this.liveStatus.textContent = ` ${message}`;
        this.liveStatus.classList.add('error');
        this.liveStatus.dataset.state = 'error';
      },
    );
    this.liveStatus.textContent = ' (on)';
    this.signal.addEventListener('abort', stop, { once: true });
  }

  private async page(): Promise<void> {
    const data = await this.client.request(RecordsDocument, { range: rangeOf(this.state), where: this.where, first: PAGE, after: this.cursor }, this.signal);
    const conn = data.sessionRecords;
    for (const r of conn.nodes) this.append(r, false);
    this.cursor = conn.pageInfo.endCursor;
    this.more.hidden = !conn.pageInfo.hasNextPage;
    this.updateStatus();
  }

  private updateStatus(): void {
    this.status.textContent = `${this.rows.length} records${this.more.hidden ? '' : ' (more)'}`;
    this.status.dataset.count = String(this.rows.length);
  }

  /** Adds a record at the end (a page) or at the top (live). */
  private append(r: RecordFieldsFragment, top: boolean): void {
    const uveButton = (type: string, name: string) => {
      const b = el('button', { class: 'link uve', title: `UVE ${type}` }, name);
      b.addEventListener('click', () => this.handlers.showUve({ type, name }));
      return b;
    };
    const vnCell = el('td', {}, uveButton('virtual-network', r.vn));
    if (r.vmi !== null) vnCell.append(el('br'), uveButton('virtual-machine-interface', r.vmi));
    const tr = el(
      'tr',
      { 'data-bytes': String(r.traffic.totalBytes) },
      el('td', { class: 'time' }, r.time),
      vnCell,
      el('td', {}, `${r.localIp}:${r.clientPort}`),
      el('td', {}, `${r.remoteIp}:${r.serverPort}`),
      el('td', {}, String(r.protocol)),
      el('td', {}, r.sessionType),
      el('td', { class: 'num' }, formatMetric(r.traffic.totalBytes, 'TOTAL_BYTES')),
      el('td', { class: 'labels' }, labels(r.localLabels)),
      el('td', { class: 'labels' }, labels(r.remoteLabels)),
    );
    if (top) {
      this.rows.unshift(r);
      this.body.prepend(tr);
    } else {
      this.rows.push(r);
      this.body.append(tr);
    }
  }

  private fail(e: unknown): void {
    this.status.textContent = (e as Error).message;
    this.status.classList.add('error');
  }
}
