"""Online sequences from the navigation feed: one sequence's answer, its FSP/LSP system events, what the
import of its raw file does to them and to the feed.

The expected figures come from the headers sent (and, after an import, from the simulator's truth of the
file), never from the code under test.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.integration.api.test_navdata import ONLINE_LINE, get, header, post
from tests.integration.factories import make_project
from tests.integration.ingest_support import CONFIGURATION, count


@pytest.fixture
def project():
    make_project("alpha", configuration=CONFIGURATION)
    return "alpha"


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def system_events(client, sequence: int = 55) -> dict[str, dict]:
    """The current system events of the sequence, by label, through the API; two of one label fail."""
    status, body, _ = get(client, f"/project/alpha/event?sequence={sequence}")
    assert status == 200, body
    found: dict[str, dict] = {}
    for event in body:
        if "system" in event["meta"]:
            label = event["meta"]["system"]
            assert label not in found, f"two {label} events"
            found[label] = event
    return found


def instances(event_id: int) -> int:
    return count("SELECT count(*) FROM event WHERE id = %s", event_id)


def _expected_anchor(sent: dict, label: str) -> tuple:
    return (label, sent["point"], _t(sent["tstamp"]), [sent["lon"], sent["lat"]])


def _anchor(event: dict) -> tuple:
    return (event["labels"][0], event["point"], _t(event["tstamp"]), event["meta"]["geometry"]["coordinates"])


# ------------------------------------------------------------ one online sequence


def test_one_online_sequence_answers_as_the_list_shows_it(client, project):
    sent = [header(n) for n in range(12)]
    for batch in (sent[6:12], sent[0:6]):  # out of order
        assert post(client, batch)[0] == 201
    status, one, _ = get(client, "/project/alpha/sequence/55")
    assert status == 200, one
    status, listed, _ = get(client, "/project/alpha/sequence")
    assert [one] == listed
    assert one["status"] == "online"
    assert (one["fsp"], _t(one["ts0"])) == (sent[0]["point"], _t(sent[0]["tstamp"]))
    assert (one["lsp"], _t(one["ts1"])) == (sent[-1]["point"], _t(sent[-1]["tstamp"]))
    assert (one["num_points"], one["line"], one["line_name"]) == (12, 5210, ONLINE_LINE)
    assert get(client, "/project/alpha/sequence/56")[0] == 404
    # Seis+JSON is made of shots: an online sequence has none yet.
    seis = client.get(
        "/project/alpha/sequence/55", headers={**_guest(), "Accept": "application/vnd.seis+json"}
    ).status_code
    assert seis == 404


def _guest() -> dict[str, str]:
    from tests.integration.factories import as_role

    return as_role("guest")


# ------------------------------------------------------------ FSP and LSP from the feed


def test_fsp_when_a_sequence_comes_online_lsp_when_it_goes_offline(client, project):
    sent = [header(n) for n in range(20)]
    post(client, sent[0:10])
    events = system_events(client)
    assert set(events) == {"FSP"}  # still online: no end yet
    fsp = events["FSP"]
    assert _anchor(fsp) == _expected_anchor(sent[0], "FSP")
    assert fsp["meta"]["readonly"] is True and fsp["meta"]["online"] is True
    post(client, sent[10:20])  # later headers of the same line do not touch the FSP
    assert system_events(client) == {"FSP": fsp}
    assert instances(fsp["id"]) == 1
    post(client, [header(25, line="TRANSIT TO 5212")])  # offline: the line has ended
    events = system_events(client)
    assert _anchor(events["LSP"]) == _expected_anchor(sent[19], "LSP")
    assert events["FSP"] == fsp
    # The same batches again (a redelivery) write nothing.
    post(client, sent[0:10])
    post(client, [header(25, line="TRANSIT TO 5212")])
    assert system_events(client) == events
    assert instances(events["LSP"]["id"]) == 1


def test_late_headers_move_the_fsp_and_the_lsp(client, project):
    post(client, [header(n) for n in range(5, 10)])
    post(client, [header(30, line="NS21-1052120056S00000")])  # the next sequence: 55 has ended
    events = system_events(client)
    assert (events["FSP"]["point"], events["LSP"]["point"]) == (1005, 1009)
    post(client, [header(n) for n in range(0, 5)] + [header(10), header(11)])  # arrived late
    moved = system_events(client)
    assert _anchor(moved["FSP"]) == _expected_anchor(header(0), "FSP")
    assert _anchor(moved["LSP"]) == _expected_anchor(header(11), "LSP")
    assert (moved["FSP"]["id"], moved["LSP"]["id"]) == (events["FSP"]["id"], events["LSP"]["id"])
    assert instances(moved["FSP"]["id"]) == 2 and moved["FSP"]["has_edits"] is True
    # Sequence 56 came online and has its FSP only.
    assert set(system_events(client, 56)) == {"FSP"}


def test_a_system_event_of_an_online_sequence_cannot_be_edited(client, project):
    from tests.integration.factories import as_role

    post(client, [header(0)])
    fsp = system_events(client)["FSP"]
    response = client.delete(f"/project/alpha/event/{fsp['id']}", headers=as_role("user"))
    assert response.status_code == 403


# ------------------------------------------------------------ the import of the raw file


def _import_raw(client, sequence_points: int = 60):
    from chalicelib import aws as clients
    from dougal_sim import simulator as sim
    from tests.integration.ingest_support import upload

    srv = sim.Survey(num_lines=2, points_per_line=sequence_points)
    upload(clients, "alpha/preplot/p.sps", sim.write_sps_preplot(srv))
    truth = srv.sequence(55, 5210, start=datetime(2021, 10, 8, 10, 37, tzinfo=UTC), shot_interval_s=1.0)
    upload(clients, "alpha/raw/s55.p111", sim.write_p111(truth, kind="raw"))
    return truth


@pytest.mark.parametrize("went_offline", [True, False])
def test_the_raw_import_makes_them_the_files_first_and_last_shots(client, project, aws, went_offline):
    post(client, [header(n) for n in range(0, 40)])
    if went_offline:
        post(client, [header(45, line="TRANSIT")])
    online = system_events(client)
    assert set(online) == ({"FSP", "LSP"} if went_offline else {"FSP"})
    truth = _import_raw(client)
    events = system_events(client)
    assert set(events) == {"FSP", "LSP"}
    first, last = truth.events[0], truth.events[-1]
    for label, shot in (("FSP", first), ("LSP", last)):
        event = events[label]
        assert event["point"] == shot.point
        assert abs((_t(event["tstamp"]) - shot.tstamp).total_seconds()) < 0.001
        assert "online" not in event["meta"]
        assert event["id"] == online.get(label, event)["id"]  # the same event, made the file's
    total = count("SELECT count(*) FROM event WHERE pid = 'alpha' AND upper_inf(validity) AND meta ? 'system'")
    assert total == 2
    status, one, _ = get(client, "/project/alpha/sequence/55")
    assert (status, one["status"], one["num_points"]) == (200, "raw", 60)
    # Headers after the import make no event and do not bring the online status back.
    post(client, [header(n) for n in range(60, 62)] + [header(70, line="TRANSIT")])
    assert system_events(client) == events
    assert get(client, "/project/alpha/sequence/55")[1]["status"] == "raw"


def test_the_raw_import_drops_the_feed_headers_that_became_its_shots(client, project, aws):
    # Points 1000..1059 are in the file; 1060..1064 (a run-out the file does not hold) are not.
    post(client, [header(n) for n in range(0, 65)])
    post(client, [header(n, line="TRANSIT") for n in range(80, 83)])
    other = [header(n, line="NS21-1052120056S00000") for n in range(90, 93)]
    post(client, other)
    assert count("SELECT count(*) FROM navdata") == 71
    _import_raw(client)
    kept = count("SELECT count(*) FROM navdata WHERE online AND sequence = 55")
    assert kept == 5
    points = {r for r in _points("SELECT point FROM navdata WHERE online AND sequence = 55")}
    assert points == set(range(1060, 1065))
    assert count("SELECT count(*) FROM navdata WHERE NOT online") == 3
    assert count("SELECT count(*) FROM navdata WHERE sequence = 56") == 3
    status, latest, _ = get(client, "/navdata/latest")
    assert (status, latest["point"]) == (200, other[-1]["point"])


def _points(sql: str) -> list[int]:
    from chalicelib import db

    return [r["point"] for r in db.connection().execute(sql)]


def test_a_batch_that_moves_an_event_waits_for_the_projects_event_clock(client, project, aws):
    """The feed's event writes take the project's event clock, as an import's do: a batch and an import of
    the same sequence are ordered by it, and whichever comes second finds the other's events."""
    import threading

    from chalicelib import db

    post(client, [header(n) for n in range(0, 10)])
    post(client, [header(12, line="TRANSIT")])
    assert set(system_events(client)) == {"FSP", "LSP"}
    holder = db.connect()
    holder.execute("BEGIN")
    holder.execute("SELECT at FROM event_clock WHERE pid = 'alpha' FOR UPDATE")
    done: list[object] = []

    def late_batch() -> None:
        try:
            post(client, [header(n) for n in range(10, 12)] + [header(13, line="TRANSIT")])
            done.append("ok")
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            done.append(exc)
        finally:
            db.close()

    thread = threading.Thread(target=late_batch)
    thread.start()
    thread.join(timeout=1.0)
    assert thread.is_alive()  # the batch waits for the clock
    holder.execute("ROLLBACK")
    thread.join(timeout=30)
    holder.close()
    assert done == ["ok"]
    _import_raw(client)
    assert set(system_events(client)) == {"FSP", "LSP"}
    assert system_events(client)["LSP"]["point"] == 1059


# ------------------------------------------------------------ the feed's age in /health and /status


def _now_header(seconds_ago: float, n: int = 0) -> dict:
    from datetime import timedelta

    return {**header(n), "tstamp": (datetime.now(UTC) - timedelta(seconds=seconds_ago)).isoformat()}


def _health(client) -> dict:
    response = client.get("/health")
    assert response.status_code == 200, response.body
    return json.loads(response.body)["navdata"]


def _status(client, projects=None) -> dict[str, dict]:
    from tests.integration.factories import as_role

    response = client.get("/status", headers=as_role("user", projects=projects))
    assert response.status_code == 200, response.body
    return {f["project"]: f for f in json.loads(response.body)["navdata"]}


def test_a_fresh_feed_is_not_stale(client, aws):
    make_project("alpha", configuration=CONFIGURATION)
    post(client, [_now_header(40, 1), _now_header(5, 2)])
    health = _health(client)
    assert 5 <= health["age_seconds"] < 20 and health["stale"] is False
    assert health["stale_seconds"] == 60
    feed = _status(client)["alpha"]
    assert 5 <= feed["age_seconds"] < 20
    assert (feed["stale"], feed["stale_seconds"]) == (False, 60)
    assert abs((_t(feed["newest"]) - _t(_now_header(5)["tstamp"])).total_seconds()) < 15


def test_a_feed_older_than_stale_seconds_is_stale_per_project(client, aws):
    make_project("alpha", configuration={**CONFIGURATION, "navdata": {"stale_seconds": 30}})
    make_project("beta")
    post(client, [_now_header(45)])
    feeds = _status(client)
    assert 45 <= feeds["alpha"]["age_seconds"] < 60
    assert (feeds["alpha"]["stale"], feeds["alpha"]["stale_seconds"]) == (True, 30)
    assert (feeds["beta"]["stale"], feeds["beta"]["stale_seconds"]) == (False, 60)
    assert set(_status(client, projects=["beta"])) == {"beta"}  # only the projects the caller may see
    health = _health(client)
    assert (health["stale"], health["stale_seconds"]) == (True, 30)  # the strictest project's limit
    assert "alpha" not in json.dumps(health)  # the public answer names no project


def test_an_empty_feed_is_stale(client, aws):
    make_project("alpha")
    assert _health(client)["stale"] is True and _health(client)["age_seconds"] is None
    feed = _status(client)["alpha"]
    assert (feed["newest"], feed["age_seconds"], feed["stale"]) == (None, None, True)
