// A small element builder: attributes and text only, never HTML strings (remarks come from users).
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node, ...children) {
  node.replaceChildren(...children.filter((c) => c));
  return node;
}

export function fmtNumber(value, digits = 0) {
  return value === null || value === undefined ? "—" : Number(value).toLocaleString("en-GB", { maximumFractionDigits: digits });
}

export function fmtDuration(d) {
  if (!d) return "—";
  return `${String(d.hours).padStart(2, "0")}:${String(d.minutes).padStart(2, "0")}:${String(d.seconds).padStart(2, "0")}`;
}

export function fmtTime(iso) {
  return iso ? iso.replace("T", " ").replace(/(\.\d+)?\+00:00$/, "Z") : "—";
}

export async function download(response, filename) {
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
