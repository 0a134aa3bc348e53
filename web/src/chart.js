// A line chart of one value along a sequence's shotpoints, drawn by uPlot (bundled) on a canvas.
// A canvas has no elements to read, so the figure carries what it shows: data-points (the shotpoints
// the chart holds, read back from the chart's own data) and an aria-label naming the range and the largest value.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { el } from "./dom.js";

const HEIGHT = 200;

function describe(title, unit, xs, ys) {
  let count = 0;
  let max = null;
  for (let i = 0; i < xs.length; i++) {
    if (ys[i] === null) continue;
    count++;
    if (max === null || ys[i] > ys[max]) max = i;
  }
  if (!count) return { count, label: `${title}: no data` };
  return {
    count,
    label: `${title}: ${count} shotpoints from ${xs[0]} to ${xs[xs.length - 1]}; largest ${ys[max].toFixed(2)} ${unit} at point ${xs[max]}`,
  };
}

function series(points, key) {
  const rows = [...points].sort((a, b) => a.point - b.point);
  return [rows.map((p) => p.point), rows.map((p) => (p[key] === null || p[key] === undefined ? null : p[key]))];
}

export class LineChart {
  constructor(points, key, { title, unit, id }) {
    this.key = key;
    this.title = title;
    this.unit = unit;
    this.figure = el("figure", { class: "chart", id, role: "img" });
    this.caption = el("figcaption", {}, `${title} (${unit})`);
    this.box = el("div", { class: "plot" });
    this.empty = el("p", { class: "no-data" }, "No data.");
    this.figure.append(this.caption, this.box, this.empty);
    this.figure.chart = this;
    this.plot = new uPlot(
      {
        width: 600,
        height: HEIGHT,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false } },
        series: [{ label: "Shotpoint" }, { label: `${title} (${unit})`, stroke: "#0b4f8a", width: 1.5, spanGaps: false, points: { show: false } }],
        axes: [
          { label: "Shotpoint", stroke: "#4a5560", grid: { stroke: "#e3e9ef" } },
          { label: unit, stroke: "#4a5560", grid: { stroke: "#e3e9ef" }, size: 56 },
        ],
      },
      series(points, key),
      this.box,
    );
    this.resizer = new ResizeObserver(() => {
      const width = Math.floor(this.box.clientWidth);
      if (width > 0 && width !== this.plot.width) this.plot.setSize({ width, height: HEIGHT });
    });
    this.resizer.observe(this.box);
    this.describe();
  }

  // New profile rows (the sequence was shot further, or processed): the same chart redrawn.
  update(points) {
    this.plot.setData(series(points, this.key));
    this.describe();
  }

  describe() {
    const [xs, ys] = this.plot.data;
    const { count, label } = describe(this.title, this.unit, xs, ys);
    this.figure.dataset.points = String(count);
    this.figure.setAttribute("aria-label", label);
    this.empty.hidden = count > 0;
  }

  destroy() {
    this.resizer.disconnect();
    this.plot.destroy();
  }
}
