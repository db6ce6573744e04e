// Bar charts with uPlot (vendor/uPlot.esm.js, installed from npm by the build): one chart per call, grouped
// bars when there are several series, x = categories (LF names, classes). The chart's container carries
// its numbers as data attributes for tests and screen readers; charts follow the container's width.
import uPlot from '../vendor/uPlot.esm.js';
import {el} from './dom.js';

const COLORS = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c'];
const charts = new Set();

/**
 * A bar chart: {@code categories} on x, {@code series} [{label, values, format?}] as grouped bars,
 * y from 0 to {@code yMax} (or the largest value). Returns the element holding it.
 */
export function barChart({title, categories, series, yMax, percent = false, testid}) {
  const holder = el('figure', {class: 'chart', 'data-testid': testid, 'data-categories': JSON.stringify(categories),
    'data-series': JSON.stringify(series.map((s) => ({label: s.label, values: s.values})))},
  el('figcaption', {}, title));
  const n = categories.length;
  const groups = series.length;
  const barWidth = 0.8 / groups;
  const top = yMax ?? Math.max(1e-9, ...series.flatMap((s) => s.values.filter((v) => v !== null)));
  const fmt = (v) => (v === null || v === undefined ? '—' : percent ? (100 * v).toFixed(1) + '%' : Number(v).toLocaleString('en-US'));
  const opts = {
    width: 300,
    height: 190,
    legend: {show: true, live: true},
    cursor: {drag: {x: false, y: false}, points: {show: false}},
    scales: {x: {time: false, range: () => [-0.5, n - 0.5]}, y: {range: () => [0, top * 1.05]}},
    axes: [
      {splits: () => categories.map((_, i) => i), values: (u, splits) => splits.map((i) => short(categories[i] ?? '')),
        gap: 4, size: 40},
      {values: (u, splits) => splits.map((v) => (percent ? Math.round(100 * v) + '%' : v)), size: 48},
    ],
    series: [
      {label: 'x', value: (u, v) => (v === null ? '' : categories[v] ?? '')},
      ...series.map((s, k) => ({
        label: s.label,
        fill: COLORS[k % COLORS.length] + 'cc',
        stroke: COLORS[k % COLORS.length],
        width: 1,
        value: (u, v) => fmt(v),
        paths: uPlot.paths.bars({
          size: [barWidth, Infinity, 1],
          disp: {
            // Grouped: series k's bar starts at i - 0.4 + k * width, in x-scale units.
            x0: {unit: 1, values: () => categories.map((_, i) => i - 0.4 + k * barWidth)},
            size: {unit: 1, values: () => categories.map(() => barWidth * 0.92)},
          },
        }),
        points: {show: false},
      })),
    ],
  };
  const data = [categories.map((_, i) => i), ...series.map((s) => s.values.map((v) => (v === null ? null : v)))];
  const plot = new uPlot(opts, data, holder);
  plot.holder = holder;
  charts.add(plot);
  requestAnimationFrame(() => fit(plot));
  return holder;
}

function short(name) {
  return name.length > 12 ? name.slice(0, 11) + '…' : name;
}

/** Sizes a chart to its container (charts in a grid share the row). */
function fit(plot) {
  if (!plot.holder.isConnected) {
    charts.delete(plot);
    plot.destroy();
    return;
  }
  const width = Math.max(240, Math.floor(plot.holder.getBoundingClientRect().width) - 8);
  if (Math.abs(width - plot.width) > 2) {
    plot.setSize({width, height: 190});
  }
}

let resizing = null;
window.addEventListener('resize', () => {
  clearTimeout(resizing);
  resizing = setTimeout(() => [...charts].forEach(fit), 100);
});
