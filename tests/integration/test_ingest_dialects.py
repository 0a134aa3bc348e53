"""Files as contractors' navigation systems write them, through the real import (S3 → queue → worker) to the
API: sequences, system events, QC and Seis+JSON. Expected values are read off the fixtures or computed from
the simulator's truth here, independently of the import."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dougal_sim import simulator as sim
from tests.integration.factories import as_role
from tests.integration.ingest_support import api, count, files, run_qc, upload

DIALECTS = Path(__file__).parents[1] / "fixtures" / "dialects"
START = datetime(2021, 10, 8, 23, 40, 0, 250_000, tzinfo=UTC)


def system_events(client: Any, sequence: int) -> dict[str, dict[str, Any]]:
    status, events = api(client, f"/project/alpha/event?sequence={sequence}")
    assert status == 200
    return {e["labels"][0]: e for e in events if "system" in e["meta"]}


# ------------------------------------------------------------------ P1/90 shots of unknown sources


def test_p190_shots_of_blank_and_unlisted_sources_are_imported(client, project):
    """Column 18: A and B are the header's first and second source, blank and C (not in the list) are no
    known source: objref NULL, the letter kept in the shot's meta."""
    from chalicelib import aws, db

    text = (DIALECTS / "p190_source_letters.p190").read_text(encoding="utf-8")
    upload(aws, "alpha/final/1052101055S00000.p190", text)
    assert [(f["status"], f["records"]) for f in files()] == [("imported", 4)], files()
    stored = (
        db.connection()
        .execute("SELECT point, objref, meta FROM shot WHERE sequence = 55 ORDER BY tstamp, point")
        .fetchall()
    )
    assert [(s["point"], s["objref"], s["meta"]) for s in stored] == [
        (2576, 1, {"source_id": "A"}),
        (2577, 2, {"source_id": "B"}),
        (2578, None, None),
        (2579, None, {"source_id": "C"}),
    ]

    status, sequence = api(client, "/project/alpha/sequence")
    assert status == 200
    [one] = sequence
    assert (one["sequence"], one["fsp"], one["lsp"], one["num_points"]) == (55, 2576, 2579, 4)
    assert one["status"] == "final"

    status, one_sequence = api(client, "/project/alpha/sequence/55")
    assert status == 200
    assert (one_sequence["fsp"], one_sequence["lsp"], one_sequence["num_points"]) == (2576, 2579, 4)
    shots = []
    for point in (2576, 2577, 2578, 2579):
        status, shot = api(client, f"/project/alpha/sequence/55/{point}?kind=final")
        assert status == 200, shot
        shots.append((shot["point"], shot["objref"], shot["meta"]))
    assert shots == [
        (2576, 1, {"source_id": "A"}),
        (2577, 2, {"source_id": "B"}),
        (2578, None, {}),
        (2579, None, {"source_id": "C"}),
    ]

    events = system_events(client, 55)
    assert (events["FSP"]["point"], events["LSP"]["point"]) == (2576, 2579)
    status, document = api(client, "/project/alpha/sequence/55", Accept="application/vnd.seis+json")
    assert status == 200
    entries = {e["EntryType"]: e for e in document["Sequences"][0]["Entries"]}
    assert {e["ShotPointId"] for e in entries.values()} == {2576, 2579}
    # The other representations of the sequence: its shot line and its line log.
    response = client.get("/project/alpha/sequence/55", headers={**as_role("guest"), "Accept": "application/geo+json"})
    assert response.status_code == 200
    assert len(json.loads(response.body)["geometry"]["coordinates"]) == 4
    response = client.get("/project/alpha/sequence/55", headers={**as_role("guest"), "Accept": "application/pdf"})
    assert response.status_code == 200 and bytes(response.body).startswith(b"%PDF")

    # QC runs over them (a duplicate test that knew only numbered sources would fail on None).
    assert run_qc() == 1
    assert count("SELECT count(*) FROM qc_run WHERE sequence = 55") == 1
    findings = db.connection().execute("SELECT meta -> 'qc' ->> 'test' AS test FROM event WHERE meta ? 'qc'")
    assert "duplicate_shots" not in [f["test"] for f in findings]


# ------------------------------------------------------------------ TRINAV and SeaPro P1/11, end to end


@pytest.mark.parametrize(
    ("dialect", "kind", "trait"),
    [
        ("trinav", "final", b",18.0,GPS,"),  # leap seconds written 18.0, a UTC reference 0.0, CRLF
        ("seapro", "raw", b"CC,1,0,0,CRS EPSG Code 32631"),  # the grid's code in a comment, trailing commas dropped
    ],
)
def test_contractors_p111_through_the_import_to_seis_json(client, project, dialect, kind, trait):
    from chalicelib import aws

    srv = sim.Survey(num_lines=2, points_per_line=60, first_point=1000)
    preplot = sim.write_sps_preplot(srv, dialect="trinav" if dialect == "trinav" else None)
    upload(aws, "alpha/preplot/survey.sps", preplot)
    truth = srv.sequence(55, srv.lines[0], start=START, missing=[1030])
    text = sim.write_p111(truth, kind=kind, dialect=dialect)
    body = text.encode("utf-8")
    assert trait in body
    if dialect == "trinav":
        assert b",0.0,UTC," in body and body.count(b"\r\n") == body.count(b"\n")
    upload(aws, f"alpha/{kind}/seq055.p111", body)
    shots = sorted(truth.shots, key=lambda s: (s.tstamp, s.objref))
    assert [(f["key"], f["status"], f["records"]) for f in files()][1:] == [
        (f"alpha/{kind}/seq055.p111", "imported", len(truth.shots))
    ], files()

    status, sequences = api(client, "/project/alpha/sequence")
    assert status == 200
    [row] = sequences
    assert (row["sequence"], row["line"], row["status"]) == (55, srv.lines[0], kind)
    assert (row["fsp"], row["lsp"]) == (shots[0].point, shots[-1].point)
    assert row["num_points"] == len({s.point for s in shots}) and row["missing_shots"] == 1

    events = system_events(client, 55)
    assert (events["FSP"]["point"], events["LSP"]["point"]) == (shots[0].point, shots[-1].point)

    # The import asked for QC: one message on the QC queue, and the worker ran the sequence.
    assert run_qc() == 1
    assert count("SELECT count(*) FROM qc_run WHERE sequence = 55") == 1

    status, document = api(client, "/project/alpha/sequence/55", Accept="application/vnd.seis+json")
    assert status == 200
    entries = {e["EntryType"]: e for e in document["Sequences"][0]["Entries"]}
    fsp = next(e for e in entries.values() if e["ShotPointId"] == shots[0].point)
    first = shots[0].tstamp.astimezone(UTC)
    assert fsp["Time"] == first.strftime("%Y-%m-%dT%H:%M:%S.") + f"{first.microsecond // 1000:03d}Z"
    assert fsp["LineNumber"] == str(srv.lines[0])
