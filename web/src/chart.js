// A small SVG line chart of one value along a sequence's shotpoints (no library: a polyline and two axes).
import { el } from "./dom.js";

const NS = "http://www.w3.org/2000/svg";
const svg = (tag, attrs = {}, ...children) => {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
};

export function lineChart(points, key, { title, unit, id }) {
  const data = points.filter((p) => p[key] !== null && p[key] !== undefined);
  const width = 640;
  const height = 180;
  const pad = { left: 52, right: 12, top: 10, bottom: 28 };
  const figure = el("figure", { class: "chart", id });
  const caption = el("figcaption", {}, `${title} (${unit})`);
  if (!data.length) {
    figure.append(caption, el("p", {}, "No data."));
    return figure;
  }
  const xs = data.map((p) => p.point);
  const ys = data.map((p) => p[key]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(0, ...ys), Math.max(...ys) || 1];
  const sx = (x) => pad.left + ((x - x0) / (x1 - x0 || 1)) * (width - pad.left - pad.right);
  const sy = (y) => height - pad.bottom - ((y - y0) / (y1 - y0 || 1)) * (height - pad.top - pad.bottom);
  const max = data.reduce((a, p) => (p[key] > a[key] ? p : a));
  const chart = svg(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `${title}: ${data.length} shotpoints from ${x0} to ${x1}; largest ${max[key].toFixed(2)} ${unit} at point ${max.point}` },
    svg("line", { x1: pad.left, y1: sy(y0), x2: width - pad.right, y2: sy(y0), class: "axis" }),
    svg("line", { x1: pad.left, y1: pad.top, x2: pad.left, y2: height - pad.bottom, class: "axis" }),
    svg("text", { x: pad.left - 6, y: sy(y1) + 4, "text-anchor": "end", class: "tick" }, y1.toFixed(1)),
    svg("text", { x: pad.left - 6, y: sy(y0) + 4, "text-anchor": "end", class: "tick" }, y0.toFixed(1)),
    svg("text", { x: pad.left, y: height - 8, class: "tick" }, x0),
    svg("text", { x: width - pad.right, y: height - 8, "text-anchor": "end", class: "tick" }, x1),
    svg("polyline", { class: "series", points: data.map((p) => `${sx(p.point).toFixed(1)},${sy(p[key]).toFixed(1)}`).join(" ") }),
  );
  figure.append(caption, chart);
  return figure;
}
