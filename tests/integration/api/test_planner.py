"""The planner: planned sequences (figures, names, ETAs, edits), removal on import, infill, forecast.

Expected numbers are worked out here from the stored preplot points (pyproj for WGS 84, plane
geometry in the grid) and from the simulator's truth, not by the code under test.
"""

from __future__ import annotations

import itertools
import json
import math
from datetime import UTC, datetime, timedelta

import pytest
from pyproj import Transformer

from chalicelib import db
from dougal_sim import simulator as sim
from dougal_sim.simulator import Fault
from tests.integration.factories import as_role, make_project
from tests.integration.ingest_support import CONFIGURATION, count, run_qc, survey, upload

START = datetime(2021, 10, 8, 10, 0, tzinfo=UTC)
CLOCK = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TO_WGS84 = Transformer.from_crs("EPSG:32631", "EPSG:4326", always_xy=True)


def api(client, method, path, body=None, role="user"):
    raw = json.dumps(body).encode() if body is not None else b""
    response = client.request(method, path, body=raw, headers={**as_role(role), "Content-Type": "application/json"})
    return response.status_code, (json.loads(response.body) if response.body else None), response.headers


def plan(client):
    status, found, _ = api(client, "GET", "/project/alpha/plan", role="guest")
    assert status == 200, found
    return {p["sequence"]: p for p in found}


def post(client, body, expect=201):
    status, found, headers = api(client, "POST", "/project/alpha/plan", body)
    assert status == expect, found
    return found, headers


def patch(client, sequence, body, expect=201):
    status, found, _ = api(client, "PATCH", f"/project/alpha/plan/{sequence}", body)
    assert status == expect, found
    return found


def at(text):
    return datetime.fromisoformat(text)


def grid_points(line, low, high):
    rows = (
        db.connection()
        .execute(
            "SELECT point, easting, northing FROM preplot_point WHERE pid = 'alpha' AND line = %s "
            "AND point BETWEEN %s AND %s ORDER BY point",
            (line, low, high),
        )
        .fetchall()
    )
    return {r["point"]: (r["easting"], r["northing"]) for r in rows}


@pytest.fixture
def frozen(monkeypatch):
    from chalicelib.services.planner import plan as service

    monkeypatch.setattr(service, "now", lambda: CLOCK)
    return CLOCK


@pytest.fixture
def project(aws, frozen):
    make_project("alpha", configuration=CONFIGURATION)
    upload(aws, "alpha/preplot/p.sps", sim.write_sps_preplot(survey()))
    return "alpha"


def shoot(aws, truth, kinds=("raw",)):
    for kind in kinds:
        upload(aws, f"alpha/{kind}/{truth.line_name}.p111", sim.write_p111(truth, kind=kind))


# ------------------------------------------------------------------ figures from the preplot


@pytest.mark.parametrize(("fsp", "lsp"), [(1010, 1050), (1050, 1010)])
def test_geometry_length_azimuth_and_points_come_from_the_preplot(client, project, fsp, lsp):
    created, headers = post(client, {"sequence": 10, "line": 5212, "fsp": fsp, "lsp": lsp})
    assert headers["Location"] == "/project/alpha/plan/10"
    item = plan(client)[10]
    assert created == item
    grid = grid_points(5212, 1010, 1050)
    (e0, n0), (e1, n1) = grid[fsp], grid[lsp]
    assert item["num_points"] == 41
    assert item["length"] == pytest.approx(math.hypot(e1 - e0, n1 - n0), abs=1e-6)
    assert item["azimuth"] == pytest.approx(math.degrees(math.atan2(e1 - e0, n1 - n0)) % 360.0, abs=1e-9)
    assert item["azimuth"] == pytest.approx(60.0 if lsp > fsp else 240.0, abs=1e-3)  # the survey's line heading
    assert item["geometry"]["type"] == "LineString"
    # A straight line: its two ends, in the shooting direction, each where pyproj puts the grid point.
    expected = [TO_WGS84.transform(*grid[fsp]), TO_WGS84.transform(*grid[lsp])]
    assert len(item["geometry"]["coordinates"]) == 2
    for got, want in zip(item["geometry"]["coordinates"], expected, strict=True):
        assert got == pytest.approx(list(want), abs=1e-9)
    assert item["class"] == "V"
    assert (item["fsp"], item["lsp"], item["line"]) == (fsp, lsp, 5212)


def test_a_bent_line_keeps_its_corner_and_measures_along_the_points(client, project):
    # Line 7000: 11 points east, then 10 points north-east (a dog-leg), 20 m apart.
    pts = [(500000.0 + 20.0 * i, 6560000.0) for i in range(11)]
    pts += [(pts[-1][0] + 20.0 * k / math.sqrt(2), 6560000.0 + 20.0 * k / math.sqrt(2)) for k in range(1, 11)]
    conn = db.connection()
    conn.execute("INSERT INTO preplot_line (pid, line) VALUES ('alpha', 7000)")
    for i, (e, n) in enumerate(pts):
        lon, lat = TO_WGS84.transform(e, n)
        conn.execute(
            "INSERT INTO preplot_point (pid, line, point, easting, northing, lon, lat) "
            "VALUES ('alpha', 7000, %s, %s, %s, %s, %s)",
            (100 + i, e, n, lon, lat),
        )
    post(client, {"sequence": 11, "line": 7000, "fsp": 100, "lsp": 120})
    item = plan(client)[11]
    assert item["num_points"] == 21
    assert item["length"] == pytest.approx(10 * 20.0 + 10 * 20.0, abs=1e-6)
    de, dn = pts[-1][0] - pts[0][0], pts[-1][1] - pts[0][1]
    assert item["azimuth"] == pytest.approx(math.degrees(math.atan2(de, dn)), abs=1e-9)
    corners = [pts[0], pts[10], pts[20]]
    coordinates = item["geometry"]["coordinates"]
    assert len(coordinates) == len(corners)
    for got, want in zip(coordinates, corners, strict=True):
        assert got == pytest.approx(list(TO_WGS84.transform(*want)), abs=1e-9)


# ------------------------------------------------------------------ defaults: sequence and name


def test_sequence_and_name_defaults(aws, client, project):
    shoot(aws, survey().sequence(55, 5210, start=START))
    created, headers = post(client, {"line": 5212, "fsp": 1000, "lsp": 1100})
    assert created["sequence"] == 56 and headers["Location"] == "/project/alpha/plan/56"
    assert created["name"] == "1052120056S00000"  # direction 10 (increasing), line, attempt 0, sequence
    # Line 5210 was shot once: the next attempt there is 1; shot backwards: direction 20.
    second, _ = post(client, {"line": 5210, "fsp": 1100, "lsp": 1000})
    assert second["sequence"] == 57 and second["name"] == "2052101057S00000"
    named, _ = post(client, {"line": 5214, "fsp": 1000, "lsp": 1010, "name": "my own name"})
    assert named["name"] == "my own name" and named["sequence"] == 58
    # The project's template.
    conn = db.connection()
    conn.execute(
        "UPDATE project SET configuration = configuration || %s::jsonb WHERE pid = 'alpha'",
        (json.dumps({"planner": {"name": "L{line}-S{sequence:04d}-A{attempt}-D{direction}"}}),),
    )
    assert plan(client)[57]["name"] == "L5210-S0057-A1-D20"
    assert plan(client)[58]["name"] == "my own name"
    # A template stored before templates were checked does not break the plan: the default is used.
    conn.execute(
        "UPDATE project SET configuration = configuration || %s::jsonb WHERE pid = 'alpha'",
        (json.dumps({"planner": {"name": "{line.__class__}{ship}"}}),),
    )
    assert plan(client)[57]["name"] == "2052101057S00000"


# ------------------------------------------------------------------ ETAs


def configure(planner):
    db.connection().execute(
        "UPDATE project SET configuration = configuration || %s::jsonb WHERE pid = 'alpha'",
        (json.dumps({"planner": planner}),),
    )


def test_the_eta_chain_and_changes_that_move_it(client, project, frozen):
    configure({"line_change_minutes": 60, "shot_interval_s": 5})
    change, shot = timedelta(minutes=60), timedelta(seconds=5)
    post(client, {"sequence": 1, "line": 5210, "fsp": 1000, "lsp": 1040})  # 41 points
    post(client, {"sequence": 2, "line": 5212, "fsp": 1060, "lsp": 1000})  # 61 points
    post(client, {"sequence": 3, "line": 5214, "fsp": 1000, "lsp": 1020})  # 21 points
    given0, given1 = CLOCK + timedelta(days=5), CLOCK + timedelta(days=5, hours=1)
    post(
        client,
        {"sequence": 4, "line": 5216, "fsp": 1000, "lsp": 1020, "ts0": given0.isoformat(), "ts1": given1.isoformat()},
    )
    before = plan(client)
    assert at(before[1]["ts0"]) == CLOCK + change
    assert at(before[1]["ts1"]) == CLOCK + change + 41 * shot
    assert at(before[2]["ts0"]) == at(before[1]["ts1"]) + change
    assert at(before[2]["ts1"]) == at(before[2]["ts0"]) + 61 * shot
    assert at(before[3]["ts0"]) == at(before[2]["ts1"]) + change
    assert at(before[3]["ts1"]) == at(before[3]["ts0"]) + 21 * shot
    assert before[1]["duration"] == {"hours": 0, "minutes": 3, "seconds": 25, "milliseconds": 0.0}
    assert [before[s]["estimated"] for s in (1, 2, 3, 4)] == [True, True, True, False]
    assert (at(before[4]["ts0"]), at(before[4]["ts1"])) == (given0, given1)

    # Ten more points on the first: the next two move by exactly ten shot intervals.
    patch(client, 1, {"lsp": 1050})
    after = plan(client)
    for s in (2, 3):
        for key in ("ts0", "ts1"):
            assert at(after[s][key]) - at(before[s][key]) == 10 * shot
    assert (at(after[4]["ts0"]), at(after[4]["ts1"])) == (given0, given1)  # a given time never moves

    # Given times for the first: the others chain from them, moved by exactly the change of its end.
    t0 = CLOCK + timedelta(hours=7, minutes=13)
    t1 = t0 + timedelta(minutes=30)
    patch(client, 1, {"ts0": t0.isoformat(), "ts1": t1.isoformat()})
    moved = plan(client)
    assert moved[1]["estimated"] is False
    shift = t1 - at(after[1]["ts1"])
    for s in (2, 3):
        for key in ("ts0", "ts1"):
            assert at(moved[s][key]) - at(after[s][key]) == shift
    assert (at(moved[4]["ts0"]), at(moved[4]["ts1"])) == (given0, given1)

    # Deleting the second brings the third forward by the second's duration and one line change.
    assert api(client, "DELETE", "/project/alpha/plan/2")[0] == 204
    gone = plan(client)
    assert at(moved[3]["ts0"]) - at(gone[3]["ts0"]) == 61 * shot + change
    # Inserting one between them pushes the third back again.
    post(client, {"sequence": 2, "line": 5212, "fsp": 1000, "lsp": 1010})
    again = plan(client)
    assert at(again[3]["ts0"]) - at(gone[3]["ts0"]) == 11 * shot + change
    # Clearing the given times makes them estimates again; an answer sent back keeps them estimates.
    patch(client, 1, {"ts0": None, "ts1": None})
    cleared = plan(client)[1]
    assert cleared["estimated"] is True and at(cleared["ts0"]) == CLOCK + change
    status, _, _ = api(client, "PUT", "/project/alpha/plan", {**cleared, "remarks": "sent back"})
    assert status == 201
    assert plan(client)[1]["estimated"] is True and plan(client)[1]["remarks"] == "sent back"


def test_etas_start_after_the_last_acquired_sequence_and_use_the_measured_interval(aws, client, project, monkeypatch):
    from chalicelib.services.planner import plan as service

    truth = survey().sequence(55, 5210, start=START, shot_interval_s=8.0)
    shoot(aws, truth, kinds=("raw", "final"))
    monkeypatch.setattr(service, "now", lambda: START)  # the clock before the sequence ended
    post(client, {"sequence": 60, "line": 5212, "fsp": 1000, "lsp": 1049})
    item = plan(client)[60]
    last = truth.events[-1].tstamp
    first = truth.events[0].tstamp
    measured = (last - first).total_seconds() / (len(truth.events) - 1)
    assert at(item["ts0"]) == last + timedelta(minutes=90)  # the default line change
    assert (at(item["ts1"]) - at(item["ts0"])).total_seconds() == pytest.approx(50 * measured, abs=1e-3)
    assert measured == pytest.approx(8.0, abs=0.01)


# ------------------------------------------------------------------ edits and their rules


def test_renumber_conflicts_put_and_delete(aws, client, project):
    shoot(aws, survey().sequence(55, 5210, start=START))
    post(client, {"sequence": 60, "line": 5212, "fsp": 1000, "lsp": 1050, "remarks": "first"})
    post(client, {"sequence": 61, "line": 5214, "fsp": 1000, "lsp": 1050})
    renumbered = patch(client, 60, {"sequence": 70})
    assert renumbered["sequence"] == 70 and renumbered["remarks"] == "first"
    assert sorted(plan(client)) == [61, 70]
    for taken in (61, 55):  # planned, acquired
        status, found, _ = api(client, "PATCH", "/project/alpha/plan/70", {"sequence": taken})
        assert status == 409 and "sequence" in found["message"]
        status, found, _ = api(
            client, "POST", "/project/alpha/plan", {"sequence": taken, "line": 5212, "fsp": 1000, "lsp": 1010}
        )
        assert status == 409 and "sequence" in found["message"]
    assert sorted(plan(client)) == [61, 70]

    # PUT modifies by sequence and ignores line.
    status, found, _ = api(
        client, "PUT", "/project/alpha/plan", {"sequence": 70, "line": 5216, "fsp": 1100, "lsp": 1020, "remarks": "put"}
    )
    assert status == 201, found
    item = plan(client)[70]
    assert (item["line"], item["fsp"], item["lsp"], item["remarks"], item["num_points"]) == (
        5212,
        1100,
        1020,
        "put",
        81,
    )
    assert api(client, "PUT", "/project/alpha/plan", {"sequence": 99, "fsp": 1000, "lsp": 1010})[0] == 404

    # PATCH changes only what it is given.
    patch(client, 70, {"remarks": "patched", "meta": {"priority": 1}})
    item = plan(client)[70]
    assert (item["fsp"], item["lsp"], item["remarks"], item["meta"]) == (1100, 1020, "patched", {"priority": 1})
    assert api(client, "PATCH", "/project/alpha/plan/98", {"remarks": "x"})[0] == 404

    assert api(client, "DELETE", "/project/alpha/plan/70")[0] == 204
    assert sorted(plan(client)) == [61]
    assert api(client, "DELETE", "/project/alpha/plan/70")[0] == 204  # absent: still 204
    assert api(client, "DELETE", "/project/alpha/plan/12345")[0] == 204
    assert api(client, "DELETE", "/project/nowhere/plan/1")[0] == 404


def test_sequences_online_in_the_navigation_feed_are_taken(aws, client, project):
    from tests.integration.api.test_navdata import header
    from tests.integration.api.test_navdata import post as send_headers

    # Sequence 55 is being shot: the feed shows it online, its raw file is not imported yet.
    assert send_headers(client, [header(n) for n in range(10)])[0] == 201
    created, headers = post(client, {"line": 5212, "fsp": 1000, "lsp": 1050})
    assert created["sequence"] == 56 and headers["Location"] == "/project/alpha/plan/56"
    status, found, _ = api(
        client, "POST", "/project/alpha/plan", {"sequence": 55, "line": 5214, "fsp": 1000, "lsp": 1010}
    )
    assert status == 409 and found["message"].startswith("sequence"), found
    status, found, _ = api(client, "PATCH", "/project/alpha/plan/56", {"sequence": 55})
    assert status == 409 and found["message"].startswith("sequence"), found
    assert sorted(plan(client)) == [56]
    # Infill proposals number after it too.
    status, proposals, _ = api(client, "POST", "/project/alpha/plan/infill")
    assert status == 200 and proposals and min(p["sequence"] for p in proposals) == 57
    # The raw file of the online sequence arrives: the planned sequence stays planned.
    shoot(aws, survey().sequence(55, 5210, start=START))
    assert sorted(plan(client)) == [56]


def test_without_configuration_or_measured_rate_a_shot_takes_ten_seconds(aws, client, project, monkeypatch):
    from chalicelib.services.planner import plan as service

    post(client, {"sequence": 60, "line": 5212, "fsp": 1000, "lsp": 1040})  # 41 points, nothing acquired
    item = plan(client)[60]
    assert at(item["ts0"]) == CLOCK + timedelta(minutes=90)  # now + the default line change
    assert at(item["ts1"]) - at(item["ts0"]) == 41 * timedelta(seconds=10)
    assert item["duration"] == {"hours": 0, "minutes": 6, "seconds": 50, "milliseconds": 0.0}
    # A raw file only (no processed one): no measured shooting rate yet, still 10 s a shot, after its end.
    truth = survey().sequence(55, 5210, start=START, shot_interval_s=8.0)
    shoot(aws, truth)
    monkeypatch.setattr(service, "now", lambda: START)
    item = plan(client)[60]
    assert at(item["ts0"]) == truth.events[-1].tstamp + timedelta(minutes=90)
    assert at(item["ts1"]) - at(item["ts0"]) == 41 * timedelta(seconds=10)


BAD_PUTS = [
    ({"fsp": 999}, "fsp"),
    ({"lsp": 1120}, "lsp"),
    ({"lsp": 1000}, "lsp"),
    ({"lsp": None}, "lsp"),
    ({"fsp": None}, "fsp"),
    ({"sequence": None}, "sequence"),
    ({"fsp": "1000"}, "fsp"),
    ({"ts0": "2026-03-01T10:00:00Z", "ts1": "2026-03-01T09:00:00Z"}, "ts1"),
    ({"ts0": "2026-03-01T10:00:00"}, "ts0"),
    ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize(("change", "field"), BAD_PUTS)
def test_bad_puts_are_400_naming_the_field_and_change_nothing(client, project, change, field):
    post(client, {"sequence": 5, "line": 5210, "fsp": 1000, "lsp": 1010, "remarks": "as planned"})
    before = plan(client)
    body = {"sequence": 5, "fsp": 1000, "lsp": 1020, "remarks": "changed", **change}
    body = {k: v for k, v in body.items() if v is not None}  # None: the field is left out
    status, found, _ = api(client, "PUT", "/project/alpha/plan", body)
    assert status == 400, found
    assert found["message"].startswith(field), found
    assert plan(client) == before


def test_put_ignores_an_unknown_line(client, project):
    post(client, {"sequence": 5, "line": 5210, "fsp": 1000, "lsp": 1010})
    status, found, _ = api(
        client, "PUT", "/project/alpha/plan", {"sequence": 5, "line": 9999, "fsp": 1000, "lsp": 1020, "remarks": "put"}
    )
    assert status == 201, found
    item = plan(client)[5]
    assert (item["line"], item["lsp"], item["num_points"], item["remarks"]) == (5210, 1020, 21, "put")


BAD_BODIES = [
    ({"line": 9999, "fsp": 1000, "lsp": 1010}, "line"),
    ({"line": 5212, "fsp": 999, "lsp": 1010}, "fsp"),
    ({"line": 5212, "fsp": 1000, "lsp": 1120}, "lsp"),
    ({"line": 5212, "fsp": 1000, "lsp": 1000}, "lsp"),
    ({"fsp": 1000, "lsp": 1010}, "line"),
    ({"line": 5212, "lsp": 1010}, "fsp"),
    ({"line": 5212, "fsp": 1000}, "lsp"),
    ({"line": 5212, "fsp": "1000", "lsp": 1010}, "fsp"),
    ({"line": 5212, "fsp": 1000, "lsp": 1010, "ts0": "2026-03-01T10:00:00"}, "ts0"),
    ({"line": 5212, "fsp": 1000, "lsp": 1010, "ts0": "2026-03-01T10:00:00Z", "ts1": "2026-03-01T09:00:00Z"}, "ts1"),
    ({"line": 5212, "fsp": 1000, "lsp": 1010, "sequence": 0}, "sequence"),
    ({"line": 5212, "fsp": 1000, "lsp": 1010, "sequence": 2**31}, "sequence"),
    ({"line": 5212, "fsp": 1000, "lsp": 1010, "colour": "red"}, "colour"),
    ({"line": 5212, "fsp": 1000, "lsp": 1010, "name": ""}, "name"),
]


@pytest.mark.parametrize(("body", "field"), BAD_BODIES)
def test_bad_bodies_are_400_naming_the_field_and_write_nothing(client, project, body, field):
    post(client, {"sequence": 5, "line": 5210, "fsp": 1000, "lsp": 1010})
    before = plan(client)
    status, found, _ = api(client, "POST", "/project/alpha/plan", body)
    assert status == 400, found
    assert found["message"].startswith(field), found
    assert plan(client) == before
    assert count("SELECT count(*) FROM planned_sequence") == 1


BAD_PATCHES = [
    ({"fsp": 999}, "fsp"),
    ({"lsp": 1120}, "lsp"),
    ({"lsp": 1000}, "lsp"),
    ({"fsp": None}, "fsp"),
    ({"fsp": 1.5}, "fsp"),
    ({"ts0": "yesterday"}, "ts0"),
    ({"ts0": "2026-03-01T10:00:00Z", "ts1": "2026-03-01T09:00:00Z"}, "ts1"),
    ({"sequence": -3}, "sequence"),
    ({"colour": "red"}, "colour"),
    ({"remarks": "x" * 10_001}, "remarks"),
    ({"meta": []}, "meta"),
]


@pytest.mark.parametrize(("body", "field"), BAD_PATCHES)
def test_bad_patches_are_400_naming_the_field_and_write_nothing(client, project, body, field):
    post(client, {"sequence": 5, "line": 5210, "fsp": 1000, "lsp": 1010})
    before = plan(client)
    status, found, _ = api(client, "PATCH", "/project/alpha/plan/5", {"remarks": "changed", **body})
    assert status == 400, found
    assert found["message"].startswith(field), found
    assert plan(client) == before


def test_patch_cannot_change_the_line(client, project):
    post(client, {"sequence": 5, "line": 5210, "fsp": 1000, "lsp": 1010})
    status, found, _ = api(client, "PATCH", "/project/alpha/plan/5", {"line": 5212, "remarks": "x"})
    assert status == 400 and found["message"].startswith("line")
    assert plan(client)[5]["remarks"] == ""
    assert patch(client, 5, {"line": 5210, "remarks": "same line"})["remarks"] == "same line"


def test_unknown_project_and_bad_path_sequence(client, project):
    assert api(client, "GET", "/project/nowhere/plan", role="guest")[0] == 404
    assert api(client, "POST", "/project/nowhere/plan", {"line": 5210, "fsp": 1000, "lsp": 1010})[0] == 404
    status, found, _ = api(client, "PATCH", "/project/alpha/plan/abc", {"remarks": "x"})
    assert status == 400 and "sequence" in found["message"]


# ------------------------------------------------------------------ import removes the planned sequence


def test_importing_a_raw_file_removes_its_planned_sequence(aws, client, project):
    post(client, {"sequence": 56, "line": 5212, "fsp": 1000, "lsp": 1119})
    post(client, {"sequence": 57, "line": 5214, "fsp": 1000, "lsp": 1119})
    shoot(aws, survey().sequence(56, 5212, start=START))
    assert sorted(plan(client)) == [57]
    assert count("SELECT count(*) FROM sequence WHERE sequence = 56") == 1
    assert plan(client)[57]["estimated"] is True
    # A processed file of a planned sequence number (no raw file seen) means it was acquired too.
    shoot(aws, survey().sequence(57, 5214, start=START + timedelta(hours=2)), kinds=("final",))
    assert plan(client) == {}


def test_concurrent_additions_get_distinct_sequence_numbers(project):
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.models.planner import PlannedSequenceIn
    from chalicelib.services.planner import plan as service

    def add(n):
        try:
            body = PlannedSequenceIn(line=5210 + 2 * (n % 4), fsp=1000 + n, lsp=1100)
            return service.create("alpha", body).sequence
        finally:
            db.close()  # each thread's own connection

    with ThreadPoolExecutor(max_workers=6) as pool:
        numbers = list(pool.map(add, range(12)))
    assert sorted(numbers) == list(range(1, 13))
    assert count("SELECT count(DISTINCT sequence) FROM planned_sequence") == 12


# ------------------------------------------------------------------ the configuration


@pytest.mark.parametrize(
    ("planner", "path"),
    [
        ({"line_change_minutes": "90"}, "configuration.planner.line_change_minutes"),
        ({"line_change_minutes": -1}, "configuration.planner.line_change_minutes"),
        ({"shot_interval_s": 0}, "configuration.planner.shot_interval_s"),
        ({"name": "{line.__class__}"}, "configuration.planner.name"),
        ({"name": "{ship}"}, "configuration.planner.name"),
        ({"name": "{line!r}"}, "configuration.planner.name"),
        ({"name": "{line:>{sequence}}"}, "configuration.planner.name"),
        ({"infill": {"run_in_points": -1}}, "configuration.planner.infill.run_in_points"),
        ({"infill": []}, "configuration.planner.infill"),
        ({"forecast": {"days": 0}}, "configuration.planner.forecast.days"),
        ({"forecast": {"days": 1.5}}, "configuration.planner.forecast.days"),
    ],
)
def test_planner_configuration_is_checked(client, project, planner, path):
    before = api(client, "GET", "/project/alpha/configuration", role="guest")[1]
    status, found, _ = api(client, "PUT", "/project/alpha/configuration", {**before, "planner": planner}, role="master")
    assert status == 400, found
    assert path in found["message"]
    assert api(client, "GET", "/project/alpha/configuration", role="guest")[1] == before


def test_a_good_planner_configuration_is_accepted(client, project):
    before = api(client, "GET", "/project/alpha/configuration", role="guest")[1]
    good = {
        "line_change_minutes": 45,
        "shot_interval_s": 6.25,
        "name": "{direction}{line:04d}{attempt}{sequence:03d}S00000",
        "infill": {"run_in_points": 12},
        "forecast": {"days": 10},
        "notes": "kept",
    }
    status, _, _ = api(client, "PUT", "/project/alpha/configuration", {**before, "planner": good}, role="master")
    assert status == 204
    assert api(client, "GET", "/project/alpha/configuration", role="guest")[1]["planner"] == good


# ------------------------------------------------------------------ infill


QC_CONFIGURATION = {**CONFIGURATION, "qc": {"source_sequence": {"sources": [1, 2]}}}


@pytest.fixture
def gappy(aws, frozen):
    """Five lines: 5210 whole; 5212 with two gaps; 5214 never shot; 5216 whole with two position errors
    (one accepted by the crew); 5218 NTBA."""
    make_project("alpha", configuration=QC_CONFIGURATION)
    srv = survey(num_lines=5)
    upload(aws, "alpha/preplot/p.sps", sim.write_sps_preplot(srv))
    shoot(aws, srv.sequence(1, 5210, start=START), kinds=("raw", "final"))
    gaps = [*range(1030, 1035), 1100]
    shoot(
        aws, srv.sequence(2, 5212, start=START + timedelta(hours=1), direction=-1, missing=gaps), kinds=("raw", "final")
    )
    faults = [Fault("shift", 1060, inline_m=25.0), Fault("shift", 1010, crossline_m=-25.0)]
    shoot(aws, srv.sequence(3, 5216, start=START + timedelta(hours=2), faults=faults), kinds=("raw", "final"))
    run_qc()
    return srv


def test_infill_finds_exactly_the_gaps_plus_run_in(client, gappy):
    from chalicelib.db import connection

    rows = (
        connection()
        .execute("SELECT id, point FROM event WHERE meta -> 'qc' ->> 'test' = 'position_error' AND upper_inf(validity)")
        .fetchall()
    )
    assert sorted(r["point"] for r in rows) == [1010, 1060]
    accepted = [r["id"] for r in rows if r["point"] == 1010]
    assert api(client, "POST", "/project/alpha/qc/results/accept", accepted)[0] == 204
    assert api(client, "PATCH", "/project/alpha/line/5218", {"ntba": True})[0] == 204

    status, proposals, _ = api(client, "POST", "/project/alpha/plan/infill")
    assert status == 200, proposals
    found = {(p["line"], min(p["fsp"], p["lsp"]), max(p["fsp"], p["lsp"]), p["reason"]) for p in proposals}
    run_in = 10
    assert found == {
        (5212, 1030 - run_in, 1034 + run_in, "missing"),
        (5212, 1100 - run_in, 1100 + run_in, "missing"),
        (5214, 1000, 1119, "virgin"),  # run-in stays within the line
        (5216, 1060 - run_in, 1060 + run_in, "qc"),
    }
    # Shooting order: from the end of the last sequence (5216 at 1119, increasing), alternate directions,
    # nearest start next.
    assert [(p["line"], p["fsp"], p["lsp"]) for p in proposals] == [
        (5214, 1119, 1000),
        (5212, 1020, 1044),
        (5216, 1070, 1050),
        (5212, 1090, 1110),
    ]
    assert [p["sequence"] for p in proposals] == [4, 5, 6, 7]
    assert all(p["estimated"] for p in proposals)
    assert [p["num_points"] for p in proposals] == [120, 25, 21, 21]
    assert plan(client) == {}  # proposed, not stored

    status, added, _ = api(client, "POST", "/project/alpha/plan/infill?add=true")
    assert status == 201
    stored = plan(client)
    assert sorted(stored) == [4, 5, 6, 7]
    assert {k: v for k, v in stored[5].items()} == {k: v for k, v in added[1].items() if k != "reason"}
    # What is planned is not proposed again.
    assert api(client, "POST", "/project/alpha/plan/infill")[1] == []
    assert api(client, "POST", "/project/alpha/plan/infill?add=maybe")[0] == 400


def test_infill_run_in_is_configurable_and_close_gaps_merge(client, gappy):
    configure({"infill": {"run_in_points": 40}})
    assert api(client, "PATCH", "/project/alpha/line/5218", {"ntba": True})[0] == 204
    status, proposals, _ = api(client, "POST", "/project/alpha/plan/infill")
    assert status == 200
    found = {(p["line"], min(p["fsp"], p["lsp"]), max(p["fsp"], p["lsp"]), p["reason"]) for p in proposals}
    # 1030-1034 and 1100 are 65 points apart: with 40 points of run-in each side they make one run.
    assert found == {
        (5212, 1000, 1119, "missing"),  # 1030 - 40 and 1100 + 40 stop at the line's ends
        (5214, 1000, 1119, "virgin"),
        (5216, 1000, 1100, "qc"),  # both findings open here: 1010 and 1060, merged
    }


# ------------------------------------------------------------------ forecast


@pytest.fixture
def production(aws, frozen):
    """Ten lines of 120 points; two full lines a day (08:00 and 14:00) for three days; a final file each."""
    make_project("alpha", configuration=CONFIGURATION)
    srv = survey(num_lines=10)
    upload(aws, "alpha/preplot/p.sps", sim.write_sps_preplot(srv))
    truths = []
    day0 = datetime(2021, 10, 8, tzinfo=UTC)
    for n, line in enumerate(srv.lines[:6]):
        start = day0 + timedelta(days=n // 2, hours=8 if n % 2 == 0 else 14)
        truth = srv.sequence(n + 1, line, start=start)
        shoot(aws, truth, kinds=("final",))
        truths.append(truth)
    return truths


def forecast(client):
    status, found, _ = api(client, "GET", "/project/alpha/forecast", role="guest")
    assert status == 200, found
    return found


def test_forecast_on_steady_production_gives_the_known_completion_date(client, production):
    truths = production
    found = forecast(client)
    assert found["remaining_points"] == 4 * 120 and found["remaining_lines"] == 4
    # 240 points a day, 480 left: two days after now (the clock is later than the last shot).
    expected = CLOCK + timedelta(days=2)
    for key in ("p10", "p50", "p90"):
        assert abs(at(found["completion"][key]) - expected) < timedelta(hours=1), key
    assert found["window_days"] == 3
    assert found["daily_production"] == pytest.approx([240, 240, 240], abs=0.05)
    shooting = sum((t.events[-1].tstamp - t.events[0].tstamp).total_seconds() for t in truths)
    assert found["rate"] == pytest.approx(720 / (shooting / 3600.0), rel=1e-6)
    window = 3 * 86400.0
    assert found["shooting_share"] == pytest.approx(shooting / window, rel=1e-6)
    gaps = sum((b.events[0].tstamp - a.events[-1].tstamp).total_seconds() for a, b in itertools.pairwise(truths))
    assert found["line_change_share"] == pytest.approx(gaps / window, rel=1e-6)
    assert found["downtime_share"] == 0.0


def test_forecast_counts_downtime_and_widens_with_uneven_days(aws, client, production):
    # A downtime of one hour on the second night (given as a duration) and one open-ended on the
    # third morning (lasts until shooting resumes at 14:00).
    night = datetime(2021, 10, 10, 1, 0, tzinfo=UTC)
    morning = datetime(2021, 10, 10, 9, 0, tzinfo=UTC)
    for tstamp, meta in ((night, {"duration": 3600}), (morning, {})):
        status, found, _ = api(
            client, "POST", "/project/alpha/event", {"tstamp": tstamp.isoformat(), "labels": ["Downtime"], "meta": meta}
        )
        assert status == 201, found
    found = forecast(client)
    resumed = production[5].events[0].tstamp
    window = 3 * 86400.0
    down = 3600.0 + (resumed - morning).total_seconds()
    assert found["downtime_share"] == pytest.approx(down / window, rel=1e-6)
    truths = production
    gaps = sum((b.events[0].tstamp - a.events[-1].tstamp).total_seconds() for a, b in itertools.pairwise(truths))
    assert found["line_change_share"] == pytest.approx((gaps - down) / window, rel=1e-6)

    # One more line on the last day: 240, 240, 360 points a day — a spread, so P10 < P50 < P90.
    srv = survey(num_lines=10)
    extra = srv.sequence(7, srv.lines[6], start=datetime(2021, 10, 10, 15, 0, tzinfo=UTC))
    shoot(aws, extra, kinds=("final",))
    found = forecast(client)
    p10, p50, p90 = (at(found["completion"][k]) for k in ("p10", "p50", "p90"))
    assert p10 < p50 < p90
    daily = found["daily_production"]
    assert sum(daily) == pytest.approx(840, abs=0.5)
    mean = sum(daily) / len(daily)
    assert abs(p50 - (CLOCK + timedelta(days=360 / mean))) < timedelta(hours=1)


def test_forecast_of_a_project_without_production(client, project):
    found = forecast(client)
    assert found["completion"] is None and found["rate"] is None
    assert found["remaining_points"] == 4 * 120
