"""The line log as CSV under abuse: a capped import inserted in one statement with the event clock held
only for it, and an export that a spreadsheet cannot run as formulas."""

from __future__ import annotations

import csv
import io
import json

import pytest

from chalicelib.models.events import MAX_CSV_ROWS
from chalicelib.services import events as event_service
from tests.integration.factories import as_role, make_project


def post_csv(client, text: str, query: str = ""):
    return client.post(
        f"/project/alpha/event{query}",
        body=text.encode(),
        headers={**as_role("user"), "Content-Type": "text/csv"},
    )


def export(client, query: str = "") -> list[list[str]]:
    response = client.get(f"/project/alpha/event{query}", headers={**as_role("guest"), "Accept": "text/csv"})
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.body.decode(), newline="")))


@pytest.fixture
def project():
    make_project("alpha")
    return "alpha"


def rows(n: int) -> str:
    return "tstamp,remarks\r\n" + "".join(f"2021-10-08T10:00:00Z,row {i}\r\n" for i in range(n))


def test_an_import_past_the_row_limit_is_a_400_naming_it_and_writes_nothing(client, project):
    response = post_csv(client, rows(MAX_CSV_ROWS + 1))
    assert response.status_code == 400
    assert str(MAX_CSV_ROWS) in json.loads(response.body)["message"]
    assert export(client) == [["tstamp", "sequence", "point", "remarks", "labels"]]


def test_an_import_at_the_limit_is_accepted(client, project):
    response = post_csv(client, rows(MAX_CSV_ROWS))
    assert response.status_code == 201
    created = json.loads(response.body)
    assert created["created"] == MAX_CSV_ROWS and created["ids"] == sorted(created["ids"])


def test_the_event_clock_is_held_only_for_one_bulk_insert(client, project, monkeypatch):
    """Every row is checked and looked up before the clock (which holds off the project's other writers)
    is taken; under it there is one insert statement for all the rows, and one statement that moves the
    labels a sequence may hold once (FGSP) from its other events."""
    headers = {**as_role("user"), "Content-Type": "application/json"}
    earlier = {"sequence": 7, "point": 500, "remarks": "first good shot", "labels": ["FGSP", "Nav"]}
    response = client.post("/project/alpha/event", body=json.dumps(earlier).encode(), headers=headers)
    assert response.status_code == 201, response.body
    earlier_id = json.loads(response.body)["id"]
    calls: list[str] = []
    db_events = event_service.db_events  # the queries the one writer runs
    for name in ("tick", "insert_event", "insert_events", "shot_at", "others_with_label", "strip_single_labels"):
        original = getattr(db_events, name, None)
        if original is None:
            continue

        def watched(*args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(db_events, name, watched)
    labelled = {10: "FGSP", 150: "FGSP;Gun"}
    text = "sequence,point,remarks,labels\r\n" + "".join(
        f"7,{p},shot {p},{labelled.get(p, '')}\r\n" for p in range(1, 201)
    )
    response = post_csv(client, text)
    assert response.status_code == 201, response.body
    assert calls.index("tick") == 200  # 200 shot look-ups first
    assert calls[200:] == ["tick", "insert_events", "strip_single_labels"]
    # As if written one after the other: the last row with FGSP holds it, the sequence's other events not.
    current = {
        (e["point"]): e["labels"]
        for e in json.loads(client.get("/project/alpha/event?sequence=7", headers=as_role("guest")).body)
    }
    assert [p for p, labels in current.items() if "FGSP" in labels] == [150]
    assert current[150] == ["FGSP", "Gun"] and current[10] == [] and current[500] == ["Nav"]
    history = json.loads(client.get(f"/project/alpha/event/{earlier_id}", headers=as_role("guest")).body)
    assert [h["labels"] for h in history] == [["FGSP", "Nav"], ["Nav"]]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t"])
def test_exported_cells_that_begin_like_a_formula_are_escaped(client, project, start):
    remark = f'{start}HYPERLINK("http://example.invalid","x")'
    body = json.dumps({"tstamp": "2021-10-08T10:00:00Z", "remarks": remark}).encode()
    headers = {**as_role("user"), "Content-Type": "application/json"}
    assert client.post("/project/alpha/event", body=body, headers=headers).status_code == 201
    cells = export(client, "?fields=remarks")
    assert cells[1] == ["'" + remark]
    assert export(client, "?fields=remarks&raw=true")[1] == [remark]


def test_an_escaped_export_imports_back_to_the_same_text(client, project):
    assert post_csv(client, 'tstamp,remarks\r\n2021-10-08T10:00:00Z,"=1+2"\r\n').status_code == 201
    exported = export(client, "?fields=tstamp,remarks")
    text = "\r\n".join(",".join(f'"{c}"' for c in row) for row in exported) + "\r\n"
    assert post_csv(client, text).status_code == 201
    assert [r[1] for r in export(client, "?fields=tstamp,remarks&raw=true")[1:]] == ["=1+2", "=1+2"]


def test_plain_numbers_and_times_are_not_escaped(client, project):
    assert post_csv(client, "tstamp,sequence,point,remarks\r\n2021-10-08T10:00:00Z,3,-5,ok\r\n").status_code == 201
    assert export(client, "?fields=sequence,point,remarks")[1] == ["3", "-5", "ok"]
