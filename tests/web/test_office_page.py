"""The office page in a real browser (Debian's Chromium driven by Playwright) on the demo survey.

The demo survey is loaded as ``make run`` loads it (simulator files uploaded to the local bucket, ingested
by the same handler, QC run by its worker), the local server serves the API and the built page on a free
port, and the page is used as the office would: log in, the project list, the coverage map, a sequence's
page, the line log with a new event seen live, a QC finding accepted; a guest sees no edit control.
Screenshots of each step go to ``tests/web/screenshots/``. Expected numbers come from the API.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import os
import re
import subprocess
import time
import warnings
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from scripts.local_api import ROOT, WEB_DIST
from tests.database import truncate_all

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).with_name("screenshots")
PASSWORD = "office-page-password"
PID = "demo"
FIRST_LOAD_LIMIT_MS = 1500
POLL_MS = 500
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not CHROMIUM.exists():  # scripts/install-system.sh installs it; this only guards a machine without apt
    pytest.skip("Debian's Chromium (/usr/bin/chromium) is not installed", allow_module_level=True)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack(database_url: str) -> Iterator[str]:
    """The demo survey ingested and QC'd, accounts user and guest, and the local server with the built page."""
    from moto import mock_aws

    from chalicelib import aws as aws_clients
    from chalicelib.services.auth import forget_token_states
    from chalicelib.settings import get_settings
    from scripts.awsresources import provision
    from scripts.demo import load_demo
    from scripts.local_api import LocalAPI
    from tests.integration.factories import make_account
    from tests.integration.ingest_support import deliver_all, run_qc

    if not (WEB_DIST / "index.html").is_file():
        subprocess.run(["make", "web"], cwd=ROOT, check=True)
    saved = {k: os.environ.get(k) for k in ("DOUGAL_COOKIE_SECURE", "DOUGAL_DATABASE_URL")}
    os.environ["DOUGAL_COOKIE_SECURE"] = "false"  # plain HTTP on loopback, as make run
    os.environ["DOUGAL_DATABASE_URL"] = database_url
    get_settings.cache_clear()
    forget_token_states()
    truncate_all()
    aws_clients.reset()
    with mock_aws():
        settings = get_settings()
        provision(settings)
        load_demo(settings.upload_bucket)
        deliver_all()
        run_qc()
        make_account("user", "user", PASSWORD)
        make_account("guest", "guest", PASSWORD)
        import app as app_module

        server = LocalAPI(app_module.app, port=0, threads=4, static=WEB_DIST)
        server.start()
        try:
            yield f"http://127.0.0.1:{server.port}"
        finally:
            # Each of the server's threads opened its own database connection, which goes with the thread.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ResourceWarning)
                server.stop()
                gc.collect()
    aws_clients.reset()
    truncate_all()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()
    forget_token_states()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if SHOTS.exists():
        for old in SHOTS.glob("*.png"):
            if old.name != "project.png":
                old.unlink()
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    blocked: list[str] = []
    # No request may leave the machine: anything not on loopback fails the test.
    context.route(
        "**/*",
        lambda route: route.continue_()
        if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:"))
        else (blocked.append(route.request.url), route.abort()),
    )
    page.blocked = blocked  # type: ignore[attr-defined]
    context.blocked = blocked  # type: ignore[attr-defined]
    return page


def login(page: Any, base: str, name: str) -> None:
    page.goto(f"{base}/?poll={POLL_MS}#/")
    page.wait_for_selector("form.login")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector(f".project-item[data-pid='{PID}']")


def open_project(page: Any, base: str) -> None:
    """A whole page load of the project (a hash change alone would keep the page as it is)."""
    page.goto("about:blank")
    page.goto(f"{base}/?poll={POLL_MS}#/project/{PID}")
    page.wait_for_selector(".project-view[data-loaded='true']")


def api(page: Any, path: str, accept: str = "application/json") -> Any:
    response = page.request.get(page.url.split("/?")[0].split("/#")[0] + path, headers={"Accept": accept})
    assert response.ok, (path, response.status, response.text())
    return response


def unlabelled_controls(page: Any) -> list[str]:
    """Controls (buttons, inputs, links, selects) with no accessible name from aria-label, aria-labelledby,
    a <label>, their text or a title."""
    return page.evaluate(
        """() => [...document.querySelectorAll('button, input, select, textarea, a[href], [role=button]')]
              .filter(e => e.offsetParent !== null || e.getClientRects().length)
              .filter(e => !(e.getAttribute('aria-label') || '').trim()
                        && !document.getElementById(e.getAttribute('aria-labelledby') || '-')
                        && !(e.labels && [...e.labels].some(l => l.textContent.trim()))
                        && !(e.textContent || '').trim()
                        && !(e.getAttribute('title') || '').trim())
              .map(e => e.outerHTML.slice(0, 120))"""
    )


CONTRAST = """(selector) => {
  const rgb = (s) => s.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  // A plain swatch has its colour as background; a dashed one (a gradient over no background)
  // the gradient's first colour.
  const swatchColour = (e) => {
    const style = getComputedStyle(e);
    const plain = style.backgroundColor.match(/[\\d.]+/g).map(Number);
    if (plain.length < 4 || plain[3] > 0) return plain.slice(0, 3);
    return rgb(style.backgroundImage.match(/rgba?\\([^)]*\\)/)[0]);
  };
  const legend = document.querySelector(selector);
  const bg = rgb(getComputedStyle(legend).backgroundColor);
  return [...legend.querySelectorAll('li')].map(li => ({
    item: li.textContent.trim(),
    text: ratio(rgb(getComputedStyle(li).color), bg),
    swatch: ratio(swatchColour(li.querySelector('.swatch')), bg),
  }));
}"""


@pytest.fixture(scope="module")
def office(stack: str, browser: Any) -> Iterator[Any]:
    page = new_page(browser)
    yield page
    assert page.blocked == [], f"requests left the machine: {page.blocked}"  # type: ignore[attr-defined]
    page.context.close()


def test_1_login_then_the_project_list_with_progress(stack, office):
    office.goto(f"{stack}/?poll={POLL_MS}")
    office.wait_for_selector("form.login")
    assert unlabelled_controls(office) == []
    office.screenshot(path=SHOTS / "01-login.png")
    office.get_by_label("Name").fill("user")
    office.get_by_label("Password").fill("wrong password")
    office.get_by_role("button", name="Log in").click()
    expect(office.locator("#login-error")).not_to_be_empty()
    login(office, stack, "user")
    summary = api(office, f"/project/{PID}/summary").json()
    bar = office.locator(f".project-item[data-pid='{PID}'] .progress")
    label = bar.get_attribute("aria-label")
    for name in ("prime", "other", "remaining", "ntba"):
        assert f"{summary[name]:,}" in label, (name, label)
    assert summary["prime"] > 0
    forecast = api(office, f"/project/{PID}/forecast").json()
    assert forecast["completion"], "the demo survey has a forecast"
    shown = office.locator(f".project-item[data-pid='{PID}'] .forecast").inner_text()
    # The forecast counts from "now": the page asked a moment before the test did.
    assert shown.startswith("Forecast completion: "), shown
    on_page = datetime.fromisoformat(shown.removeprefix("Forecast completion: ").split(" (")[0].replace("Z", "+00:00"))
    asked = datetime.fromisoformat(forecast["completion"]["p50"].replace("Z", "+00:00"))
    assert abs((asked - on_page).total_seconds()) < 120, (shown, forecast["completion"])
    assert office.locator("#who").inner_text() == "user (user)"
    office.screenshot(path=SHOTS / "02-projects.png")


def test_2_the_project_page_loads_fast_and_draws_every_line(stack, browser, office, capsys):
    # A new browser context (an empty cache, as a first visit), logged in by the API alone (no page asset
    # fetched before), opens the project: a whole page load, timed by the browser.
    fresh = new_page(browser)
    try:
        logged = fresh.context.request.post(
            f"{stack}/login",
            data=json.dumps({"user": "user", "password": PASSWORD}),
            headers={"Content-Type": "application/json"},
        )
        assert logged.ok, logged.text()
        fresh.goto(f"{stack}/?poll={POLL_MS}#/project/{PID}")
        fresh.wait_for_selector(".project-view[data-loaded='true']")
        loaded_ms = fresh.evaluate("window.dougalLoadedAt")
        timings = fresh.evaluate(
            "performance.getEntriesByType('resource').map(e => [e.name.split('/').slice(3).join('/'),"
            " Math.round(e.startTime), Math.round(e.duration), e.transferSize])"
        )
        assets = [t for t in timings if t[0].startswith("assets/")]
        # Every asset came over the wire (a cached one has a transfer size of 0).
        assert len(assets) == 2 and all(t[3] > 0 for t in assets), assets
        with capsys.disabled():
            print()
            for name, start, duration, size in timings:
                print(f"  {start:6d} ms +{duration:5d} ms {size / 1024:8.1f} KiB  {name}")
            print(
                f"[dougal] first load of the project page, empty cache: {loaded_ms:.0f} ms"
                f" (navigation start to map, tables and log; limit {FIRST_LOAD_LIMIT_MS} ms)"
            )
        assert loaded_ms <= FIRST_LOAD_LIMIT_MS
        assert fresh.blocked == []  # type: ignore[attr-defined]
    finally:
        fresh.context.close()
    open_project(office, stack)
    lines = api(office, f"/project/{PID}/line")
    line_count = int(lines.headers["x-total-count"])
    assert line_count == len(lines.json()) == 8
    assert office.locator("#map path.preplot-line").count() == line_count
    sequences = api(office, f"/project/{PID}/sequence").json()
    assert office.locator("#map path.track").count() == len(sequences)
    assert office.locator("#sequences tbody tr").count() == len(sequences)
    states = {f["properties"]["state"] for f in api(office, f"/project/{PID}/gis/line").json()["features"]}
    for state in states:
        assert office.locator(f"#map path.state-{state}").count() > 0
    assert office.locator("#map path.qc-marker.open").count() > 0
    # Events with a position (not QC findings) are markers of their own, as many as the API places.
    places = api(office, f"/project/{PID}/gis/event").json()["features"]
    positioned = [f for f in places if f["geometry"] and not f["properties"]["qc"]]
    assert len(positioned) > 0
    assert office.locator("#map path.event-marker").count() == len(positioned)
    qc_places = [f for f in places if f["geometry"] and f["properties"]["qc"]]
    assert office.locator("#map path.qc-marker").count() == len(qc_places)
    assert unlabelled_controls(office) == []
    for item in office.evaluate(CONTRAST, ".legend"):
        assert item["text"] >= 4.5 and item["swatch"] >= 4.5, item
    office.screenshot(path=SHOTS / "03-project.png")


LINES_BOX = """() => {
  const map = document.querySelector('#map').getBoundingClientRect();
  const boxes = [...document.querySelectorAll('#map path.preplot-line')].map(p => p.getBoundingClientRect());
  const r = (v) => Math.round(v * 10) / 10;
  return {
    left: r(Math.min(...boxes.map(b => b.left)) - map.left), right: r(Math.max(...boxes.map(b => b.right)) - map.left),
    top: r(Math.min(...boxes.map(b => b.top)) - map.top), bottom: r(Math.max(...boxes.map(b => b.bottom)) - map.top),
    width: map.width, height: map.height,
  };
}"""


def settled_lines_box(page: Any) -> dict[str, float]:
    """Where the preplot lines are drawn in the map (px), once the map has stopped moving."""
    last = page.evaluate(LINES_BOX)
    for _ in range(50):
        page.wait_for_timeout(100)
        now = page.evaluate(LINES_BOX)
        if now == last:
            return now
        last = now
    raise AssertionError(f"the map did not settle: {last}")


def pane_offset(page: Any) -> list[float]:
    """The translation of the map's pane, which Leaflet moves as the map is dragged."""
    matrix = page.evaluate("getComputedStyle(document.querySelector('#map .leaflet-map-pane')).transform")
    return [float(v) for v in matrix.removeprefix("matrix(").rstrip(")").split(",")[4:6]]


def test_2b_the_map_zooms_pans_and_fits_back_to_the_survey(office):
    fitted = settled_lines_box(office)
    # Fitted: the survey inside the map with its 20 px padding, filling most of one direction
    # (zoom steps of a quarter level: at least 2**-0.25 of the room).
    assert fitted["left"] >= 19 and fitted["top"] >= 19, fitted
    assert fitted["right"] <= fitted["width"] - 19 and fitted["bottom"] <= fitted["height"] - 19, fitted
    room = max(
        (fitted["right"] - fitted["left"]) / (fitted["width"] - 40),
        (fitted["bottom"] - fitted["top"]) / (fitted["height"] - 40),
    )
    assert 2**-0.25 - 0.01 <= room <= 1.01, fitted
    office.get_by_role("button", name="Zoom in").click()
    zoomed = settled_lines_box(office)
    assert (zoomed["right"] - zoomed["left"]) / (fitted["right"] - fitted["left"]) == pytest.approx(2, rel=0.02)
    # Pan: drag the map; the lines follow the mouse.
    box = office.locator("#map").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    pane_before = pane_offset(office)
    office.mouse.move(x, y)
    office.mouse.down()
    office.mouse.move(x - 60, y - 40, steps=8)
    office.mouse.move(x - 120, y - 80, steps=8)
    office.wait_for_timeout(200)  # held still before the release: no inertia, the map stays where it was dropped
    office.mouse.up()
    panned = settled_lines_box(office)
    assert panned["left"] == pytest.approx(zoomed["left"] - 120, abs=2)  # not clipped on this side
    # The map's pane moved by the drag (the drawn paths are clipped to the view and its margin).
    pane_moved = [b - a for a, b in zip(pane_before, pane_offset(office), strict=True)]
    assert pane_moved == pytest.approx([-120, -80], abs=1)
    office.get_by_role("button", name="Fit to survey").click()
    assert settled_lines_box(office) == pytest.approx(fitted, abs=1)


def test_3_the_sequences_table_sorts_and_filters(office):
    def numbers() -> list[int]:
        return [
            int(n) for n in office.locator("#sequences tbody tr").evaluate_all("rs => rs.map(r => r.dataset.sequence)")
        ]

    ascending = numbers()
    assert ascending == sorted(ascending)
    office.get_by_role("button", name="Sort by Sequence").click()
    assert numbers() == sorted(ascending, reverse=True)
    assert office.locator("th:has(button[aria-label='Sort by Sequence'])").get_attribute("aria-sort") == "descending"
    office.get_by_role("button", name="Sort by Shots").click()
    shots = office.locator("#sequences tbody tr td:nth-child(6)").all_inner_texts()
    assert [int(s.replace(",", "")) for s in shots] == sorted(int(s.replace(",", "")) for s in shots)
    office.get_by_label("Filter sequences").fill("5212")
    assert numbers() == [s["sequence"] for s in api(office, f"/project/{PID}/sequence").json() if s["line"] == 5212]
    office.get_by_label("Filter sequences").fill("")


def test_4_a_sequence_page_with_figures_log_findings_and_downloads(stack, office):
    office.locator("#sequences a", has_text="1").first.click()
    office.wait_for_selector(".sequence-view[data-loaded='true']")
    number = int(office.locator(".sequence-view").get_attribute("data-sequence"))
    sequence = api(office, f"/project/{PID}/sequence/{number}").json()
    figures = dict(
        zip(
            office.locator(".figures dt").all_inner_texts(),
            office.locator(".figures dd").all_inner_texts(),
            strict=True,
        )
    )
    assert figures["Shots"] == f"{sequence['num_points']:,}" and figures["Line"] == str(sequence["line"])
    log = api(office, f"/project/{PID}/event?sequence={number}").json()
    shown = office.locator("#log tbody tr").evaluate_all("rs => rs.map(r => r.dataset.id)")
    assert shown == [str(e["id"]) for e in log], shown
    profile = api(office, f"/project/{PID}/gis/sequence/{number}/profile").json()["points"]
    check_charts(office, profile)
    # The sequence's QC findings: one row per finding the API lists for it.
    tree = api(office, f"/project/{PID}/qc/results").json()
    findings = [f for node in tree.values() for f in node["sequences"].get(str(number), {}).get("findings", [])]
    assert findings, "the demo's first sequence has findings (its missing shots)"
    rows = office.locator("#sequence-qc tbody tr").evaluate_all("rs => rs.map(r => Number(r.dataset.id))")
    assert sorted(rows) == sorted(f["id"] for f in findings)
    accept = office.locator("#sequence-qc").get_by_role("button", name=re.compile(r"^Accept finding "))
    assert accept.count() == len([f for f in findings if not f["accepted"]])
    assert unlabelled_controls(office) == []
    office.screenshot(path=SHOTS / "04-sequence.png", full_page=True)
    saved: dict[str, bytes] = {}
    types: dict[str, str] = {}
    for name, accept in (
        ("Seis+JSON", "application/vnd.seis+json"),
        ("GeoJSON", "application/geo+json"),
        ("CSV", "text/csv"),
        ("PDF", "application/pdf"),
    ):
        with (
            office.expect_response(lambda r, accept=accept: r.request.headers.get("accept") == accept) as answer,
            office.expect_download() as info,
        ):
            office.get_by_role("button", name=name, exact=True).click()
        saved[name] = Path(info.value.path()).read_bytes()
        types[name] = answer.value.headers["content-type"]
        assert info.value.suggested_filename.startswith(f"sequence-{number}")
    assert types["PDF"] == "application/pdf" and saved["PDF"].startswith(b"%PDF")
    geo = json.loads(saved["GeoJSON"])
    assert [f["properties"]["sequence"] for f in geo["features"]] == [number]
    assert types["Seis+JSON"].startswith("application/vnd.seis+json"), types
    seis = json.loads(saved["Seis+JSON"])
    assert seis["DglProjectId"] == PID
    assert [s["SequenceNumber"] for s in seis["Sequences"]] == [number]
    assert seis["Sequences"][0]["DglNumPoints"] == sequence["num_points"]
    # The CSV: its header, then one line per event of the sequence's log, in the log's order.
    assert types["CSV"].startswith("text/csv"), types
    table = list(csv.reader(io.StringIO(saved["CSV"].decode())))
    assert table[0] == ["tstamp", "sequence", "point", "remarks", "labels"]
    assert len(log) > 0 and len(table) == 1 + len(log)
    assert [row[3] for row in table[1:]] == [e["remarks"] for e in log]
    assert {row[1] for row in table[1:]} == {str(number)}


def check_charts(page: Any, profile: list[dict[str, Any]]) -> None:
    """Both charts hold one value per shotpoint of the profile (read back from the chart library's own data),
    drew them on their canvas, and name the largest value's point."""
    for chart, key in (("#chart-interval", "interval"), ("#chart-error", "error")):
        figure = page.locator(chart)
        expected = [p for p in sorted(profile, key=lambda p: p["point"]) if p[key] is not None]
        assert len(expected) > 0
        held = figure.evaluate("f => f.chart.plot.data")
        assert [x for x, y in zip(held[0], held[1], strict=True) if y is not None] == [p["point"] for p in expected]
        assert [y for y in held[1] if y is not None] == pytest.approx([p[key] for p in expected])
        assert int(figure.get_attribute("data-points")) == len(expected)
        # The series' colour (#0b4f8a) on the canvas: the library drew the line.
        inked = figure.locator("canvas").evaluate(
            """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
                 for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 11) < 40 && Math.abs(d[i+1] - 79) < 40
                     && Math.abs(d[i+2] - 138) < 40 && d[i+3] > 100) n++; return n; }"""
        )
        assert inked > 50, (chart, inked)
        largest = max(expected, key=lambda p: p[key])
        label = figure.get_attribute("aria-label")
        assert f"{len(expected)} shotpoints" in label and f"at point {largest['point']}" in label, label


def test_5_an_added_event_appears_in_the_log_and_in_changes_and_others_arrive_live(stack, office):
    open_project(office, stack)
    since = api(office, f"/project/{PID}/changes/2000-01-01T00:00:00Z").headers["x-changes-until"]
    form = office.locator("form.add-event")
    form.get_by_label("Sequence").fill("2")
    form.get_by_label("Point").fill("1100")
    form.get_by_label("Remarks").fill("Fishing vessel on the line")
    form.get_by_label("Labels").fill("Nav")
    form.get_by_role("button", name="Add event").click()
    row = office.locator("#log tbody tr", has_text="Fishing vessel on the line")
    row.wait_for()
    event_id = int(row.get_attribute("data-id"))
    changes = api(office, f"/project/{PID}/changes/{since}").json()
    assert [c["remarks"] for c in changes if c["id"] == event_id] == ["Fishing vessel on the line"]
    # Another office writes: the page shows it without a reload (live polling of changes).
    other = office.context.request.post(
        f"{stack}/project/{PID}/event",
        data=json.dumps({"tstamp": "2021-10-08T23:59:00Z", "remarks": "Crew change by helicopter"}),
        headers={"Content-Type": "application/json"},
    )
    assert other.status == 201
    started = time.monotonic()
    office.locator("#log tbody tr", has_text="Crew change by helicopter").wait_for(timeout=10_000)
    print(f"\n[dougal] an event written elsewhere reached the open page in {time.monotonic() - started:.1f} s")
    deleted = office.context.request.delete(f"{stack}/project/{PID}/event/{other.json()['id']}")
    assert deleted.status == 204
    office.locator("#log tbody tr", has_text="Crew change by helicopter").wait_for(state="detached", timeout=10_000)
    office.screenshot(path=SHOTS / "05-log.png")

    # Edit, history, delete and undelete of the event added above.
    row.get_by_role("button", name=f"Edit event {event_id}").click()
    office.get_by_label(f"Remarks of event {event_id}").fill("Fishing vessel cleared the line")
    office.get_by_role("button", name=f"Save event {event_id}").click()
    expect(office.locator(f"#log tr[data-id='{event_id}'] .remarks")).to_have_text("Fishing vessel cleared the line")
    office.get_by_role("button", name=f"History of event {event_id}").click()
    history = office.locator(".event-history table tbody tr")
    expect(history).to_have_count(2)
    assert history.nth(0).locator("td").nth(3).inner_text() == "Fishing vessel on the line"
    office.get_by_role("button", name=f"Delete event {event_id}").click()
    expect(office.locator(f"#log tr[data-id='{event_id}']")).to_have_count(0)
    office.get_by_role("button", name=f"Undelete event {event_id}").click()
    expect(office.locator(f"#log tr[data-id='{event_id}'] .remarks")).to_have_text("Fishing vessel cleared the line")
    current = api(office, f"/project/{PID}/event?sequence=2").json()
    assert [e["remarks"] for e in current if e["id"] == event_id] == ["Fishing vessel cleared the line"]

    # CSV import: a file with a bad row imports nothing and names the row; a good one adds its rows.
    bad = b"tstamp,sequence,point,remarks,labels\n2021-10-08T21:00:00Z,,,Streamer check,\nnot a time,,,Broken row,\n"
    office.get_by_label("CSV file").set_input_files(files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": bad}])
    office.get_by_role("button", name="Import CSV").click()
    expect(office.locator(".import-result")).to_contain_text("row 3: Invalid isoformat string: 'not a time'")
    assert office.locator("#log tbody tr", has_text="Streamer check").count() == 0
    good = (
        b"tstamp,sequence,point,remarks,labels\n"
        b"2021-10-08T21:00:00Z,,,Streamer check,\n2021-10-08T21:05:00Z,,,Gun test,\n"
    )
    office.get_by_label("CSV file").set_input_files(
        files=[{"name": "good.csv", "mimeType": "text/csv", "buffer": good}]
    )
    office.get_by_role("button", name="Import CSV").click()
    expect(office.locator(".import-result")).to_have_text("Imported 2 events.")
    office.locator("#log tbody tr", has_text="Gun test").wait_for()

    # Keyboard: Tab walks the log, a row then its buttons (Edit, History, Delete) then the next row.
    rows = office.locator("#log tbody tr")
    rows.first.focus()
    visited = []
    for _ in range(8):
        visited.append(
            office.evaluate(
                "document.activeElement.closest('tr') && document.activeElement.closest('tr').dataset.id"
                " + ':' + document.activeElement.tagName"
            )
        )
        office.keyboard.press("Tab")
    ids = rows.evaluate_all("rs => rs.map(r => r.dataset.id)")
    assert visited == [
        f"{ids[0]}:TR",
        f"{ids[0]}:BUTTON",
        f"{ids[0]}:BUTTON",
        f"{ids[0]}:BUTTON",
        f"{ids[1]}:TR",
        f"{ids[1]}:BUTTON",
        f"{ids[1]}:BUTTON",
        f"{ids[1]}:BUTTON",
    ]

    # Filters: by label, by sequence and by dates, each the rows the API lists for the same query.
    def shown() -> list[int]:
        return sorted(int(i) for i in rows.evaluate_all("rs => rs.map(r => r.dataset.id)"))

    def listed(query: str) -> list[int]:
        return sorted(e["id"] for e in api(office, f"/project/{PID}/event?{query}").json())

    filters = office.get_by_role("form", name="Filter the log")
    for fields, query in (
        ({"Label": "Nav"}, "label=Nav"),
        ({"Label": "", "Sequence": "2"}, "sequence=2"),
        ({"Sequence": "", "From": "2021-10-08", "To": "2021-10-08"}, "date0=2021-10-08&date1=2021-10-08"),
    ):
        for label, value in fields.items():
            filters.get_by_label(label, exact=True).fill(value)
        filters.get_by_role("button", name="Filter").click()
        expected = listed(query)
        expect(rows).to_have_count(len(expected))
        assert shown() == expected and expected, query
    assert event_id in listed("label=Nav") and event_id in listed("sequence=2")
    filters.get_by_label("From", exact=True).fill("")
    filters.get_by_label("To", exact=True).fill("")
    filters.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(len(listed("limit=1000")))


def test_6_a_qc_finding_is_accepted_from_the_map(stack, office):
    marker = office.locator("#map path.qc-marker.open").first
    open_before = office.locator("#map path.qc-marker.open").count()
    marker.click(force=True)
    detail = office.locator("#finding")
    detail.get_by_role("button", name="Accept").wait_for()
    finding_id = int(detail.locator("h3").inner_text().split()[-1])
    detail.get_by_role("button", name="Accept").click()
    detail.get_by_role("button", name="Unaccept").wait_for()
    tree = api(office, f"/project/{PID}/qc/results").json()
    accepted = {
        f["id"]: f["accepted"] for node in tree.values() for r in node["sequences"].values() for f in r["findings"]
    }
    assert accepted[finding_id] is True
    expect(office.locator("#map path.qc-marker.open")).to_have_count(open_before - 1)
    assert office.locator(f"#qc-list tr[data-id='{finding_id}'] .state").inner_text() == "accepted"
    office.screenshot(path=SHOTS / "06-qc.png")
    # Unaccept, from the same finding: open again, on the map and in the API.
    detail.get_by_role("button", name="Unaccept").click()
    detail.get_by_role("button", name="Accept").wait_for()
    expect(office.locator("#map path.qc-marker.open")).to_have_count(open_before)
    expect(office.locator(f"#qc-list tr[data-id='{finding_id}'] .state")).to_have_text("open")
    tree = api(office, f"/project/{PID}/qc/results").json()
    accepted = {
        f["id"]: f["accepted"] for node in tree.values() for r in node["sequences"].values() for f in r["findings"]
    }
    assert accepted[finding_id] is False


def test_7_a_guest_sees_no_edit_controls(stack, browser):
    page = new_page(browser)
    try:
        login(page, stack, "guest")
        page.goto(f"{stack}/?poll={POLL_MS}#/project/{PID}")
        page.wait_for_selector(".project-view[data-loaded='true']")
        assert page.locator("#log tbody tr").count() > 0
        assert page.locator("form.add-event").count() == 0
        assert page.locator("form.import-events").count() == 0
        assert page.get_by_label("CSV file").count() == 0
        assert page.locator("#qc-list tbody tr").count() > 0
        assert page.locator("#qc-list button").count() == 0
        # Reading the history is all a guest can do in the log.
        assert set(page.locator("#log button").all_inner_texts()) == {"History"}
        page.locator("#map path.qc-marker").first.click(force=True)
        page.locator("#finding h3").wait_for()
        assert page.locator("#finding button").count() == 0
        page.screenshot(path=SHOTS / "07-guest.png")
        # A guest's sequence page: the findings listed, no Accept/Unaccept, no add or import form.
        page.goto(f"{stack}/?poll={POLL_MS}#/project/{PID}/sequence/1")
        page.wait_for_selector(".sequence-view[data-loaded='true']")
        assert page.locator("#sequence-qc tbody tr").count() > 0
        assert page.locator("#sequence-qc button").count() == 0
        assert page.get_by_role("button", name=re.compile("accept", re.IGNORECASE)).count() == 0
        assert page.locator("form.add-event, form.import-events").count() == 0
        assert set(page.locator("#log button").all_inner_texts()) == {"History"}
        assert page.blocked == []  # type: ignore[attr-defined]
    finally:
        page.context.close()


def test_8_the_vessel_fix_and_the_online_banner_follow_the_nav_feed(stack, office):
    open_project(office, stack)
    assert office.locator("#map path.vessel").count() == 0
    assert office.locator("#banner").is_hidden()
    fix = {
        "tstamp": "2021-10-09T05:40:00Z",
        "lat": 59.19,
        "lon": 2.52,
        "lineName": "NS21-1052160005S00000",  # the demo's line pattern: line 5216, sequence 5
        "point": 1150,
    }
    posted = office.context.request.post(
        f"{stack}/navdata", data=json.dumps([fix]), headers={"Content-Type": "application/json"}
    )
    assert posted.status == 201, posted.text()
    expect(office.locator("#banner")).to_have_text("online: sequence 5, point 1150", timeout=10_000)
    expect(office.locator("#map path.vessel")).to_have_count(1)
    office.screenshot(path=SHOTS / "08-online.png")


def test_9_planned_sequences_are_drawn_dashed_on_their_lines(stack, office):
    planned = office.context.request.post(
        f"{stack}/project/{PID}/plan",
        data=json.dumps({"line": 5214, "fsp": 1000, "lsp": 1149}),
        headers={"Content-Type": "application/json"},
    )
    assert planned.status == 201, planned.text()
    open_project(office, stack)
    plan = api(office, f"/project/{PID}/plan").json()
    assert office.locator("#map path.planned").count() == len(plan) == 1
    assert office.locator("#map path.planned").get_attribute("stroke-dasharray") == "8 6"
    # Half the line (points 1000-1149 of 1000-1299): the dashed path is about half as long as the line's.
    planned_length = office.locator("#map path.planned").evaluate("p => p.getTotalLength()")
    line_length = office.evaluate(
        "() => Math.max(...[...document.querySelectorAll('#map path.preplot-line')].map(p => p.getTotalLength()))"
    )
    assert planned_length / line_length == pytest.approx(149 / 299, rel=0.05)
    for item in office.evaluate(CONTRAST, ".legend"):
        assert item["text"] >= 4.5 and item["swatch"] >= 4.5, item
    # The legend draws the planned swatch dashed too: along its middle row, runs of the planned colour
    # (#00607a) broken by the legend's white.
    from PIL import Image

    swatch = Image.open(io.BytesIO(office.locator(".legend-planned .swatch").screenshot())).convert("RGB")
    row = [swatch.getpixel((x, swatch.height // 2)) for x in range(swatch.width)]
    kinds = "".join(
        "p" if max(abs(a - b) for a, b in zip(px, (0, 96, 122), strict=True)) < 30 else "w" if min(px) > 225 else "?"
        for px in row
    )
    assert re.fullmatch(r"(p+w+)+p*w*", kinds) and kinds.count("p") >= 8 and "wp" in kinds, kinds


def test_10_a_sequence_shot_while_the_page_is_open_appears_without_a_reload(stack, office):
    from datetime import UTC, datetime

    from chalicelib import aws
    from chalicelib.settings import get_settings
    from dougal_sim import simulator as sim
    from tests.integration.ingest_support import deliver_all

    open_project(office, stack)
    before = len(api(office, f"/project/{PID}/sequence").json())
    assert office.locator("#map path.track").count() == before
    office.evaluate("window.notReloaded = true")
    survey = sim.Survey(num_lines=8, points_per_line=300, first_point=1000, seed=7)  # the demo's preplot
    shot = survey.sequence(6, 5218, start=datetime(2021, 10, 9, 8, 0, tzinfo=UTC))
    body = sim.write_p111(shot, kind="raw").encode()
    aws.s3().put_object(Bucket=get_settings().upload_bucket, Key=f"{PID}/raw/{shot.line_name}.p111", Body=body)
    deliver_all()
    expect(office.locator("#map path.track")).to_have_count(before + 1, timeout=10_000)
    expect(office.locator("#sequences tbody tr")).to_have_count(before + 1)
    expect(office.locator("#map path.state-acquired")).not_to_have_count(0)
    assert office.evaluate("window.notReloaded") is True
    summary = api(office, f"/project/{PID}/summary").json()
    assert f"{summary['prime']:,}" in office.locator(".progress-box .progress").get_attribute("aria-label")


def test_11_a_sequence_page_redraws_its_figures_charts_and_findings_when_its_sequence_changes(stack, office):
    from datetime import UTC, datetime

    from chalicelib import aws
    from chalicelib.settings import get_settings
    from dougal_sim import simulator as sim
    from tests.integration.ingest_support import deliver_all, run_qc

    number = 5  # shot online in the demo: raw positions only
    office.goto("about:blank")
    office.goto(f"{stack}/?poll={POLL_MS}#/project/{PID}/sequence/{number}")
    office.wait_for_selector(".sequence-view[data-loaded='true']")
    office.evaluate("window.notReloaded = true")
    before = api(office, f"/project/{PID}/sequence/{number}").json()
    assert office.locator("#chart-title").inner_text() == "Along the line (raw shots)"

    def figure(name: str) -> Any:
        term = office.locator(".figures dt").filter(has_text=re.compile(f"^{re.escape(name)}$"))
        return term.locator("xpath=following-sibling::dd[1]")

    assert figure("Status").inner_text() == before["status"]
    # Its final positions arrive (as the processing office uploads them) and QC runs again.
    survey = sim.Survey(num_lines=8, points_per_line=300, first_point=1000, seed=7)  # the demo's preplot
    truth = survey.sequence(number, 5216, start=datetime(2021, 10, 9, 5, 30, tzinfo=UTC))  # as scripts/demo.py
    key = f"{PID}/final/{truth.line_name}.p111"
    aws.s3().put_object(Bucket=get_settings().upload_bucket, Key=key, Body=sim.write_p111(truth, kind="final").encode())
    deliver_all()
    run_qc()
    after = api(office, f"/project/{PID}/sequence/{number}").json()
    profile = api(office, f"/project/{PID}/gis/sequence/{number}/profile").json()
    assert profile["kind"] == "final" and after != before
    expect(office.locator("#chart-title")).to_have_text("Along the line (final shots)", timeout=10_000)
    expect(figure("Status")).to_have_text(after["status"])
    assert figure("Shots").inner_text() == f"{after['num_points']:,}"
    check_charts(office, profile["points"])
    tree = api(office, f"/project/{PID}/qc/results/sequence/{number}").json()
    findings = sorted(f["id"] for node in tree.values() for r in node["sequences"].values() for f in r["findings"])
    expect(office.locator("#sequence-qc tbody tr")).to_have_count(len(findings))
    assert office.evaluate("window.notReloaded") is True
    assert int(office.locator(".sequence-view").get_attribute("data-refreshed")) >= 1


def test_12_the_log_reads_a_page_at_a_time_and_says_of_how_many(stack, office):
    rows = "".join(f"2021-10-07T{h:02d}:{m:02d}:00Z,,,Bulk note {h * 60 + m},\n" for h in range(20) for m in range(60))
    imported = office.context.request.post(
        f"{stack}/project/{PID}/event",
        data="tstamp,sequence,point,remarks,labels\n" + rows,
        headers={"Content-Type": "text/csv"},
    )
    assert imported.status == 201, imported.text()
    open_project(office, stack)
    total = int(api(office, f"/project/{PID}/event").headers["x-total-count"])
    assert total > 1200
    log_rows = office.locator("#log tbody tr")
    expect(log_rows).to_have_count(1000)
    count = office.locator("#log-title .count")
    assert count.inner_text() == f"1,000 of {total:,} events"
    more = office.get_by_role("button", name=f"Show {total - 1000:,} more of {total - 1000:,}")
    more.click()
    expect(log_rows).to_have_count(total)
    assert count.inner_text() == f"{total:,} of {total:,} events"
    assert more.is_hidden()
    shown = sorted(int(i) for i in log_rows.evaluate_all("rs => rs.map(r => r.dataset.id)"))
    assert shown == sorted(e["id"] for e in api(office, f"/project/{PID}/event?limit=10000").json())
