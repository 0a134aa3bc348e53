"""QC: injected faults found with their values, clean data clean, acceptance, regeneration, the queue path."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from dougal_sim import simulator as sim
from dougal_sim.simulator import Fault
from tests.integration.factories import as_role, make_project
from tests.integration.ingest_support import CONFIGURATION, count, run_qc, survey, upload

START = datetime(2021, 10, 8, 10, 0, tzinfo=UTC)
QC_CONFIGURATION = {**CONFIGURATION, "qc": {"source_sequence": {"sources": [1, 2]}}}


@pytest.fixture
def project(aws):
    make_project("alpha", configuration=QC_CONFIGURATION)
    upload(aws, "alpha/preplot/p.sps", sim.write_sps_preplot(survey()))
    return "alpha"


def api(client, method, path, body=None, role="user"):
    raw = json.dumps(body).encode() if body is not None else b""
    response = client.request(method, path, body=raw, headers={**as_role(role), "Content-Type": "application/json"})
    return response.status_code, (json.loads(response.body) if response.body else None)


def results(client, sequence=None):
    path = "/project/alpha/qc/results" + (f"/sequence/{sequence}" if sequence else "")
    status, tree = api(client, "GET", path, role="guest")
    assert status == 200, tree
    return tree


def findings(tree, test, sequence=55):
    return tree[test]["sequences"][str(sequence)]["findings"]


def shoot(aws, truth, kind="final"):
    upload(aws, f"alpha/{kind}/{truth.line_name}.p111", sim.write_p111(truth, kind=kind))
    run_qc()


FAULTS = [
    Fault("shift", 1010, inline_m=20.0),
    Fault("shift", 1020, crossline_m=-14.0),
    Fault("gap", 1030, count=3),
    Fault("duplicate", 1040),
    Fault("wrong_source", 1050),
    Fault("slow", 1060, seconds=8.0),
    Fault("fast", 1070, seconds=7.0),
]


def test_a_clean_sequence_has_no_finding(client, project):
    from chalicelib import aws

    shoot(aws, survey().sequence(55, 5210, start=START))
    tree = results(client)
    assert set(tree) == {
        "position_error",
        "missing_shots",
        "duplicate_shots",
        "shot_interval",
        "speed",
        "source_sequence",
        "point_order",
        "outside_preplot",
    }
    for test, node in tree.items():
        assert node["sequences"]["55"] == {"status": "pass", "findings": []}, test
    assert count("SELECT count(*) FROM event WHERE meta ? 'qc'") == 0


def test_every_injected_fault_is_found_with_its_value(client, project):
    from chalicelib import aws

    truth = survey().sequence(55, 5210, start=START, faults=FAULTS, run_in=3)
    shoot(aws, truth)
    tree = results(client)

    def at(test, point):
        found = [f for f in findings(tree, test) if f["point"] == point]
        assert found, f"{test} at {point}: {findings(tree, test)}"
        return found[0]

    assert at("position_error", 1010)["value"] == pytest.approx(20.0, abs=1.5)
    assert "inline" in at("position_error", 1010)["message"]
    assert at("position_error", 1020)["value"] == pytest.approx(14.0, abs=1.5)
    assert "crossline" in at("position_error", 1020)["message"]
    gap = at("missing_shots", 1030)
    assert gap["value"] == 3 and "1030-1032" in gap["message"]
    assert at("duplicate_shots", 1040)["value"] == 2
    wrong = at("source_sequence", 1050)
    fired = next(s.objref for s in truth.shots if s.point == 1050)
    assert (wrong["value"], wrong["limit"]) == (fired, 3 - fired)
    assert at("shot_interval", 1060)["value"] == pytest.approx(18.0, abs=0.2)
    assert at("speed", 1060)["value"] == pytest.approx(25.0 / 18.0 / (1852 / 3600), abs=0.3)
    assert at("shot_interval", 1070)["value"] == pytest.approx(3.0, abs=0.2)
    assert at("speed", 1070)["value"] > 5.5
    assert at("point_order", 1040)["value"] == 1040
    outside = findings(tree, "outside_preplot")
    assert [f["value"] for f in outside] == [3]
    assert tree["outside_preplot"]["sequences"]["55"]["status"] == "pass"  # information only
    assert tree["position_error"]["sequences"]["55"]["status"] == "fail"
    # Each finding is a read-only QC event on its shot.
    _status, event = api(client, "GET", f"/project/alpha/event/{at('duplicate_shots', 1040)['id']}", role="guest")
    [instance] = event
    assert instance["labels"] == ["QC"] and instance["meta"]["readonly"] is True
    assert instance["meta"]["qc"]["test"] == "duplicate_shots" and instance["meta"]["qc"]["severity"] == "warning"
    assert api(client, "DELETE", f"/project/alpha/event/{instance['id']}")[0] == 403
    summary = api(client, "GET", "/project/alpha/info/qc", role="guest")[1]
    assert summary["sequences"] == 1 and summary["findings"] == summary["open"] > 0


def test_parameters_from_the_configuration(client, project):
    from chalicelib import aws

    shoot(aws, survey().sequence(55, 5210, start=START, faults=[Fault("shift", 1010, crossline_m=8.0)]))
    assert [f["point"] for f in findings(results(client), "position_error")] == []
    configuration = {
        **QC_CONFIGURATION,
        "qc": {**QC_CONFIGURATION["qc"], "position_error": {"max_crossline": 5}, "speed": {"enabled": False}},
    }
    assert api(client, "PUT", "/project/alpha/configuration", configuration, role="master")[0] == 204
    run_qc()  # the configuration change asked for regeneration
    tree = results(client)
    assert [f["point"] for f in findings(tree, "position_error")] == [1010]
    assert tree["position_error"]["parameters"]["max_crossline"] == 5 and "speed" not in tree


def test_accept_unaccept_survive_regeneration(client, project):
    from chalicelib import aws

    shoot(aws, survey().sequence(55, 5210, start=START, faults=[Fault("gap", 1030, count=2), Fault("duplicate", 1040)]))
    gap = findings(results(client), "missing_shots")[0]
    # The spec: 204 and no body.
    accepted = client.request(
        "POST",
        "/project/alpha/qc/results/accept",
        body=json.dumps([gap["id"]]).encode(),
        headers={**as_role("user"), "Content-Type": "application/json"},
    )
    assert (accepted.status_code, accepted.body) == (204, b"")
    tree = results(client)
    assert findings(tree, "missing_shots")[0]["accepted"] is True
    assert tree["missing_shots"]["sequences"]["55"]["status"] == "pass"
    # Seis+JSON leaves accepted findings out of the LSP comment, keeps the open one.
    seis = client.get("/project/alpha/sequence/55", headers={**as_role("guest"), "Accept": "application/vnd.seis+json"})
    comment = json.loads(seis.body)["Sequences"][0]["Entries"][-1]["Comment"]
    assert "duplicate_shots" in comment and "missing_shots" not in comment
    # Bad ids: 400 and nothing changes.
    duplicate = findings(tree, "duplicate_shots")[0]
    normal = api(client, "POST", "/project/alpha/event", {"tstamp": "2021-10-08T10:00:00Z", "remarks": "x"})[1]
    for body in ([duplicate["id"], 999999], [duplicate["id"], normal["id"]], [], "all", [True]):
        status, answer = api(client, "POST", "/project/alpha/qc/results/accept", body)
        assert status == 400 and "message" in answer
    assert findings(results(client), "duplicate_shots")[0]["accepted"] is False
    # Delete → regeneration through the queue: acceptance comes back with the same finding.
    assert api(client, "DELETE", "/project/alpha/qc/results/sequence/55")[0] == 204
    assert results(client) == {t: {**n, "sequences": {}} for t, n in tree.items()}
    assert run_qc() == 1
    assert findings(results(client), "missing_shots")[0]["accepted"] is True
    assert api(client, "POST", "/project/alpha/qc/results/unaccept", [gap["id"]]) == (204, None)
    assert findings(results(client), "missing_shots")[0]["accepted"] is False
    assert api(client, "DELETE", "/project/alpha/qc/results")[0] == 204
    run_qc()
    assert findings(results(client), "missing_shots")[0]["accepted"] is False


def test_duplicate_and_out_of_order_messages_give_the_same_state(client, project):
    from chalicelib import aws, db
    from chalicelib.services import qc

    shoot(aws, survey().sequence(55, 5210, start=START, faults=FAULTS))
    before = results(client)
    instances = count("SELECT count(*) FROM event WHERE meta ? 'qc'")
    qc.enqueue("alpha", [55], "again")
    qc.enqueue("alpha", None, "whole project")
    qc.enqueue("alpha", [55], "again")
    run_qc()
    assert results(client) == before
    assert count("SELECT count(*) FROM event WHERE meta ? 'qc'") == instances  # nothing rewritten
    # A newer final file replaces the findings: changed ones get new instances, vanished ones are closed.
    shoot(aws, survey().sequence(55, 5210, start=START, faults=[Fault("duplicate", 1040)]))
    tree = results(client)
    assert [f["point"] for f in findings(tree, "duplicate_shots")] == [1040]
    assert findings(tree, "missing_shots") == [] and findings(tree, "source_sequence") == []
    same_id = findings(before, "duplicate_shots")[0]["id"]
    assert findings(tree, "duplicate_shots")[0]["id"] == same_id
    conn = db.connection()
    current = "SELECT count(*) AS n FROM event WHERE id = %s AND upper_inf(validity)"
    assert conn.execute(current, (same_id,)).fetchone()["n"] == 1


def test_sweep_regenerates_what_a_lost_message_missed(client, project):
    from chalicelib import aws
    from chalicelib.services import qc

    truth = survey().sequence(55, 5210, start=START, faults=[Fault("duplicate", 1040)])
    upload(aws, f"alpha/final/{truth.line_name}.p111", sim.write_p111(truth))
    aws.sqs().purge_queue(QueueUrl=aws.queue_url("dougal-dev-qc"))  # the message is lost
    assert results(client)["duplicate_shots"]["sequences"] == {}
    assert qc.sweep() == 1
    assert [f["point"] for f in findings(results(client), "duplicate_shots")] == [1040]
    assert qc.sweep() == 0  # up to date


def test_archived_projects_are_not_regenerated(client, project):
    from chalicelib import aws
    from chalicelib.services import qc

    shoot(aws, survey().sequence(55, 5210, start=START, faults=[Fault("duplicate", 1040)]))
    assert api(client, "DELETE", "/project/alpha", role="master")[0] == 204
    assert api(client, "DELETE", "/project/alpha/qc/results")[0] == 204
    assert run_qc() == 0  # no message sent
    assert qc.run_sequence("alpha", 55) == "project archived: not regenerated"
    assert qc.sweep() == 0
    assert results(client)["duplicate_shots"]["sequences"] == {}


def test_unknown_sequence_and_project(client, project):
    assert api(client, "GET", "/project/alpha/qc/results/sequence/99", role="guest")[0] == 404
    assert api(client, "DELETE", "/project/alpha/qc/results/sequence/99")[0] == 404
    assert api(client, "GET", "/project/nope/qc/results", role="guest")[0] == 404
