"""A randomised run of 1,000 ASAQC transfers against the fake Vessel Track API, faults drawn at random.

Every upload call meets a fault at random (refused, 500, 400, timeout, slow, garbled answer, expired
token, duplicate acceptance) or none; a sender may die just before a call leaves (after recording it)
or just after the remote took the file (before recording the answer). Rounds alternate between two
senders at once, the SQS worker given every message twice (and the same message in one batch), and the
schedule; the clock jumps to the next due retry when nothing is due. Nothing sleeps: the fake answers
in this process and the files are small.

At the end: no file received twice; every item ``sent`` or ``failed``, no retry past the maximum, each
chain ending in a sent item or in a failure that may not be retried again; and the journal is exact —
every call the fake saw is one journal row and every journal row is one call (or one cut short before
it left), their outcomes agree with what the fake did, and each result names a receipt of its digest.
The seed and the counts are printed past pytest's capture, so that they show in ``make test``'s
output when the run passes too (``DOUGAL_SIM_SEED`` replays a run's dice; ``DOUGAL_SIM_TRANSFERS``
makes a shorter run, as the check of that output does).
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import random
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib import db
from chalicelib.clients import asaqc as remote
from chalicelib.db import queue as db_queue
from chalicelib.models.auth import Identity
from chalicelib.models.queue import QueueRequestASAQC
from chalicelib.services.queue import requests, sender, wakeup
from chalicelib.services.queue.sender import OutgoingFile
from scripts.fake_vessel_track import FakeVesselTrack, SenderKilled
from tests.integration.factories import make_project

TRANSFERS = int(os.environ.get("DOUGAL_SIM_TRANSFERS") or 1000)
SUMMARY = "ASAQC fault simulation: "
MAX_ATTEMPTS = 4
RETRY = {"base": 30, "factor": 2, "max_attempts": MAX_ATTEMPTS}
# Per upload call.
FAULT_WEIGHTS = {
    None: 60,
    "refused": 5,
    "reset": 2,
    "500": 5,
    "400": 1,
    "timeout": 5,
    "slow": 5,
    "garbled": 3,
    "expired": 4,
    "duplicate": 3,
    "kill": 4,  # the sender dies after the remote took the file
}
KILL_BEFORE_SEND = 0.03  # the sender dies after recording a call, before it leaves


class SimClock:
    def __init__(self) -> None:
        self.at = datetime.now(UTC)
        self.lock = threading.Lock()

    def __call__(self) -> datetime:
        with self.lock:
            return self.at

    def jump_to(self, when: datetime) -> None:
        with self.lock:
            self.at = max(self.at, when)


def render(pid: str, sequence: int, suffix: str) -> list[OutgoingFile]:
    return [
        OutgoingFile(f"S{sequence:04d}-NavLog{suffix}.json", json.dumps({"sequence": sequence}).encode()),
        OutgoingFile(f"S{sequence:04d}-NavLog{suffix}.pdf", b"%PDF-1.4 " + str(sequence).encode() * 3),
    ]


class Dice:
    """One random source for the whole run, shared by threads."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.faults: collections.Counter[str] = collections.Counter()

    def fault(self, info: dict) -> str | None:
        with self.lock:
            fault = self.rng.choices(list(FAULT_WEIGHTS), weights=list(FAULT_WEIGHTS.values()))[0]
        self.faults[fault or "none"] += 1
        return fault

    def chance(self, p: float) -> bool:
        with self.lock:
            return self.rng.random() < p

    def choice(self, options: list) -> object:
        with self.lock:
            return self.rng.choice(options)


class DyingTransport:
    """The fake's transport; now and then the sender dies with the call on record but not yet sent."""

    def __init__(self, fake: FakeVesselTrack, dice: Dice, counts: collections.Counter) -> None:
        self.inner = fake.transport()
        self.dice = dice
        self.counts = counts

    def request(self, method, url, headers, body, timeout):
        if method == "POST" and url.endswith(remote.UPLOAD_PATH) and self.dice.chance(KILL_BEFORE_SEND):
            self.counts["killed before sending"] += 1
            self.counts["cut short: " + headers["X-Dougal-Call"]] += 1
            raise SenderKilled("before the call left")
        return self.inner.request(method, url, headers, body, timeout)


@pytest.fixture
def simulation(aws, monkeypatch):
    remote.forget_tokens()
    seed = int(os.environ.get("DOUGAL_SIM_SEED") or random.SystemRandom().randrange(1 << 30))
    fake = FakeVesselTrack(client_id="dougal-sim", client_secret="sim-secret")
    dice = Dice(seed)
    fake.fault_picker = dice.fault
    counts: collections.Counter = collections.Counter()
    clock = SimClock()
    credentials = remote.Credentials(
        token_url="http://vessel-track.sim/oauth2/token",
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        scope="",
        api_url="http://vessel-track.sim",
        receipt_lookup=True,
    )

    def make_client():
        return remote.VesselTrackClient(credentials, transport=DyingTransport(fake, dice, counts), timeout=1.0)

    # Wake-up messages are kept here rather than in moto's queue, whose every call costs time in
    # proportion to the messages it holds (the queue itself is exercised in test_asaqc_transfer.py).
    wakeups: list[dict] = []

    def wake(item_ids, delay_seconds=0):
        wakeups.extend({"item_id": i} for i in item_ids)
        counts["wake-ups"] += len(item_ids)
        return True

    monkeypatch.setattr(wakeup, "wake", wake)
    # The worker and the schedule build their client and read the time through these.
    monkeypatch.setattr(sender, "make_client", make_client)
    monkeypatch.setattr(sender, "_utcnow", clock)
    monkeypatch.setattr(sender, "line_log_files", render)
    yield fake, dice, counts, clock, seed, wakeups
    remote.forget_tokens()
    db_queue.close_journal()


def died(counts: collections.Counter) -> None:
    """What a dead sender leaves: nothing but what it committed. Its connections go with it."""
    counts["senders died"] += 1
    db.close()
    db_queue.close_journal()


def run_sender(counts: collections.Counter) -> None:
    try:
        sender.process_due(render=render)
    except SenderKilled:
        died(counts)


def two_senders(counts: collections.Counter) -> None:
    def work():
        try:
            run_sender(counts)
        finally:
            db.close()
            db_queue.close_journal()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    counts["rounds: two senders"] += 1


def worker_with_duplicates(wakeups: list[dict], dice: Dice, counts: collections.Counter) -> None:
    """The SQS worker, handed wake-up messages as SQS hands them at least once: two messages, each
    twice in one batch, then the same batch again (a redelivery)."""
    from scripts.dispatcher import LocalContext, resolve, sqs_event
    from tests.integration.ingest_support import dispatcher

    source = next(s for s in dispatcher().sqs_sources if s.name == "send_asaqc_transfers")
    bodies = [wakeups.pop(0) for _ in range(min(2, len(wakeups)))] or [{}]
    messages = [
        {"MessageId": f"m{counts['SQS messages'] + n}", "ReceiptHandle": "r", "Body": json.dumps(body)}
        for n, body in enumerate(bodies)
    ]
    counts["SQS messages"] += len(messages)
    handler = resolve(source.handler_string)
    arn = "arn:aws:sqs:eu-west-1:123456789012:" + source.queue
    for batch in (messages + messages, messages):
        try:
            handler(sqs_event(batch, arn), LocalContext(source.name))
        except SenderKilled:
            died(counts)
        counts["SQS deliveries"] += len(batch)
    counts["rounds: worker"] += 1


def schedule(counts: collections.Counter) -> None:
    from scripts.dispatcher import LocalContext, resolve, schedule_event
    from tests.integration.ingest_support import dispatcher

    scheduled = next(s for s in dispatcher().schedules if s.name == "redrive_asaqc_transfers")
    try:
        resolve(scheduled.handler_string)(schedule_event(scheduled.name), LocalContext(scheduled.name))
    except SenderKilled:
        died(counts)
    counts["rounds: schedule"] += 1


def show(capsys: pytest.CaptureFixture[str], line: str) -> None:
    """A line on the terminal, past pytest's capture (which hides a passing test's output)."""
    with capsys.disabled():
        print("\n" + line, flush=True)


def test_a_thousand_transfers_with_random_faults(aws, simulation, capsys):
    fake, dice, counts, clock, seed, wakeups = simulation
    show(capsys, f"ASAQC fault simulation, seed {seed} (DOUGAL_SIM_SEED={seed} replays it)")
    started = time.monotonic()
    make_project("sim", configuration={"asaqc": {"retry": RETRY}})
    user = Identity(name="navigator", role="user")
    for start in range(1, TRANSFERS + 1, 100):
        batch = range(start, min(start + 100, TRANSFERS + 1))
        requests.enqueue([QueueRequestASAQC(project="sim", sequence=s) for s in batch], user)

    conn = db.connection()
    for _ in range(5000):
        waiting = conn.execute("SELECT min(not_before) AS due, count(*) AS n FROM queue_item WHERE status = 'queued'")
        row = waiting.fetchone()
        if not row["n"]:
            break
        clock.jump_to(row["due"])
        mode = dice.choice(["two senders", "worker", "schedule"])
        if mode == "two senders":
            two_senders(counts)
        elif mode == "worker":
            worker_with_duplicates(wakeups, dice, counts)
        else:
            schedule(counts)
        conn = db.connection()  # a sender that died in this thread took the connection with it
    elapsed = time.monotonic() - started

    items = conn.execute("SELECT * FROM queue_item ORDER BY item_id").fetchall()
    journal = conn.execute("SELECT * FROM queue_transfer ORDER BY id").fetchall()
    receipts = fake.received()
    by_id = {i["item_id"]: i for i in items}
    children = {i["parent_id"]: i for i in items if i["parent_id"] is not None}

    # Every item ended, none past the maximum of attempts; each chain ends sent or beyond retrying.
    assert {i["status"] for i in items} <= {"sent", "failed"}
    assert max(i["attempt"] for i in items) <= MAX_ATTEMPTS
    roots = [i for i in items if i["parent_id"] is None]
    assert len(roots) == TRANSFERS
    outcomes = collections.Counter()
    chain_end = {}  # item id -> the last item of its chain
    for root in roots:
        last, chain = root, [root]
        while last["item_id"] in children:
            child = children[last["item_id"]]
            assert last["status"] == "failed" and child["attempt"] == last["attempt"] + 1
            assert child["not_before"] >= last["updated_on"] - timedelta(days=1)  # queued after the parent failed
            last = child
            chain.append(child)
        chain_end.update((i["item_id"], last) for i in chain)
        if last["status"] == "sent":
            outcomes["sent"] += 1
        else:
            errors = [r["response"].get("error") for r in last["results"]]
            error = next(e for e in errors if e is not None and e["type"] != "skipped")
            final = last["attempt"] == MAX_ATTEMPTS or error.get("status") == 400
            assert final, f"item {last['item_id']} failed ({error}) with attempts left but no retry"
            outcomes["failed after max attempts" if last["attempt"] == MAX_ATTEMPTS else "refused for good"] += 1

    # No file received twice (every file's bytes are its sequence's own).
    digests = collections.Counter(r["sha256"] for r in receipts)
    assert [d for d, n in digests.items() if n > 1] == []
    assert all(r["sha256"] == hashlib.sha256(r["data"]).hexdigest() for r in receipts)

    # Every sent item's results name a receipt of exactly its digest.
    receipt_by_id = {r["id"]: r for r in receipts}
    for item in items:
        if item["status"] != "sent":
            continue
        expected = [hashlib.sha256(f.data).hexdigest() for f in render("sim", item["sequence"], "")]
        assert [r["digest"]["sha256"]["hex"] for r in item["results"]] == expected
        for result in item["results"]:
            assert receipt_by_id[result["response"]["id"]]["sha256"] == result["digest"]["sha256"]["hex"]

    # The journal is exact: each call the fake saw is one row, each row one call or one cut short.
    requests_by_call = collections.defaultdict(list)
    for request in fake.requests:
        requests_by_call[request["call"]].append(request)
    rows_by_call = {str(row["id"]): row for row in journal}
    assert all(len(seen) == 1 for seen in requests_by_call.values()), "a call was made twice"
    assert set(requests_by_call) <= set(rows_by_call)
    unseen = set(rows_by_call) - set(requests_by_call)
    cut_short = {key.removeprefix("cut short: ") for key in counts if key.startswith("cut short: ")}
    assert unseen == cut_short
    stored_calls = {r["call"] for r in receipts}
    for call, row in rows_by_call.items():
        assert row["outcome"] is not None, f"call {call} left open"
        assert row["idempotency_key"] == f"{row['item_id']}-{row['sha256']}"
        seen = requests_by_call.get(call, [None])[0]
        if row["outcome"] == "accepted":
            assert seen["status"] == 200 and row["response"]["id"] in receipt_by_id, seen
        elif row["outcome"] == "received":
            assert call in stored_calls
        elif row["outcome"] == "not_received":
            assert call not in stored_calls
        elif row["outcome"] == "failed":
            # A 401 also meets a sender whose token another sender's call found expired.
            assert seen is not None, (row, by_id[row["item_id"]])
            assert seen["fault"] in ("refused", "500", "400", "expired") or seen["status"] == 401, (seen, row)
            assert call not in stored_calls
        else:  # unknown: a timeout, an unreadable answer or a cut-short call the chain never looked up again
            assert seen is None or seen["fault"] in ("reset", "timeout", "slow", "garbled", "kill"), (seen, row)
            # Left unknown only where nothing came after to resolve it: the chain's last item, or a chain that
            # ended failed (its retries' look-ups failed too: whether the file arrived is not known).
            end = chain_end[row["item_id"]]
            assert row["item_id"] not in children or end["status"] == "failed", (row, end)
        if seen is not None:
            assert (seen["idempotencyKey"], seen["fileName"]) == (row["idempotency_key"], row["file_name"])
    # A file the fake kept was taken by one call, and that call's row says so (or the chain ended first).
    for receipt in receipts:
        assert rows_by_call[receipt["call"]]["outcome"] in ("accepted", "received", "unknown")

    summary = {
        "seed": seed,
        "seconds": round(elapsed, 1),
        "transfers": TRANSFERS,
        "items": len(items),
        **dict(outcomes),
        "calls recorded": len(journal),
        "calls the fake saw": len(fake.requests),
        "files received": len(receipts),
        "token requests": fake.token_requests,
        **{f"fault {k}": v for k, v in sorted(dice.faults.items())},
        **{k: v for k, v in sorted(counts.items()) if not k.startswith("cut short: ")},
        "journal outcomes": dict(collections.Counter(str(r["outcome"]) for r in journal)),
    }
    show(capsys, SUMMARY + json.dumps(summary))
    assert outcomes["sent"] > TRANSFERS * 0.8
    if TRANSFERS >= 1000:  # a short run may well draw no death of either kind
        assert counts["senders died"] > 0 and dice.faults["kill"] > 0 and counts["killed before sending"] > 0


def test_the_counts_show_in_the_output_of_a_passing_run(database_url):
    """The simulation run as ``make test`` runs it (pytest capturing output), short, in a database of
    its own: its counts are in what pytest printed although it passed."""
    import psycopg
    from psycopg import sql

    from scripts import localdb

    root = Path(__file__).resolve().parents[2]
    name = "dougal_test_simulation_output"
    env = {**os.environ, "DOUGAL_TEST_DATABASE": name, "DOUGAL_SIM_TRANSFERS": "40", "DOUGAL_SIM_SEED": "1414"}
    env.pop("PYTEST_ADDOPTS", None)
    test = f"{Path(__file__).relative_to(root)}::test_a_thousand_transfers_with_random_faults"
    try:
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", test],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    finally:
        with psycopg.connect(localdb.default_cluster().url("postgres"), autocommit=True) as admin:
            for database in (name, f"{name}_template"):
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]  # it passed
    lines = [line for line in run.stdout.splitlines() if line.startswith(SUMMARY)]
    assert len(lines) == 1, run.stdout[-3000:]
    summary = json.loads(lines[0].removeprefix(SUMMARY))
    assert (summary["seed"], summary["transfers"]) == (1414, 40)
    assert summary["sent"] + summary.get("failed after max attempts", 0) + summary.get("refused for good", 0) == 40
    assert "DOUGAL_SIM_SEED=1414 replays it" in run.stdout
