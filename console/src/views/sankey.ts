import { chartIn } from '../charts.js';
import { PairsDocument } from '../generated/graphql.js';
import { el, formatMetric, shown } from '../format.js';
import { groupKey, keyTitle } from '../keys.js';
import { rangeOf } from '../state.js';
import { metricOf, type ViewContext } from './context.js';

/**
 * The Sankey of client groups to server groups: the top N pairs by the
 * metric (one sessionTraffic request); the rest, total minus their sum, is
 * one link from "other" to "other".
 */
export async function sankeyView(ctx: ViewContext, box: HTMLElement): Promise<void> {
  const { state } = ctx;
  const data = await ctx.client.request(
    PairsDocument,
    {
      range: rangeOf(state),
      where: ctx.where,
      groupBy: [groupKey(state.local), groupKey(state.remote)],
      first: state.top,
      orderBy: { metric: state.metric, direction: 'DESC' },
    },
    ctx.signal,
  );
  const conn = data.sessionTraffic;
  const total = metricOf(conn.total, state.metric);
  const pairs = conn.nodes.map((n) => ({
    local: n.group[0]?.value ?? null,
    remote: n.group[1]?.value ?? null,
    localUve: n.group[0]?.uve ?? null,
    remoteUve: n.group[1]?.uve ?? null,
    value: metricOf(n.traffic, state.metric),
  }));
  const sum = pairs.reduce((a, p) => a + p.value, 0);
  const other = conn.totalCount > pairs.length ? total - sum : 0;

  const nodes = new Map<string, { uve: { type: string; name: string } | null }>();
  const links: { source: string; target: string; value: number; pair: number }[] = [];
  pairs.forEach((p, i) => {
    const s = `c\u0001${shown(p.local)}`;
    const t = `s\u0001${shown(p.remote)}`;
    nodes.set(s, { uve: p.localUve });
    nodes.set(t, { uve: p.remoteUve });
    links.push({ source: s, target: t, value: p.value, pair: i });
  });
  if (other > 0) {
    nodes.set('c\u0001other', { uve: null });
    nodes.set('s\u0001other', { uve: null });
    links.push({ source: 'c\u0001other', target: 's\u0001other', value: other, pair: -1 });
  }

  box.replaceChildren();
  const summary = el(
    'p',
    { class: 'summary', 'data-testid': 'sankey-summary', 'data-total': String(total), 'data-other': String(other), 'data-pairs': String(conn.totalCount) },
    `${pairs.length} of ${conn.totalCount} pairs of ${keyTitle(state.local)} → ${keyTitle(state.remote)}; total ${formatMetric(total, state.metric)}, other ${formatMetric(other, state.metric)}`,
  );
  const chartBox = el('div', { class: 'chart', 'data-testid': 'sankey-chart' });
  box.append(summary, chartBox);
  if (links.length === 0) {
    chartBox.append(el('p', { class: 'empty' }, 'No traffic in this range and filter.'));
  } else {
    const chart = chartIn(chartBox);
    chart.setOption(
      {
        animation: false,
        tooltip: { trigger: 'item', formatter: (p: { dataType: string; name: string; value: number }) => `${p.name.replaceAll(/[cs]\u0001/g, '')}: ${formatMetric(p.value, state.metric)}` },
        series: [
          {
            type: 'sankey',
            data: [...nodes.keys()].map((name) => ({ name })),
            links,
            emphasis: { focus: 'adjacency' },
            nodeAlign: 'justify',
            lineStyle: { color: 'gradient', opacity: 0.45 },
            label: { formatter: (p: { name: string }) => p.name.slice(2) },
            left: 8,
            right: 120,
          },
        ],
      },
      true,
    );
    chart.off('click');
    chart.on('click', (p) => {
      if (p.dataType === 'edge') {
        const i = (p.data as { pair: number }).pair;
        if (i >= 0) ctx.selectPair({ local: pairs[i]!.local, remote: pairs[i]!.remote });
      } else if (p.dataType === 'node') {
        const uve = nodes.get(p.name)?.uve;
        if (uve) ctx.showUve(uve);
      }
    });
  }
  // The same numbers as a list: readable, clickable, and what the browser test checks.
  const list = el('ol', { class: 'pairs', 'data-testid': 'sankey-pairs' });
  pairs.forEach((p) => {
    const li = el(
      'li',
      { 'data-local': shown(p.local), 'data-remote': shown(p.remote), 'data-value': String(p.value) },
      el('button', { class: 'link' }, `${shown(p.local)} → ${shown(p.remote)}`),
      ` ${formatMetric(p.value, state.metric)}`,
    );
    li.querySelector('button')!.addEventListener('click', () => ctx.selectPair({ local: p.local, remote: p.remote }));
    list.append(li);
  });
  if (other > 0) list.append(el('li', { 'data-local': 'other', 'data-remote': 'other', 'data-value': String(other) }, `other → other ${formatMetric(other, state.metric)}`));
  box.append(list);
}
