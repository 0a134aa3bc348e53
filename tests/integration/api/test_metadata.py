"""Spec tag "metadata": reading an element's meta by type/kind/path, and PUT /project/{project}/meta."""

from __future__ import annotations

import json
import threading

import pytest

from tests.integration.factories import as_role, make_project


@pytest.fixture
def survey(client):
    """Project alpha: preplot line 5210 (points 100, 101), sequence 7 with raw shots (two sources at point 100)
    and no final data, sequence 8 with raw and final shots. Rows written directly: the metadata routes read
    what the ingest stores, and building it by hand keeps each test to what it checks."""
    from chalicelib import db

    make_project("alpha")
    conn = db.connection()
    conn.execute("INSERT INTO preplot_line (pid, line, meta) VALUES ('alpha', 5210, '{\"owner\": \"client\"}')")
    for point in (100, 101):
        conn.execute(
            "INSERT INTO preplot_point (pid, line, point, easting, northing, lon, lat) "
            "VALUES ('alpha', 5210, %s, 500000, 6500000, 3.0, 58.6)",
            (point,),
        )
    for sequence, final in ((7, False), (8, True)):
        conn.execute(
            "INSERT INTO upload (pid, bucket, key, etag, status) VALUES ('alpha', 'b', %s, 'e', 'imported')",
            (f"alpha/raw/{sequence}",),
        )
        conn.execute(
            "INSERT INTO sequence (pid, sequence, line, meta, final_upload_id) VALUES ('alpha', %s, 5210, "
            '\'{"weather": {"sea": 3, "swell": null}, "tags": ["a", "b"]}\', '
            "CASE WHEN %s THEN (SELECT max(id) FROM upload) END)",
            (sequence, final),
        )
        for kind in ("raw", "final") if final else ("raw",):
            for objref in (1, 2):
                conn.execute(
                    "INSERT INTO shot (pid, sequence, kind, line, point, objref, tstamp, upload_id, meta) "
                    "VALUES ('alpha', %s, %s, 5210, 100, %s, '2021-10-08T10:00:00Z', 1, %s)",
                    (sequence, kind, objref, None if kind == "raw" else '{"gun": "ok"}'),
                )
    return client


def get(client, path, role="guest"):
    return client.get(path, headers=as_role(role))


def put(client, body, role="user", pid="alpha"):
    raw = json.dumps(body).encode()
    headers = {**as_role(role), "Content-Type": "application/json"}
    return client.request("PUT", f"/project/{pid}/meta", headers=headers, body=raw)


def body(response):
    return json.loads(response.body)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("sequences/raw/7/weather/sea", 3),
        ("sequences/raw/7/weather", {"sea": 3, "swell": None}),
        ("sequences/raw/7/tags/1", "b"),
        ("sequences/raw/8", {"weather": {"sea": 3, "swell": None}, "tags": ["a", "b"]}),
        ("sequences/final/8", {}),
        ("points/raw/8/100", {}),
        ("points/final/8/100/gun", "ok"),
        ("lines/preplot/5210/owner", "client"),
        ("lines/preplot/5210", {"owner": "client"}),
    ],
)
def test_reads_follow_the_contract_table(survey, path, expected):
    response = get(survey, f"/project/alpha/meta/{path}")
    assert (response.status_code, body(response)) == (200, expected)


def test_a_null_value_is_200_null_and_an_absent_one_404(survey):
    response = get(survey, "/project/alpha/meta/sequences/raw/7/weather/swell")
    assert (response.status_code, response.body) == (200, b"null")
    for path in (
        "sequences/raw/7/weather/wind",  # no such attribute
        "sequences/raw/7/tags/2",  # past the end of the array
        "sequences/raw/7/weather/sea/deeper",  # through a number
        "sequences/raw/99",  # no such sequence
        "sequences/final/7",  # a sequence without final data
        "points/raw/7/101",  # no shot at that point
        "points/final/7/100",
        "lines/preplot/9999",
    ):
        response = get(survey, f"/project/alpha/meta/{path}")
        assert response.status_code == 404, path
        assert "message" in body(response)


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("lines/raw/5210", "lines is preplot"),
        ("sequences/preplot/7", "sequences is raw, final"),
        ("points/preplot/7/100", "points is raw, final"),
        ("shots/raw/7", "type 'shots'"),
        ("sequences/processed/7", "kind 'processed'"),
        ("sequences/raw/seven", "sequence must be an integer"),
        ("points/raw/7", "names no point"),
        ("sequences/raw/3000000000", "sequence must be at most"),
    ],
)
def test_types_kinds_and_ids_outside_the_table_are_400_naming_them(survey, path, named):
    response = get(survey, f"/project/alpha/meta/{path}")
    assert response.status_code == 400
    assert named in body(response)["message"]


def test_put_a_path_keeps_the_rest(survey):
    response = put(survey, {"sequence": 7, "path": "weather/wind/speed", "value": 12.5})
    assert response.status_code == 201
    expected = {"weather": {"sea": 3, "swell": None, "wind": {"speed": 12.5}}, "tags": ["a", "b"]}
    assert body(get(survey, "/project/alpha/meta/sequences/raw/7")) == expected
    assert put(survey, {"sequence": 7, "path": "tags/0", "value": "z"}).status_code == 201
    assert body(get(survey, "/project/alpha/meta/sequences/raw/7/tags")) == ["z", "b"]
    # The final meta of sequence 8 is another object than its raw one.
    assert put(survey, {"sequence": 8, "type": "final", "path": "processed_by", "value": "office"}).status_code == 201
    assert body(get(survey, "/project/alpha/meta/sequences/final/8")) == {"processed_by": "office"}
    assert "processed_by" not in body(get(survey, "/project/alpha/meta/sequences/raw/8"))


def test_put_without_a_path_replaces_the_object(survey):
    assert put(survey, {"sequence": 7, "value": {"only": True}}).status_code == 201
    assert body(get(survey, "/project/alpha/meta/sequences/raw/7")) == {"only": True}


def test_a_shot_point_write_reaches_every_source_record(survey):
    assert put(survey, {"sequence": 7, "point": 100, "path": "note", "value": "gun 2 autofire"}).status_code == 201
    from chalicelib import db

    metas = [r["meta"] for r in db.connection().execute("SELECT meta FROM shot WHERE sequence = 7 ORDER BY objref")]
    assert metas == [{"note": "gun 2 autofire"}] * 2
    assert body(get(survey, "/project/alpha/meta/points/raw/7/100/note")) == "gun 2 autofire"


def test_sequence_takes_precedence_over_line_and_line_ignores_type(survey):
    assert put(survey, {"sequence": 7, "line": 5210, "path": "who", "value": "seq"}).status_code == 201
    assert body(get(survey, "/project/alpha/meta/sequences/raw/7/who")) == "seq"
    assert get(survey, "/project/alpha/meta/lines/preplot/5210/who").status_code == 404
    # With a line, `type` is ignored: a preplot line or point is written whatever it says.
    assert put(survey, {"line": 5210, "type": "final", "path": "who", "value": "line"}).status_code == 201
    assert body(get(survey, "/project/alpha/meta/lines/preplot/5210")) == {"owner": "client", "who": "line"}
    assert put(survey, {"line": 5210, "point": 101, "path": "buoy", "value": True}).status_code == 201
    from chalicelib import db

    row = db.connection().execute("SELECT meta FROM preplot_point WHERE line = 5210 AND point = 101").fetchone()
    assert row["meta"] == {"buoy": True}


@pytest.mark.parametrize(
    ("request_body", "status", "named"),
    [
        ({"value": {"a": 1}}, 400, "sequence or line"),
        ({"sequence": 7, "value": 3}, 400, "value"),
        ({"sequence": 7, "path": "weather/sea/x", "value": 1}, 400, "not an object"),
        ({"sequence": 7, "path": "tags/5", "value": 1}, 400, "not an index"),
        ({"sequence": 7, "path": "///", "value": 1}, 400, "path"),
        ({"sequence": 7, "type": "preplot", "value": {}}, 400, "type"),
        ({"sequence": 7, "type": "other", "value": {}}, 400, "type"),
        ({"sequence": "7", "value": {}}, 400, "sequence"),
        ({"sequence": 7}, 400, "value"),
        ({"sequence": 7, "value": {}, "colour": "red"}, 400, "colour"),
        ({"sequence": 7, "path": "big", "value": "x" * 70_000}, 400, "bytes"),
        ({"sequence": 99, "value": {}}, 404, "Sequence 99"),
        ({"sequence": 7, "type": "final", "value": {}}, 404, "no final data"),
        ({"sequence": 7, "point": 101, "value": {}}, 404, "point 101"),
        ({"line": 9999, "value": {}}, 404, "line 9999"),
        ({"line": 5210, "point": 5, "value": {}}, 404, "point 5"),
    ],
)
def test_bad_writes_name_what_is_wrong_and_write_nothing(survey, request_body, status, named):
    before = body(get(survey, "/project/alpha/meta/sequences/raw/7"))
    response = put(survey, request_body)
    assert response.status_code == status
    assert named in body(response)["message"]
    assert body(get(survey, "/project/alpha/meta/sequences/raw/7")) == before


def test_concurrent_writers_of_different_attributes_both_keep_theirs(survey):
    from chalicelib import db

    errors = []

    def write(name):
        try:
            for i in range(10):
                assert put(survey, {"sequence": 7, "path": f"{name}/{i}", "value": i}).status_code == 201
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=write, args=(name,)) for name in ("navigator", "observer")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    meta = body(get(survey, "/project/alpha/meta/sequences/raw/7"))
    assert meta["navigator"] == meta["observer"] == {str(i): i for i in range(10)}


def test_an_unknown_project_is_404(survey):
    assert get(survey, "/project/nowhere/meta/sequences/raw/7").status_code == 404
    assert put(survey, {"sequence": 7, "value": {}}, pid="nowhere").status_code == 404
