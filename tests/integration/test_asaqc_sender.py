"""The ASAQC sender against the fake Vessel Track server in this process: each fault, retries and their
delays, the token, a sender that dies mid-item, two senders at once. The whole path through SQS, the
schedule and HTTP is in ``test_asaqc_transfer.py``; the randomised run in ``test_asaqc_simulation.py``."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import db
from chalicelib.clients import asaqc as remote
from chalicelib.models.auth import Identity
from chalicelib.models.queue import QueueRequestASAQC
from chalicelib.services.queue import requests, sender
from chalicelib.services.queue.sender import OutgoingFile
from scripts.fake_vessel_track import FakeVesselTrack, SenderKilled
from tests.integration.factories import make_project

RETRY = {"asaqc": {"retry": {"base": 10, "factor": 2, "max_attempts": 3}}}
USER = Identity(name="navigator", role="user")


class Clock:
    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def render(pid: str, sequence: int, suffix: str) -> list[OutgoingFile]:
    """Small files whose bytes depend on the sequence only: a retry sends the same digests."""
    return [
        OutgoingFile(f"L{sequence}-NavLog{suffix}.json", json.dumps({"pid": pid, "sequence": sequence}).encode()),
        OutgoingFile(f"L{sequence}-NavLog{suffix}.pdf", b"%PDF-1.4 sequence " + str(sequence).encode()),
    ]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def fake():
    from chalicelib.db import queue as db_queue

    remote.forget_tokens()
    yield FakeVesselTrack(client_id="dougal-test", client_secret="test-secret")
    remote.forget_tokens()
    db_queue.close_journal()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def project(aws):
    make_project("alpha", configuration=RETRY)
    return "alpha"


def client_for(fake, lookup=True, transport=None, clock=time.monotonic):
    credentials = remote.Credentials(
        token_url="http://vessel-track.test/oauth2/token",
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        scope="api://vessel-track/.default",
        api_url="http://vessel-track.test",
        receipt_lookup=lookup,
    )
    return remote.VesselTrackClient(credentials, transport=transport or fake.transport(), timeout=1.0, clock=clock)


def enqueue(*sequences: int, pid: str = "alpha") -> list[int]:
    items = requests.enqueue([QueueRequestASAQC(project=pid, sequence=s) for s in sequences], USER)
    return [i.item_id for i in items]


def run(fake, clock, lookup=True, **kwargs):
    return sender.process_due(client=client_for(fake, lookup), render=render, now=clock, **kwargs)


def items() -> list[dict]:
    return db.connection().execute("SELECT * FROM queue_item ORDER BY item_id").fetchall()


def item(item_id: int) -> dict:
    return db.connection().execute("SELECT * FROM queue_item WHERE item_id = %s", (item_id,)).fetchone()


def calls(item_id: int | None = None) -> list[dict]:
    return (
        db.connection()
        .execute(
            "SELECT * FROM queue_transfer WHERE %(item)s::bigint IS NULL OR item_id = %(item)s ORDER BY id",
            {"item": item_id},
        )
        .fetchall()
    )


def killed(fake, clock, **kwargs) -> None:
    """A run whose sender dies: its connections go with it."""
    from chalicelib.db import queue as db_queue

    with pytest.raises(SenderKilled):
        run(fake, clock, **kwargs)
    db.close()
    db_queue.close_journal()


# ---------------------------------------------------------------- the plain case


def test_both_files_arrive_with_their_digests_recorded(fake, clock, project):
    (item_id,) = enqueue(7)
    report = run(fake, clock)
    assert report.sent == [item_id] and report.calls == 2
    done = item(item_id)
    assert done["status"] == "sent"
    expected = render("alpha", 7, "")
    assert [r["digest"]["sha256"]["hex"] for r in done["results"]] == [sha(f.data) for f in expected]
    received = fake.received()
    assert [(r["fileName"], r["sha256"]) for r in received] == [(f.name, sha(f.data)) for f in expected]
    assert [r["response"] for r in done["results"]] == [{"id": r["id"], "fileName": r["fileName"]} for r in received]
    assert [r["idempotencyKey"] for r in received] == [f"{item_id}-{sha(f.data)}" for f in expected]
    assert [(c["outcome"], c["file_name"]) for c in calls()] == [("accepted", f.name) for f in expected]
    assert [r["call"] for r in received] == [str(c["id"]) for c in calls()]


def test_nothing_due_nothing_done(fake, clock, project):
    assert run(fake, clock).as_dict() == {"sent": [], "failed": [], "retries": [], "calls": 0}
    assert fake.requests == []


def test_a_run_takes_at_most_its_limit_and_stops_when_told(fake, clock, project):
    enqueue(1, 2, 3)
    assert len(run(fake, clock, limit=2).sent) == 2
    assert run(fake, clock, should_stop=lambda: True).sent == []
    assert len(run(fake, clock).sent) == 1


# ---------------------------------------------------------------- failures and retries


def test_refused_fails_the_item_and_a_retry_follows_after_the_base_delay(fake, clock, project):
    (first,) = enqueue(7)
    fake.inject("refused")
    report = run(fake, clock)
    assert report.failed == [first] and len(report.retries) == 1
    failed = item(first)
    assert failed["status"] == "failed"
    error = failed["results"][0]["response"]["error"]
    assert error["code"] == "ECONNREFUSED" and "ECONNREFUSED" in error["message"]
    assert failed["results"][1]["response"]["error"]["type"] == "skipped"
    assert [r["digest"]["sha256"]["hex"] for r in failed["results"]] == [sha(f.data) for f in render("alpha", 7, "")]
    retry = item(report.retries[0])
    assert (retry["status"], retry["parent_id"], retry["attempt"]) == ("queued", first, 2)
    assert retry["not_before"] == clock() + timedelta(seconds=10)
    assert fake.received() == []

    clock.advance(9.9)
    assert run(fake, clock).sent == []  # not due yet
    clock.advance(0.1)
    assert run(fake, clock).sent == [retry["item_id"]]
    assert [r["fileName"] for r in fake.received()] == ["L7-NavLog-1.json", "L7-NavLog-1.pdf"]
    assert item(retry["item_id"])["status"] == "sent"


def test_retries_wait_longer_each_time_and_stop_at_max_attempts(fake, clock, project):
    fake.fault_picker = lambda info: "500"
    enqueue(7)
    waits = []
    for _ in range(5):
        report = run(fake, clock)
        if report.retries:
            waits.append((item(report.retries[0])["not_before"] - clock()).total_seconds())
        clock.advance(1000)
    chain = items()
    assert [(i["attempt"], i["status"]) for i in chain] == [(1, "failed"), (2, "failed"), (3, "failed")]
    assert [i["parent_id"] for i in chain] == [None, chain[0]["item_id"], chain[1]["item_id"]]
    assert waits == [10.0, 20.0]
    assert all(i["results"][0]["response"]["error"]["status"] == 500 for i in chain)
    assert len(calls()) == 3  # one call per attempt: the first file failed, the second was not tried


def test_the_default_policy_applies_without_configuration(fake, clock, aws):
    make_project("plain")
    enqueue(1, pid="plain")
    fake.inject("refused")
    report = run(fake, clock)
    assert (item(report.retries[0])["not_before"] - clock()).total_seconds() == 60.0


def test_a_refusal_for_good_is_not_retried(fake, clock, project):
    (first,) = enqueue(7)
    fake.inject("400")
    report = run(fake, clock)
    assert report.failed == [first] and report.retries == []
    assert item(first)["results"][0]["response"]["error"]["status"] == 400
    assert len(items()) == 1


@pytest.mark.parametrize(
    ("fault", "reached"),
    [("timeout", False), ("slow", True), ("garbled", True)],
)
def test_an_unknown_outcome_is_looked_up_before_sending_again(fake, clock, project, fault, reached):
    (first,) = enqueue(7)
    fake.inject(fault)
    report = run(fake, clock)
    assert report.failed == [first]
    (call,) = calls(first)
    assert call["outcome"] == "unknown"
    clock.advance(10)
    retry = run(fake, clock)
    assert retry.sent == report.retries
    json_file = render("alpha", 7, "")[0]
    assert len(fake.received(sha(json_file.data))) == 1  # never twice
    resolved = calls(first)[0]
    sent = item(report.retries[0])
    if reached:
        assert resolved["outcome"] == "received"
        assert sent["results"][0]["sent_by"] == first  # the parent's call delivered it
        assert [c["file_name"] for c in calls(sent["item_id"])] == ["L7-NavLog-1.pdf"]
    else:
        assert resolved["outcome"] == "not_received"
        assert "sent_by" not in sent["results"][0]
        assert [c["file_name"] for c in calls(sent["item_id"])] == ["L7-NavLog-1.json", "L7-NavLog-1.pdf"]
    assert sent["results"][0]["response"]["id"] == fake.received(sha(json_file.data))[0]["id"]


def test_an_expired_token_is_renewed_and_the_call_made_once_more(fake, clock, project):
    (first,) = enqueue(7)
    fake.inject("expired")
    assert run(fake, clock).sent == [first]
    assert [(c["outcome"], (c["response"].get("error") or {}).get("status")) for c in calls()] == [
        ("failed", 401),
        ("accepted", None),
        ("accepted", None),
    ]
    assert fake.token_requests == 2
    assert len(fake.received()) == 2


def test_the_token_is_kept_until_a_minute_before_it_expires(fake, clock, project):
    fake.token_lifetime = 90
    ticks = [1000.0]
    client = client_for(fake, clock=lambda: ticks[0])
    enqueue(1, 2, 3)
    sender.process_due(client=client, render=render, now=clock)
    assert fake.token_requests == 1
    enqueue(4)
    ticks[0] += 29
    sender.process_due(client=client, render=render, now=clock)
    assert fake.token_requests == 1
    enqueue(5)
    ticks[0] += 2  # 31 s after: less than a minute of its 90 s left
    sender.process_due(client=client, render=render, now=clock)
    assert fake.token_requests == 2


def test_a_token_endpoint_that_refuses_fails_the_item_without_a_call(fake, clock, project):
    (first,) = enqueue(7)
    client = client_for(fake)
    fake.client_secret = "rotated"  # the stored secret no longer works
    report = sender.process_due(client=client, render=render, now=clock)
    assert report.failed == [first] and len(report.retries) == 1  # 401 is retried
    assert item(first)["results"][0]["response"]["error"]["type"] == "token"
    assert calls() == [] and fake.requests == []


def test_a_sequence_that_does_not_exist_fails_without_retry(fake, clock, project):
    (first,) = enqueue(404)
    report = sender.process_due(client=client_for(fake), now=clock)  # the real line log
    assert report.failed == [first] and report.retries == []
    assert item(first)["results"] == [
        {"response": {"error": {"type": "data", "message": "Sequence 404 not found in project alpha"}}}
    ]


def test_without_credentials_items_wait(fake, clock, project):
    (first,) = enqueue(7)
    assert sender.process_due(now=clock).as_dict() == {"sent": [], "failed": [], "retries": [], "calls": 0}
    assert item(first)["status"] == "queued"


# ---------------------------------------------------------------- never twice


def test_a_sender_killed_after_the_remote_took_the_file_does_not_send_it_again(fake, clock, project):
    (first,) = enqueue(7)
    fake.inject("kill")
    killed(fake, clock)
    assert item(first)["status"] == "queued"  # the dead sender's transaction is gone, its lock too
    (cut,) = calls(first)
    assert cut["outcome"] is None
    assert run(fake, clock).sent == [first]
    json_file = render("alpha", 7, "")[0]
    (receipt,) = fake.received(sha(json_file.data))
    assert [c["outcome"] for c in calls(first)] == ["received", "accepted"]
    done = item(first)
    assert done["results"][0]["response"]["id"] == receipt["id"]
    assert done["results"][0]["sent_by"] == first


def test_a_sender_killed_twice_on_the_same_item(fake, clock, project):
    (first,) = enqueue(7)
    fake.inject("kill")
    killed(fake, clock)
    fake.inject("kill")  # the look-up finds the JSON; the PDF's call dies in turn
    killed(fake, clock)
    assert run(fake, clock).sent == [first]
    assert [c["outcome"] for c in calls(first)] == ["received", "received"]
    assert len(fake.received()) == 2


def test_without_a_lookup_a_cut_short_call_is_made_again_under_the_same_key(fake, clock, project):
    (first,) = enqueue(7)
    fake.inject("kill")
    killed(fake, clock, lookup=False)
    fake.inject("duplicate")  # a remote that knows the key answers with its first receipt
    assert run(fake, clock, lookup=False).sent == [first]
    json_file = render("alpha", 7, "")[0]
    (receipt,) = fake.received(sha(json_file.data))
    assert [c["outcome"] for c in calls(first)] == ["unknown", "accepted", "accepted"]
    assert calls(first)[0]["idempotency_key"] == calls(first)[1]["idempotency_key"]
    assert item(first)["results"][0]["response"]["id"] == receipt["id"]


def test_without_a_lookup_nothing_is_lost_at_the_price_of_a_second_copy(fake, clock, project):
    (first,) = enqueue(7)
    fake.inject("kill")
    killed(fake, clock, lookup=False)
    assert run(fake, clock, lookup=False).sent == [first]
    json_file = render("alpha", 7, "")[0]
    assert len(fake.received(sha(json_file.data))) == 2  # a remote without look-up nor de-duplication


class FailingLookup:
    def __init__(self, fake):
        self.inner = fake.transport()

    def request(self, method, url, headers, body, timeout):
        if method == "GET":
            raise remote.ConnectionRefused("receipt log unreachable")
        return self.inner.request(method, url, headers, body, timeout)


def test_when_the_lookup_fails_nothing_is_sent(fake, clock, project):
    (first,) = enqueue(7)
    fake.inject("kill")
    killed(fake, clock)
    client = client_for(fake, transport=FailingLookup(fake))
    report = sender.process_due(client=client, render=render, now=clock)
    assert report.failed == [first] and len(report.retries) == 1
    assert item(first)["results"][0]["response"]["error"]["type"] == "receipts"
    assert [c["outcome"] for c in calls()] == [None]  # still open, for the retry to look up
    clock.advance(10)
    assert run(fake, clock).sent == report.retries
    assert len(fake.received()) == 2
    assert calls(first)[0]["outcome"] == "received"


def test_a_file_delivered_by_the_parent_is_not_sent_by_the_retry(fake, clock, project):
    (first,) = enqueue(7)
    # The JSON goes through, the PDF meets a 500.
    fake.fault_picker = lambda info: "500" if info["fileName"].endswith(".pdf") else None
    report = run(fake, clock)
    assert report.failed == [first]
    fake.fault_picker = None
    clock.advance(10)
    assert run(fake, clock).sent == report.retries
    retry = item(report.retries[0])
    assert retry["results"][0]["sent_by"] == first
    assert [c["file_name"] for c in calls(retry["item_id"])] == ["L7-NavLog-1.pdf"]
    assert [r["fileName"] for r in fake.received()] == ["L7-NavLog.json", "L7-NavLog-1.pdf"]


class SlowTransport:
    """The fake over a transport that takes a little time per call, so two senders overlap."""

    def __init__(self, fake):
        self.inner = fake.transport()

    def request(self, *args):
        time.sleep(0.005)
        return self.inner.request(*args)


def test_two_senders_never_take_the_same_item(fake, clock, project):
    from chalicelib.db import queue as db_queue

    ids = enqueue(*range(1, 41))
    reports = []
    start = threading.Barrier(2)

    def sender_thread():
        try:
            start.wait()
            client = client_for(fake, transport=SlowTransport(fake))
            reports.append(sender.process_due(client=client, render=render, now=clock, limit=1000))
        finally:
            db.close()
            db_queue.close_journal()

    threads = [threading.Thread(target=sender_thread) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(reports) == 2
    first, second = (set(r.sent) for r in reports)
    assert first and second, "both senders should have taken part"
    assert not first & second
    assert sorted(first | second) == ids
    keys = [r["idempotencyKey"] for r in fake.received()]
    assert len(keys) == len(set(keys)) == 80


def test_a_sender_skips_an_item_whose_row_another_holds_and_takes_the_next_at_once(fake, clock, project):
    from chalicelib.db import queue as db_queue

    oldest, following, last = enqueue(1, 2, 3)
    holder = db.connect()  # another sender, in the middle of its work on the oldest due item
    holder.execute("BEGIN")
    held = holder.execute("SELECT item_id FROM queue_item WHERE item_id = %s FOR UPDATE", (oldest,)).fetchone()
    assert held["item_id"] == oldest
    reports = []

    def second_sender():
        try:
            reports.append(run(fake, clock, limit=1))
        finally:
            db.close()
            db_queue.close_journal()

    thread = threading.Thread(target=second_sender)
    started = time.monotonic()
    try:
        thread.start()
        thread.join(timeout=10)
        waited = time.monotonic() - started
        assert not thread.is_alive(), "the sender waited for the row another sender holds"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        thread.join(timeout=30)
    assert waited < 5
    assert reports[0].sent == [following]
    assert item(oldest)["status"] == "queued" and item(last)["status"] == "queued"
    assert {r["idempotencyKey"].split("-")[0] for r in fake.received()} == {str(following)}
    # Once let go, the oldest is the next one taken.
    assert run(fake, clock, limit=1).sent == [oldest]
