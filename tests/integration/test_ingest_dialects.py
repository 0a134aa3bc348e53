"""Files as contractors' navigation systems write them, through the real import (S3 → queue → worker) to the
API: sequences, system events, QC and Seis+JSON. Expected values are read off the fixtures or computed from
the simulator's truth here, independently of the import."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.integration.factories import as_role, make_project
from tests.integration.ingest_support import CONFIGURATION, count, files, run_qc, upload

DIALECTS = Path(__file__).parents[1] / "fixtures" / "dialects"


@pytest.fixture
def project(aws):
    make_project("alpha", configuration=CONFIGURATION)
    return "alpha"


def api(client: Any, path: str, **headers: str) -> tuple[int, Any]:
    response = client.get(path, headers={**as_role("guest"), **headers})
    return response.status_code, (json.loads(response.body) if response.body else None)


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

    # QC runs over them (a duplicate test that knew only numbered sources would fail on None).
    assert run_qc() == 1
    assert count("SELECT count(*) FROM qc_run WHERE sequence = 55") == 1
    findings = db.connection().execute("SELECT meta -> 'qc' ->> 'test' AS test FROM event WHERE meta ? 'qc'")
    assert "duplicate_shots" not in [f["test"] for f in findings]
