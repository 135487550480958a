import { chartIn } from '../charts.js';
import { SeriesDocument } from '../generated/graphql.js';
import { el, formatMetric, shown } from '../format.js';
import { groupKey } from '../keys.js';
import { everyOf, rangeOf } from '../state.js';
import type { ViewContext } from './context.js';

/** Stacked series of the top N pairs and the "other" series (sessionSeries other: true), so that the stack is the total. */
export async function seriesView(ctx: ViewContext, box: HTMLElement): Promise<void> {
  const { state } = ctx;
  const every = everyOf(state);
  const data = await ctx.client.request(
    SeriesDocument,
    {
      range: rangeOf(state),
      every,
      where: ctx.where,
      groupBy: [groupKey(state.local), groupKey(state.remote)],
      metric: state.metric,
      limit: state.top,
    },
    ctx.signal,
  );
  const series = data.sessionSeries.series.map((s) => ({
    name: s.other ? 'other' : `${shown(s.group[0]?.value ?? null)} → ${shown(s.group[1]?.value ?? null)}`,
    other: s.other,
    local: s.group[0]?.value ?? null,
    remote: s.group[1]?.value ?? null,
    points: new Map(s.points.map((p) => [Date.parse(p.time), p.value])),
    sum: s.points.reduce((a, p) => a + p.value, 0),
  }));
  // The API omits empty buckets: stacking needs every series on the same times, zeros filled in.
  const times = [...new Set(series.flatMap((s) => [...s.points.keys()]))].sort((a, b) => a - b);
  const chartBox = el('div', { class: 'chart', 'data-testid': 'series-chart' });
  const list = el('ol', { class: 'pairs', 'data-testid': 'series-list' });
  for (const s of series) {
    const li = el('li', { 'data-name': s.name, 'data-sum': String(s.sum), 'data-other': String(s.other) }, `${s.name} ${formatMetric(s.sum, state.metric)}`);
    list.append(li);
  }
  box.replaceChildren(el('p', { class: 'summary', 'data-testid': 'series-summary' }, `${series.length} series, buckets of ${every}`), chartBox, list);
  if (series.length === 0) {
    chartBox.append(el('p', { class: 'empty' }, 'No traffic in this range and filter.'));
    return;
  }
  const chart = chartIn(chartBox);
  chart.setOption(
    {
      animation: false,
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => formatMetric(v, state.metric) },
      legend: { type: 'scroll', top: 0 },
      grid: { left: 70, right: 20, top: 40, bottom: 30 },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', axisLabel: { formatter: (v: number) => formatMetric(v, state.metric) } },
      series: series.map((s) => ({
        type: 'line',
        name: s.name,
        stack: 'total',
        areaStyle: {},
        showSymbol: false,
        data: times.map((t) => [t, s.points.get(t) ?? 0]),
        ...(s.other ? { color: '#bbb' } : {}),
      })),
    },
    true,
  );
  chart.off('click');
  chart.on('click', (p) => {
    const s = series[p.seriesIndex ?? -1];
    if (s !== undefined && !s.other) ctx.selectPair({ local: s.local, remote: s.remote });
  });
}
