"""Health: the database answers and every queue exists.

The database is asked on every call (one ``SELECT 1``). The queues are not:
asking each of them costs a round trip per queue, which made ``/health`` the
slowest route on the local stack and costs SQS calls in AWS for what a load
balancer or a monitor polls every few seconds. Their answer (good or bad) is
kept for ``QUEUE_CHECK_SECONDS``, per SQS client, so a queue that disappears is
reported within that time. While one request refreshes the answer, the others
use the previous one rather than wait for it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from chalicelib import API_VERSION, __version__, aws, errors
from chalicelib.db import health as db_health
from chalicelib.observability import logger
from chalicelib.settings import get_settings

QUEUE_CHECK_SECONDS = 5.0


@dataclass(frozen=True)
class _QueueCheck:
    client: Any  # the SQS client asked: a new client (new endpoint, new credentials) asks again
    names: tuple[str, ...]
    checked_at: float
    problems: tuple[str, ...]


_refresh = threading.Lock()
_last: _QueueCheck | None = None


def _ask_queues(names: tuple[str, ...]) -> tuple[str, ...]:
    problems = []
    for name in names:
        try:
            aws.sqs().get_queue_attributes(QueueUrl=aws.queue_url(name), AttributeNames=["QueueArn"])
        except Exception:  # noqa: BLE001 - any failure means the queue is not usable
            logger().warning("queue unreachable", extra={"queue": name})
            aws.queue_url.cache_clear()
            problems.append(f"queue {name} unreachable")
    return tuple(problems)


def _same(check: _QueueCheck | None, client: Any, names: tuple[str, ...]) -> bool:
    return check is not None and check.client is client and check.names == names


def _recent(check: _QueueCheck) -> bool:
    return time.monotonic() - check.checked_at < QUEUE_CHECK_SECONDS


def queue_problems() -> tuple[str, ...]:
    """The queues that do not answer, as of at most ``QUEUE_CHECK_SECONDS`` ago."""
    global _last
    client = aws.sqs()
    names = tuple(get_settings().queues.values())
    last = _last
    if last is not None and _same(last, client, names):
        if _recent(last) or not _refresh.acquire(blocking=False):
            return last.problems  # recent enough, or another request is refreshing it
    else:
        _refresh.acquire()
    try:
        current = _last
        if current is not None and _same(current, client, names) and _recent(current):
            return current.problems
        problems = _ask_queues(names)
        _last = _QueueCheck(client=client, names=names, checked_at=time.monotonic(), problems=problems)
        return problems
    finally:
        _refresh.release()


def check() -> dict[str, Any]:
    problems: list[str] = []
    try:
        db_health.ping()
    except errors.DougalError:
        problems.append("database unreachable")
    problems.extend(queue_problems())
    report: dict[str, Any] = {
        "status": "ok" if not problems else "unavailable",
        "version": __version__,
        "api": API_VERSION,
    }
    if problems:
        report["problems"] = problems
        report["message"] = "; ".join(problems)
    return report
