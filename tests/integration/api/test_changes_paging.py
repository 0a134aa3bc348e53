"""``GET …/changes/{since}`` in pages: ``limit`` (default 1000, at most 10,000), ``X-Changes-Until`` the last
change returned, and a client that resumes from it loses nothing and gets nothing twice, while others write."""

from __future__ import annotations

import json
import threading
from urllib.parse import quote

import pytest

from chalicelib import db
from chalicelib.models.events import EventNew
from chalicelib.services import events
from tests.integration.factories import as_role, make_project

EPOCH = "1970-01-01T00:00:00Z"


def page(client, since: str, limit: int | None = None) -> tuple[list[dict], str]:
    query = f"?limit={limit}" if limit is not None else ""
    response = client.get(f"/project/alpha/changes/{quote(since)}{query}", headers=as_role("guest"))
    assert response.status_code == 200, response.body
    return json.loads(response.body), response.headers["X-Changes-Until"]


def write_batch(n: int, tag: str) -> list[int]:
    rows = [(i + 1, EventNew(tstamp="2021-10-08T10:00:00Z", remarks=f"{tag}-{i}")) for i in range(n)]
    return events.create_events("alpha", rows, "writer")


@pytest.fixture
def project():
    make_project("alpha")
    return "alpha"


def test_the_feed_is_paged_and_resumes_exactly(client, project):
    for i in range(7):
        write_batch(1, f"single-{i}")
    first, until = page(client, EPOCH, limit=3)
    assert len(first) == 3 and until == first[-1]["changed_on"]
    rest, until = page(client, until, limit=3)
    assert len(rest) == 3 and until == rest[-1]["changed_on"]
    last, until2 = page(client, until, limit=3)
    assert len(last) == 1
    assert page(client, until2, limit=3) == ([], until2)
    assert [c["uid"] for c in first + rest + last] == sorted(c["uid"] for c in first + rest + last)


def test_a_page_never_splits_the_changes_of_one_transaction(client, project):
    write_batch(2, "before")
    write_batch(2, "before")
    write_batch(12, "bulk")  # one transaction: one change time for twelve changes
    found, until = page(client, EPOCH, limit=5)
    assert len(found) == 4  # the two small transactions; the bulk one would not fit whole
    found, until = page(client, until, limit=5)
    assert len(found) == 12 and len({c["changed_on"] for c in found}) == 1 and until == found[-1]["changed_on"]


def test_limit_defaults_to_1000_and_is_at_most_10000(client, project):
    write_batch(1001, "many")  # one transaction: a page keeps it whole
    write_batch(1, "later")
    found, _ = page(client, EPOCH)
    assert len(found) == 1001
    for bad in ("0", "10001", "x", "99999999999999999999"):
        response = client.get(f"/project/alpha/changes/{EPOCH}?limit={bad}", headers=as_role("guest"))
        assert response.status_code == 400 and "limit" in json.loads(response.body)["message"]


def test_resuming_page_after_page_loses_nothing_while_others_write(client, project):
    stop = threading.Event()
    failures: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            for i in range(25):
                ids = write_batch(1 + i % 4, f"{name}-{i}")
                if i % 5 == 0:
                    events.delete_event("alpha", ids[0], "writer")
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(3)]
    for t in threads:
        t.start()
    seen: list[tuple[int, bool]] = []
    since = EPOCH
    while True:
        writing = any(t.is_alive() for t in threads)
        found, since = page(client, since, limit=4)
        assert len(found) <= 4 or len({c["changed_on"] for c in found}) == 1
        seen += [(c["uid"], c["is_deleted"]) for c in found]
        if not found and not writing:
            break
    stop.set()
    for t in threads:
        t.join()
    assert not failures
    rows = db.connection().execute(
        "SELECT uid, false AS d FROM event WHERE pid = 'alpha' UNION ALL "
        "SELECT uid, true FROM event WHERE pid = 'alpha' AND deleted"
    )
    expected = sorted((r["uid"], r["d"]) for r in rows)
    assert sorted(seen) == expected  # every change once: none lost, none twice
    assert len(expected) > 100
