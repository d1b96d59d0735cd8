// Line charts over the vendored uPlot (MIT, vendor/uPlot.LICENSE): a chart
// keeps its own points and is redrawn as samples arrive.
import uPlot from '/inspector/assets/vendor/uPlot.esm.js';

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

/**
 * A time chart in `container`, one line per `series` name; `push(tMs, values)` adds a point.
 * Keeps at most `max` points. `points()` says how many it has; the container's `data-points` and
 * `data-last` (the latest values) say it in the DOM, for tests and the curious.
 */
export function timeChart(container, title, series, { max = 1800, yRange } = {}) {
  const data = [[], ...series.map(() => [])];
  const width = () => Math.max(240, Math.min(container.clientWidth || 480, 640) - 8);
  const options = {
    title,
    width: width(),
    height: 160,
    series: [{}, ...series.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 2 }))],
    scales: yRange ? { y: { range: yRange } } : {},
    axes: [{}, { size: 50 }],
    legend: { live: false },
  };
  const plot = new uPlot(options, data, container);
  container.dataset.points = '0';
  // The box is often drawn before it is placed (the stream charts move into their session's card), and
  // the grid sizes it afterwards: the chart follows the box's own width, not the window's.
  let drawnWidth = options.width;
  const resize = new ResizeObserver(() => {
    if (width() === drawnWidth) return;
    drawnWidth = width();
    plot.setSize({ width: drawnWidth, height: 160 });
  });
  resize.observe(container);
  return {
    push(tMs, values) {
      data[0].push(tMs / 1000);
      values.forEach((v, i) => data[i + 1].push(v ?? null));
      if (data[0].length > max) for (const column of data) column.shift();
      plot.setData(data);
      container.dataset.points = String(data[0].length);
      container.dataset.last = JSON.stringify(values);
    },
    points: () => data[0].length,
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}
