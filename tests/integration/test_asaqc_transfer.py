"""A transfer end to end, as in AWS: POST → wake-up on the asaqc queue (moto) → the worker → the Vessel
Track API (the fake, over HTTP on a loopback port, credentials from Secrets Manager); and the same
through the five-minute schedule. The files that arrive are the line log's Seis+JSON and PDF."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime

import pytest

from chalicelib import db
from dougal_sim import simulator as sim
from scripts.fake_vessel_track import FakeServer, FakeVesselTrack
from tests.integration.conftest import reload_settings
from tests.integration.factories import as_role, make_project
from tests.integration.ingest_support import CONFIGURATION, deliver_all, dispatcher, run_qc, upload

SECRET_ID = "dougal/test/asaqc"


@pytest.fixture
def survey(aws):
    make_project("alpha", configuration=CONFIGURATION)
    srv = sim.Survey(num_lines=2, points_per_line=60)
    upload(aws, "alpha/preplot/p.sps", sim.write_sps_preplot(srv))
    truth = srv.sequence(55, 5210, start=datetime(2021, 10, 8, 23, 50, tzinfo=UTC), missing=[1010])
    upload(aws, "alpha/final/s.p111", sim.write_p111(truth))
    run_qc()
    return truth


@pytest.fixture
def http_fake(aws, monkeypatch):
    """The fake on a loopback port (and its server); the sender pointed at it as the local stack points it."""
    from chalicelib.clients import asaqc as remote
    from chalicelib.db import queue as db_queue

    fake = FakeVesselTrack(client_id="dougal-test", subscription_key="sub-key")
    server = FakeServer(fake, delay_seconds=0.5).start()
    aws.secrets().create_secret(
        Name=SECRET_ID,
        SecretString=json.dumps(
            {
                "client_id": fake.client_id,
                "client_secret": fake.client_secret,
                "scope": "api://vessel-track/.default",
                "subscription_key": "sub-key",
                "api_url": "https://vessel-track.invalid",  # the settings below take precedence
            }
        ),
    )
    monkeypatch.setenv("DOUGAL_ASAQC_SECRET_ID", SECRET_ID)
    monkeypatch.setenv("DOUGAL_ASAQC_API_URL", server.url)
    monkeypatch.setenv("DOUGAL_ASAQC_TOKEN_URL", server.url + "/oauth2/token")
    monkeypatch.setenv("DOUGAL_ASAQC_RECEIPT_LOOKUP", "true")
    reload_settings()
    remote.forget_tokens()
    yield fake, server
    server.stop()
    remote.forget_tokens()
    db_queue.close_journal()


@pytest.fixture
def vessel_track(http_fake):
    return http_fake[0]


def post(client, body):
    headers = {**as_role("user"), "Content-Type": "application/json"}
    response = client.post("/queue/outgoing/asaqc", headers=headers, body=json.dumps(body))
    assert response.status_code == 202, response.body
    return json.loads(response.body)


def item(item_id):
    return db.connection().execute("SELECT * FROM queue_item WHERE item_id = %s", (item_id,)).fetchone()


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_a_queued_sequence_reaches_the_vessel_track_api_through_the_queue(client, aws, survey, vessel_track):
    (queued,) = post(client, [{"project": "alpha", "sequence": 55}])
    assert deliver_all(handler="send_asaqc_transfers") == 1  # the wake-up, handled by the worker
    done = item(queued["item_id"])
    assert done["status"] == "sent", done["results"]

    received = vessel_track.received()
    assert [r["fileName"] for r in received] == [f"{survey.line_name}-NavLog.json", f"{survey.line_name}-NavLog.pdf"]
    assert [r["digest"]["sha256"]["hex"] for r in done["results"]] == [r["sha256"] for r in received]
    assert [r["sha256"] for r in received] == [hashlib.sha256(r["data"]).hexdigest() for r in received]
    assert [r["response"]["id"] for r in done["results"]] == [r["id"] for r in received]

    # The JSON is what GET …/sequence/55 answers as Seis+JSON, byte for byte.
    seis = client.get("/project/alpha/sequence/55", headers={**as_role("guest"), "Accept": "application/vnd.seis+json"})
    assert seis.status_code == 200
    assert received[0]["data"] == seis.body
    assert json.loads(received[0]["data"])["Sequences"][0]["SequenceNumber"] == 55

    # The PDF opens; it names the sequence, its first and last shot, the open QC finding.
    text = pdf_text(received[1]["data"])
    shots = sorted(s.point for s in survey.shots)
    first, last = str(survey.shots[0].point), str(survey.shots[-1].point)
    assert {first, last} == {str(shots[0]), str(shots[-1])}
    assert "Sequence 55" in text
    assert f"First shot (FSP) {first}" in text and f"Last shot (LSP) {last}" in text
    assert "missing_shots" in text and "1010" in text
    assert survey.line_name in text

    # GET …/sequence/55 as application/pdf answers the very same bytes.
    answer = client.get("/project/alpha/sequence/55", headers={**as_role("guest"), "Accept": "application/pdf"})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/pdf"
    assert hashlib.sha256(answer.body).hexdigest() == done["results"][1]["digest"]["sha256"]["hex"]

    # Every call went out with the token, the subscription key and the idempotency key.
    assert [r["idempotencyKey"] for r in received] == [f"{queued['item_id']}-{r['sha256']}" for r in received]
    assert vessel_track.token_requests == 1


def test_the_schedule_sends_what_is_due_without_a_message(client, aws, survey, vessel_track):
    from scripts.dispatcher import LocalContext, rate_seconds, resolve, schedule_event

    post(client, [{"project": "alpha", "sequence": 55}])
    deliver_all(handler="send_asaqc_transfers")
    (again,) = post(client, [{"project": "alpha", "sequence": 55}])  # sent before: this one is a resend
    url = aws.queue_url("dougal-dev-asaqc")
    aws.sqs().purge_queue(QueueUrl=url)  # the wake-up is lost

    schedule = next(s for s in dispatcher().schedules if s.name == "redrive_asaqc_transfers")
    assert rate_seconds(schedule.schedule_expression) == 300
    report = resolve(schedule.handler_string)(schedule_event(schedule.name), LocalContext(schedule.name))
    assert report["sent"] == [again["item_id"]]
    assert item(again["item_id"])["status"] == "sent"
    received = vessel_track.received()
    assert [r["fileName"] for r in received[2:]] == [
        f"{survey.line_name}-NavLog-1.json",
        f"{survey.line_name}-NavLog-1.pdf",
    ]
    # What the schedule recorded is what arrived: digests and receipts, file by file.
    done = item(again["item_id"])
    assert [r["digest"]["sha256"]["hex"] for r in done["results"]] == [r["sha256"] for r in received[2:]]
    assert [r["sha256"] for r in received[2:]] == [hashlib.sha256(r["data"]).hexdigest() for r in received[2:]]
    assert [r["response"]["id"] for r in done["results"]] == [r["id"] for r in received[2:]]
    assert [r["idempotencyKey"] for r in received[2:]] == [f"{again['item_id']}-{r['sha256']}" for r in received[2:]]
    # The PDF the schedule sent opens and names the sequence and its first and last shot.
    text = pdf_text(received[3]["data"])
    first, last = str(survey.shots[0].point), str(survey.shots[-1].point)
    assert "Sequence 55" in text
    assert f"First shot (FSP) {first}" in text and f"Last shot (LSP) {last}" in text


def qc_findings(sequence):
    sql = "SELECT id, point, meta FROM event WHERE sequence = %s AND 'QC' = ANY (labels) ORDER BY point, id"
    return db.connection().execute(sql, (sequence,)).fetchall()


def test_an_accepted_qc_finding_is_left_out_of_the_pdf_line_log(client, aws, survey, vessel_track):
    findings = qc_findings(55)
    by_test = {f["meta"]["qc"]["test"]: f for f in findings}
    assert set(by_test) == {"missing_shots", "shot_interval"}  # the fixture's gap at 1010 gives both
    accepted = by_test["shot_interval"]
    kept = by_test["missing_shots"]
    assert accepted["point"] != kept["point"]
    headers = {**as_role("user"), "Content-Type": "application/json"}
    answer = client.post("/project/alpha/qc/results/accept", headers=headers, body=json.dumps([accepted["id"]]))
    assert answer.status_code == 204, answer.body

    (queued,) = post(client, [{"project": "alpha", "sequence": 55}])
    deliver_all(handler="send_asaqc_transfers")
    assert item(queued["item_id"])["status"] == "sent"
    text = pdf_text(vessel_track.received()[1]["data"])
    assert "QC findings not accepted: 1" in text
    assert kept["meta"]["qc"]["message"] in text
    assert "shot_interval" not in text and accepted["meta"]["qc"]["message"] not in text
    assert str(accepted["point"]) not in text  # the accepted finding's shot appears nowhere in the PDF


def test_a_worker_short_of_time_takes_nothing(client, aws, survey, vessel_track):
    from scripts.dispatcher import LocalContext, resolve, schedule_event

    (queued,) = post(client, [{"project": "alpha", "sequence": 55}])
    schedule = next(s for s in dispatcher().schedules if s.name == "redrive_asaqc_transfers")
    context = LocalContext(schedule.name, timeout_ms=40_000)  # less than two 20 s calls and the reserve
    assert resolve(schedule.handler_string)(schedule_event(schedule.name), context)["sent"] == []
    assert item(queued["item_id"])["status"] == "queued"


def test_a_refused_connection_over_http_fails_the_item_and_queues_a_retry(
    client, aws, survey, vessel_track, monkeypatch
):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("DOUGAL_ASAQC_API_URL", f"http://127.0.0.1:{port}")
    reload_settings()
    (queued,) = post(client, [{"project": "alpha", "sequence": 55}])
    deliver_all(handler="send_asaqc_transfers")
    failed = item(queued["item_id"])
    assert failed["status"] == "failed"
    assert failed["results"][0]["response"]["error"]["code"] == "ECONNREFUSED"
    retry = db.connection().execute("SELECT * FROM queue_item WHERE parent_id = %s", (queued["item_id"],)).fetchone()
    assert retry["status"] == "queued" and (retry["not_before"] - failed["updated_on"]).total_seconds() > 50


def test_a_slow_answer_over_http_is_a_timeout_and_the_retry_finds_the_receipt(
    client, aws, survey, vessel_track, monkeypatch
):
    monkeypatch.setenv("DOUGAL_ASAQC_TIMEOUT_SECONDS", "0.2")
    reload_settings()
    vessel_track.inject("slow")
    (queued,) = post(client, [{"project": "alpha", "sequence": 55}])
    deliver_all(handler="send_asaqc_transfers")
    failed = item(queued["item_id"])
    assert failed["results"][0]["response"]["error"]["code"] == "ETIMEDOUT"
    db.connection().execute("UPDATE queue_item SET not_before = now() WHERE parent_id = %s", (queued["item_id"],))
    from chalicelib.services.queue import sender

    report = sender.process_due()
    assert len(report.sent) == 1 and report.calls == 1  # the PDF only: the JSON had arrived
    assert len(vessel_track.received()) == 2


@pytest.fixture
def secret_only(aws, monkeypatch):
    """The sender configured by the secret alone: no URL settings on top of it."""
    from chalicelib.clients import asaqc as remote
    from chalicelib.db import queue as db_queue

    for name in ("DOUGAL_ASAQC_API_URL", "DOUGAL_ASAQC_TOKEN_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DOUGAL_ASAQC_SECRET_ID", SECRET_ID)
    reload_settings()
    remote.forget_tokens()
    yield
    remote.forget_tokens()
    db_queue.close_journal()


def put_secret(aws, fake=None, **values):
    """The ASAQC secret: ``values``, after the fake's client credentials when a fake is given."""
    credentials = {}
    if fake is not None:
        credentials = {
            "client_id": fake.client_id,
            "client_secret": fake.client_secret,
            "scope": "api://vessel-track/.default",
        }
    aws.secrets().create_secret(Name=SECRET_ID, SecretString=json.dumps({**credentials, **values}))


def test_the_secrets_token_url_and_api_url_are_used_when_no_setting_overrides_them(client, aws, survey, secret_only):
    fake = FakeVesselTrack(client_id="dougal-secret", subscription_key="sub-from-secret")
    server = FakeServer(fake, delay_seconds=0.5).start()
    try:
        put_secret(
            aws,
            fake,
            subscription_key="sub-from-secret",
            token_url=server.url + "/oauth2/token",
            api_url=server.url + "/",
        )
        (queued,) = post(client, [{"project": "alpha", "sequence": 55}])
        assert deliver_all(handler="send_asaqc_transfers") == 1
    finally:
        server.stop()
    done = item(queued["item_id"])
    assert done["status"] == "sent", done["results"]
    received = fake.received()
    assert [r["digest"]["sha256"]["hex"] for r in done["results"]] == [r["sha256"] for r in received]
    assert len(received) == 2 and fake.token_requests == 1


class TenantRouting:
    """Answers the Microsoft identity platform's token endpoint of one tenant with the fake's token
    endpoint, and everything else with the fake; records every URL asked for."""

    def __init__(self, fake, token_url):
        self.inner = fake.transport()
        self.token_url = token_url
        self.urls = []
        self.forms = []

    def request(self, method, url, headers, body, timeout):
        from urllib.parse import parse_qs

        from scripts.fake_vessel_track import TOKEN_PATH

        self.urls.append((method, url))
        if url == self.token_url:
            self.forms.append({k: v[0] for k, v in parse_qs(body.decode()).items()})
            return self.inner.request(method, "http://fake" + TOKEN_PATH, headers, body, timeout)
        return self.inner.request(method, url, headers, body, timeout)


def test_a_secret_with_a_tenant_id_takes_its_tokens_from_that_tenants_endpoint(client, aws, survey, secret_only):
    from chalicelib.clients import asaqc as remote
    from chalicelib.services.queue import sender

    fake = FakeVesselTrack(client_id="dougal-tenant")
    put_secret(
        aws,
        fake,
        tenant_id="4f1e0c8e-1111-2222-3333-444455556666",
        api_url="https://vessel-track.example",
    )
    credentials = remote.load_credentials()
    expected = "https://login.microsoftonline.com/4f1e0c8e-1111-2222-3333-444455556666/oauth2/v2.0/token"
    assert credentials.token_url == expected
    assert credentials.api_url == "https://vessel-track.example"

    (queued,) = post(client, [{"project": "alpha", "sequence": 55}])
    transport = TenantRouting(fake, expected)
    report = sender.process_due(client=remote.VesselTrackClient(credentials, transport=transport))
    assert report.sent == [queued["item_id"]]
    assert transport.urls[0] == ("POST", expected)
    assert transport.forms == [
        {
            "grant_type": "client_credentials",
            "client_id": "dougal-tenant",
            "client_secret": fake.client_secret,
            "scope": "api://vessel-track/.default",
        }
    ]
    upload = "https://vessel-track.example/vt/v1/api/upload-file-encoded"
    assert transport.urls[1:] == [("POST", upload), ("POST", upload)]
    assert len(fake.received()) == 2


def test_a_secret_without_a_token_url_or_tenant_sends_nothing(client, aws, survey, secret_only):
    from chalicelib.clients import asaqc as remote
    from chalicelib.services.queue import sender

    put_secret(aws, client_id="id", client_secret="secret", api_url="https://vessel-track.example")
    with pytest.raises(remote.CredentialsError, match="token_url missing"):
        remote.load_credentials()
    (queued,) = post(client, [{"project": "alpha", "sequence": 55}])
    assert sender.process_due().as_dict() == {"sent": [], "failed": [], "retries": [], "calls": 0}
    assert item(queued["item_id"])["status"] == "queued"


def journal(item_id):
    return db.connection().execute("SELECT * FROM queue_transfer WHERE item_id = %s ORDER BY id", (item_id,)).fetchall()


def make_retry_due(parent_id):
    sql = "UPDATE queue_item SET not_before = now() WHERE parent_id = %s RETURNING item_id"
    return db.connection().execute(sql, (parent_id,)).fetchone()["item_id"]


def connects(address) -> bool:
    import socket

    try:
        socket.create_connection(address, timeout=2).close()
    except ConnectionRefusedError:
        return False
    return True


def test_a_refused_fault_over_http_is_a_refused_connection_known_not_to_have_arrived(client, aws, survey, http_fake):
    from chalicelib.services.queue import sender

    fake, server = http_fake
    server.refuse_seconds = 60  # ended below by listen_again()
    sender.make_client().token()  # a token in hand: the next connection is the upload's
    (queued,) = post(client, [{"project": "alpha", "sequence": 55}])
    fake.inject("refused")
    assert not server.listening.is_set() and not connects(server.address)  # refused by the system
    deliver_all(handler="send_asaqc_transfers")
    failed = item(queued["item_id"])
    assert failed["status"] == "failed"
    assert failed["results"][0]["response"]["error"]["code"] == "ECONNREFUSED"
    assert [c["outcome"] for c in journal(queued["item_id"])] == ["failed"]  # not unknown
    assert fake.requests == [] and fake.refusals == 1  # the call never reached the fake

    server.listen_again()
    retry = make_retry_due(queued["item_id"])
    report = sender.process_due()
    assert report.sent == [retry] and report.calls == 2
    assert fake.lookups == 0  # a refused call cannot have delivered anything: nothing to look up
    received = fake.received()
    assert len(received) == 2 and len({r["sha256"] for r in received}) == 2


def test_a_refusal_over_http_comes_after_the_faults_before_it_and_lasts_its_seconds(client, aws, survey, http_fake):
    import urllib.request

    from chalicelib.services.queue import sender

    fake, server = http_fake
    server.refuse_seconds = 60
    sender.make_client().token()
    request = urllib.request.Request(
        server.url + "/fake/faults", data=json.dumps({"faults": ["500", "refused"]}).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as answer:  # as an operator does it under make run
        assert answer.status == 204
    assert server.listening.is_set()  # the 500 comes first
    (queued,) = post(client, [{"project": "alpha", "sequence": 55}])
    deliver_all(handler="send_asaqc_transfers")
    assert item(queued["item_id"])["results"][0]["response"]["error"]["status"] == 500
    assert [r["fault"] for r in fake.requests] == ["500"]
    assert not connects(server.address)  # the refusal began with the 500's answer
    assert fake.refusals == 1 and fake.faults == []
    server.listen_again()
    assert connects(server.address)

    server.refuse_seconds = 0.5  # left alone, a refusal ends by itself
    fake.inject("refused")
    assert not connects(server.address)
    assert server.listening.wait(10) and connects(server.address)
    assert fake.refusals == 2


def test_a_reset_over_http_leaves_the_outcome_unknown_and_the_retry_looks_it_up(client, aws, survey, http_fake):
    from chalicelib.services.queue import sender

    fake, _ = http_fake
    fake.inject("reset")
    (queued,) = post(client, [{"project": "alpha", "sequence": 55}])
    deliver_all(handler="send_asaqc_transfers")
    failed = item(queued["item_id"])
    assert failed["status"] == "failed"
    assert failed["results"][0]["response"]["error"]["code"] == "ENETWORK"
    assert [c["outcome"] for c in journal(queued["item_id"])] == ["unknown"]  # it may have arrived
    assert [(r["fault"], r["stored"]) for r in fake.requests] == [("reset", False)]

    retry = make_retry_due(queued["item_id"])
    report = sender.process_due()
    assert report.sent == [retry] and report.calls == 2
    assert fake.lookups == 1  # asked the receipt log first: not received, so sent again
    assert [c["outcome"] for c in journal(queued["item_id"])] == ["not_received"]
    received = fake.received()
    assert len(received) == 2 and len({r["sha256"] for r in received}) == 2
