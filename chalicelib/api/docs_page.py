"""The pages ``GET /docs`` answers: Swagger UI where its files are installed, else a page of our own.

Swagger UI comes from the PyPI package ``swagger-ui-bundle`` (Apache-2.0; its ``vendor/`` folder is Swagger
UI's own distribution), a development requirement: the local stack and the tests have it, the Lambda package
does not (it would add about 3 MB to a zip kept under Lambda's 50 MB). ``SWAGGER_PAGE`` loads the
distribution's script and style from ``docs?file=…`` (``GET /docs`` with a ``file``) and reads ``openapi.json``;
the validator badge, which asks a public server, is off. Where the package is absent (in Lambda) ``PAGE`` is
served: plain HTML, style and script, all inline, listing the operations by tag with their parameters,
bodies, answers and schemas. Either way every address is relative (so it works under any stage prefix) and
nothing is loaded from another host: it works on a vessel without internet access.
"""

from __future__ import annotations

import functools
from typing import Any

# The package whose files are Swagger UI's distribution (``swagger_ui_path`` is their folder), imported by
# name because it is optional: the Lambda package does not carry it.
SWAGGER_UI_PACKAGE = "swagger_ui_bundle"
# The distribution's files the page loads, with their media types.
ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "application/javascript; charset=utf-8",
}

# The start of both pages of /docs.
HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dougal API</title>
"""

SWAGGER_PAGE = (
    HEAD
    + """<link rel="stylesheet" href="docs?file=swagger-ui.css">
</head>
<body>
<noscript><p>This page shows <a href="openapi.json">openapi.json</a> with script; without script, read that
document itself.</p></noscript>
<div id="swagger-ui"></div>
<script src="docs?file=swagger-ui-bundle.js"></script>
<script>
"use strict";
window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  withCredentials: true,
  persistAuthorization: true,
});
</script>
</body>
</html>
"""
)


@functools.cache
def swagger_ui_folder() -> Any:
    """The folder of Swagger UI's files (an ``importlib.resources`` traversable), None where not installed."""
    import importlib
    import importlib.util

    if importlib.util.find_spec(SWAGGER_UI_PACKAGE) is None:
        return None
    return importlib.import_module(SWAGGER_UI_PACKAGE).swagger_ui_path


def page() -> str:
    """The page of ``/docs``: Swagger UI where its files are installed, else the page of our own."""
    return SWAGGER_PAGE if swagger_ui_folder() is not None else PAGE


@functools.cache
def asset(name: str) -> str | None:
    """One of Swagger UI's files named in ``ASSETS``; None for another name or where it is not installed."""
    folder = swagger_ui_folder()
    if name not in ASSETS or folder is None:
        return None
    return str((folder / name).read_text(encoding="utf-8"))


PAGE = (
    HEAD
    + """<style>
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 70em; padding: 1em; color: #222; }
h1 { margin-bottom: 0.2em; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
details.op { border: 1px solid #ddd; border-radius: 4px; margin: 0.4em 0; }
details.op > summary { cursor: pointer; padding: 0.4em; font-family: monospace; font-size: 1.05em; }
details.op > div { padding: 0 1em 1em; }
.method { display: inline-block; min-width: 4.5em; font-weight: bold; }
.GET { color: #0a6; } .POST { color: #06c; } .PUT { color: #a60; } .PATCH { color: #a0a; } .DELETE { color: #c00; }
.role, .addition { font-family: sans-serif; font-size: 0.8em; border-radius: 3px; }
.role, .addition { padding: 0 0.4em; margin-left: 0.5em; }
.role { background: #eef; } .addition { background: #ffe9b3; }
.sum { font-family: sans-serif; color: #555; margin-left: 0.5em; }
table { border-collapse: collapse; } td, th { border: 1px solid #ddd; padding: 0.2em 0.5em; text-align: left; }
pre { background: #f6f6f6; padding: 0.5em; overflow-x: auto; }
#filter { width: 100%; padding: 0.4em; font-size: 1em; }
</style>
</head>
<body>
<h1 id="title">Dougal API</h1>
<p id="description">The API document is <a href="openapi.json">openapi.json</a>.</p>
<noscript><p>This page lists the operations of <a href="openapi.json">openapi.json</a> with script; without
script, read that document itself.</p></noscript>
<input id="filter" type="search" placeholder="Filter by path, method, tag or summary">
<div id="operations"></div>
<h2>Schemas</h2>
<div id="schemas"></div>
<script>
"use strict";
function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  for (const child of [].concat(children || [])) {
    node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}
function schemaBlock(schema) {
  const ref = schema && schema["$ref"];
  if (ref) {
    const name = ref.split("/").pop();
    return el("p", {}, ["Schema: ", el("a", {href: "#schema-" + name}, name)]);
  }
  return el("pre", {}, JSON.stringify(schema, null, 2));
}
function operationNode(path, method, op) {
  const head = el("summary", {}, [
    el("span", {class: "method " + method.toUpperCase()}, method.toUpperCase()), path,
    el("span", {class: "role"}, op["x-dougal-role"] || "public"),
  ]);
  if (op["x-dougal-addition"]) head.appendChild(el("span", {class: "addition"}, "beyond the contract"));
  head.appendChild(el("span", {class: "sum"}, op.summary || ""));
  const body = el("div");
  if (op.description) body.appendChild(el("p", {}, op.description));
  if (op.parameters && op.parameters.length) {
    const rows = op.parameters.map(p => el("tr", {}, [
      el("td", {}, p.name), el("td", {}, p.in), el("td", {}, p.required ? "required" : "optional"),
      el("td", {}, JSON.stringify(p.schema || {})), el("td", {}, p.description || ""),
    ]));
    body.appendChild(el("h4", {}, "Parameters"));
    body.appendChild(el("table", {}, [el("tr", {}, ["name", "in", "", "schema", ""].map(h => el("th", {}, h)))]
      .concat(rows)));
  }
  if (op.requestBody) {
    body.appendChild(el("h4", {}, "Body"));
    for (const [media, content] of Object.entries(op.requestBody.content || {})) {
      body.appendChild(el("p", {}, media));
      body.appendChild(schemaBlock(content.schema));
    }
  }
  body.appendChild(el("h4", {}, "Answers"));
  for (const [status, answer] of Object.entries(op.responses || {})) {
    body.appendChild(el("p", {}, [el("b", {}, status), " " + (answer.description || "")]));
    for (const [media, content] of Object.entries(answer.content || {})) {
      body.appendChild(el("p", {}, media));
      body.appendChild(schemaBlock(content.schema));
    }
  }
  const node = el("details", {class: "op"}, [head, body]);
  node.dataset.text = [method, path, op.summary, (op.tags || []).join(" ")].join(" ").toLowerCase();
  return node;
}
function render(doc) {
  document.getElementById("title").textContent = doc.info.title + " " + doc.info.version;
  document.getElementById("description").textContent = doc.info.description || "";
  const byTag = new Map((doc.tags || []).map(t => [t.name, []]));
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags || ["other"])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operationNode(path, method, op));
    }
  }
  const described = new Map((doc.tags || []).map(t => [t.name, t.description]));
  const target = document.getElementById("operations");
  for (const [tag, nodes] of byTag) {
    if (!nodes.length) continue;
    target.appendChild(el("h2", {}, tag));
    if (described.get(tag)) target.appendChild(el("p", {}, described.get(tag)));
    nodes.forEach(n => target.appendChild(n));
  }
  const schemas = document.getElementById("schemas");
  for (const [name, schema] of Object.entries((doc.components || {}).schemas || {})) {
    schemas.appendChild(el("h3", {id: "schema-" + name}, name));
    schemas.appendChild(el("pre", {}, JSON.stringify(schema, null, 2)));
  }
}
document.getElementById("filter").addEventListener("input", event => {
  const words = event.target.value.toLowerCase().split(/\\s+/).filter(Boolean);
  for (const node of document.querySelectorAll("details.op")) {
    node.style.display = words.every(w => node.dataset.text.includes(w)) ? "" : "none";
  }
});
fetch("openapi.json", {credentials: "same-origin"})
  .then(answer => answer.json())
  .then(render)
  .catch(error => { document.getElementById("operations").textContent = "Cannot read openapi.json: " + error; });
</script>
</body>
</html>
"""
)
