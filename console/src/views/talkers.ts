import { toCsv } from '../csv.js';
import { download } from '../download.js';
import { TalkersDocument, type GroupFieldsFragment } from '../generated/graphql.js';
import { el, formatChange, formatMetric, shown } from '../format.js';
import { groupKey, keyTitle } from '../keys.js';
import { rangeOf, type Ranking } from '../state.js';
import { metricOf, type ViewContext } from './context.js';

/**
 * The top talkers: pairs with the compared period (compareTo) and the
 * change, ranked by the server (TrafficOrder.ranking), so that "sorted by
 * change" is the top N by change over every pair, not a reorder of one page.
 */
export async function talkersView(ctx: ViewContext, box: HTMLElement): Promise<void> {
  const { state } = ctx;
  const data = await ctx.client.request(
    TalkersDocument,
    {
      range: rangeOf(state),
      where: ctx.where,
      groupBy: [groupKey(state.local), groupKey(state.remote)],
      first: state.top,
      orderBy: { metric: state.metric, direction: state.direction, ranking: state.ranking },
      compareTo: state.compareTo,
    },
    ctx.signal,
  );
  const conn = data.sessionTraffic;
  const rows = conn.nodes.map((n) => {
    const now = metricOf(n.traffic, state.metric);
    const before = n.previous === null ? 0 : metricOf(n.previous, state.metric);
    return { local: n.group[0]!, remote: n.group[1]!, now, before, change: now - before };
  });

  const sortButton = (label: string, ranking: Ranking) => {
    const active = state.ranking === ranking;
    const b = el('button', { class: `sort${active ? ' active' : ''}`, 'data-sort': ranking }, `${label}${active ? (state.direction === 'DESC' ? ' ▼' : ' ▲') : ''}`);
    b.addEventListener('click', () => ctx.setState({ ranking, direction: active && state.direction === 'DESC' ? 'ASC' : 'DESC' }));
    return b;
  };
  const cell = (g: GroupFieldsFragment) => {
    const td = el('td', {}, shown(g.value));
    if (g.uve !== null) {
      const b = el('button', { class: 'link uve', title: `UVE ${g.uve.type}` }, shown(g.value));
      const uve = g.uve;
      b.addEventListener('click', (e) => {
        e.stopPropagation();
        ctx.showUve(uve);
      });
      td.replaceChildren(b);
    }
    return td;
  };
  const table = el(
    'table',
    { class: 'grid', 'data-testid': 'talkers-table' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', {}, keyTitle(state.local)),
        el('th', {}, keyTitle(state.remote)),
        el('th', { class: 'num' }, sortButton('Now', 'VALUE')),
        el('th', { class: 'num' }, `${state.compareTo} before`),
        el('th', { class: 'num' }, sortButton('Change', 'CHANGE')),
        el('th', { class: 'num' }, sortButton('|Change|', 'ABSOLUTE_CHANGE')),
      ),
    ),
  );
  const body = el('tbody');
  for (const r of rows) {
    const tr = el(
      'tr',
      { class: 'clickable', 'data-local': shown(r.local.value), 'data-remote': shown(r.remote.value), 'data-now': String(r.now), 'data-before': String(r.before), 'data-change': String(r.change) },
      cell(r.local),
      cell(r.remote),
      el('td', { class: 'num' }, formatMetric(r.now, state.metric)),
      el('td', { class: 'num' }, formatMetric(r.before, state.metric)),
      el('td', { class: `num ${r.change >= 0 ? 'up' : 'down'}` }, `${r.change >= 0 ? '+' : ''}${formatMetric(r.change, state.metric)}`),
      el('td', { class: 'num' }, formatChange(r.now, r.before)),
    );
    tr.addEventListener('click', () => ctx.selectPair({ local: r.local.value, remote: r.remote.value }));
    body.append(tr);
  }
  const total = metricOf(conn.total, state.metric);
  const prevTotal = conn.previousTotal === null ? 0 : metricOf(conn.previousTotal, state.metric);
  table.append(
    body,
    el(
      'tfoot',
      {},
      el(
        'tr',
        { 'data-testid': 'talkers-total', 'data-now': String(total), 'data-before': String(prevTotal) },
        el('th', { colspan: '2' }, `all ${conn.totalCount} pairs`),
        el('th', { class: 'num' }, formatMetric(total, state.metric)),
        el('th', { class: 'num' }, formatMetric(prevTotal, state.metric)),
        el('th', { class: 'num' }, `${total - prevTotal >= 0 ? '+' : ''}${formatMetric(total - prevTotal, state.metric)}`),
        el('th', { class: 'num' }, formatChange(total, prevTotal)),
      ),
    ),
  );
  const csv = el('button', { 'data-testid': 'talkers-csv' }, 'CSV');
  csv.addEventListener('click', () =>
    download(
      'top-talkers.csv',
      toCsv(
        [state.local, state.remote, `${state.metric.toLowerCase()}`, `${state.metric.toLowerCase()}_${state.compareTo}_before`, 'change'],
        rows.map((r) => [r.local.value, r.remote.value, r.now, r.before, r.change]),
      ),
    ),
  );
  box.replaceChildren(el('div', { class: 'toolbar' }, el('span', { class: 'summary' }, `Top ${rows.length} of ${conn.totalCount} pairs, compared with ${state.compareTo} before`), csv), table);
}
