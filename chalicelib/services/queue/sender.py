"""The ASAQC sender: due items, one at a time, to the Vessel Track API; never a file twice.

A run (the SQS worker on a wake-up, or the five-minute schedule) claims the next due item
(``queued``, ``not_before`` ≤ now) with ``FOR NO KEY UPDATE SKIP LOCKED`` and keeps the lock for the
whole of its work, in one transaction: two senders never hold the same item, and a sender that dies
lets its item go (its transaction is rolled back) for the next run to take.

For each file of the item (the Seis+JSON line log, then its PDF), in order:

1. A file with the same digest that this item or an item it retries already delivered (a call
   ``accepted``, or found ``received``) is not sent again: its receipt is the result.
2. Calls for that digest whose outcome is open (cut short by a dying sender: no outcome; or
   ``unknown``: timed out, a receipt that could not be read) are looked up in the remote's receipt
   log by their idempotency key. Found: the file arrived, nothing is sent. Not found: sent anew.
   Where the remote offers no look-up, the file is sent anew (a possible second copy, never a lost
   file); if the look-up itself fails, nothing is sent and the item fails (retried later).
3. Otherwise the call is recorded in the journal (committed, on a connection of its own) *before* it
   is made, with the idempotency key ``<item id>-<sha256>`` sent in ``Idempotency-Key``; its outcome
   is recorded after. A 401 forgets the token and makes one more call (recorded likewise).

The first file that fails stops the item: the rest are marked not sent. The item ends ``sent`` (every
file delivered) or ``failed`` with the error in ``results[].response.error``; a retryable failure
queues a retry (``parent_id``) after ``base · factor^(attempt-1)`` seconds, until
``configuration.asaqc.retry.max_attempts``. A 4xx other than 401, 408 and 429 is not retried, nor is
a sequence that does not exist.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib import db, errors
from chalicelib.clients import asaqc as remote
from chalicelib.db import Connection, Row
from chalicelib.db import queue as db_queue
from chalicelib.models.queue import QUEUE_IDS, RetryPolicy
from chalicelib.observability import logger
from chalicelib.services.queue import wakeup

QUEUE = QUEUE_IDS["asaqc"]
DELIVERED = ("accepted", "received")
OPEN = (None, "unknown")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class OutgoingFile:
    name: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


# (pid, sequence, suffix) -> the files of one transfer, in sending order. ``suffix`` is "" for the
# first transfer of a sequence, "-N" for the N-th resend.
Render = Callable[[str, int, str], list[OutgoingFile]]


def line_log_files(pid: str, sequence: int, suffix: str) -> list[OutgoingFile]:
    """``<line name>-NavLog[-N].json`` (the Seis+JSON) and ``.pdf``: what the client receives."""
    from chalicelib.services import linelog

    log = linelog.build(pid, sequence)
    stem = _UNSAFE.sub("_", log.line_name).strip("._") or f"{pid}-{sequence}"
    return [
        OutgoingFile(f"{stem}-NavLog{suffix}.json", log.seis_json),
        OutgoingFile(f"{stem}-NavLog{suffix}.pdf", log.pdf),
    ]


@dataclass
class RunReport:
    """What one run did (logged, and returned by the handlers)."""

    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retries: list[int] = field(default_factory=list)
    calls: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "failed": self.failed, "retries": self.retries, "calls": self.calls}


@dataclass
class _Delivery:
    """One file's result, or why it stopped the item."""

    result: dict[str, Any]
    delivered: bool
    retryable: bool = False


def _utcnow() -> datetime:
    return datetime.now(UTC)


def make_client() -> remote.VesselTrackClient:
    from chalicelib.settings import get_settings

    return remote.VesselTrackClient(remote.load_credentials(), timeout=get_settings().asaqc_timeout_seconds)


def process_due(
    client: remote.VesselTrackClient | None = None,
    render: Render | None = None,
    now: Callable[[], datetime] | None = None,
    limit: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> RunReport:
    """Send due items until none is left, ``limit`` items were taken, or ``should_stop()`` says so."""
    from chalicelib.settings import get_settings

    now = now or _utcnow
    render = render or line_log_files
    report = RunReport()
    limit = limit if limit is not None else get_settings().asaqc_batch
    if client is None:
        try:
            client = make_client()
        except remote.CredentialsError as exc:
            logger().error("ASAQC transfers wait: %s", exc)
            return report
    for _ in range(limit):
        if should_stop():
            break
        wake_after: float | None = None
        with db.transaction() as conn:
            item = db_queue.claim_due_item(conn, QUEUE, now())
            if item is None:
                break
            status, retry = _send_item(conn, item, client, render, now, report)
            (report.sent if status == "sent" else report.failed).append(item["item_id"])
            if retry is not None:
                report.retries.append(retry["item_id"])
                wake_after = (retry["not_before"] - now()).total_seconds()
        if wake_after is not None and report.retries:
            wakeup.wake([report.retries[-1]], delay_seconds=wake_after)
    return report


def _send_item(
    conn: Connection,
    item: Row,
    client: remote.VesselTrackClient,
    render: Render,
    now: Callable[[], datetime],
    report: RunReport,
) -> tuple[str, Row | None]:
    """Send one claimed item; its final status and the retry queued (if any)."""
    policy, problems = RetryPolicy.from_configuration(item["configuration"])
    for problem in problems:
        logger().warning("ASAQC retry policy: %s; the default is used", problem)
    pid, sequence, item_id = item["pid"], item["sequence"], item["item_id"]
    earlier = db_queue.earlier_attempts(conn, pid, sequence, item_id)
    try:
        files = render(pid, sequence, f"-{earlier}" if earlier else "")
    except errors.NotFoundError as exc:
        error = {"type": "data", "message": exc.message}
        return _finish(conn, item, [{"response": {"error": error}}], False, policy, now)
    except Exception as exc:  # noqa: BLE001 - a line log that cannot be built fails this item, not the run
        logger().exception("ASAQC line log not built", extra={"item_id": item_id})
        error = {"type": "data", "message": f"the line log could not be built: {type(exc).__name__}"}
        return _finish(conn, item, [{"response": {"error": error}}], True, policy, now)

    history = db_queue.chain_transfers(conn, item_id)
    results: list[dict[str, Any]] = []
    stopped: _Delivery | None = None
    for outgoing in files:
        digest = {"sha256": {"hex": outgoing.sha256}}
        if stopped is not None:
            error = {"type": "skipped", "message": "not sent: an earlier file of this transfer failed"}
            results.append({"digest": digest, "response": {"error": error}})
            continue
        delivery = _deliver(item_id, outgoing, history, client, report)
        results.append({"digest": digest, **delivery.result})
        if not delivery.delivered:
            stopped = delivery
    if stopped is None:
        return _finish(conn, item, results, False, policy, now, sent=True)
    return _finish(conn, item, results, stopped.retryable, policy, now)


def _finish(
    conn: Connection,
    item: Row,
    results: list[dict[str, Any]],
    retryable: bool,
    policy: RetryPolicy,
    now: Callable[[], datetime],
    sent: bool = False,
) -> tuple[str, Row | None]:
    status = "sent" if sent else "failed"
    db_queue.finish_item(conn, item["item_id"], status, results)
    retry = None
    if not sent and retryable and item["attempt"] < policy.max_attempts:
        not_before = now() + timedelta(seconds=policy.delay_seconds(item["attempt"]))
        retry = db_queue.insert_retry(conn, item["item_id"], not_before)
    if not sent and retry is None:
        # The chain ends here: a call a dying sender left without an outcome will never be looked up
        # again, so it is closed as unknown (whether the remote took its file is not known).
        for call in db_queue.chain_transfers(conn, item["item_id"]):
            if call["outcome"] is None:
                ended = {"error": {"message": "the transfer ended before this call could be looked up"}}
                db_queue.finish_transfer(call["id"], "unknown", ended)
    logger().info(
        "ASAQC transfer",
        extra={"item_id": item["item_id"], "status": status, "retry": retry["item_id"] if retry else None},
    )
    return status, retry


def _deliver(
    item_id: int,
    outgoing: OutgoingFile,
    history: list[Row],
    client: remote.VesselTrackClient,
    report: RunReport,
) -> _Delivery:
    same = [t for t in history if t["sha256"] == outgoing.sha256]
    for call in same:
        if call["outcome"] in DELIVERED:
            return _Delivery(_carried(call, call["response"]), True)

    try:
        token = client.token()
        open_calls = [t for t in same if t["outcome"] in OPEN]
        if open_calls:
            found = _look_up(open_calls, client, token)
            if found is not None:
                return _Delivery(_carried(*found), True)
        key = f"{item_id}-{outgoing.sha256}"
        outcome = _call(item_id, key, outgoing, client, token, report)
        if outcome.status == 401:
            client.forget_token()
            outcome = _call(item_id, key, outgoing, client, client.token(), report)
    except remote.RemoteError as exc:
        return _Delivery({"response": {"error": exc.error}}, False, exc.retryable)
    if outcome.kind == "accepted":
        return _Delivery({"response": outcome.response}, True)
    return _Delivery({"response": outcome.response}, False, outcome.retryable)


def _call(
    item_id: int,
    key: str,
    outgoing: OutgoingFile,
    client: remote.VesselTrackClient,
    token: str,
    report: RunReport,
) -> remote.Outcome:
    """One call, on record before it is made."""
    call = db_queue.insert_transfer(item_id, key, outgoing.name, outgoing.sha256, len(outgoing.data))
    report.calls += 1
    outcome = client.upload(outgoing.name, outgoing.data, key, token, call_id=call["id"])
    db_queue.finish_transfer(call["id"], outcome.kind, outcome.response)
    return outcome


def _look_up(open_calls: list[Row], client: remote.VesselTrackClient, token: str) -> tuple[Row, dict[str, Any]] | None:
    """Resolve calls whose outcome is open from the remote's receipt log: the call and receipt of the
    one received, else None (each marked ``not_received``; without a look-up, left ``unknown``)."""
    received: tuple[Row, dict[str, Any]] | None = None
    for key in dict.fromkeys(t["idempotency_key"] for t in open_calls):
        receipts = client.receipts(key, token)
        calls = [t for t in open_calls if t["idempotency_key"] == key]
        if receipts is None:
            for call in calls:
                if call["outcome"] is None:
                    db_queue.finish_transfer(call["id"], "unknown", {"error": {"message": "cut short"}})
            return None
        by_call = {str(r.get("call")): r for r in receipts}
        for call in calls:
            receipt = by_call.get(str(call["id"]))
            if receipt is None and len(calls) == 1 and len(receipts) == 1 and receipts[0].get("call") is None:
                receipt = receipts[0]  # a receipt log that does not echo the call: the key is enough
            if receipt is not None:
                db_queue.finish_transfer(call["id"], "received", receipt)
                received = received or (call, receipt)
            else:
                db_queue.finish_transfer(call["id"], "not_received", call["response"])
    return received


def _carried(call: Row, receipt: dict[str, Any]) -> dict[str, Any]:
    """The result of a file delivered by an earlier call (of this item, or of an item it retries)."""
    return {"response": receipt, "sent_by": call["item_id"]}
