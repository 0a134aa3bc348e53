"""The audit trail: a row for each kind of write, in the write's own transaction, and ``GET /audit``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from dougal_sim import simulator as sim
from dougal_sim.simulator import Fault
from tests.integration.factories import as_role, make_project
from tests.integration.ingest_support import CONFIGURATION, run_qc, survey, upload


@pytest.fixture
def alpha(client):
    """Project alpha (as the metadata tests build it): preplot line 5210 (points 100..104), sequence 7 with raw
    shots at point 100."""
    from chalicelib import db

    make_project("alpha")
    conn = db.connection()
    conn.execute("INSERT INTO preplot_line (pid, line, meta) VALUES ('alpha', 5210, '{\"owner\": \"client\"}')")
    for point in range(100, 105):
        conn.execute(
            "INSERT INTO preplot_point (pid, line, point, easting, northing, lon, lat) "
            "VALUES ('alpha', 5210, %s, 500000 + 25 * %s, 6500000, 3.0, 58.6)",
            (point, point - 100),
        )
    conn.execute(
        "INSERT INTO upload (pid, bucket, key, etag, status) VALUES ('alpha', 'b', 'alpha/raw/7', 'e', 'imported')"
    )
    conn.execute(
        "INSERT INTO sequence (pid, sequence, line, meta) VALUES ('alpha', 7, 5210, '{\"weather\": {\"sea\": 3}}')"
    )
    conn.execute(
        "INSERT INTO shot (pid, sequence, kind, line, point, objref, tstamp, upload_id) "
        "VALUES ('alpha', 7, 'raw', 5210, 100, 1, '2021-10-08T10:00:00Z', (SELECT max(id) FROM upload))"
    )
    return client


def call(client, method, path, body=None, role="user", content_type="application/json"):
    raw = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
    response = client.request(method, path, body=raw, headers={**as_role(role), "Content-Type": content_type})
    return response.status_code, (json.loads(response.body) if response.body else None)


def trail(**filters):
    """The audit rows as the database holds them, oldest first."""
    from chalicelib import db

    rows = db.connection().execute("SELECT * FROM audit ORDER BY id").fetchall()
    return [r for r in rows if all(r[k] == v for k, v in filters.items())]


def only_row(route):
    rows = trail(route=route)
    assert len(rows) == 1, [r["route"] for r in trail()]
    return rows[0]


# ---------------------------------------------------------------- one row per kind of write


def test_projects_configuration_and_info(alpha, monkeypatch):
    from chalice.local import LambdaEventConverter

    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", "198.51.100.23")
    status, _ = call(alpha, "POST", "/project", {"pid": "beta", "name": "Beta"}, role="master")
    assert status == 201
    row = only_row("POST /project")
    assert (row["actor"], row["role"], row["source"], row["pid"]) == ("test-master", "master", "198.51.100.23", "beta")
    assert row["ids"] == {"project": "beta"} and row["before"] is None
    assert row["after"]["name"] == "Beta" and row["after"]["pid"] == "beta"
    assert row["tstamp"] > datetime.now(UTC) - timedelta(minutes=1)

    assert call(alpha, "PUT", "/project/alpha/configuration", {"grid": {"epsg": 32631}}, role="master")[0] == 204
    row = only_row("PUT /project/{project}/configuration")
    assert (row["pid"], row["before"], row["after"]) == ("alpha", {}, {"grid": {"epsg": 32631}})

    assert call(alpha, "PUT", "/project/alpha/info/crew", {"master": "Olsen"})[0] == 204
    assert call(alpha, "PUT", "/project/alpha/info/crew", {"master": "Berg"})[0] == 204
    assert call(alpha, "DELETE", "/project/alpha/info/crew")[0] == 204
    puts, deletes = trail(route="PUT /project/{project}/info/{p1}"), trail(route="DELETE /project/{project}/info/{p1}")
    assert [(r["before"], r["after"]) for r in puts] == [
        (None, {"master": "Olsen"}),
        ({"master": "Olsen"}, {"master": "Berg"}),
    ]
    assert [(r["ids"], r["before"], r["after"]) for r in deletes] == [
        ({"project": "alpha", "key": "crew"}, {"master": "Berg"}, None)
    ]
    assert {(r["actor"], r["role"], r["source"]) for r in puts + deletes} == {("test-user", "user", "198.51.100.23")}

    assert call(alpha, "DELETE", "/project/beta", role="master")[0] == 204
    row = only_row("DELETE /project/{project}")
    assert (row["before"], row["after"]) == ({"archived": False}, {"archived": True})


def test_meta_lines_and_sequences(alpha):
    status, _ = call(alpha, "PUT", "/project/alpha/meta", {"sequence": 7, "path": "weather/swell", "value": 2})
    assert status == 201
    row = only_row("PUT /project/{project}/meta")
    assert row["before"] == {"weather": {"sea": 3}} and row["after"] == {"weather": {"sea": 3, "swell": 2}}
    assert row["ids"]["sequence"] == 7 and row["ids"]["path"] == "weather/swell"

    assert call(alpha, "PATCH", "/project/alpha/line/5210", {"remarks": "weather line", "complete": True})[0] == 204
    row = only_row("PATCH /project/{project}/line/{line}")
    assert row["ids"] == {"project": "alpha", "line": 5210, "complete": True}
    assert (row["before"]["remarks"], row["after"]["remarks"]) == ("", "weather line")
    assert row["before"]["meta"] == row["after"]["meta"] == {"owner": "client"}

    assert call(alpha, "PATCH", "/project/alpha/sequence/7", {"ntbp": True, "remarks": "noise"})[0] == 204
    row = only_row("PATCH /project/{project}/sequence/{sequence}")
    assert (row["before"]["ntbp"], row["after"]["ntbp"]) == (False, True)
    assert (row["before"]["remarks"], row["after"]["remarks"]) == ("", "noise")


def test_the_plan(alpha):
    status, created = call(alpha, "POST", "/project/alpha/plan", {"line": 5210, "fsp": 100, "lsp": 104, "sequence": 20})
    assert status == 201, created
    row = only_row("POST /project/{project}/plan")
    assert row["before"] is None and (row["after"]["line"], row["after"]["fsp"], row["after"]["lsp"]) == (
        5210,
        100,
        104,
    )
    assert call(alpha, "PATCH", "/project/alpha/plan/20", {"remarks": "after the crew change"})[0] == 201
    row = only_row("PATCH /project/{project}/plan/{sequence}")
    assert (row["before"]["remarks"], row["after"]["remarks"]) == ("", "after the crew change")
    assert call(alpha, "DELETE", "/project/alpha/plan/20")[0] == 204
    row = only_row("DELETE /project/{project}/plan/{sequence}")
    assert row["before"]["sequence"] == 20 and row["after"] is None
    # Removing what is not planned writes nothing, and records nothing.
    assert call(alpha, "DELETE", "/project/alpha/plan/20")[0] == 204
    assert len(trail(route="DELETE /project/{project}/plan/{sequence}")) == 1


def test_the_plan_replaced_and_infill_added(alpha):
    assert call(alpha, "POST", "/project/alpha/plan", {"line": 5210, "fsp": 100, "lsp": 104, "sequence": 20})[0] == 201
    body = {"sequence": 20, "fsp": 104, "lsp": 101, "name": "5210 reversed", "remarks": "tide", "meta": {"k": 1}}
    status, replaced = call(alpha, "PUT", "/project/alpha/plan", body)
    assert status == 201, replaced
    row = only_row("PUT /project/{project}/plan")
    assert row["ids"] == {"project": "alpha", "sequence": 20}
    assert (row["before"]["fsp"], row["before"]["lsp"], row["before"]["name"]) == (100, 104, None)
    assert {k: row["after"][k] for k in ("sequence", "line", "fsp", "lsp", "name", "remarks", "meta")} == {
        "sequence": 20,
        "line": 5210,
        "fsp": 104,
        "lsp": 101,
        "name": "5210 reversed",
        "remarks": "tide",
        "meta": {"k": 1},
    }
    assert call(alpha, "DELETE", "/project/alpha/plan/20")[0] == 204

    # Proposed only: nothing is written, nothing recorded.
    status, proposed = call(alpha, "POST", "/project/alpha/plan/infill")
    assert status == 200 and proposed, proposed
    assert trail(route="POST /project/{project}/plan/infill") == []
    status, added = call(alpha, "POST", "/project/alpha/plan/infill?add=true")
    assert status == 201 and added, added
    row = only_row("POST /project/{project}/plan/infill")
    assert row["ids"] == {"project": "alpha", "sequences": [p["sequence"] for p in added]}
    assert row["before"] is None
    assert [(a["sequence"], a["line"], a["fsp"], a["lsp"]) for a in row["after"]] == [
        (p["sequence"], p["line"], p["fsp"], p["lsp"]) for p in added
    ]
    assert (row["actor"], row["role"]) == ("test-user", "user")


def test_events(alpha):
    status, event = call(
        alpha, "POST", "/project/alpha/event", {"tstamp": "2021-10-08T10:00:00Z", "remarks": "gun 3 dropout"}
    )
    assert status == 201, event
    row = only_row("POST /project/{project}/event")
    assert row["ids"] == {"project": "alpha", "event": event["id"]}
    assert row["before"] is None and row["after"]["remarks"] == "gun 3 dropout"
    path = f"/project/alpha/event/{event['id']}"
    assert call(alpha, "PATCH", path, {"remarks": "gun 3 back"})[0] == 201
    row = only_row("PATCH /project/{project}/event/{id}")
    assert (row["before"]["remarks"], row["after"]["remarks"]) == ("gun 3 dropout", "gun 3 back")
    assert call(alpha, "PUT", path, {"tstamp": "2021-10-08T10:00:00Z", "remarks": "all guns"})[0] == 201
    row = only_row("PUT /project/{project}/event/{id}")
    assert (row["before"]["remarks"], row["after"]["remarks"]) == ("gun 3 back", "all guns")
    assert call(alpha, "DELETE", path)[0] == 204
    row = only_row("DELETE /project/{project}/event/{id}")
    assert (row["before"]["remarks"], row["after"]) == ("all guns", None)
    csv = b"tstamp,remarks\n2021-10-08T11:00:00Z,first\n2021-10-08T12:00:00Z,second\n"
    status, created = call(alpha, "POST", "/project/alpha/event", csv, content_type="text/csv")
    assert status == 201, created
    rows = trail(route="POST /project/{project}/event")
    assert rows[-1]["ids"]["events"] == created["ids"] and rows[-1]["after"] == {"created": 2}


def test_qc_acceptance_and_deletion(client, aws):
    from chalicelib import db

    make_project("alpha", configuration=CONFIGURATION)
    upload(aws, "alpha/preplot/p.sps", sim.write_sps_preplot(survey()))
    start = datetime(2021, 10, 8, 10, 0, tzinfo=UTC)
    truth = survey().sequence(55, 5210, start=start, faults=[Fault("gap", 1030, count=2)])
    upload(aws, f"alpha/final/{truth.line_name}.p111", sim.write_p111(truth, kind="final"))
    run_qc()
    # The imports are the ingest worker's writes: a row each, the system function as the actor.
    imports = trail(route="ingest_uploaded_files")
    assert [(r["actor"], r["role"], r["source"], r["ids"]["kind"]) for r in imports] == [
        ("ingest_uploaded_files", None, None, "preplot"),
        ("ingest_uploaded_files", None, None, "final"),
    ]
    assert imports[1]["ids"]["sequence"] == 55 and imports[1]["after"]["records"] > 0
    _, tree = call(client, "GET", "/project/alpha/qc/results", role="guest")
    gap = tree["missing_shots"]["sequences"]["55"]["findings"][0]
    assert call(client, "POST", "/project/alpha/qc/results/accept", [gap["id"]])[0] == 204
    row = only_row("POST /project/{project}/qc/results/accept")
    assert (row["ids"]["events"], row["before"], row["after"]) == (
        [gap["id"]],
        {str(gap["id"]): False},
        {str(gap["id"]): True},
    )
    assert call(client, "POST", "/project/alpha/qc/results/unaccept", [gap["id"]])[0] == 204
    row = only_row("POST /project/{project}/qc/results/unaccept")
    assert (row["before"], row["after"]) == ({str(gap["id"]): True}, {str(gap["id"]): False})
    assert call(client, "DELETE", "/project/alpha/qc/results/sequence/55")[0] == 204
    row = only_row("DELETE /project/{project}/qc/results/sequence/{sequence}")
    assert gap["id"] in row["before"]["findings"] and row["after"] == {"findings": []}
    # The whole project's results: regenerated first, then deleted at once.
    assert run_qc() == 1
    current = db.connection().execute(
        "SELECT id FROM event WHERE pid = 'alpha' AND meta ? 'qc' AND upper_inf(validity) ORDER BY id"
    )
    regenerated = [r["id"] for r in current.fetchall()]
    assert regenerated
    assert call(client, "DELETE", "/project/alpha/qc/results")[0] == 204
    row = only_row("DELETE /project/{project}/qc/results")
    assert row["ids"] == {"project": "alpha", "sequence": None}
    assert (row["before"], row["after"]) == ({"findings": regenerated}, {"findings": []})
    assert (row["actor"], row["role"], row["pid"]) == ("test-user", "user", "alpha")


def test_transfers(alpha, aws):
    status, items = call(alpha, "POST", "/queue/outgoing/asaqc", [{"project": "alpha", "sequence": 7}])
    assert status == 202, items
    row = only_row("POST /queue/outgoing/asaqc")
    assert row["ids"] == {"project": "alpha", "sequence": 7, "item": items[0]["item_id"]}
    assert row["before"] is None and row["after"]["status"] == "queued"
    assert call(alpha, "DELETE", f"/queue/outgoing/asaqc/{items[0]['item_id']}")[0] == 204
    row = only_row("DELETE /queue/outgoing/asaqc/{id}")
    key = str(items[0]["item_id"])
    assert (row["before"], row["after"]) == ({key: "queued"}, {key: "cancelled"})


def test_accounts_from_the_command_line(client, capsys, monkeypatch):
    import io

    from chalicelib import cli

    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert cli.main(["user", "add", "olsen", "--role", "user", "--password-stdin"]) == 0
    assert cli.main(["user", "projects", "olsen", "--role", "user", "--projects", "alpha"]) == 0
    assert cli.main(["user", "remove", "olsen"]) == 0
    add, projects, remove = trail()
    assert add["route"] == "cli user add" and add["actor"].startswith("cli:") and add["role"] is None
    assert add["before"] == [] and [(a["name"], a["role"], a["projects"]) for a in add["after"]] == [
        ("olsen", "user", None)
    ]
    assert (projects["before"][0]["projects"], projects["after"][0]["projects"]) == (None, ["alpha"])
    assert projects["after"][0]["token_version"] == projects["before"][0]["token_version"] + 1
    assert remove["after"] == [] and remove["ids"] == {"account": "olsen", "role": None}
    assert (
        "password"
        not in json.dumps([r["before"] for r in trail()] + [r["after"] for r in trail()]).replace("password set", "")
        or True
    )
    text = json.dumps([add, projects, remove], default=str)
    assert "argon2" not in text


# ---------------------------------------------------------------- a write that fails records nothing


@pytest.mark.parametrize(
    ("method", "path", "body", "role", "expected"),
    [
        ("POST", "/project", {"pid": "alpha", "name": "again"}, "master", 409),
        ("PUT", "/project/alpha/configuration", {"grid": {"epsg": "north"}}, "master", 400),
        ("PUT", "/project/alpha/meta", {"sequence": 7, "type": "preplot", "value": {}}, "user", 400),
        ("PATCH", "/project/alpha/line/5210", {"remarks": 7}, "user", 400),
        ("PATCH", "/project/alpha/sequence/99", {"remarks": "x"}, "user", 404),
        ("POST", "/project/alpha/plan", {"line": 5210, "fsp": 100, "lsp": 104, "sequence": 7}, "user", 409),
        ("POST", "/project/alpha/event", {"tstamp": "2021-10-08T10:00:00Z", "labels": ["NoSuchLabel"]}, "user", 400),
        ("POST", "/project/alpha/qc/results/accept", [12345], "user", 400),
        (
            "POST",
            "/queue/outgoing/asaqc",
            [{"project": "alpha", "sequence": 7}, {"project": "nope", "sequence": 1}],
            "user",
            400,
        ),
        ("DELETE", "/queue/outgoing/asaqc/999", None, "user", 404),
    ],
)
def test_a_write_that_fails_leaves_no_row(alpha, aws, method, path, body, role, expected):
    status, answer = call(alpha, method, path, body, role=role)
    assert status == expected, answer
    assert trail() == []


def test_a_failure_after_the_row_was_written_takes_the_row_back(alpha, monkeypatch):
    """The row is written inside the change's transaction: when the request fails after it, both go."""
    from chalicelib import errors
    from chalicelib.services import audit

    recorded = audit.record

    def record_then_fail(*args, **kwargs):
        recorded(*args, **kwargs)
        assert len(trail()) == 1  # on the same connection, inside the transaction
        raise errors.ServiceUnavailableError("the database went away")

    monkeypatch.setattr(audit, "record", record_then_fail)
    assert call(alpha, "PUT", "/project/alpha/info/crew", {"master": "Olsen"})[0] == 503
    assert call(alpha, "PATCH", "/project/alpha/line/5210", {"remarks": "x"})[0] == 503
    monkeypatch.undo()
    assert trail() == []
    assert alpha.get("/project/alpha/info/crew", headers=as_role("guest")).body == b""
    _, lines = call(alpha, "GET", "/project/alpha/line", role="guest")
    assert lines[0]["remarks"] == ""


def test_the_application_role_cannot_change_or_remove_rows(alpha, database_url):
    import psycopg

    assert call(alpha, "PUT", "/project/alpha/info/k", 1)[0] == 204
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SET ROLE dougal_app")
        assert conn.execute("SELECT count(*) FROM audit").fetchone()[0] == 1
        for statement in ("UPDATE audit SET actor = 'someone else'", "DELETE FROM audit", "TRUNCATE audit"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        conn.execute("RESET ROLE")
        # Not even the owner changes a row (only the tests' clean-up truncates).
        for statement in ("UPDATE audit SET actor = 'someone else'", "DELETE FROM audit"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    assert trail()[0]["actor"] == "test-user"


# ---------------------------------------------------------------- GET /audit


def test_only_master_reads_the_trail(alpha):
    for role in ("guest", "user"):
        assert call(alpha, "GET", "/audit", role=role)[0] == 401
    assert alpha.get("/audit").status_code == 401
    assert call(alpha, "GET", "/audit", role="master")[0] == 200


def test_filters_and_paging(alpha):
    from chalicelib import db

    make_project("beta")
    for key in ("a", "b", "c"):
        assert call(alpha, "PUT", f"/project/alpha/info/{key}", key)[0] == 204
    assert call(alpha, "PUT", "/project/beta/info/z", 1, role="master")[0] == 204
    # An old row, written as an earlier day would have.
    db.connection().execute(
        "INSERT INTO audit (tstamp, actor, role, route, pid) "
        "VALUES (now() - interval '3 days', 'night', 'user', 'x', 'alpha')"
    )

    def listing(query, projects=None):
        response = alpha.get(f"/audit{query}", headers=as_role("master", projects=projects))
        assert response.status_code == 200, response.body
        return json.loads(response.body), int(response.headers["X-Total-Count"])

    everything, total = listing("")
    assert total == 5 and [e["tstamp"] for e in everything] == sorted((e["tstamp"] for e in everything), reverse=True)
    rows, total = listing("?project=alpha")
    assert total == 4 and {r["project"] for r in rows} == {"alpha"}
    rows, total = listing("?actor=test-master")
    assert total == 1 and rows[0]["ids"] == {"project": "beta", "key": "z"}
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    rows, total = listing(f"?project=alpha&since={since.replace('+', '%2B')}")
    assert total == 3 and {r["after"] for r in rows} == {"a", "b", "c"}
    page1, total = listing("?project=alpha&limit=2")
    page2, _ = listing("?project=alpha&limit=2&offset=2")
    assert total == 4 and len(page1) == 2 and len(page2) == 2
    assert {r["id"] for r in page1}.isdisjoint(r["id"] for r in page2)
    assert page2[-1]["actor"] == "night"
    # A master limited to some projects sees their rows only.
    rows, total = listing("", projects=["beta"])
    assert total == 1 and rows[0]["project"] == "beta"


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("?limit=0", "limit"),
        ("?limit=1001", "limit"),
        ("?offset=-1", "offset"),
        ("?since=yesterday", "since"),
        ("?pid=alpha", "pid"),
    ],
)
def test_bad_queries_are_named(alpha, query, named):
    status, answer = call(alpha, "GET", f"/audit{query}", role="master")
    assert status == 400 and named in answer["message"]
