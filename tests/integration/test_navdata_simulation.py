"""A simulated vessel shoots a sequence and forwards its navigation headers, one a second, in batches every
ten seconds of simulated time: through ``POST /navdata`` and through the ``navdata`` queue. While it
shoots, the sequence is online with the figures of the headers sent so far; its raw file then turns it
``raw`` with one FSP and one LSP, the file's.

Expected figures come from the simulator's headers and its truth of the file.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from dougal_sim import simulator as sim
from tests.integration.factories import as_role, make_project
from tests.integration.ingest_support import CONFIGURATION, count, deliver_all, upload

START = datetime(2021, 10, 8, 10, 0, tzinfo=UTC)


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture
def survey(aws):
    from chalicelib import aws as clients

    make_project("alpha", configuration=CONFIGURATION)
    srv = sim.Survey(num_lines=2, points_per_line=90)
    upload(clients, "alpha/preplot/p.sps", sim.write_sps_preplot(srv))
    return srv


def send_by_api(client, batch: list[dict]) -> None:
    headers = {**as_role("user"), "Content-Type": "application/json"}
    response = client.post("/navdata", headers=headers, body=json.dumps(batch).encode())
    assert response.status_code == 201, response.body


def send_by_queue(aws, batch: list[dict]) -> None:
    from chalicelib.settings import get_settings

    url = aws.sqs().get_queue_url(QueueName=get_settings().navdata_queue)["QueueUrl"]
    body = json.dumps(batch)
    aws.sqs().send_message(QueueUrl=url, MessageBody=body)
    aws.sqs().send_message(QueueUrl=url, MessageBody=body)  # delivered twice, as SQS may
    assert deliver_all(handler="store_navdata_messages") == 2


def the_sequence(client, number: int) -> dict:
    response = client.get(f"/project/alpha/sequence/{number}", headers=as_role("guest"))
    assert response.status_code == 200, response.body
    one = json.loads(response.body)
    listed = json.loads(client.get("/project/alpha/sequence", headers=as_role("guest")).body)
    assert [s for s in listed if s["sequence"] == number] == [one]
    return one


def system_events(client, number: int) -> list[dict]:
    response = client.get(f"/project/alpha/event?sequence={number}", headers=as_role("guest"))
    return [e for e in json.loads(response.body) if "system" in e["meta"]]


@pytest.mark.parametrize("route", ["api", "queue"])
def test_a_simulated_vessel_online_then_raw(client, aws, survey, route):
    from chalicelib import aws as clients

    number, line = (55, 5210) if route == "api" else (56, 5212)
    truth = survey.sequence(number, line, start=START, shot_interval_s=1.0)
    headers = sim.nav_headers(truth, line_prefix="NS21-", offline_before=3, offline_after=3)
    online = [h for h in headers if h["lineName"] != "TRANSIT"]
    assert len(online) == 90 and len(headers) == 96
    sent: list[dict] = []
    batches = list(sim.feed_batches(headers, step_s=10.0))
    assert len(batches) >= 9 and all(len(b) <= 11 for _, b in batches)  # 1 header/s, every 10 s
    for clock, batch in batches:
        if route == "api":
            send_by_api(client, batch)
        else:
            send_by_queue(clients, batch)
        sent.extend(batch)
        so_far = [h for h in sent if h["lineName"] != "TRANSIT"]
        if not so_far:
            continue
        one = the_sequence(client, number)
        assert one["status"] == "online"
        assert one["num_points"] == len(so_far)
        assert (one["fsp"], _t(one["ts0"])) == (so_far[0]["point"], _t(so_far[0]["tstamp"]))
        assert (one["lsp"], _t(one["ts1"])) == (so_far[-1]["point"], _t(so_far[-1]["tstamp"]))
        assert (one["line"], one["line_name"]) == (line, "NS21-" + truth.line_name)
        assert _t(sent[-1]["tstamp"]) < clock  # nothing is sent before its time
    assert count("SELECT count(*) FROM navdata") == len(headers)
    events = {e["labels"][0]: e for e in system_events(client, number)}
    assert (events["FSP"]["point"], events["LSP"]["point"]) == (online[0]["point"], online[-1]["point"])
    assert events["LSP"]["meta"]["online"] is True  # the vessel went offline after the last shot

    upload(clients, f"alpha/raw/s{number}.p111", sim.write_p111(truth, kind="raw"))
    one = the_sequence(client, number)
    assert (one["status"], one["num_points"]) == ("raw", 90)
    after = system_events(client, number)
    assert sorted(e["labels"][0] for e in after) == ["FSP", "LSP"]  # no duplicates
    by_label = {e["labels"][0]: e for e in after}
    for label, shot in (("FSP", truth.events[0]), ("LSP", truth.events[-1])):
        assert by_label[label]["id"] == events[label]["id"]
        assert by_label[label]["point"] == shot.point
        assert abs((_t(by_label[label]["tstamp"]) - shot.tstamp).total_seconds()) < 0.001
        assert "online" not in by_label[label]["meta"]
    # The headers that became shots are gone from the feed; the offline ones stay.
    assert count("SELECT count(*) FROM navdata") == 6
