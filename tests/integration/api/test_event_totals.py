"""The line log's X-Total-Count without filters comes from a count the database keeps (``event_total``):
it must equal a real count of current events after every kind of write, and after writes at once."""

from __future__ import annotations

import threading

import pytest

from tests.integration.api.test_events import T0, call, create
from tests.integration.factories import make_project


@pytest.fixture
def project(aws):
    make_project("alpha")
    return "alpha"


def kept(pid="alpha"):
    from chalicelib import db

    row = db.connection().execute("SELECT current FROM event_total WHERE pid = %s", (pid,)).fetchone()
    return row["current"] if row else 0


def counted(pid="alpha"):
    from chalicelib import db

    sql = "SELECT count(*) AS n FROM event WHERE pid = %s AND upper_inf(validity)"
    return db.connection().execute(sql, (pid,)).fetchone()["n"]


def total_header(client, query=""):
    status, _, headers = call(client, "GET", f"/project/alpha/event?limit=1{query}", role="guest")
    assert status == 200
    return int(headers["X-Total-Count"])


def test_every_kind_of_write_keeps_the_total(client, project):
    first = create(client, tstamp=T0, remarks="one", labels=["Gun"])
    create(client, tstamp=T0, remarks="two")
    assert kept() == counted() == total_header(client) == 2

    assert call(client, "PATCH", f"/project/alpha/event/{first['id']}", {"remarks": "edited"})[0] == 201
    assert kept() == counted() == 2  # an edit closes one instance and opens another

    assert call(client, "DELETE", f"/project/alpha/event/{first['id']}")[0] == 204
    assert kept() == counted() == total_header(client) == 1

    body = {"tstamp": T0, "remarks": "back again", "labels": ["Gun"]}
    assert call(client, "PUT", f"/project/alpha/event/{first['id']}", body)[0] == 201  # undelete
    assert kept() == counted() == total_header(client) == 2

    csv_text = "tstamp,remarks\n" + "".join(f"2021-10-08T10:0{i}:00Z,row {i}\n" for i in range(5))
    status, answer, _ = call(client, "POST", "/project/alpha/event", csv_text.encode(), content_type="text/csv")
    assert status in (200, 201), answer
    assert kept() == counted() == total_header(client) == 7

    # A filtered list still counts what it matches.
    assert total_header(client, "&label=Gun") == 1


def test_a_failed_write_leaves_the_total_as_it_was(client, project):
    create(client, tstamp=T0, remarks="one")
    assert call(client, "POST", "/project/alpha/event", {"remarks": "no anchor"})[0] == 400
    assert kept() == counted() == 1


def test_writers_at_once_keep_the_total(client, project):
    from chalicelib import db

    def write(n):
        try:
            for i in range(8):
                create(client, tstamp=T0, remarks=f"writer {n} event {i}")
        finally:
            db.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert kept() == counted() == total_header(client) == 24


def test_projects_keep_their_own_totals_and_a_deleted_project_takes_its_own(client, project):
    from chalicelib import db

    make_project("beta")
    create(client, tstamp=T0, remarks="alpha's")
    status, _, _ = call(client, "POST", "/project/beta/event", {"tstamp": T0, "remarks": "beta's"})
    assert status == 201
    assert (kept("alpha"), kept("beta")) == (1, 1)
    db.connection().execute("DELETE FROM project WHERE pid = 'beta'")
    assert kept("alpha") == counted("alpha") == 1
    assert db.connection().execute("SELECT count(*) AS n FROM event_total WHERE pid = 'beta'").fetchone()["n"] == 0
