// ECharts, tree-shaken: only the Sankey and line charts, the components they
// use and the canvas renderer go into the bundle.
import { LineChart, SankeyChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([SankeyChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export { echarts };
export type Chart = echarts.ECharts;

/** One chart per container, created once and reused. */
export function chartIn(container: HTMLElement): Chart {
  return echarts.getInstanceByDom(container) ?? echarts.init(container, undefined, { renderer: 'canvas' });
}
