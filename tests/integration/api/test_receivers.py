"""Receiver points (ocean-bottom nodes) from P1/11 R1, P1/90 R and SPS R records, through the real pipeline.

Files go to the local S3 and through the ingest worker; expected positions are the files' own numbers, and
lon/lat computed here with pyproj where a file gives only grid coordinates.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pyproj import Transformer

from dougal_sim import simulator as sim
from tests.integration.factories import as_role
from tests.integration.ingest_support import count, survey, upload

DIALECTS = Path(__file__).resolve().parents[2] / "fixtures" / "dialects"
START = datetime(2021, 10, 8, 23, 40, tzinfo=UTC)
TO_WGS84 = Transformer.from_crs(32631, 4326, always_xy=True)


def fixture(name: str) -> bytes:
    return (DIALECTS / name).read_bytes()


def get(client, path, role="guest", **headers):
    response = client.get(path, headers={**as_role(role), **headers})
    body = json.loads(response.body) if response.body else None
    return response.status_code, body, response.headers


def listed(client, query=""):
    status, body, headers = get(client, f"/project/alpha/receiver{query}")
    assert status == 200, body
    return body, int(headers["X-Total-Count"])


def file_item(client, key):
    _status, items, _headers = get(client, "/project/alpha/files")
    return next(item for item in items if item["key"] == key)


def test_p111_r1_receivers_only_file_is_imported_and_listed(client, project):
    from chalicelib import aws

    upload(aws, "alpha/preplot/nodes.p111", fixture("p111_obn_receivers.p111"))
    item = file_item(client, "alpha/preplot/nodes.p111")
    assert (item["status"], item["records"], item["receivers"], item["message"]) == ("imported", 0, 3, None)
    body, total = listed(client)
    assert total == 3
    assert [(r["line"], r["point"], r["node"], r["objref"], r["depth"]) for r in body] == [
        (3001, 101, "N0101", 10, 95.2),
        (3001, 102, "N0102", 10, 95.4),
        (3003, 101, "N0301", 10, 96.0),
    ]
    first = body[0]
    assert (first["easting"], first["northing"]) == (pytest.approx(471274.02, abs=1e-3), pytest.approx(6540159.46))
    assert (first["lon"], first["lat"]) == (pytest.approx(2.5, abs=1e-9), pytest.approx(59.0, abs=1e-9))
    assert (first["kind"], first["sequence"], first["file"], first["tstamp"]) == (
        "preplot",
        None,
        "alpha/preplot/nodes.p111",
        None,
    )
    # No preplot points came with it.
    assert count("SELECT count(*) FROM preplot_point") == 0


def test_p190_r_receivers_get_wgs84_from_the_grid(client, project):
    from chalicelib import aws

    upload(aws, "alpha/preplot/nodes.p190", fixture("p190_receivers.p190"))
    item = file_item(client, "alpha/preplot/nodes.p190")
    assert (item["status"], item["receivers"]) == ("imported", 4)
    body, total = listed(client)
    assert total == 4
    assert [(r["line"], r["point"], r["node"], r["depth"]) for r in body] == [
        (None, 101, "1/101", 95.2),
        (None, 102, "1/102", 95.4),
        (None, 103, "1/103", 95.6),
        (None, 104, "1/104", 95.8),
    ]
    grid = [(471274.0, 6540159.5), (471302.9, 6540181.5), (471331.8, 6540203.6), (471360.7, 6540225.6)]
    for receiver, (e, n) in zip(body, grid, strict=True):
        lon, lat = TO_WGS84.transform(e, n)
        assert (receiver["easting"], receiver["northing"]) == (pytest.approx(e, abs=1e-3), pytest.approx(n, abs=1e-3))
        assert (receiver["lon"], receiver["lat"]) == (pytest.approx(lon, abs=1e-8), pytest.approx(lat, abs=1e-8))


def test_sps_r_receivers_with_an_index_and_x_relations(client, project):
    from chalicelib import aws

    upload(aws, "alpha/preplot/nodes.sps", fixture("sps21_receivers_relations.sps"))
    item = file_item(client, "alpha/preplot/nodes.sps")
    assert (item["status"], item["records"], item["receivers"]) == ("imported", 0, 3)
    body, _total = listed(client)
    assert [(r["line"], r["point"], r["node"]) for r in body] == [
        (3001, 101, "3001.00/101.00"),
        (3001, 102, "3001.00/102.00"),
        (3001, 102, "3001.00/102.00#2"),
    ]
    lon, lat = TO_WGS84.transform(471303.9, 6540182.5)
    assert (body[2]["lon"], body[2]["lat"]) == (pytest.approx(lon, abs=1e-8), pytest.approx(lat, abs=1e-8))


def test_a_file_of_nothing_is_still_rejected(client, project):
    from chalicelib import aws

    header_only = b"".join(line for line in fixture("sps21_receivers_relations.sps").splitlines(True)[:2])
    upload(aws, "alpha/preplot/empty.sps", header_only)
    item = file_item(client, "alpha/preplot/empty.sps")
    assert item["status"] == "rejected" and "no preplot points and no receivers" in item["message"]


def test_sps_preplot_with_points_and_nodes_counts_both(client, project):
    from chalicelib import aws

    srv = survey()
    written = sim.dialect_file("sps", "obn", survey=srv)
    points = sum(1 for _ in srv.preplot())
    upload(aws, "alpha/preplot/obn.sps", written.text)
    item = file_item(client, "alpha/preplot/obn.sps")
    assert (item["status"], item["records"], item["receivers"]) == ("imported", points, 10)
    body, total = listed(client)
    assert total == len(written.receivers) == 10
    truth = sorted((r.line, r.point, round(r.easting, 1), round(r.northing, 1)) for r in written.receivers)
    assert [(r["line"], r["point"], round(r["easting"], 1), round(r["northing"], 1)) for r in body] == truth
    # The points are preplot points as before: nodes do not count in the production figures.
    _status, summary, _headers = get(client, "/project/alpha")
    assert summary["total"] == points


def test_raw_file_receivers_follow_their_file(client, project):
    """R1 records of a sequence's raw file belong to it; a newer raw file of the sequence takes them away."""
    from chalicelib import aws

    srv = survey()
    upload(aws, "alpha/preplot/survey.sps", sim.write_sps_preplot(srv))
    truth = srv.sequence(55, 5210, start=START)
    first = sim.dialect_file("p111", "obn", truth=truth)
    upload(aws, "alpha/raw/v1.p111", first.text)
    item = file_item(client, "alpha/raw/v1.p111")
    assert (item["status"], item["records"], item["receivers"]) == ("imported", len(truth.shots), 10)
    body, total = listed(client)
    assert total == 10 and {(r["kind"], r["sequence"], r["file"]) for r in body} == {("raw", 55, "alpha/raw/v1.p111")}
    nodes = {(n.line, n.point): n for n in first.receivers}
    for receiver in body:
        node = nodes[(receiver["line"], receiver["point"])]
        assert receiver["node"] == node.node
        assert (receiver["lon"], receiver["lat"]) == (
            pytest.approx(node.lon, abs=1e-8),
            pytest.approx(node.lat, abs=1e-8),
        )
    # A newer raw file of sequence 55 with fewer nodes: the first file's receivers go with it.
    fewer = sim.write_p111(truth, kind="raw", dialect="obn", nodes=sim.obn_nodes(srv, lines=1, per_line=3))
    upload(aws, "alpha/raw/v2.p111", fewer)
    assert file_item(client, "alpha/raw/v1.p111")["status"] == "superseded"
    body, total = listed(client)
    assert total == 3 and {r["file"] for r in body} == {"alpha/raw/v2.p111"}


def test_p190_shot_file_with_r_records(client, project):
    from chalicelib import aws

    srv = survey()
    upload(aws, "alpha/preplot/survey.sps", sim.write_sps_preplot(srv))
    truth = srv.sequence(56, 5212, start=START)
    written = sim.dialect_file("p190", "obn", truth=truth)
    upload(aws, f"alpha/final/{truth.line_name}.p190", written.text)
    item = file_item(client, f"alpha/final/{truth.line_name}.p190")
    assert (item["status"], item["sequence"], item["receivers"]) == ("imported", 56, len(written.receivers))
    body, _total = listed(client)
    assert sorted(r["node"] for r in body) == sorted(r.node for r in written.receivers)
    assert {(r["kind"], r["sequence"]) for r in body} == {("final", 56)}


def test_a_new_preplot_redefines_the_receiver_lines_it_gives(client, project):
    from chalicelib import aws

    upload(aws, "alpha/preplot/nodes.p111", fixture("p111_obn_receivers.p111"))
    # A second receivers file gives line 3001 again (one node), not line 3003.
    text = fixture("p111_obn_receivers.p111").decode()
    lines = [line for line in text.splitlines(True) if not line.startswith(("R1,0,R3001,3001,102", "R1,0,R3003"))]
    upload(aws, "alpha/preplot/nodes-v2.p111", "".join(lines))
    body, total = listed(client)
    assert total == 2
    assert [(r["line"], r["point"], r["file"]) for r in body] == [
        (3001, 101, "alpha/preplot/nodes-v2.p111"),
        (3003, 101, "alpha/preplot/nodes.p111"),
    ]


def test_list_pages_filters_and_geojson(client, project):
    from chalicelib import aws

    upload(aws, "alpha/preplot/nodes.p111", fixture("p111_obn_receivers.p111"))
    upload(aws, "alpha/preplot/nodes.sps", fixture("sps21_receivers_relations.sps"))
    everything, total = listed(client)
    # The SPS file redefines receiver line 3001 (3 nodes); line 3003 stays from the P1/11 file.
    assert total == 4 and sorted({r["line"] for r in everything}) == [3001, 3003]
    assert [(r["line"], r["point"]) for r in everything] == sorted((r["line"], r["point"]) for r in everything)
    # Paging: X-Total-Count is the whole list.
    page, total = listed(client, "?limit=2&offset=1")
    assert total == 4 and page == everything[1:3]
    # One line.
    line, total = listed(client, "?line=3003")
    assert total == 1 and [r["node"] for r in line] == ["N0301"]
    assert listed(client, "?line=42") == ([], 0)
    # GeoJSON on request.
    status, collection, headers = get(client, "/project/alpha/receiver?line=3003", Accept="application/geo+json")
    assert status == 200 and headers["Content-Type"] == "application/geo+json"
    assert headers["X-Total-Count"] == "1"
    assert collection["type"] == "FeatureCollection"
    (feature,) = collection["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [line[0]["lon"], line[0]["lat"]]}
    assert feature["properties"]["node"] == "N0301"
    # 406 for what cannot be given; 400 naming a bad parameter; 404 for no project.
    status, body, _headers = get(client, "/project/alpha/receiver", Accept="text/csv")
    assert status == 406 and "message" in body
    for query, name in (
        ("?line=x", "line"),
        ("?limit=0", "limit"),
        ("?offset=-1", "offset"),
        ("?limit=10001", "limit"),
    ):
        status, body, _headers = get(client, f"/project/alpha/receiver{query}")
        assert status == 400 and name in body["message"]
    assert get(client, "/project/nope/receiver")[0] == 404


def test_a_rejected_file_leaves_no_receivers(client, project):
    from chalicelib import aws

    text = fixture("p111_obn_receivers.p111").decode()
    broken = text.replace(
        "R1,0,R3003,3003,101,101,1,,10,NODE,1,N0301,471399.22", "R1,0,R3003,3003,101,101,1,,10,NODE,1,N0301,47x399.22"
    )
    assert broken != text
    upload(aws, "alpha/preplot/broken.p111", broken)
    item = file_item(client, "alpha/preplot/broken.p111")
    assert item["status"] == "rejected" and item["receivers"] is None
    assert listed(client) == ([], 0)


def test_a_raw_file_of_receivers_only_is_imported_without_a_sequence(client, project):
    from chalicelib import aws

    upload(aws, "alpha/raw/nodes.p111", fixture("p111_obn_receivers.p111"))
    item = file_item(client, "alpha/raw/nodes.p111")
    assert (item["status"], item["records"], item["receivers"], item["sequence"]) == ("imported", 0, 3, None)
    body, total = listed(client)
    assert total == 3 and {(r["kind"], r["sequence"]) for r in body} == {("raw", None)}
    assert count("SELECT count(*) FROM sequence") == 0
    # A preplot file giving the same receiver lines does not take them away: it redefines preplot receivers.
    planned = fixture("p111_obn_receivers.p111").replace(b"Hand-written:", b"Planned:")
    upload(aws, "alpha/preplot/nodes.p111", planned)
    assert file_item(client, "alpha/preplot/nodes.p111")["receivers"] == 3
    assert listed(client)[1] == 6
