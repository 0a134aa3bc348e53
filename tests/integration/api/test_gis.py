"""Map views of a project: preplot lines by state, sequence tracks, events at their shots' positions.

Positions are checked against the survey's own grid coordinates converted here with pyproj, and against
the shotpoint the API serves, independently of the views' SQL.
"""

from __future__ import annotations

import itertools
import json
import math
from datetime import UTC, datetime

import pytest
from pyproj import Geod, Transformer

from dougal_sim import simulator as sim
from tests.integration.factories import as_role, make_project
from tests.integration.ingest_support import CONFIGURATION, run_qc, survey, upload

START = datetime(2021, 10, 8, 10, 0, tzinfo=UTC)
GEOD = Geod(ellps="WGS84")
TO_WGS84 = Transformer.from_crs("EPSG:32631", "EPSG:4326", always_xy=True)


def metres(a: list[float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


def get(client, path, role="guest", accept=None):
    headers = as_role(role)
    if accept:
        headers["Accept"] = accept
    response = client.get(path, headers=headers)
    return response.status_code, response.headers, json.loads(response.body) if response.body else None


@pytest.fixture
def shot_project(aws, client):
    make_project("alpha", configuration=CONFIGURATION)
    truth = survey()
    upload(aws, "alpha/preplot/p.sps", sim.write_sps_preplot(truth))
    full = truth.sequence(55, 5210, start=START)
    half = truth.sequence(56, 5212, start=START.replace(hour=12), first_point=1000, last_point=1059)
    for shot in (full, half):
        upload(aws, f"alpha/final/{shot.line_name}.p111", sim.write_p111(shot, kind="final"))
    run_qc()
    headers = {**as_role("user"), "Content-Type": "application/json"}
    response = client.patch("/project/alpha/line/5216", headers=headers, body=json.dumps({"ntba": True}))
    assert response.status_code == 204, response.body
    return truth


def test_every_preplot_line_is_one_feature_with_its_state_and_its_ends(client, shot_project):
    status, headers, body = get(client, "/project/alpha/gis/line")
    assert status == 200, body
    assert headers["Content-Type"] == "application/geo+json"
    _, _, lines = get(client, "/project/alpha/line")
    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["line"] for f in body["features"]] == [row["line"] for row in lines] == shot_project.lines
    states = {f["properties"]["line"]: f["properties"]["state"] for f in body["features"]}
    assert states == {5210: "acquired", 5212: "partial", 5214: "virgin", 5216: "ntba"}
    partial = next(f["properties"] for f in body["features"] if f["properties"]["line"] == 5212)
    assert partial["num_points"] == 120 and partial["prime"] == 60 and partial["remaining"] == 60
    assert (partial["fsp"], partial["lsp"]) == (shot_project.first_point, shot_project.last_point)
    for feature in body["features"]:
        line = feature["properties"]["line"]
        coordinates = feature["geometry"]["coordinates"]
        assert feature["geometry"]["type"] == "LineString"
        first = TO_WGS84.transform(*shot_project.position(line, shot_project.first_point))
        last = TO_WGS84.transform(*shot_project.position(line, shot_project.last_point))
        assert metres(coordinates[0], first) < 0.05 and metres(coordinates[-1], last) < 0.05
        assert len(coordinates) < 10, "a straight line is drawn from a few vertices, not one per point"


def test_each_acquired_sequence_is_a_track_along_its_shots(client, shot_project):
    status, _, body = get(client, "/project/alpha/gis/sequence", accept="application/json")
    assert status == 200, body
    tracks = {f["properties"]["sequence"]: f for f in body["features"]}
    assert sorted(tracks) == [55, 56]
    assert tracks[55]["properties"]["kind"] == "final" and tracks[55]["properties"]["status"] == "final"
    assert tracks[56]["properties"]["line"] == 5212
    coordinates = tracks[56]["geometry"]["coordinates"]
    start = TO_WGS84.transform(*shot_project.position(5212, 1000))
    end = TO_WGS84.transform(*shot_project.position(5212, 1059))
    # The track is the mean of two sources a few metres either side of the line, plus the simulated noise.
    assert metres(coordinates[0], start) < 30 and metres(coordinates[-1], end) < 30
    length = sum(metres(a, tuple(b)) for a, b in itertools.pairwise(coordinates))
    assert length == pytest.approx(59 * shot_project.point_interval, rel=0.05)


def test_events_at_a_shotpoint_are_placed_at_the_shot(client, shot_project):
    user = {**as_role("user"), "Content-Type": "application/json"}
    placed = client.post(
        "/project/alpha/event", headers=user, body=json.dumps({"sequence": 55, "point": 1010, "remarks": "Whale"})
    )
    floating = client.post(
        "/project/alpha/event", headers=user, body=json.dumps({"tstamp": "2021-10-08T10:00:00Z", "remarks": "Swell"})
    )
    assert placed.status_code == floating.status_code == 201
    placed_id = json.loads(placed.body)["id"]
    status, headers, body = get(client, "/project/alpha/gis/event")
    assert status == 200, body
    features = {f["properties"]["id"]: f for f in body["features"]}
    assert json.loads(floating.body)["id"] not in features
    assert int(headers["X-Total-Count"]) == len(features)
    mine = features[placed_id]
    assert mine["properties"]["qc"] is False and mine["properties"]["remarks"] == "Whale"
    _, _, shot = get(client, "/project/alpha/sequence/55/1010?kind=final", accept="application/geo+json")
    assert mine["geometry"]["coordinates"] == pytest.approx(shot["geometry"]["coordinates"], abs=1e-7)


def test_qc_findings_are_marked_and_follow_their_acceptance(client, aws):
    make_project("alpha", configuration=CONFIGURATION)
    truth = survey()
    upload(aws, "alpha/preplot/p.sps", sim.write_sps_preplot(truth))
    faulty = truth.sequence(55, 5210, start=START, faults=[sim.Fault("shift", 1010, inline_m=20.0)])
    upload(aws, f"alpha/final/{faulty.line_name}.p111", sim.write_p111(faulty, kind="final"))
    run_qc()
    _, _, body = get(client, "/project/alpha/gis/event")
    findings = [f for f in body["features"] if f["properties"]["qc"]]
    assert findings and all(not f["properties"]["accepted"] for f in findings)
    ids = [findings[0]["properties"]["id"]]
    user = {**as_role("user"), "Content-Type": "application/json"}
    accepted = client.post("/project/alpha/qc/results/accept", headers=user, body=json.dumps(ids))
    assert accepted.status_code in (200, 204), accepted.body
    _, _, after = get(client, "/project/alpha/gis/event")
    now = {f["properties"]["id"]: f["properties"]["accepted"] for f in after["features"] if f["properties"]["qc"]}
    assert now[ids[0]] is True


def test_unknown_project_bad_page_and_unwanted_media_type(client, shot_project):
    assert get(client, "/project/nowhere/gis/line")[0] == 404
    assert get(client, "/project/nowhere/gis/sequence")[0] == 404
    status, _, body = get(client, "/project/alpha/gis/event?limit=0")
    assert status == 400 and "limit" in body["message"]
    assert get(client, "/project/alpha/gis/line", accept="text/csv")[0] == 406
    assert all(
        math.isfinite(c)
        for f in get(client, "/project/alpha/gis/line")[2]["features"]
        for pt in f["geometry"]["coordinates"]
        for c in pt
    )


def test_a_sequence_profile_shows_a_late_shot_and_a_moved_one(client, aws):
    make_project("alpha", configuration=CONFIGURATION)
    truth = survey()
    upload(aws, "alpha/preplot/p.sps", sim.write_sps_preplot(truth))
    faults = [sim.Fault("shift", 1010, inline_m=20.0), sim.Fault("slow", 1060, seconds=8.0)]
    shot = truth.sequence(55, 5210, start=START, faults=faults)
    upload(aws, f"alpha/raw/{shot.line_name}.p111", sim.write_p111(shot, kind="raw"))
    status, _, body = get(client, "/project/alpha/gis/sequence/55/profile")
    assert status == 200, body
    assert body["kind"] == "raw"
    points = {p["point"]: p for p in body["points"]}
    assert sorted(points) == list(range(1000, 1120))
    assert body["points"][0]["interval"] is None
    assert points[1060]["interval"] == pytest.approx(18.0, abs=0.2)
    assert points[1061]["interval"] == pytest.approx(10.0, abs=0.2)
    assert points[1010]["error"] == pytest.approx(20.0, abs=1.5)
    others = sorted(p["error"] for n, p in points.items() if n != 1010)
    assert others[len(others) // 2] < 2.0
    assert get(client, "/project/alpha/gis/sequence/99/profile")[0] == 404
    assert get(client, "/project/alpha/gis/sequence/x/profile")[0] == 400
