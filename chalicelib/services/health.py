"""Health: the database answers and every queue exists.

``/health`` is public, so what it costs is bounded: the database's answer (one
``SELECT 1``) is kept for ``DATABASE_CHECK_SECONDS`` per configuration, and the
queues' (a round trip per queue) for ``QUEUE_CHECK_SECONDS``, per SQS client; good
or bad, so an outage is reported within that time. While one request refreshes
the queues' answer, the others use the previous one rather than wait for it. The
answer names no queue (nor any other resource): the log does.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from chalicelib import API_VERSION, __version__, aws, errors
from chalicelib.db import health as db_health
from chalicelib.models.health import FeedAge, Health
from chalicelib.observability import logger
from chalicelib.settings import get_settings

QUEUE_CHECK_SECONDS = 5.0
DATABASE_CHECK_SECONDS = 2.0


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
            problems.append(name)
    if not problems:
        return ()
    many = len(problems) > 1
    return (f"{len(problems)} work queues unreachable" if many else "a work queue is unreachable",)


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


_database_last: tuple[Any, float, bool] | None = None


def _ask_database() -> bool:
    try:
        db_health.ping()
        return True
    except errors.DougalError:
        return False


def database_ok() -> bool:
    """Whether the database answered, as of at most ``DATABASE_CHECK_SECONDS`` ago (per configuration)."""
    global _database_last
    settings = get_settings()
    last = _database_last
    if last is not None and last[0] is settings and time.monotonic() - last[1] < DATABASE_CHECK_SECONDS:
        return last[2]
    ok = _ask_database()
    _database_last = (settings, time.monotonic(), ok)
    return ok


_feed_last: tuple[Any, float, Any] | None = None


def navigation_feed() -> FeedAge | None:
    """The navigation feed's age (seconds since its newest header's time) and whether it is stale (older
    than the smallest ``configuration.navdata.stale_seconds`` of the unarchived projects, default 60; an
    empty feed is stale). The newest header's time is read at most every ``DATABASE_CHECK_SECONDS``; the
    age is worked out on every call. None when the database cannot tell."""
    global _feed_last
    from chalicelib.services import navdata

    settings = get_settings()
    last = _feed_last
    if last is None or last[0] is not settings or time.monotonic() - last[1] >= DATABASE_CHECK_SECONDS:
        try:
            found = navdata.feed()
        except errors.DougalError:
            found = None
        last = _feed_last = (settings, time.monotonic(), found)
    feed = last[2]
    if feed is None:
        return None
    age = feed.age_now()
    return FeedAge(
        newest=feed.newest.isoformat() if feed.newest else None,
        age_seconds=age,
        stale_seconds=feed.stale_seconds,
        stale=age is None or age > feed.stale_seconds,
    )


def check() -> Health:
    problems: list[str] = []
    if not database_ok():
        problems.append("database unreachable")
    problems.extend(queue_problems())
    feed = None
    if "database unreachable" not in problems:
        feed = navigation_feed()  # reported, never a reason for a 503: a vessel in port sends nothing
    return Health(
        status="ok" if not problems else "unavailable",
        version=__version__,
        api=API_VERSION,
        navdata=feed,
        problems=problems or None,
        message="; ".join(problems) or None,
    )
