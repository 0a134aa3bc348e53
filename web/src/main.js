// The office page: login, projects and their progress, a project's map, sequences, line log and QC,
// a sequence's page. Hash routes (#/project/demo) so that no path of the page is an API path.
import "./style.css";
import { ApiError, get, post, del, projectPath, request, whenUnauthorised } from "./api.js";
import { clear, download, el, fmtDuration, fmtNumber, fmtTime } from "./dom.js";
import { LineChart } from "./chart.js";
import { CoverageMap, LINE_STATES } from "./map.js";

const POLL_MS = Number(new URLSearchParams(location.search).get("poll")) || 2000;
const LOG_PAGE = 1000; // events read at a time, the API's default page
const app = document.getElementById("app");
const banner = document.getElementById("banner");
let session = null;
let view = null; // the current view's clean-up (timers, map)

const canEdit = () => session && (session.role === "user" || session.role === "master");

whenUnauthorised(() => {
  session = null;
  if (!location.hash.startsWith("#/login")) location.hash = "#/login";
});

document.getElementById("logout").addEventListener("click", async () => {
  await request("/logout", { method: "POST" }).catch(() => {});
  session = null;
  location.hash = "#/login";
});

function showWho() {
  const who = document.getElementById("who");
  who.textContent = session ? `${session.name} (${session.role})` : "";
  document.getElementById("logout").hidden = !session;
}

function setBanner(text) {
  banner.hidden = !text;
  banner.textContent = text || "";
}

function errorBox(error) {
  return el("p", { class: "error", role: "alert" }, error instanceof ApiError ? error.message : String(error));
}

async function route() {
  if (view) view();
  view = null;
  setBanner("");
  const hash = location.hash || "#/";
  if (hash.startsWith("#/login")) return loginView();
  if (!session) {
    try {
      session = await get("/session");
    } catch {
      return; // 401: the handler sent us to the login page
    }
  }
  showWho();
  const parts = hash.slice(2).split("/").map(decodeURIComponent);
  try {
    if (parts[0] === "project" && parts[1] && parts[2] === "sequence" && parts[3]) {
      return await sequenceView(parts[1], Number(parts[3]));
    }
    if (parts[0] === "project" && parts[1]) return await projectView(parts[1]);
    return await projectsView();
  } catch (error) {
    clear(app, errorBox(error));
  }
}

// ------------------------------------------------------------------ login

function loginView() {
  showWho();
  const message = el("p", { class: "error", role: "alert", id: "login-error" });
  const form = el(
    "form",
    { class: "login", "aria-labelledby": "login-title" },
    el("h1", { id: "login-title" }, "Log in to Dougal"),
    el("label", { for: "login-user" }, "Name"),
    el("input", { id: "login-user", name: "user", autocomplete: "username", required: true }),
    el("label", { for: "login-password" }, "Password"),
    el("input", { id: "login-password", name: "password", type: "password", autocomplete: "current-password", required: true }),
    el("button", { type: "submit" }, "Log in"),
    message,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    try {
      await post("/login", { user: form.user.value, password: form.password.value });
      session = await get("/session");
      location.hash = "#/";
    } catch (error) {
      message.textContent = error.message;
    }
  });
  clear(app, form);
  form.user.focus();
}

// ------------------------------------------------------------------ projects

function progressBar(summary) {
  const parts = [
    ["prime", "Acquired (prime)", summary.prime],
    ["other", "Acquired (other)", summary.other],
    ["remaining", "Remaining", summary.remaining],
    ["ntba", "NTBA", summary.ntba],
  ];
  const sum = parts.reduce((a, p) => a + p[2], 0) || 1;
  const label = parts.map(([, name, n]) => `${name} ${fmtNumber(n)}`).join(", ") + ` of ${fmtNumber(summary.total)} points`;
  return el(
    "div",
    { class: "progress-block" },
    el("div", { class: "progress", role: "img", "aria-label": label },
      parts.map(([key, name, n]) => el("span", { class: `seg seg-${key}`, style: `width:${(100 * n) / sum}%`, title: `${name}: ${n}` }))),
    el("p", { class: "progress-legend" }, parts.map(([key, name, n]) => el("span", { class: `key key-${key}` }, `${name}: ${fmtNumber(n)}`))),
  );
}

async function projectsView() {
  const list = await get("/project");
  const items = await Promise.all(
    list.map(async (p) => {
      const [summary, forecast] = await Promise.all([
        get(projectPath(p.pid, "/summary")).catch(() => null),
        get(projectPath(p.pid, "/forecast")).catch(() => null),
      ]);
      return el(
        "li",
        { class: "project-item", dataset: { pid: p.pid } },
        el("h2", {}, el("a", { href: `#/project/${encodeURIComponent(p.pid)}` }, p.name)),
        summary ? progressBar(summary) : el("p", {}, "No summary yet"),
        forecast && forecast.completion
          ? el("p", { class: "forecast" }, `Forecast completion: ${fmtTime(forecast.completion.p50)} (p10 ${fmtTime(forecast.completion.p10)}, p90 ${fmtTime(forecast.completion.p90)})`)
          : null,
      );
    }),
  );
  clear(app, el("h1", {}, "Projects"), el("ul", { class: "projects" }, items));
}

// ------------------------------------------------------------------ the line log (shared by both views)

class LineLog {
  constructor(pid, { sequence = null } = {}) {
    this.pid = pid;
    this.sequence = sequence;
    this.rows = new Map();
    this.body = el("tbody");
    this.count = el("span", { class: "count", "aria-live": "polite" });
    this.total = 0;
    this.moreButton = el("button", { type: "button", class: "more", hidden: true, onclick: () => this.more() }, "Show more");
    this.notice = el("p", { class: "notice", role: "status" });
    this.history = el("div", { class: "event-history", "aria-live": "polite" });
    this.filters = { sequence: sequence === null ? "" : String(sequence), label: "", date0: "", date1: "" };
    this.table = el(
      "table",
      { class: "log", id: "log", "aria-label": "Line log" },
      el("thead", {}, el("tr", {}, ["Time", "Sequence", "Point", "Remarks", "Labels", "Actions"].map((t) => el("th", { scope: "col" }, t)))),
      this.body,
    );
  }

  query() {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(this.filters)) if (v) q.set(k, v);
    return q.toString();
  }

  // The log is read a page at a time (the API's X-Total-Count says how many match): "Show more" reads the next.
  async load() {
    this.rows.clear();
    clear(this.body);
    this.total = 0;
    this.loaded = 0;
    await this.more();
  }

  async more() {
    const query = this.query();
    const offset = this.loaded;
    const response = await request(projectPath(this.pid, `/event?${query}${query ? "&" : ""}limit=${LOG_PAGE}&offset=${offset}`), { raw: true });
    const events = await response.json();
    for (const e of events) this.upsert(e, false, false);
    this.loaded += events.length;
    this.total = Number(response.headers.get("X-Total-Count") ?? this.rows.size);
    this.updateCount();
  }

  matches(e) {
    const f = this.filters;
    if (f.sequence && !f.sequence.split(",").map(Number).includes(e.sequence)) return false;
    if (f.label && !e.labels.includes(f.label)) return false;
    const day = e.tstamp ? e.tstamp.slice(0, 10) : null;
    if (f.date0 && (!day || day < f.date0)) return false;
    if (f.date1 && (!day || day > f.date1)) return false;
    return true;
  }

  upsert(e, flash = true, counted = true) {
    const old = this.rows.get(e.id);
    if (!this.matches(e)) {
      if (old) this.remove(e.id);
      return;
    }
    if (!old && counted) this.total++;
    const row = el(
      "tr",
      { tabindex: "0", dataset: { id: e.id }, class: flash ? "fresh" : null, "aria-label": `Event ${e.id}: ${e.remarks}` },
      el("td", {}, fmtTime(e.tstamp)),
      el("td", {}, e.sequence ?? ""),
      el("td", {}, e.point ?? ""),
      el("td", { class: "remarks" }, e.remarks),
      el("td", {}, e.labels.map((l) => el("span", { class: "label" }, l))),
      el(
        "td",
        { class: "actions" },
        canEdit() ? el("button", { type: "button", class: "edit", "aria-label": `Edit event ${e.id}`, onclick: () => this.edit(e, row) }, "Edit") : null,
        el("button", { type: "button", class: "history", "aria-label": `History of event ${e.id}`, onclick: () => this.showHistory(e.id) }, "History"),
        canEdit() ? el("button", { type: "button", class: "delete", "aria-label": `Delete event ${e.id}`, onclick: () => this.delete(e.id) }, "Delete") : null,
      ),
    );
    if (old) old.replaceWith(row);
    else this.body.append(row);
    this.rows.set(e.id, row);
    this.updateCount();
  }

  remove(id) {
    const row = this.rows.get(id);
    if (row) {
      row.remove();
      this.total--;
    }
    this.rows.delete(id);
    this.updateCount();
  }

  async delete(id) {
    await del(projectPath(this.pid, `/event/${id}`));
    this.remove(id);
    clear(
      this.notice,
      `Event ${id} deleted. `,
      el("button", { type: "button", "aria-label": `Undelete event ${id}`, onclick: () => this.undelete(id) }, "Undelete"),
    );
  }

  async undelete(id) {
    // Putting the last instance back undeletes the event (a new instance; the history keeps all).
    const instances = await get(projectPath(this.pid, `/event/${id}`));
    const last = instances[instances.length - 1];
    const body = { remarks: last.remarks, labels: last.labels };
    if (last.tstamp) body.tstamp = last.tstamp;
    if (last.sequence !== null) body.sequence = last.sequence;
    if (last.point !== null) body.point = last.point;
    const restored = await request(projectPath(this.pid, `/event/${id}`), { method: "PUT", body });
    this.upsert(restored);
    clear(this.notice, `Event ${id} restored.`);
  }

  edit(e, row) {
    const cell = row.querySelector(".remarks");
    const input = el("input", { value: e.remarks, "aria-label": `Remarks of event ${e.id}`, size: 30 });
    const save = async () => {
      try {
        this.upsert(await request(projectPath(this.pid, `/event/${e.id}`), { method: "PATCH", body: { remarks: input.value } }));
      } catch (error) {
        clear(this.notice, error.message);
      }
    };
    clear(
      cell,
      input,
      el("button", { type: "button", "aria-label": `Save event ${e.id}`, onclick: save }, "Save"),
      el("button", { type: "button", "aria-label": `Cancel editing event ${e.id}`, onclick: () => this.upsert(e, false) }, "Cancel"),
    );
    input.focus();
  }

  async showHistory(id) {
    const instances = await get(projectPath(this.pid, `/event/${id}`));
    clear(
      this.history,
      el("h3", {}, `History of event ${id}`),
      el(
        "table",
        { class: "history", "aria-label": `History of event ${id}` },
        el("thead", {}, el("tr", {}, ["From", "To", "Time", "Remarks", "Labels"].map((t) => el("th", { scope: "col" }, t)))),
        el("tbody", {}, instances.map((i) => el("tr", {}, el("td", {}, fmtTime(i.validity[0])), el("td", {}, fmtTime(i.validity[1])), el("td", {}, fmtTime(i.tstamp)), el("td", {}, i.remarks), el("td", {}, i.labels.join(", "))))),
      ),
      el("button", { type: "button", onclick: () => clear(this.history) }, "Close history"),
    );
  }

  updateCount() {
    const shown = this.rows.size;
    const total = Math.max(this.total, shown);
    this.count.textContent = `${fmtNumber(shown)} of ${fmtNumber(total)} events`;
    const left = total - shown;
    this.moreButton.hidden = left <= 0;
    this.moreButton.textContent = `Show ${fmtNumber(Math.min(LOG_PAGE, left))} more of ${fmtNumber(left)}`;
  }

  filterForm() {
    const form = el(
      "form",
      { class: "filters", "aria-label": "Filter the log" },
      this.sequence === null ? [el("label", { for: "f-seq" }, "Sequence"), el("input", { id: "f-seq", name: "sequence", inputmode: "numeric", size: 6 })] : null,
      el("label", { for: "f-label" }, "Label"),
      el("input", { id: "f-label", name: "label", size: 10 }),
      el("label", { for: "f-date0" }, "From"),
      el("input", { id: "f-date0", name: "date0", type: "date" }),
      el("label", { for: "f-date1" }, "To"),
      el("input", { id: "f-date1", name: "date1", type: "date" }),
      el("button", { type: "submit" }, "Filter"),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      for (const key of ["sequence", "label", "date0", "date1"]) if (form[key]) this.filters[key] = form[key].value.trim();
      await this.load();
    });
    return form;
  }

  addForm() {
    if (!canEdit()) return null;
    const message = el("p", { class: "error", role: "alert" });
    const form = el(
      "form",
      { class: "add-event", "aria-label": "Add an event" },
      el("label", { for: "e-seq" }, "Sequence"),
      el("input", { id: "e-seq", name: "sequence", inputmode: "numeric", size: 6, value: this.sequence ?? "" }),
      el("label", { for: "e-point" }, "Point"),
      el("input", { id: "e-point", name: "point", inputmode: "numeric", size: 6 }),
      el("label", { for: "e-time" }, "Time (UTC)"),
      el("input", { id: "e-time", name: "tstamp", type: "datetime-local", step: "1" }),
      el("label", { for: "e-remarks" }, "Remarks"),
      el("input", { id: "e-remarks", name: "remarks", required: true, size: 30 }),
      el("label", { for: "e-labels" }, "Labels"),
      el("input", { id: "e-labels", name: "labels", size: 12, placeholder: "comma separated" }),
      el("button", { type: "submit" }, "Add event"),
      message,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      message.textContent = "";
      const body = { remarks: form.remarks.value };
      if (form.sequence.value) body.sequence = Number(form.sequence.value);
      if (form.point.value) body.point = Number(form.point.value);
      if (form.tstamp.value) body.tstamp = `${form.tstamp.value}Z`;
      const labels = form.labels.value.split(",").map((s) => s.trim()).filter(Boolean);
      if (labels.length) body.labels = labels;
      try {
        const created = await post(projectPath(this.pid, "/event"), body);
        this.upsert(created);
        form.remarks.value = "";
      } catch (error) {
        message.textContent = error.message;
      }
    });
    return form;
  }

  importForm() {
    if (!canEdit()) return null;
    const message = el("p", { class: "import-result", role: "alert" });
    const form = el(
      "form",
      { class: "import-events", "aria-label": "Import events from CSV" },
      el("label", { for: "e-csv" }, "CSV file (tstamp, sequence, point, remarks, labels)"),
      el("input", { id: "e-csv", name: "file", type: "file", accept: ".csv,text/csv", required: true }),
      el("button", { type: "submit" }, "Import CSV"),
      message,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const file = form.file.files[0];
      if (!file) return;
      message.className = "import-result";
      try {
        const result = await request(projectPath(this.pid, "/event"), { method: "POST", body: await file.text(), contentType: "text/csv" });
        message.textContent = `Imported ${result.created} events.`;
        await this.load();
      } catch (error) {
        message.className = "import-result error";
        message.textContent = `Nothing imported: ${error.message}`;
      }
    });
    return form;
  }

  section() {
    return el(
      "section",
      { class: "panel", "aria-labelledby": "log-title" },
      el("h2", { id: "log-title" }, "Line log ", this.count),
      this.filterForm(),
      this.addForm(),
      this.importForm(),
      this.notice,
      el("div", { class: "scroll" }, this.table),
      this.moreButton,
      this.history,
    );
  }
}

// ------------------------------------------------------------------ live changes

class Live {
  // Polls changes/{since} (and the navigation feed) and hands what changed to the view.
  constructor(pid, onChanges, onFix) {
    this.pid = pid;
    this.onChanges = onChanges;
    this.onFix = onFix;
    this.since = null;
    this.timer = null;
    this.stopped = false;
    this.status = el("p", { class: "live", "aria-live": "polite" }, "Live: starting");
  }

  async start() {
    const response = await request(projectPath(this.pid, `/changes/${new Date().toISOString()}`), { raw: true });
    this.since = response.headers.get("X-Changes-Until");
    this.schedule();
  }

  schedule() {
    if (!this.stopped) this.timer = setTimeout(() => this.poll(), POLL_MS);
  }

  async poll() {
    try {
      const response = await request(projectPath(this.pid, `/changes/${encodeURIComponent(this.since)}`), { raw: true });
      const changes = await response.json();
      this.since = response.headers.get("X-Changes-Until") || this.since;
      if (changes.length) await this.onChanges(changes);
      const fix = await get("/navdata/gis/point?limit=1").catch(() => null);
      this.onFix(fix && fix.length ? fix[0] : null);
      this.status.textContent = `Live: updated ${new Date().toISOString().slice(11, 19)}Z`;
    } catch (error) {
      this.status.textContent = `Live: ${error.message}`;
    }
    this.schedule();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}

// ------------------------------------------------------------------ QC

function flattenQc(tree) {
  const found = [];
  for (const [test, node] of Object.entries(tree)) {
    for (const [sequence, result] of Object.entries(node.sequences)) {
      for (const f of result.findings) found.push({ ...f, test, severity: node.severity, sequence: Number(sequence) });
    }
  }
  return found.sort((a, b) => a.sequence - b.sequence || (a.point ?? 0) - (b.point ?? 0) || a.id - b.id);
}

function qcStatusBySequence(tree) {
  const status = new Map();
  for (const node of Object.values(tree)) {
    for (const [sequence, result] of Object.entries(node.sequences)) {
      const n = Number(sequence);
      if (result.status === "fail" || !status.has(n)) status.set(n, result.status === "fail" ? "fail" : status.get(n) || "pass");
    }
  }
  return status;
}

async function setAcceptance(pid, ids, accept) {
  await post(projectPath(pid, `/qc/results/${accept ? "accept" : "unaccept"}`), ids);
}

function qcTable(pid, findings, onChanged) {
  if (!findings.length) return el("p", {}, "No QC findings.");
  return el(
    "table",
    { class: "qc", "aria-label": "QC findings" },
    el("thead", {}, el("tr", {}, ["Test", "Sequence", "Point", "Finding", "State", canEdit() ? "Action" : null].filter(Boolean).map((t) => el("th", { scope: "col" }, t)))),
    el(
      "tbody",
      {},
      findings.map((f) =>
        el(
          "tr",
          { dataset: { id: f.id }, class: f.accepted ? "accepted" : "open" },
          el("td", {}, f.test),
          el("td", {}, f.sequence),
          el("td", {}, f.point ?? ""),
          el("td", {}, f.message),
          el("td", { class: "state" }, f.accepted ? "accepted" : "open"),
          canEdit()
            ? el("td", {}, el("button", {
                type: "button",
                "aria-label": `${f.accepted ? "Unaccept" : "Accept"} finding ${f.id}`,
                onclick: async () => {
                  await setAcceptance(pid, [f.id], !f.accepted);
                  await onChanged();
                },
              }, f.accepted ? "Unaccept" : "Accept"))
            : null,
        ),
      ),
    ),
  );
}

// ------------------------------------------------------------------ sequences table

const SEQUENCE_COLUMNS = [
  ["sequence", "Sequence", (s) => s.sequence],
  ["line", "Line", (s) => s.line],
  ["status", "Status", (s) => s.status],
  ["fsp", "FSP", (s) => s.fsp],
  ["lsp", "LSP", (s) => s.lsp],
  ["num_points", "Shots", (s) => s.num_points],
  ["missing_shots", "Missing", (s) => s.missing_shots],
  ["length", "Length (m)", (s) => s.length],
  ["duration", "Duration", (s) => (s.duration ? s.duration.hours * 3600 + s.duration.minutes * 60 + s.duration.seconds : null)],
  ["qc", "QC", (s) => s.qc],
];

function sequencesSection(pid, sequences, qcStatus) {
  for (const s of sequences) s.qc = qcStatus.get(s.sequence) || "—";
  let sortKey = "sequence";
  let ascending = true;
  let filter = "";
  const body = el("tbody");
  const heads = new Map();
  const render = () => {
    const getter = SEQUENCE_COLUMNS.find((c) => c[0] === sortKey)[2];
    const rows = sequences
      .filter((s) => !filter || `${s.sequence} ${s.line} ${s.status} ${s.qc}`.toLowerCase().includes(filter))
      .sort((a, b) => {
        const x = getter(a);
        const y = getter(b);
        const order = x === y ? 0 : x === null || x === undefined ? 1 : y === null || y === undefined ? -1 : x < y ? -1 : 1;
        return ascending ? order : -order;
      });
    clear(
      body,
      ...rows.map((s) =>
        el(
          "tr",
          { dataset: { sequence: s.sequence } },
          el("td", {}, el("a", { href: `#/project/${encodeURIComponent(pid)}/sequence/${s.sequence}` }, s.sequence)),
          el("td", {}, s.line),
          el("td", {}, s.status),
          el("td", {}, s.fsp ?? ""),
          el("td", {}, s.lsp ?? ""),
          el("td", {}, fmtNumber(s.num_points)),
          el("td", {}, fmtNumber(s.missing_shots)),
          el("td", {}, fmtNumber(s.length)),
          el("td", {}, fmtDuration(s.duration)),
          el("td", { class: `qc-${s.qc}` }, s.qc),
        ),
      ),
    );
    for (const [key, th] of heads) th.setAttribute("aria-sort", key === sortKey ? (ascending ? "ascending" : "descending") : "none");
  };
  const head = el(
    "tr",
    {},
    SEQUENCE_COLUMNS.map(([key, title]) => {
      const th = el("th", { scope: "col" }, el("button", {
        type: "button",
        class: "sort",
        "aria-label": `Sort by ${title}`,
        onclick: () => {
          ascending = sortKey === key ? !ascending : true;
          sortKey = key;
          render();
        },
      }, title));
      heads.set(key, th);
      return th;
    }),
  );
  const input = el("input", { id: "seq-filter", type: "search", size: 16 });
  input.addEventListener("input", () => {
    filter = input.value.trim().toLowerCase();
    render();
  });
  render();
  return el(
    "section",
    { class: "panel", "aria-labelledby": "seq-title" },
    el("h2", { id: "seq-title" }, "Sequences"),
    el("p", {}, el("label", { for: "seq-filter" }, "Filter sequences "), input),
    el("div", { class: "scroll" }, el("table", { class: "sequences", id: "sequences", "aria-label": "Sequences" }, el("thead", {}, head), body)),
  );
}

// ------------------------------------------------------------------ project view

async function projectView(pid) {
  const [project, summary, lines, tracks, eventPlaces, qcTree, sequences, plan] = await Promise.all([
    get(projectPath(pid)),
    get(projectPath(pid, "/summary")),
    get(projectPath(pid, "/gis/line")),
    get(projectPath(pid, "/gis/sequence")),
    get(projectPath(pid, "/gis/event")),
    get(projectPath(pid, "/qc/results")),
    get(projectPath(pid, "/sequence")),
    get(projectPath(pid, "/plan")).catch(() => []),
  ]);
  const log = new LineLog(pid);
  const mapBox = el("div", { id: "map", class: "map", role: "region", "aria-label": "Coverage map" });
  const detail = el("div", { id: "finding", class: "finding", "aria-live": "polite" });
  const qcBox = el("div", { id: "qc-list" });
  let findings = flattenQc(qcTree);

  const showFinding = (p, f) => {
    const finding = f || { id: p.id, message: p.remarks, accepted: p.accepted, sequence: p.sequence, point: p.point, test: "" };
    clear(
      detail,
      el("h3", {}, `QC finding ${finding.id}`),
      el("p", {}, `${finding.test} — sequence ${finding.sequence}, point ${finding.point}: ${finding.message}`),
      el("p", {}, `State: ${finding.accepted ? "accepted" : "open"}`),
      canEdit()
        ? el("button", {
            type: "button",
            "aria-label": `${finding.accepted ? "Unaccept" : "Accept"} finding ${finding.id}`,
            onclick: async () => {
              await setAcceptance(pid, [finding.id], !finding.accepted);
              await refreshQc();
              showFinding(p, findings.find((x) => x.id === finding.id));
            },
          }, finding.accepted ? "Unaccept" : "Accept")
        : null,
    );
  };
  const map = new CoverageMap(mapBox, { onFinding: showFinding });
  const refreshQc = async () => {
    const [tree, places] = await Promise.all([get(projectPath(pid, "/qc/results")), get(projectPath(pid, "/gis/event"))]);
    findings = flattenQc(tree);
    clear(qcBox, qcTable(pid, findings, refreshQc));
    map.setEvents(places, new Map(findings.map((f) => [f.id, f])));
  };
  const legend = el(
    "ul",
    { class: "legend", "aria-label": "Map legend" },
    LINE_STATES.map(([key, name]) => el("li", { class: `legend-item legend-${key}` }, el("span", { class: "swatch", "aria-hidden": "true" }), name)),
    el("li", { class: "legend-item legend-track" }, el("span", { class: "swatch", "aria-hidden": "true" }), "Sequence track"),
    el("li", { class: "legend-item legend-planned" }, el("span", { class: "swatch", "aria-hidden": "true" }), "Planned sequence"),
    el("li", { class: "legend-item legend-qc" }, el("span", { class: "swatch", "aria-hidden": "true" }), "QC finding (open)"),
    el("li", { class: "legend-item legend-vessel" }, el("span", { class: "swatch", "aria-hidden": "true" }), "Vessel"),
  );
  const progressBox = el("div", { class: "progress-box" }, progressBar(summary));
  const sequencesBox = el("div", { class: "sequences-box" }, sequencesSection(pid, sequences, qcStatusBySequence(qcTree)));
  // A sequence shot or processed shows in the log as system events (FSP, LSP, …): then the figures,
  // the tracks, the lines' states and the sequences table are read again.
  const refreshProduction = async () => {
    const [s2, l2, t2, q2, tree2] = await Promise.all([
      get(projectPath(pid, "/summary")),
      get(projectPath(pid, "/gis/line")),
      get(projectPath(pid, "/gis/sequence")),
      get(projectPath(pid, "/sequence")),
      get(projectPath(pid, "/qc/results")),
    ]);
    clear(progressBox, progressBar(s2));
    map.setLines(l2);
    map.setTracks(t2);
    clear(sequencesBox, sequencesSection(pid, q2, qcStatusBySequence(tree2)));
  };
  const live = new Live(
    pid,
    async (changes) => {
      for (const c of changes) {
        if (c.is_deleted) log.remove(c.id);
        else log.upsert(c);
      }
      await refreshQc();
      if (changes.some((c) => !c.is_deleted && c.meta && c.meta.system)) await refreshProduction();
    },
    (fix) => {
      map.setVessel(fix);
      const p = fix && fix.properties;
      setBanner(p && p._online ? `online: sequence ${p._sequence}, point ${p._point}` : "");
    },
  );
  const root = el(
    "div",
    { class: "project-view", dataset: { pid } },
    el("h1", {}, project.name || pid),
    progressBox,
    live.status,
    el(
      "section",
      { class: "panel map-panel", "aria-labelledby": "map-title" },
      el("h2", { id: "map-title" }, "Coverage"),
      el("div", { class: "map-row" }, mapBox, el("div", { class: "side" }, legend, el("button", { type: "button", onclick: () => map.fit() }, "Fit to survey"), detail)),
    ),
    el("section", { class: "panel", "aria-labelledby": "qc-title" }, el("h2", { id: "qc-title" }, "QC findings"), qcBox),
    sequencesBox,
    log.section(),
  );
  clear(app, root);
  map.map.invalidateSize();
  map.setLines(lines);
  map.setTracks(tracks);
  map.setPlanned(plan, lines);
  clear(qcBox, qcTable(pid, findings, refreshQc));
  map.setEvents(eventPlaces, new Map(findings.map((f) => [f.id, f])));
  await log.load();
  await live.start();
  view = () => {
    live.stop();
    map.destroy();
  };
  root.dataset.loaded = "true";
  window.dougalLoadedAt = performance.now();
}

// ------------------------------------------------------------------ sequence view

function sequenceFigures(s) {
  const figures = [
    ["Line", s.line],
    ["Line name", s.line_name],
    ["Status", s.status],
    ["First shot", `${s.fsp ?? "—"} at ${fmtTime(s.ts0)}`],
    ["Last shot", `${s.lsp ?? "—"} at ${fmtTime(s.ts1)}`],
    ["Shots", fmtNumber(s.num_points)],
    ["Preplot points", fmtNumber(s.num_preplots)],
    ["Missing shots", fmtNumber(s.missing_shots)],
    ["Length (m)", fmtNumber(s.length, 1)],
    ["Azimuth (°)", fmtNumber(s.azimuth, 2)],
    ["Duration", fmtDuration(s.duration)],
    ["Remarks", s.remarks || "—"],
  ];
  return figures.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v ?? "—")]);
}

async function sequenceView(pid, number) {
  const read = () =>
    Promise.all([
      get(projectPath(pid, `/sequence/${number}`)),
      get(projectPath(pid, `/qc/results/sequence/${number}`)),
      get(projectPath(pid, `/gis/sequence/${number}/profile`)),
    ]);
  const [s, qcTree, profile] = await read();
  const save = (label, accept, path, filename, pick) =>
    el("button", {
      type: "button",
      class: "download",
      onclick: async () => {
        const response = await request(path, { accept, raw: true });
        if (pick) {
          const body = pick(await response.json());
          const blob = new Response(JSON.stringify(body), { headers: { "Content-Type": accept } });
          return download(blob, filename);
        }
        return download(response, filename);
      },
    }, label);
  const base = projectPath(pid, `/sequence/${number}`);
  const log = new LineLog(pid, { sequence: number });
  const figuresList = el("dl", { class: "figures" }, sequenceFigures(s));
  const chartTitle = el("h2", { id: "chart-title" }, `Along the line (${profile.kind} shots)`);
  const charts = [
    new LineChart(profile.points, "interval", { title: "Shot interval", unit: "s", id: "chart-interval" }),
    new LineChart(profile.points, "error", { title: "Distance from the preplot point", unit: "m", id: "chart-error" }),
  ];
  const qcBox = el("div", { id: "sequence-qc" });
  const root = el("div", { class: "sequence-view", dataset: { sequence: number, refreshed: 0 } });
  // A change for this sequence (its shots ingested again or processed: new FSP/LSP instances; an event or
  // a QC finding on it): the figures, the charts and the findings are read again and redrawn in place.
  const refresh = async () => {
    const [s2, tree2, profile2] = await read();
    clear(figuresList, ...sequenceFigures(s2));
    chartTitle.textContent = `Along the line (${profile2.kind} shots)`;
    for (const chart of charts) chart.update(profile2.points);
    clear(qcBox, qcTable(pid, flattenQc(tree2), refresh));
    root.dataset.refreshed = String(Number(root.dataset.refreshed) + 1);
  };
  clear(qcBox, qcTable(pid, flattenQc(qcTree), refresh));
  const live = new Live(pid, async (changes) => {
    for (const c of changes) c.is_deleted ? log.remove(c.id) : log.upsert(c);
    if (changes.some((c) => c.sequence === number)) await refresh();
  }, () => {});
  root.append(
    el("p", {}, el("a", { href: `#/project/${encodeURIComponent(pid)}` }, "← Back to the project")),
    el("h1", {}, `Sequence ${number}`),
    live.status,
    el("section", { class: "panel", "aria-labelledby": "fig-title" }, el("h2", { id: "fig-title" }, "Figures"), figuresList),
    el("section", { class: "panel charts", "aria-labelledby": "chart-title" }, chartTitle, charts.map((c) => c.figure)),
    el("section", { class: "panel downloads", "aria-labelledby": "dl-title" }, el("h2", { id: "dl-title" }, "Downloads"),
      save("Seis+JSON", "application/vnd.seis+json", base, `sequence-${number}.seis.json`),
      save("GeoJSON", "application/geo+json", projectPath(pid, "/gis/sequence"), `sequence-${number}.geojson`, (fc) => ({
        type: "FeatureCollection",
        features: fc.features.filter((f) => f.properties.sequence === number),
      })),
      save("CSV", "text/csv", projectPath(pid, `/event?sequence=${number}`), `sequence-${number}-log.csv`),
      save("PDF", "application/pdf", base, `sequence-${number}.pdf`)),
    el("section", { class: "panel", "aria-labelledby": "qc-title" }, el("h2", { id: "qc-title" }, "QC findings"), qcBox),
    log.section(),
  );
  clear(app, root);
  await log.load();
  await live.start();
  view = () => {
    live.stop();
    for (const chart of charts) chart.destroy();
  };
  root.dataset.loaded = "true";
}

window.addEventListener("hashchange", route);
route();
